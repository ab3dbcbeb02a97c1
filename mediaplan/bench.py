"""`make bench`: speed figures, printed (never asserted in tests).

`python -m mediaplan.bench` (what `make bench` runs) takes no arguments and runs everything: extraction,
classification (with the cold model load and `classify --all` over thousands of stored items), a crawl's memory,
then the report. That takes several minutes. Environment variables choose less or more:

- `MEDIAPLAN_BENCH=report` runs only the report part (`report_formats`, about a minute): one month's report built
  in all four formats through `reports.build.build_report`, the time of each step printed (figures, charts, HTML,
  XLSX, DOCX, PDF, the version) and the total, over a month of 40 and of 40,000 stored items, so that the claim
  "a month of 40k items is no heavier than a month of 40" (counting in SQL, issue 11) is measured.
  `MEDIAPLAN_BENCH_REPORT_ITEMS=40,40000` sets the month sizes.
- `MEDIAPLAN_BENCH_ITEMS=10000,40000` sets the sizes of the `classify --all` runs.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
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
    model_load()
    texts = [extract_article(h, "https://baoquangngai.vn/x/", profile) for h in html]
    words = sum(len(f"{a.title} {a.sapo} {a.body}".split()) for a in texts)
    per = _time(lambda: [clf.classify(a.title, a.sapo, a.body) for a in texts], 5)
    kb = sum(len(f"{a.title} {a.sapo} {a.body}".encode()) for a in texts) / max(1, len(texts)) / 1024
    print(f"classification of extracted snapshot pages ({kb:.1f} KB, normalised on the way, wall time): "
          f"{len(texts) / per:.0f} items/s, {words / per:,.0f} words/s")
    tokenizers(texts)
    stored_items(texts)
    per_sig = _time(lambda: [signature(a.body) for a in texts], 5) / max(1, len(texts))
    print(f"MinHash signature: {per_sig * 1000:.2f} ms/item")
    classify_all(texts)
    per_page_cost()


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


SHARED_ARTICLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vnexpress-2024"
STORED_SIZE = (3 * 1024, 5 * 1024)  # a provincial news article with its full text, as stored


def stored_articles(texts) -> tuple[list[tuple[str, str, str]], str]:
    """Articles of 3–5 KB (title, sapo and body), normalised as the store keeps them, and where they come from.

    Real VnExpress articles of that size from ../shared/data/vnexpress-2024/ when the folder is there; else the
    snapshot's articles (`texts`, ~2 KB each), consecutive ones joined into one body until it is 3–5 KB.
    """
    import json

    from mediaplan.nlp.normalize import normalize

    items = []
    for path in sorted(SHARED_ARTICLES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            a = json.loads(line)
            title, sapo, body = a.get("title") or "", a.get("description") or "", "\n\n".join(a.get("content") or [])
            if STORED_SIZE[0] <= len(f"{title} {sapo} {body}".encode()) <= STORED_SIZE[1]:
                items.append((normalize(title), normalize(sapo), normalize(body)))
    if items:
        return items, f"VnExpress articles from {SHARED_ARTICLES.parent.parent.name}/data/{SHARED_ARTICLES.name}/"
    body = ""
    for a in texts * 3:
        body = f"{body}\n\n{a.body}" if body else a.body
        if len(body.encode()) >= STORED_SIZE[0]:
            items.append((normalize(a.title), normalize(a.sapo), normalize(body[: STORED_SIZE[1]])))  # as stored
            body = ""
    return items, "snapshot articles joined to 3–5 KB (../shared/data/vnexpress-2024/ is not there)"


def _cpu_rates(runs: dict, n: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Items per CPU second (one process, so per core) of each run over `n` items: best and median of `rounds`.
    Rounds of the runs alternate, so a busy moment of this shared machine does not fall on one run only."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.process_time()
            run()
            times[name].append(time.process_time() - start)
    return {name: (n / min(t), n / sorted(t)[len(t) // 2]) for name, t in times.items()}


def stored_items(texts) -> None:
    """Classification of stored items of 3–5 KB, per core (CPU time): rules + the learned education model, as
    `classify` runs it, then the rules alone and the model alone; the same with pyvi for comparison."""
    from mediaplan.nlp.classify import Classifier
    from mediaplan.nlp.education_model import ARTIFACT, EducationModel
    from mediaplan.plans import current_plan

    items, origin = stored_articles(texts)
    kb = sum(len(f"{t} {s} {b}".encode()) for t, s, b in items) / len(items) / 1024
    model = EducationModel.load(ARTIFACT)
    clf = Classifier(current_plan(), "syllable", education_model=model)
    rules = [clf.classify(*i, normalized=True, use_model=False).education for i in items]  # and warm the vocabulary
    [clf.classify(*i, normalized=True) for i in items]

    def model_alone():  # what classify asks of the model: its view of every item, its top terms where it counts
        for said, (t, s, b) in zip(rules, items):
            seen = model.assess(said, t, s, b)
            if seen.how != "rules" or seen.disagrees:
                model.contributions({"title": t, "sapo": s, "body": b})

    rates = _cpu_rates({"rules + model": lambda: [clf.classify(*i, normalized=True) for i in items],
                        "rules alone": lambda: [clf.classify(*i, normalized=True, use_model=False) for i in items],
                        "model alone": model_alone}, len(items), rounds=7)
    print(f"stored items: {len(items)} {origin}, {kb:.1f} KB on average; syllable tokenizer, one process, CPU time")
    for name, (best, median) in rates.items():
        print(f"  {name:14s}: {best:4.0f} articles/s per core at best, {median:4.0f} median (7 rounds)")
    few = items[:40]
    pyvi = Classifier(current_plan(), "pyvi", education_model=model)
    [pyvi.classify(*i, normalized=True) for i in few]
    best, median = _cpu_rates({"pyvi": lambda: [pyvi.classify(*i, normalized=True) for i in few]}, len(few), 3)["pyvi"]
    print(f"  pyvi, rules + model: {best:.0f} articles/s per core at best, {median:.0f} median "
          f"({len(few)} articles, 3 rounds)")


def model_load() -> None:
    """The education model's load time, cold: a new process, as a command or worker starts (files in the OS cache)."""
    import subprocess
    import sys

    code = ("import time; t0 = time.perf_counter()\n"
            "from mediaplan.nlp.education_model import ARTIFACT, EducationModel; t1 = time.perf_counter()\n"
            "m = EducationModel.load(ARTIFACT); t2 = time.perf_counter()\n"
            "m.probability('Học sinh đến trường'); t3 = time.perf_counter()\n"
            "print(t1 - t0, t2 - t1, t3 - t2)")
    runs = [[float(x) for x in subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                              text=True).stdout.split()] for _ in range(3)]
    imp, load, first = (sorted(r[k] for r in runs)[1] for k in range(3))
    print(f"education model, cold in a new process (median of 3): load {load:.2f} s, first text {first:.2f} s "
          f"(builds its lookup index), ready in {load + first:.2f} s; importing it (numpy) {imp:.2f} s before that")


def _clone_rows(items, n: int, seed: int = 71):
    """`n` distinct stored-size articles from the paragraphs of `items`, one by one: a title and sapo of one, a body
    of paragraphs drawn from all of them until it is 3–5 KB (exact copies would all be one near-duplicate cluster)."""
    import random

    rng = random.Random(seed)
    paragraphs = [p for _, _, b in items for p in b.split("\n") if p.strip()]
    for k in range(n):
        title, sapo, _ = items[k % len(items)]
        body, size = [], len(f"{title} {sapo}".encode())
        while size < STORED_SIZE[0]:
            p = rng.choice(paragraphs)
            if size + len(p.encode()) + 2 > STORED_SIZE[1] and body:
                continue
            body.append(p[: STORED_SIZE[1] // 2])
            size += len(body[-1].encode()) + 2
        yield title, sapo, "\n\n".join(body)


def _sqlite_with_items(path: Path, rows) -> str:
    """A migrated SQLite database holding `rows` (an iterable) as stored, unclassified items; its URL."""
    url = f"sqlite:///{path}"
    _items_into(url, rows)
    return url


# Runs `python -m mediaplan ARGS` and, on the way out, prints the process's own peak RSS (VmHWM): a child's
# ru_maxrss also counts the parent's RSS at fork time (Linux keeps the larger), which is this whole benchmark.
_MEDIAPLAN_WITH_PEAK = """
import atexit, runpy, sys
def peak():
    try:
        with open("/proc/self/status") as status:
            sys.stderr.write("".join(f"\\nVmHWM {line.split()[1]}\\n" for line in status if line.startswith("VmHWM:")))
    except OSError:
        pass
atexit.register(peak)
sys.argv[0] = "mediaplan"
runpy.run_module("mediaplan", run_name="__main__", alter_sys=True)
"""


def _child(args: list[str], env: dict) -> tuple[float, float, float, str]:
    """Run `mediaplan ARGS` in a child process: (wall s, CPU s, peak RSS MB of that child alone, its output)."""
    import os
    import re
    import subprocess
    import sys

    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _MEDIAPLAN_WITH_PEAK, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"mediaplan {' '.join(args)} exited {proc.returncode}:\n{out}")
    hwm = re.findall(r"^VmHWM (\d+)$", out, re.M)
    peak = int(hwm[-1]) / 1024 if hwm else usage.ru_maxrss / 1024  # ru_maxrss: no /proc (not Linux), an upper bound
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, peak, out


def _has_dbstat(db) -> bool:
    """Whether this SQLite was built with the dbstat table (page sizes per table and index)."""
    try:
        db.execute("SELECT 1 FROM dbstat LIMIT 1")
        return True
    except Exception:  # noqa: BLE001 - sqlite3.OperationalError: no such table
        return False


def classify_all(texts, sizes: tuple[int, ...] | None = None) -> None:
    """`mediaplan classify --all` over N stored 3–5 KB items in SQLite, in its own process: items/s and peak RSS,
    at two sizes to show the memory is bounded (batches); then 2,000 new items classified on top of them (the rate
    issue 14 asks for at 100k stored items), and the size of the near-duplicate index, which lives in the database
    (`item_bands`). MEDIAPLAN_BENCH_ITEMS=10000,40000 (or 100000) sets the sizes."""
    import sqlite3
    import tempfile

    if sizes is None:
        sizes = tuple(int(n) for n in os.environ.get("MEDIAPLAN_BENCH_ITEMS", "5000,20000").split(","))
    items, origin = stored_articles(texts)
    with tempfile.TemporaryDirectory() as tmp:  # what a run costs before its first item: imports, plan, model
        env = {**os.environ, "MEDIAPLAN_DATABASE_URL": _sqlite_with_items(Path(tmp) / "empty.db", []),
               "MEDIAPLAN_DATA_DIR": f"{tmp}/var"}
        startup = min(_child(["classify", "--all"], env)[0] for _ in range(2))
    print(f"classify --all: {startup:.1f} s to start (imports, plan matchers, model) on an empty database")
    fresh = 2000  # classified on top of the n stored ones, as a day's crawl is: what "at n stored items" means
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = _sqlite_with_items(Path(tmp) / "bench.db", _clone_rows(items, n))
            env = {**os.environ, "MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": f"{tmp}/var"}
            wall, cpu, peak, out = _child(["classify", "--all"], env)
            if f"Đã phân loại {n} " not in out:
                raise RuntimeError(f"classify --all did not classify {n} items:\n{out}")
            _items_into(url, _clone_rows(items, fresh, seed=n), start=n)
            new_wall, new_cpu, new_peak, out = _child(["classify"], env)
            if f"Đã phân loại {fresh} " not in out:
                raise RuntimeError(f"classify did not classify the {fresh} new items:\n{out}")
            with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
                bands = db.execute("SELECT count(*) FROM item_bands").fetchone()[0]
                pages = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%item_bands%'").fetchone()[0] \
                    if _has_dbstat(db) else None
            size = f", {pages / 2**20:.0f} MB on disk" if pages else ""
            print(f"classify --all, {n:,} stored items (3–5 KB, SQLite, one process, batches of 500): {wall:.0f} s, "
                  f"{n / max(wall - startup, 1e-9):.0f} items/s after the start ({n / cpu:.0f} per CPU second "
                  f"with it), peak RSS {peak:.0f} MB")
            print(f"  then {fresh:,} new items at {n:,} stored: {fresh / max(new_wall - startup, 1e-9):.0f} items/s "
                  f"after the start ({fresh / new_cpu:.0f} per CPU second with it), peak RSS {new_peak:.0f} MB; "
                  f"near-duplicate index in the database: {bands:,} band keys{size}")
    sample = list(_clone_rows(items, 2000))
    kb = sum(len(f"{t} {s} {b}".encode()) for t, s, b in sample) / len(sample) / 1024
    print(f"  ({kb:.1f} KB on average, bodies drawn from the paragraphs of the {len(items)} {origin})")


def crawl_memory(pages: int = 1000) -> None:
    """Peak memory and rate of a crawl of `pages` generated article pages from a local server."""
    import os
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
            elapsed, _, peak_mb, _ = _child(["crawl", "--url", f"{base}/feed.rss",
                                             "--kind", "rss", "--outlet", "baoquangngai", "--no-progress"], env)
    print(f"crawl of {pages} pages (local server, SQLite, one process): {elapsed:.1f} s, "
          f"{pages / elapsed:.0f} pages/s, peak RSS {peak_mb:.0f} MB")


REPORT_MONTH = "2026-11"


def _report_month(path: Path, n: int, seed: int = 11) -> str:
    """A migrated SQLite database whose November 2026 holds `n` classified items spread over the plan's outlets,
    channels, formats and themes as a month of monitoring would be: about nine in ten about education, one in five
    naming Resolution 71, one in ten reprinted (near-duplicate clusters), one in a hundred on the shortlist theme,
    some naming communes; and October with half as many, for the comparison. Inserted in bulk (Core), not crawled:
    the report is what is measured."""
    import random
    from datetime import datetime, timedelta, timezone
    from itertools import islice

    from sqlalchemy import insert, select

    from mediaplan.db import ensure_ready, get_engine, session_scope
    from mediaplan.db.schema import Item, ItemEntity, ItemTheme, Outlet, Theme
    from mediaplan.plans import current_plan
    from mediaplan.vocab import CHANNELS, FORMATS

    url = f"sqlite:///{path}"
    ensure_ready(url)
    rng = random.Random(seed)
    communes = [c.agency_key for c in current_plan().communes]
    with session_scope(url) as session:
        outlets = list(session.scalars(select(Outlet.id)))
        themes = list(session.scalars(select(Theme.code).where(Theme.code != "exemplary")))

    def rows():
        start = {"2026-11": datetime(2026, 10, 31, 17, tzinfo=timezone.utc),
                 "2026-10": datetime(2026, 9, 30, 17, tzinfo=timezone.utc)}
        k = 0
        for month, count in (("2026-11", n), ("2026-10", n // 2)):
            for _ in range(count):
                k += 1
                when = start[month] + timedelta(seconds=rng.randrange(29 * 86400))
                cluster = k - 1 if k > 1 and rng.random() < 0.1 else None  # a reprint of the item before it
                yield k, when, cluster

    with session_scope(url) as session:
        it = rows()
        while chunk := list(islice(it, 5000)):
            items, item_themes, entities = [], [], []
            for k, when, cluster in chunk:
                education = rng.random() < 0.9
                items.append({"id": k, "outlet_id": rng.choice(outlets), "kind": "article",
                              "channel": rng.choice(list(CHANNELS)), "format": rng.choice(list(FORMATS)),
                              "url": f"https://bench.example.vn/{k}.htm", "canonical_url": f"https://bench.example.vn/{k}.htm",
                              "content_hash": f"{k:064x}", "title": f"Tin giáo dục số {k}", "sapo": "", "body": "",
                              "raw_title": f"Tin giáo dục số {k}", "published_at": when, "education": education,
                              "nq71": education and rng.random() < 0.2, "cluster_id": cluster,
                              "classified_at": when})
                if not education:
                    continue
                codes = set(rng.sample(themes, rng.choice((1, 1, 2))))
                if rng.random() < 0.01:
                    codes.add("exemplary")
                item_themes += [{"item_id": k, "theme_code": c, "score": 3.0, "method": "rule",
                                 "evidence": [{"text": "tuyên dương", "field": "title", "start": 0, "end": 11}]}
                                for c in sorted(codes)]
                if rng.random() < 0.3:
                    entities.append({"item_id": k, "kind": "commune", "key": rng.choice(communes), "text": "xã",
                                     "field": "body", "start": 0, "end": 2})
            session.execute(insert(Item), items)
            if item_themes:
                session.execute(insert(ItemTheme), item_themes)
            if entities:
                session.execute(insert(ItemEntity), entities)
    get_engine(url).dispose()
    return url


def report_formats(sizes: tuple[int, ...] | None = None) -> None:
    """One month's report in all four formats, built by `reports.build.build_report` (the real path, its own
    timings), over SQLite months of each size: seconds per step and in total, and the report files' sizes.
    MEDIAPLAN_BENCH_REPORT_ITEMS=40,40000 (the default) sets the sizes; MEDIAPLAN_BENCH=report runs only this."""
    import tempfile

    from mediaplan.db import get_engine, session_scope
    from mediaplan.reports.build import build_report
    from mediaplan.settings import get_settings

    if sizes is None:
        sizes = tuple(int(n) for n in os.environ.get("MEDIAPLAN_BENCH_REPORT_ITEMS", "40,40000").split(","))
    steps = ("figures", "charts", "html", "xlsx", "docx", "pdf", "pdf wait", "version")
    totals = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            saved = {k: os.environ.get(k) for k in ("MEDIAPLAN_DATA_DIR", "MEDIAPLAN_DATABASE_URL")}
            os.environ["MEDIAPLAN_DATA_DIR"] = f"{tmp}/var"  # the version's archive goes there, not into var/
            get_settings.cache_clear()
            try:
                started = time.perf_counter()
                url = _report_month(Path(tmp) / "report.db", n)
                made = time.perf_counter() - started
                os.environ["MEDIAPLAN_DATABASE_URL"] = url
                get_settings.cache_clear()
                timings: dict[str, float] = {}
                started = time.perf_counter()
                with session_scope(url) as session:
                    _, figures = build_report(session, REPORT_MONTH, Path(tmp) / "out", timings=timings)
                total = time.perf_counter() - started
                sizes_kb = {name: (Path(tmp) / "out" / name).stat().st_size / 1024
                            for name in ("report.html", "report.xlsx", "report.docx", "report.pdf")}
                get_engine(url).dispose()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
                get_settings.cache_clear()
        totals[n] = total
        t = figures["totals"]
        print(f"report {REPORT_MONTH}, {n:,} stored items ({t['education']:,} education stories, "
              f"{figures['exemplary']['total']:,} on the shortlist; month made in {made:.1f} s, SQLite): "
              f"{total:.2f} s for all four formats")
        print("  " + ", ".join(f"{step} {timings.get(step, 0):.2f} s" for step in steps))
        print("  files: " + ", ".join(f"{name.split('.')[1]} {kb:,.0f} KB" for name, kb in sizes_kb.items()))
    if len(totals) > 1:
        small, large = min(totals), max(totals)
        print(f"report: {large:,} items take {totals[large] / totals[small]:.1f}x the time of {small:,}")


SCALE_DB = "mediaplan_bench_scale"
SCALE_MONTHS = 25  # the cloned items are spread evenly over 25 months ending with REPORT_MONTH: 40k a month at 1M


def _scale_database(n: int, seed_items: int) -> str:
    """A PostgreSQL database of `n` items: `seed_items` distinct stored-size articles classified by the real path
    (`classify_items`: themes, entities, clusters), then cloned in SQL (INSERT … SELECT over generate_series, with
    their themes and entities) and spread over SCALE_MONTHS; the search index is dropped for the bulk insert and
    built once after. Returns its URL."""
    from sqlalchemy import create_engine, func, select, text

    from mediaplan.db import get_engine, session_scope
    from mediaplan.db.schema import Item, ItemEntity, ItemTheme
    from mediaplan.nlp.pipeline import classify_items

    admin = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {SCALE_DB}"))
        conn.execute(text(f"CREATE DATABASE {SCALE_DB}"))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{SCALE_DB}"
    texts = [extract_article(p.read_text(encoding="utf-8"), "https://baoquangngai.vn/x/", get_profile("baoquangngai"))
             for p in sorted((SITES_DIR / "baoquangngai.vn").rglob("index.html")) if p.parent.name.count("-") > 2]
    items, origin = stored_articles(texts)
    _items_into(url, _clone_rows(items, min(n, seed_items)))
    with session_scope(url) as session:
        classify_items(session)
        seed = session.scalar(select(func.max(Item.id)))
    end = datetime(2026, 12, 1, tzinfo=timezone.utc) - timedelta(hours=7)  # the end of REPORT_MONTH in Vietnam
    span = (end - (end - timedelta(days=30.44 * SCALE_MONTHS))).total_seconds()
    when = f"TIMESTAMPTZ '{end.isoformat()}' - make_interval(secs => {span} * (1 - ({{id}})::float8 / {n}))"
    copies = -(-n // seed) - 1
    engine = get_engine(url)
    item_cols = [c.name for c in Item.__table__.columns]
    clone = {"id": "s.id + g * {seed}", "url": "s.url || '#' || g", "canonical_url": "s.canonical_url || '#' || g",
             "content_hash": "md5(s.content_hash || g)", "published_at": when.format(id="s.id + g * {seed}"),
             "fetched_at": when.format(id="s.id + g * {seed}"), "classified_at": when.format(id="s.id + g * {seed}"),
             "cluster_id": "s.cluster_id + g * {seed}", "minhash": "NULL"}
    select_items = ", ".join(clone.get(c, f's."{c}"').format(seed=seed) for c in item_cols)
    theme_cols = [c.name for c in ItemTheme.__table__.columns]
    select_themes = ", ".join(f"t.item_id + g * {seed}" if c == "item_id" else f't."{c}"' for c in theme_cols)
    entity_cols = [c.name for c in ItemEntity.__table__.columns if c.name != "id"]
    select_entities = ", ".join(f"e.item_id + g * {seed}" if c == "item_id" else f'e."{c}"' for c in entity_cols)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE items SET published_at = {when.format(id='id')}, fetched_at = {when.format(id='id')}, "
                          f"classified_at = {when.format(id='id')}"))
        conn.execute(text("DROP INDEX IF EXISTS ix_items_search_folded_trgm"))
        conn.execute(text("DROP INDEX IF EXISTS ix_items_search_pairs"))
        conn.execute(text("DROP INDEX IF EXISTS ix_items_search_text_pairs"))
    step = max(1, 100_000 // seed)
    for first in range(1, copies + 1, step):
        last = min(copies, first + step - 1)
        with engine.begin() as conn:
            series = f"generate_series({first}, {last}) g"
            conn.execute(text(f"INSERT INTO items ({_quoted(item_cols)}) SELECT {select_items} FROM items s "
                              f"CROSS JOIN {series} WHERE s.id <= {seed} AND s.id + g * {seed} <= {n}"))
            conn.execute(text(f"INSERT INTO item_themes ({_quoted(theme_cols)}) SELECT {select_themes} FROM item_themes t "
                              f"CROSS JOIN {series} WHERE t.item_id <= {seed} AND t.item_id + g * {seed} <= {n}"))
            conn.execute(text(f"INSERT INTO item_entities ({_quoted(entity_cols)}) SELECT {select_entities} "
                              f"FROM item_entities e CROSS JOIN {series} WHERE e.item_id <= {seed} "
                              f"AND e.item_id + g * {seed} <= {n}"))
    with engine.begin() as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))"))
        conn.execute(text("SET maintenance_work_mem = '1GB'"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_items_search_folded_trgm ON items "
                          "USING gin (search_folded gin_trgm_ops)"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_items_search_pairs ON items "
                          "USING gin (mediaplan_search_pairs(search_folded))"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_items_search_text_pairs ON items "
                          "USING gin (mediaplan_search_pairs(search_text))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        total = conn.scalar(text("SELECT count(*) FROM items"))
        month = conn.scalar(text("SELECT count(*) FROM items WHERE published_at >= TIMESTAMPTZ '2026-10-31T17:00:00Z'"))
        size = conn.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
    engine.dispose()
    print(f"bench-scale: {total:,} items in PostgreSQL ({month:,} in {REPORT_MONTH}), {seed:,} distinct classified "
          f"{origin.split(' from ')[0]} cloned in SQL in {time.perf_counter() - started:.0f} s; database {size}")
    return url


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)  # "start" and "end" are SQL keywords


def bench_scale(n: int = 1_000_000, seed_items: int = 2_000, users: int = 50, reuse: bool = False) -> dict:
    """Issue 14's table at `n` items in PostgreSQL: the month's report (all four formats, in its own process: wall
    and peak RSS), the dashboard's figures computed cold, one signed-in user's p50/p95 on the dashboard, the item
    list and a search (a live `serve`), and `users` at once (without the search when one search alone takes more
    than a second: fifty of them would only measure the statement timeout). `reuse=True` measures the database the
    last run built again (after a change of code or index), without building it. A benchmark, not a test: it prints, and asserts nothing but that each step ran. Classification
    at scale is `make bench` (classify_all), over distinct texts: clones here would all be one another's copies."""
    import tempfile

    from mediaplan.db import get_engine, session_scope
    from mediaplan.services.users import add_user, find

    url = (f"postgresql+psycopg://postgres@127.0.0.1:5432/{SCALE_DB}" if reuse  # the last run's, measured again
           else _scale_database(n, seed_items))
    if reuse:
        from mediaplan.db import ensure_ready

        ensure_ready(url)
    with session_scope(url) as session:
        if find(session, "bench-load") is None:
            add_user(session, "bench-load", "analyst", email="bench-load@example.org", password="tải-thử-đồng-thời-71",
                     full_name="Đo tải")
    get_engine(url).dispose()
    out: dict = {"items": n}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": f"{tmp}/var"}
        wall, cpu, peak, said = _child(["report", "build", "--period", REPORT_MONTH, "--out", f"{tmp}/out",
                                        "--by", "bench-load"], env)
        out["report"] = {"wall_s": wall, "cpu_s": cpu, "peak_mb": peak}
        print(f"report build {REPORT_MONTH} at {n:,} items: {wall:.1f} s, {cpu:.1f} s CPU, peak RSS {peak:.0f} MB")
    from mediaplan.reports.cache import _dashboard_make

    with session_scope(url) as session:  # what a view pays when the cache has nothing current (a write, a new day)
        started = time.perf_counter()
        _dashboard_make(session, REPORT_MONTH)
        out["figures_cold_s"] = time.perf_counter() - started
    get_engine(url).dispose()
    print(f"the dashboard's figures of {REPORT_MONTH} computed cold: {out['figures_cold_s']:.2f} s (then cached)")
    print("one user at a time:")
    out["one_user"] = concurrent_users(url, users=1, rounds=20, workers=2, paths=LOAD_PATHS[:2])
    out["search"] = concurrent_users(url, users=1, rounds=3, workers=2, paths=LOAD_PATHS[2:])
    searches = out["search"][LOAD_PATHS[2]]["p50_ms"] <= 1000
    print(f"{users} users at once" + ("" if searches else " (the search left out: one alone takes over a second)") + ":")
    out["concurrent"] = concurrent_users(url, users=users, rounds=4, workers=2,
                                         paths=LOAD_PATHS if searches else LOAD_PATHS[:2])
    return out


if __name__ == "__main__":
    if os.environ.get("MEDIAPLAN_BENCH") == "report":
        calibrate()
        report_formats()
    else:
        main()
        crawl_memory()
        report_formats()


def per_page_cost(limit: int = 120) -> None:
    """CPU per page of each stage of our path beside bare trafilatura's extraction, on the same pages, in this run.

    Real pages when ../shared/data/fundus-pages/ is here (the generic path, no profile), else the snapshot's.
    Fetching is left out of both sides (the same Scrapy download either way), and so is the database insert.
    """
    import gzip

    import trafilatura

    from mediaplan.crawler.evaluate import FUNDUS, fundus_cases
    from mediaplan.crawler.store import RAW_GZIP_LEVEL, content_hash
    from mediaplan.nlp.normalize import normalize

    if FUNDUS.is_dir():
        cases = [(html, url) for _, html, url, _, _ in fundus_cases()][:limit]
        where, profile = f"{len(cases)} real Fundus pages, generic path", get_profile(None)
    else:
        pages = [p for p in sorted((SITES_DIR / "baoquangngai.vn").rglob("index.html")) if p.parent.name.count("-") > 2]
        cases = [(p.read_text(encoding="utf-8"), "https://baoquangngai.vn/x/") for p in pages[:limit]]
        where, profile = f"{len(cases)} snapshot pages, baoquangngai profile", get_profile("baoquangngai")
    clf = get_classifier()
    clf.classify("khởi động", "", "giáo dục")  # models loaded outside the measurement

    def cpu(fn) -> float:
        start = time.process_time()
        fn()
        return (time.process_time() - start) * 1000 / len(cases)

    base = cpu(lambda: [trafilatura.bare_extraction(h, url=u, with_metadata=True) for h, u in cases])
    articles = []
    stages = {"extract": cpu(lambda: articles.extend(extract_article(h, u, profile) for h, u in cases))}
    normal = []
    stages["normalise + hash"] = cpu(lambda: normal.extend(
        (t, s, b, content_hash(t, s, b)) for t, s, b in ((normalize(a.title), normalize(a.sapo), normalize(a.body)) for a in articles)))
    stages["raw gzip"] = cpu(lambda: [gzip.compress(h.encode("utf-8"), compresslevel=RAW_GZIP_LEVEL) for h, _ in cases])
    stages["classify"] = cpu(lambda: [clf.classify(t, s, b, normalized=True) for t, s, b, _ in normal])
    total = sum(stages.values())
    print(f"per-page CPU ({where}; fetch and database insert not counted):")
    for name, ms in stages.items():
        print(f"  {name:<18} {ms:6.1f} ms")
    print(f"  {'total':<18} {total:6.1f} ms   trafilatura alone {base:.1f} ms   ratio {total / base:.2f}×")


SEARCHES = ("giao vien", "Sơn Hà", "nội trú liên cấp", "xyzzy")  # folded, accented (exact), a phrase, nothing


def _items_into(url: str, rows, start: int = 0) -> None:
    """Store `rows` as items the way the store does (search columns included) in chunks; no ORM per row. Their
    links are numbered from `start`, so a second call adds items rather than colliding with the first."""
    from itertools import islice

    from sqlalchemy import insert, select

    from mediaplan.db import ensure_ready, get_engine, session_scope
    from mediaplan.db.schema import Item, Source, search_texts

    ensure_ready(url)
    with session_scope(url) as session:
        source = session.scalar(select(Source).where(Source.key == "baoquangngai-rss"))
        outlet_id, source_id = source.outlet_id, source.id
    rows = iter(rows)
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    while chunk := list(islice(rows, 5000)):
        with session_scope(url) as session:
            session.execute(insert(Item), [
                {"outlet_id": outlet_id, "source_id": source_id, "kind": "article", "channel": "online",
                 "url": f"https://baoquangngai.vn/bench/{k}.htm", "canonical_url": f"https://baoquangngai.vn/bench/{k}.htm",
                 "content_hash": f"{k:064x}", "title": t, "sapo": s, "body": b, "raw_title": t,
                 "published_at": base + timedelta(minutes=7 * k),
                 **dict(zip(("search_text", "search_folded"), search_texts(t, s, b)))}
                for k, (t, s, b) in enumerate(chunk, start)])
        start += len(chunk)
    get_engine(url).dispose()


def _search_times(url: str, rounds: int = 5) -> dict[str, float]:
    """Median wall time of the first page of `/items?q=…` (count, exact-first keyset page, the rows) per search."""
    from statistics import median

    from mediaplan.db import session_scope
    from mediaplan.web.items import ItemFilters, list_items

    out = {}
    for q in SEARCHES:
        times = []
        for _ in range(rounds):
            with session_scope(url) as session:
                t0 = time.perf_counter()
                found = list_items(session, ItemFilters(q=q))
                times.append(time.perf_counter() - t0)
        out[q] = (median(times), found.total)
    return out


def search_scale(n: int = 100_000) -> None:
    """`/items?q=` at `n` items on SQLite and (when it is reachable) PostgreSQL, without and with migration 0014's
    search index (FTS5 trigram / pg_trgm GIN); the same totals both ways show that the index changes no answer."""
    import tempfile

    from sqlalchemy import create_engine, text

    from mediaplan.db import get_engine

    texts = [extract_article(p.read_text(encoding="utf-8"), "https://baoquangngai.vn/x/", get_profile("baoquangngai"))
             for p in sorted((SITES_DIR / "baoquangngai.vn").rglob("index.html")) if p.parent.name.count("-") > 2]
    items, origin = stored_articles(texts)
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("SQLite", f"sqlite:///{tmp}/search.db"))
        admin = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        try:
            with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text("DROP DATABASE IF EXISTS mediaplan_bench_search"))
                conn.execute(text("CREATE DATABASE mediaplan_bench_search"))
            targets.append(("PostgreSQL", "postgresql+psycopg://postgres@127.0.0.1:5432/mediaplan_bench_search"))
        except Exception as exc:  # noqa: BLE001 - PostgreSQL is optional for this figure
            print(f"search at {n:,} items: PostgreSQL not reachable ({type(exc).__name__}); SQLite only")
        for name, url in targets:
            _items_into(url, _clone_rows(items, n))
            with_index = _search_times(url)
            engine = get_engine(url)
            with engine.begin() as conn:  # the same database without the index, for the comparison
                if name == "SQLite":
                    for statement in ("DROP TRIGGER items_search_ai", "DROP TRIGGER items_search_ad",
                                      "DROP TRIGGER items_search_au", "DROP TABLE items_search"):
                        conn.execute(text(statement))
                else:
                    conn.execute(text("DROP INDEX ix_items_search_folded_trgm"))
                    # the word pairs stay: without their index, a query would compute every row's pairs (0018)
            without = _search_times(url, rounds=3)
            engine.dispose()
            for q in SEARCHES:
                (t_with, total), (t_without, total_without) = with_index[q], without[q]
                same = "same results" if total == total_without else f"DIFFERENT: {total_without} without the index"
                print(f"search {name} at {n:,} items ({origin.split(' from ')[0]}), q={q!r}: {total:,} found; "
                      f"{t_without * 1000:,.0f} ms without the index, {t_with * 1000:,.0f} ms with it ({same})")
        if len(targets) > 1:
            get_engine(targets[1][1]).dispose()
            with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text("DROP DATABASE IF EXISTS mediaplan_bench_search"))


LOAD_PATHS = ("/", "/items", "/items?q=giao+vien")


def concurrent_users(url: str, users: int = 50, rounds: int = 10, workers: int = 2,
                     paths: tuple[str, ...] = LOAD_PATHS) -> dict:
    """`users` signed-in users at once against `mediaplan serve --workers W` on the database at `url`, each asking
    every path of LOAD_PATHS `rounds` times (after one untimed pass) on its own connection: p50/p95/p99 per path
    and every non-200 answer
    (a 503 with Retry-After when saturated is counted apart from errors: it is the answer the issue asks for)."""
    import re
    import signal
    import socket
    import subprocess
    import sys
    import tempfile
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor
    from statistics import quantiles

    import httpx

    from mediaplan.db import session_scope
    from mediaplan.services.users import add_user, find

    password = "tải-thử-đồng-thời-71"
    with session_scope(url) as session:
        if find(session, "bench-load") is None:
            add_user(session, "bench-load", "analyst", email="bench-load@example.org", password=password,
                     full_name="Đo tải")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": data_dir}
        # uvicorn logs every request: to a file, never an unread pipe (a full pipe blocks the workers)
        log = open(Path(data_dir) / "serve.log", "w")  # noqa: SIM115 - closed with the server below
        proc = subprocess.Popen([sys.executable, "-m", "mediaplan", "serve", "--port", str(port), "--workers",
                                 str(workers)], env=env, stdout=log, stderr=log, text=True)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)

            def user(_):
                times: dict[str, list[float]] = {p: [] for p in paths}
                answers: list[int] = []
                with httpx.Client(base_url=base, timeout=60, headers={"Connection": "close"}) as client:
                    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
                    client.post("/login", data={"username": "bench-load", "password": password, "csrf_token": token})
                    for path in paths:  # one untimed pass: a worker's first answer includes its imports
                        try:
                            client.get(path, follow_redirects=False)
                        except httpx.HTTPError:
                            pass
                    for _ in range(rounds):
                        for path in paths:
                            t0 = time.perf_counter()
                            try:
                                answers.append(client.get(path, follow_redirects=False).status_code)
                            except httpx.HTTPError:
                                answers.append(0)
                            times[path].append(time.perf_counter() - t0)
                return times, answers

            t0 = time.perf_counter()
            with ThreadPoolExecutor(users) as pool:
                results = list(pool.map(user, range(users)))
            wall = time.perf_counter() - t0
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            log.close()
    out = {"users": users, "workers": workers, "requests": users * rounds * len(paths), "wall_s": wall}
    answers = [a for _, got in results for a in got]
    out["errors"] = sum(1 for a in answers if a not in (200, 503))
    out["error_statuses"] = dict(Counter(a for a in answers if a not in (200, 503)))  # 0: no answer (a timeout)
    out["busy_503"] = answers.count(503)
    for path in paths:
        series = sorted(t for times, _ in results for t in times[path])
        q = quantiles(series, n=100)
        out[path] = {"p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}
    print(f"{users} concurrent users, {workers} workers, {out['requests']:,} requests in {wall:.1f} s: "
          f"{out['errors']} errors" + (f" (by status, 0 for no answer: {out['error_statuses']})" if out['errors'] else "")
          + f", {out['busy_503']} answered 503 (busy)")
    for path in paths:
        f = out[path]
        print(f"  {path}: p50 {f['p50_ms']:,.0f} ms, p95 {f['p95_ms']:,.0f} ms, p99 {f['p99_ms']:,.0f} ms")
    return out
