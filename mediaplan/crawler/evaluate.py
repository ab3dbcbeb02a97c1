"""`make eval` (extraction part): a real VnExpress page, through the generic path and the vnexpress profile.

The page and its expected extraction are a Fundus test fixture kept in
../shared/data/vnexpress-fundus/ (evaluation only; never needed by the tests).
Body quality is a token-level F1 between extracted and expected paragraphs. The
expected paragraphs include the photo caption, which mediaplan leaves out of a
body on purpose (a caption is not the story), so the story-only F1 is shown too.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from datetime import datetime, timezone
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


def _report(name: str, html: str, url: str, fetched: datetime, profile, expected: dict, captions: list[str]) -> None:
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        art = extract_article(html, url, profile, fetched)
    per_page = (time.perf_counter() - start) / runs
    paragraphs = [p for s in expected["body"]["sections"] for p in s["paragraphs"]]
    story = [p for p in paragraphs if p not in captions]
    p, r, f = token_f1(art.body, "\n".join(paragraphs))
    ps, rs, fs = token_f1(art.body, "\n".join(story))
    print(f"VnExpress (trang thật), {name}, bộ trích xuất thân bài: {art.extractor}")
    print(f"  thân bài: precision {p:.3f}, recall {r:.3f}, F1 {f:.3f} (theo từ, so với {len(paragraphs)} đoạn mong đợi)")
    print(f"  không tính chú thích ảnh: precision {ps:.3f}, recall {rs:.3f}, F1 {fs:.3f}; "
          f"đoạn khớp đúng: {art.body.split(chr(10) * 2) == story}")
    print(f"  tiêu đề đúng: {normalize(art.title) == normalize(expected['title'])}; tác giả: {art.author!r} (mong đợi {expected['authors']})")
    print(f"  ngày đăng: {art.published_at}; tóm tắt đúng: {normalize(art.sapo) == normalize(expected['body']['summary'][0])}")
    print(f"  tốc độ: {per_page * 1000:.1f} ms/trang ({1 / per_page:.0f} trang/s trên một lõi), trang {len(html) // 1024} KB")


def main(data: Path = DATA) -> int:
    page = next(data.glob("*.html.gz"), None) if data.is_dir() else None
    if page is None:
        print(f"Không có trang VnExpress mẫu ở {data} (../shared/data/ không có trên máy này).")
        return 0
    html = gzip.decompress(page.read_bytes()).decode("utf-8")
    expected = json.loads((data / "VnExpress.json").read_text(encoding="utf-8"))["V1"]
    meta = json.loads((data / "meta.info").read_text(encoding="utf-8")).get(page.name, {})
    url = meta.get("url", "https://vnexpress.net/")
    fetched = datetime.fromisoformat(meta["crawl_date"]).replace(tzinfo=timezone.utc) if "crawl_date" in meta else None
    captions = [" ".join(f"{i['caption']} Ảnh: {', '.join(i.get('authors', []))}".split()) for i in expected.get("images", [])]
    _report("đường chung (JSON-LD/OpenGraph → trafilatura)", html, url, fetched, get_profile(None), expected, captions)
    _report("hồ sơ vnexpress (YAML + lớp VnExpress)", html, url, fetched, get_profile("vnexpress"), expected, captions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
