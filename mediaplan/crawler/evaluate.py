"""`make eval` (extraction part): the generic extraction path on a real VnExpress page.

The page and its expected extraction are a Fundus test fixture kept in
../shared/data/vnexpress-fundus/ (evaluation only; never needed by the tests).
Body quality is a token-level F1 between extracted and expected paragraphs.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path

from mediaplan.crawler.extract import extract_article
from mediaplan.crawler.profiles import get_profile
from mediaplan.nlp.normalize import normalize

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "vnexpress-fundus"


def token_f1(got: str, expected: str) -> tuple[float, float, float]:
    g, e = Counter(normalize(got).lower().split()), Counter(normalize(expected).lower().split())
    overlap = sum((g & e).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    p, r = overlap / sum(g.values()), overlap / sum(e.values())
    return p, r, 2 * p * r / (p + r)


def main(data: Path = DATA) -> int:
    page = next(data.glob("*.html.gz"), None) if data.is_dir() else None
    if page is None:
        print(f"Không có trang VnExpress mẫu ở {data} (../shared/data/ không có trên máy này).")
        return 0
    html = gzip.decompress(page.read_bytes()).decode("utf-8")
    expected = json.loads((data / "VnExpress.json").read_text(encoding="utf-8"))["V1"]
    paragraphs = [p for s in expected["body"]["sections"] for p in s["paragraphs"]]
    start = time.perf_counter()
    runs = 20
    for _ in range(runs):
        art = extract_article(html, "https://vnexpress.net/", get_profile(None))
    per_page = (time.perf_counter() - start) / runs
    p, r, f = token_f1(art.body, "\n".join(paragraphs))
    print(f"VnExpress (trang thật, đường chung: JSON-LD/OpenGraph → trafilatura), bộ trích xuất: {art.extractor}")
    print(f"  thân bài: precision {p:.3f}, recall {r:.3f}, F1 {f:.3f} (theo từ, so với {len(paragraphs)} đoạn mong đợi)")
    print(f"  tiêu đề đúng: {normalize(art.title) == normalize(expected['title'])}; tác giả: {art.author!r} (mong đợi {expected['authors']})")
    print(f"  ngày đăng: {art.published_at}; tóm tắt đúng: {normalize(art.sapo) == normalize(expected['body']['summary'][0])}")
    print(f"  tốc độ: {per_page * 1000:.1f} ms/trang ({1 / per_page:.0f} trang/s trên một lõi), trang {len(html) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
