"""`make eval` (extraction part): real pages nobody here chose, through the generic path, beside trafilatura.

Two reports, both from ../shared/data/ (evaluation only; never needed by the tests):

1. VnExpress: one real page (a Fundus test fixture, vnexpress-fundus/) through the
   generic path and the vnexpress profile. The expected paragraphs include the
   photo caption, which mediaplan leaves out of a body on purpose (a caption is
   not the story), so the story-only F1 is shown too.
2. Fundus: the 258 pages of fundus-pages/ (about 250 publishers, 40 countries)
   through `extract_article(html, url, get_profile(None), fetched)`, with no
   profile, and through bare trafilatura (`bare_extraction(html, url=url,
   with_metadata=True)`, every other setting default) in the same run. A
   publisher's JSON is keyed by parser version; the versions in order pair with
   its pages in date order (one page per version).

The measures, the same for both extractors, so that the comparison is fair:

- title: exact match after NFC and whitespace collapse (no case folding, no
  quote folding). mediaplan's `Article.title`; trafilatura's metadata title.
- body: token P/R/F1. Tokens are the `\\w+` runs of the NFC, lower-cased text
  (punctuation ignored), counted as a multiset. The expected text is the
  summary, the section headlines and the paragraphs (Fundus's whole body). The
  extracted text is what a reader of the item sees: mediaplan's sapo then body
  (the sapo is its own field, cut from the body's start), trafilatura's text.
  Median, 10th percentile (the worse pages) and mean over all pages; a page
  with nothing extracted counts as 0.
- date: same calendar date as the expected `publishing_date`, on pages that
  have one. Time zone is considered: mediaplan's aware time is converted to the
  expected date's UTC offset; an expected date without offset is read, as
  mediaplan reads naive dates, in the project's local zone. trafilatura gives a
  day only, compared as printed. No date counts as wrong.
- authors: the names split on , ; & and the words and/und/et/y/e/và, NFC,
  case-folded, whitespace collapsed; "exact" is set equality, "F1" the per-page
  F1 of the name sets (both empty = 1), over pages whose expected list is not
  empty.
- cost: ms/page, one run of each, parsing included.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from mediaplan.crawler.extract import extract_article
from mediaplan.crawler.profiles import get_profile
from mediaplan.localtime import local_tz
from mediaplan.nlp.normalize import normalize

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DATA = SHARED / "vnexpress-fundus"
FUNDUS = SHARED / "fundus-pages"


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


def vnexpress(data: Path = DATA) -> None:
    page = next(data.glob("*.html.gz"), None) if data.is_dir() else None
    if page is None:
        print(f"Không có trang VnExpress mẫu ở {data} (../shared/data/ không có trên máy này).")
        return
    html = gzip.decompress(page.read_bytes()).decode("utf-8")
    expected = json.loads((data / "VnExpress.json").read_text(encoding="utf-8"))["V1"]
    meta = json.loads((data / "meta.info").read_text(encoding="utf-8")).get(page.name, {})
    url = meta.get("url", "https://vnexpress.net/")
    fetched = datetime.fromisoformat(meta["crawl_date"]).replace(tzinfo=timezone.utc) if "crawl_date" in meta else None
    captions = [" ".join(f"{i['caption']} Ảnh: {', '.join(i.get('authors', []))}".split()) for i in expected.get("images", [])]
    _report("đường chung (JSON-LD/OpenGraph → trafilatura)", html, url, fetched, get_profile(None), expected, captions)
    _report("hồ sơ vnexpress (YAML + lớp VnExpress)", html, url, fetched, get_profile("vnexpress"), expected, captions)


# --- Fundus: the generic path against bare trafilatura --------------------------------------------

_WORD = re.compile(r"\w+")
_NAME_SPLIT = re.compile(r"\s*(?:[,;&|/]|\s(?:and|und|et|y|e|và)\s)\s*", re.I)


def clean(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def tokens(text: str | None) -> Counter:
    return Counter(_WORD.findall(clean(text).lower()))


def prf(got: Counter, expected: Counter) -> tuple[float, float, float]:
    overlap = sum((got & expected).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    p, r = overlap / sum(got.values()), overlap / sum(expected.values())
    return p, r, 2 * p * r / (p + r)


def names(value) -> set[str]:
    parts = value if isinstance(value, list) else _NAME_SPLIT.split(value or "")
    return {clean(n).casefold() for n in parts if clean(n)}


def same_day(got: datetime | date | None, expected: str) -> bool:
    if got is None:
        return False
    exp = datetime.fromisoformat(expected)
    if not isinstance(got, datetime):  # trafilatura: a day only
        return got == exp.date()
    return got.astimezone(exp.tzinfo or local_tz()).date() == exp.date()


@dataclass
class Score:
    title: bool
    p: float
    r: float
    f: float
    date: bool
    authors: bool | None  # None: the page expects no author
    author_f1: float | None
    ms: float
    got_title: str = ""
    extractor: str = ""


def score(expected: dict, title: str, text: str, day, authors: set[str], ms: float, extractor: str = "") -> Score:
    body = expected.get("body") or {}
    parts = list(body.get("summary", []))
    for section in body.get("sections", []):
        parts += section.get("headline", []) + section.get("paragraphs", [])
    p, r, f = prf(tokens(text), tokens("\n".join(parts)))
    want = names(expected.get("authors") or [])
    author_f1 = None
    if want:
        overlap = len(want & authors)
        author_f1 = 2 * overlap / (len(want) + len(authors)) if overlap else 0.0
    return Score(clean(title) == clean(expected.get("title")), p, r, f,
                 same_day(day, expected["publishing_date"]) if expected.get("publishing_date") else False,
                 (want == authors) if want else None, author_f1, ms, clean(title), extractor)


def _version_key(name: str) -> tuple:
    return tuple(int(n) for n in re.findall(r"\d+", name))


def fundus_cases(data: Path = FUNDUS):
    """(label, html, url, fetched, expected) for every page, versions paired with pages in date order."""
    for exp_file in sorted(data.glob("*/*.json")):
        publisher = exp_file.stem
        pages = sorted(exp_file.parent.glob(f"{publisher}_*.html.gz"))
        versions = json.loads(exp_file.read_text(encoding="utf-8"))
        meta_file = exp_file.parent / "meta.info"
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
        for page, version in zip(pages, sorted(versions, key=_version_key)):
            info = meta.get(page.name, {})
            raw = gzip.decompress(page.read_bytes())
            html = raw.decode("utf-8", errors="replace")
            fetched = (datetime.fromisoformat(info["crawl_date"]).replace(tzinfo=timezone.utc)
                       if info.get("crawl_date") else None)
            yield f"{exp_file.parent.name}/{page.name[:-8]}", html, info.get("url", "https://example.com/"), fetched, versions[version]


def run_mediaplan(html: str, url: str, fetched: datetime | None, expected: dict) -> Score:
    start = time.perf_counter()
    art = extract_article(html, url, get_profile(None), fetched)
    ms = (time.perf_counter() - start) * 1000
    text = "\n\n".join(t for t in (art.sapo, art.body) if t)
    return score(expected, art.title, text, art.published_at, names(art.author), ms, art.extractor)


def run_trafilatura(html: str, url: str, fetched: datetime | None, expected: dict) -> Score:
    import trafilatura

    start = time.perf_counter()
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    ms = (time.perf_counter() - start) * 1000
    if doc is None:
        return score(expected, "", "", None, set(), ms)
    try:
        day = date.fromisoformat(doc.date) if doc.date else None
    except ValueError:
        day = None
    return score(expected, doc.title or "", doc.text or "", day, names(doc.author), ms)


def summary(scores: list[Score]) -> dict[str, float]:
    def pct(values, q):
        values = sorted(values)
        return values[int(q * (len(values) - 1))]

    with_authors = [s for s in scores if s.authors is not None]
    out = {"tiêu đề đúng": sum(s.title for s in scores) / len(scores)}
    for key, name in (("p", "precision"), ("r", "recall"), ("f", "F1")):
        values = [getattr(s, key) for s in scores]
        out[f"thân bài {name} trung vị"] = statistics.median(values)
        out[f"thân bài {name} p10"] = pct(values, 0.10)
        out[f"thân bài {name} trung bình"] = statistics.fmean(values)
    out["ngày đúng"] = sum(s.date for s in scores) / len(scores)
    out["tác giả đúng (tập)"] = sum(bool(s.authors) for s in with_authors) / max(1, len(with_authors))
    out["tác giả F1 trung bình"] = statistics.fmean(s.author_f1 for s in with_authors) if with_authors else 0.0
    out["ms/trang"] = statistics.fmean(s.ms for s in scores)
    return out


def fundus(data: Path = FUNDUS, worst: int = 10) -> dict[str, dict[str, float]] | None:
    if not data.is_dir():
        print(f"Không có bộ trang Fundus ở {data} (../shared/data/ không có trên máy này): bỏ qua.")
        return None
    ours, theirs, labels, wanted = [], [], [], []
    for label, html, url, fetched, expected in fundus_cases(data):
        try:
            ours.append(run_mediaplan(html, url, fetched, expected))
        except Exception as exc:  # a page that breaks the extractor is a finding, not the end of the run
            print(f"  lỗi khi trích xuất {label}: {exc!r}")
            ours.append(score(expected, "", "", None, set(), 0.0, "lỗi"))
        theirs.append(run_trafilatura(html, url, fetched, expected))
        labels.append(label)
        wanted.append(clean(expected.get("title")))
    a, b = summary(ours), summary(theirs)
    print(f"\nFundus: {len(ours)} trang thật, đường chung (không hồ sơ) so với trafilatura trần, cùng một lượt")
    print(f"  {'thước đo':32} {'mediaplan':>10} {'trafilatura':>12}")
    for key in a:
        mark = "" if key == "ms/trang" or a[key] >= b[key] - 1e-9 else "  ← kém hơn"
        fmt = "{:10.1f}" if key == "ms/trang" else "{:10.3f}"
        print(f"  {key:32} {fmt.format(a[key])} {fmt.format(b[key]):>12}{mark}")
    used = Counter(s.extractor for s in ours)
    print(f"  bộ trích xuất thân bài: {dict(used)}")
    print(f"\n  {worst} trang kém nhất (F1 thân bài của mediaplan):")
    order = sorted(range(len(ours)), key=lambda i: ours[i].f)[:worst]
    for i in order:
        s, t = ours[i], theirs[i]
        print(f"  {labels[i]:40} F1 {s.f:.2f} (P {s.p:.2f} R {s.r:.2f}; trafilatura {t.f:.2f}) "
              f"[{s.extractor}] tiêu đề {'đúng' if s.title else 'sai'}, ngày {'đúng' if s.date else 'sai'}")
    wrong = [i for i in range(len(ours)) if not ours[i].title]
    print(f"\n  tiêu đề sai ({len(wrong)}):")
    for i in wrong:
        print(f"  {labels[i]:40} có {ours[i].got_title[:70]!r} / cần {wanted[i][:70]!r}")
    return {"mediaplan": a, "trafilatura": b}


def main(data: Path = DATA) -> int:
    vnexpress(data)
    fundus()
    return 0


if __name__ == "__main__":
    sys.exit(main())
