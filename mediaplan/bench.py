"""`make bench`: speed figures, printed (never asserted in tests)."""

from __future__ import annotations

import time
from pathlib import Path

from mediaplan.crawler.extract import extract_article
from mediaplan.crawler.profiles import get_profile
from mediaplan.nlp.dedupe import signature
from mediaplan.nlp.pipeline import get_classifier
from mediaplan.snapshot import SITES_DIR


def _time(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    pages = sorted((SITES_DIR / "baoquangngai.vn").rglob("index.html"))
    pages = [p for p in pages if p.parent.name.count("-") > 2][:20]
    html = [p.read_text(encoding="utf-8") for p in pages]
    profile = get_profile("baoquangngai")
    per_page = _time(lambda: [extract_article(h, "https://baoquangngai.vn/x/", profile) for h in html], 3) / max(1, len(html))
    print(f"extraction: {per_page * 1000:.1f} ms/page over {len(html)} snapshot pages")
    t0 = time.perf_counter()
    clf = get_classifier()
    print(f"classifier build (plan matchers): {time.perf_counter() - t0:.2f} s")
    texts = [extract_article(h, "https://baoquangngai.vn/x/", profile) for h in html]
    words = sum(len(f"{a.title} {a.sapo} {a.body}".split()) for a in texts)
    per = _time(lambda: [clf.classify(a.title, a.sapo, a.body) for a in texts], 5)
    print(f"classification: {len(texts) / per:.0f} items/s, {words / per:,.0f} words/s")
    per_sig = _time(lambda: [signature(a.body) for a in texts], 5) / max(1, len(texts))
    print(f"MinHash signature: {per_sig * 1000:.2f} ms/item")


if __name__ == "__main__":
    main()
