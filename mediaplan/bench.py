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


def calibrate() -> None:
    """One line to compare machines by: per-core figures only mean something next to it."""
    import timeit

    best = min(timeit.repeat("sum(range(10**6))", number=10, repeat=5)) / 10
    print(f"machine: sum(range(10**6)) takes {best * 1000:.1f} ms on one core")


def main() -> None:
    calibrate()
    pages = sorted((SITES_DIR / "baoquangngai.vn").rglob("index.html"))
    pages = [p for p in pages if p.parent.name.count("-") > 2][:20]
    html = [p.read_text(encoding="utf-8") for p in pages]
    profile = get_profile("baoquangngai")
    per_page = _time(lambda: [extract_article(h, "https://baoquangngai.vn/x/", profile) for h in html], 3) / max(1, len(html))
    print(f"extraction: {per_page * 1000:.1f} ms/page over {len(html)} snapshot pages")
    t0 = time.perf_counter()
    clf = get_classifier()
    print(f"classifier build (plan matchers): {time.perf_counter() - t0:.2f} s")
    from mediaplan.nlp.education_model import ARTIFACT, EducationModel

    load = _time(lambda: EducationModel.load(ARTIFACT), 3)
    print(f"education model load: {load:.2f} s (mean of 3)")
    texts = [extract_article(h, "https://baoquangngai.vn/x/", profile) for h in html]
    words = sum(len(f"{a.title} {a.sapo} {a.body}".split()) for a in texts)
    per = _time(lambda: [clf.classify(a.title, a.sapo, a.body) for a in texts], 5)
    print(f"classification: {len(texts) / per:.0f} items/s, {words / per:,.0f} words/s")
    kb = sum(len(f"{a.title} {a.sapo} {a.body}".encode()) for a in texts) / max(1, len(texts)) / 1024
    print(f"  (articles of {kb:.1f} KB on average)")
    tokenizers(texts)
    stored_items(texts)
    per_sig = _time(lambda: [signature(a.body) for a in texts], 5) / max(1, len(texts))
    print(f"MinHash signature: {per_sig * 1000:.2f} ms/item")




def tokenizers(texts) -> None:
    """Tokenization, the step that dominates classification: the syllable tokenizer against pyvi."""
    import spacy

    from mediaplan.nlp.tokenize import get_nlp

    bodies = [f"{a.title}\n{a.sapo}\n{a.body}" for a in texts]
    syllable = get_nlp()
    pyvi = spacy.blank("vi")  # spaCy's default for Vietnamese: pyvi word segmentation
    for name, nlp in (("syllable", syllable), ("pyvi", pyvi)):
        tokens = sum(len(nlp.make_doc(b)) for b in bodies)
        per = _time(lambda: [nlp.make_doc(b) for b in bodies], 3)
        print(f"tokenizer {name}: {len(bodies) / per:.0f} articles/s, {tokens / per:,.0f} tokens/s")


def stored_items(texts, target=(3 * 1024, 5 * 1024)) -> None:
    """Classification of stored items of 3–5 KB, per core (CPU time), with each tokenizer.

    Snapshot articles are ~2 KB; consecutive ones are joined into one body until it is
    3–5 KB, which is the size of a typical provincial news article with its full text.
    """
    from mediaplan.nlp.classify import Classifier
    from mediaplan.nlp.normalize import normalize
    from mediaplan.plans import current_plan

    items, body = [], ""
    for a in texts * 3:
        body = f"{body}\n\n{a.body}" if body else a.body
        if len(body.encode()) >= target[0]:
            items.append((normalize(a.title), normalize(a.sapo), normalize(body[: target[1]])))  # as stored
            body = ""
    kb = sum(len(f"{t} {s} {b}".encode()) for t, s, b in items) / len(items) / 1024
    for name in ("syllable", "pyvi"):
        clf = Classifier(current_plan(), name)
        [clf.classify(*i, normalized=True) for i in items]  # warm the vocabulary
        times = []
        for _ in range(7 if name == "syllable" else 3):  # this machine is shared: report the best and the median
            start = time.perf_counter()
            [clf.classify(*i, normalized=True) for i in items]
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"stored items, {name:8s}: {len(items) / times[0]:.0f} articles/s on one core at best, "
              f"{len(items) / times[len(times) // 2]:.0f} median ({len(items)} articles of {kb:.1f} KB, {len(times)} rounds)")


def crawl_memory(pages: int = 1000) -> None:
    """Peak memory and rate of a crawl of `pages` generated article pages from a local server."""
    import os
    import resource
    import subprocess
    import sys
    import tempfile

    from mediaplan.snapshot.server import SnapshotServer

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        (site / "bai").mkdir(parents=True)
        (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
        template = (SITES_DIR / "baoquangngai.vn" / "index.html").read_text(encoding="utf-8")
        items = []
        for n in range(pages):
            body = "".join(f"<p>Đoạn {k} của bài {n}: học sinh, giáo viên và phụ huynh xã Sơn Hà cùng chuẩn bị năm học mới.</p>" for k in range(8))
            page = template.replace('<div id="main" class="container">',
                                    f'<div id="main" class="container"><div id="body" class="detail"><h1 class="title">Bài số {n}</h1>'
                                    f'<p class="sapo">Tóm tắt bài {n}.</p><div id="content">{body}</div></div>', 1)
            (site / "bai" / f"bai-{n}.htm").write_text(page, encoding="utf-8")
            items.append(f"<item><title>Bài {n}</title><link>/bai/bai-{n}.htm</link></item>")
        (site / "feed.rss").write_text('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>b</title>'
                                       f'<link>http://x/</link><description>b</description>{"".join(items)}</channel></rss>', encoding="utf-8")
        env = {**os.environ, "MEDIAPLAN_DATABASE_URL": f"sqlite:///{tmp}/bench.db", "MEDIAPLAN_DATA_DIR": f"{tmp}/var",
               "MEDIAPLAN_DOWNLOAD_DELAY": "0"}
        with SnapshotServer(site) as base:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mediaplan", "crawl", "--url", f"{base}/feed.rss", "--kind", "rss",
                            "--outlet", "baoquangngai", "--no-progress"], env=env, check=True, capture_output=True)
            elapsed = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"crawl of {pages} pages (local server, SQLite, one process): {elapsed:.1f} s, "
          f"{pages / elapsed:.0f} pages/s, peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
    crawl_memory()
