"""Two crawls at the same time (issue 14): of the same sources and of different ones, repeated, on a fresh
database: no crash, no duplicate item, no run left "running", and one source never crawled by both at once."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from mediaplan.db import session_scope
from mediaplan.db.schema import CrawlRun, FetchState, Item

SOURCES = ["sgddt-tin-tuc", "xa-son-ha-tin-tuc", "soyte-tin-tuc", "baoquangngai-rss"]


def _both(snapshot: str, first: list[str], second: list[str]) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    procs = []
    for keys in (first, second):
        args = [sys.executable, "-m", "mediaplan", "crawl", "--snapshot", snapshot, "--no-progress"]
        for key in keys:
            args += ["--source", key]
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=300) for p in procs]
    return [subprocess.CompletedProcess(p.args, p.returncode, o, e) for p, (o, e) in zip(procs, outs)]


def _no_duplicates_and_no_run_left() -> int:
    with session_scope() as session:
        items = session.scalar(select(func.count(Item.id)))
        urls = session.scalar(select(func.count(func.distinct(Item.canonical_url))))
        validators = session.scalar(select(func.count(FetchState.url)))
        running = session.scalar(select(func.count(CrawlRun.id)).where(CrawlRun.status == "running"))
    assert items == urls > 0 and validators > 0 and running == 0, (items, urls, validators, running)
    return items


def test_two_crawls_of_the_same_and_of_different_sources_at_once(db, snapshot_server):
    counts = []
    for _ in range(2):  # the same sources in both, twice (the first time on a fresh database)
        runs = _both(snapshot_server.url, SOURCES, SOURCES)
        assert [r.returncode for r in runs] == [0, 0], [r.stderr[-2000:] for r in runs]
        assert not any("Traceback" in r.stderr for r in runs)
        counts.append(_no_duplicates_and_no_run_left())
    runs = _both(snapshot_server.url, SOURCES[:2], SOURCES[2:])  # different sources: both crawl, side by side
    assert [r.returncode for r in runs] == [0, 0], [r.stderr[-2000:] for r in runs]
    counts.append(_no_duplicates_and_no_run_left())
    assert counts[0] == counts[1] == counts[2]  # re-running stores nothing twice


def test_a_source_held_by_another_crawl_is_skipped_with_a_note(db, snapshot_server):
    from mediaplan.crawler.run import run_crawl
    from mediaplan.db.locks import hold_many

    with hold_many(["crawl-source:sgddt-tin-tuc"]) as held:  # as another process's crawl would
        assert held == {"crawl-source:sgddt-tin-tuc"}
        result = run_crawl(["sgddt-tin-tuc"], snapshot_url=snapshot_server.url, show_progress=False)
    assert result["sources"] == {} and any("một tiến trình khác đang thu thập" in n for n in result["notes"])
    with session_scope() as session:
        assert session.scalar(select(func.count(Item.id))) == 0
