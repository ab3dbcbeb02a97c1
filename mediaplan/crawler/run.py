"""Run one crawl: pick the sources, start Scrapy, store items, record health and a crawl-run row.

The crawl's configuration is built once from `Settings` (`config.scrapy_settings`),
and what it did is read back from Scrapy's stats (`counts.source_counts`) and the
spider's signals (which sources' roots answered).

Scrapy's reactor runs once per process, so long-lived callers (the scheduler, the
demo's second crawl) start `mediaplan crawl` as a child process.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from sqlalchemy import select

from mediaplan.crawler import counts, store
from mediaplan.crawler.health import held_back
from mediaplan.crawler.config import scrapy_settings
from mediaplan.crawler.middlewares import VALIDATORS_SEEN
from mediaplan.crawler.spider import SOURCE_ERROR, SOURCE_OK, SourceSpider
from mediaplan.db import session_scope
from mediaplan.db.schema import Outlet, Source, utcnow
from mediaplan.settings import Settings, get_settings
from mediaplan.vocab import Channel, OutletKind, Platform, SourceKind


def adhoc_source(url: str, kind: str, outlet_key: str) -> str:
    """Register an ad-hoc source (same machinery as planned ones) and return its key."""
    kind = SourceKind(kind)
    with session_scope() as session:
        outlet = session.scalar(select(Outlet).where(Outlet.key == outlet_key))
        if outlet is None:
            raise KeyError(f"unknown outlet {outlet_key!r}")
        key = f"adhoc-{hashlib.sha1(f'{kind} {url}'.encode()).hexdigest()[:10]}"
        if session.scalar(select(Source).where(Source.key == key)) is None:
            youtube = kind == SourceKind.YOUTUBE
            channel = Channel.TV if youtube else (Channel.ONLINE if outlet.kind == OutletKind.PRESS else Channel.PORTAL)
            session.add(Source(key=key, outlet_id=outlet.id, kind=kind, url=url, channel=channel, adhoc=True,
                               platform=Platform.YOUTUBE if youtube else None))
        return key


def select_sources(keys: list[str] | None, include_disabled: bool = False,
                   settings: Settings | None = None) -> tuple[list[dict], list[str]]:
    """Sources to crawl (by source or outlet key), and notes about those skipped."""
    settings = settings or get_settings()
    notes: list[str] = []
    now = utcnow()
    chosen: list[dict] = []
    with session_scope() as session:
        query = select(Source).join(Outlet)
        sources = session.scalars(query.order_by(Source.key)).all()
        if keys:
            unknown = set(keys) - {s.key for s in sources} - {s.outlet.key for s in sources}
            if unknown:
                raise KeyError(f"unknown source or outlet: {', '.join(sorted(unknown))}")
            sources = [s for s in sources if s.key in keys or s.outlet.key in keys]
        else:
            sources = [s for s in sources if not s.adhoc]
        for s in sources:
            if not s.enabled and not include_disabled and not (keys and s.key in keys):
                notes.append(f"{s.key}: tắt (disabled)")
                continue
            held, _ = held_back(s, settings, now)
            if held:
                notes.append(f"{s.key}: {'; '.join(held)}; bỏ qua")
                continue
            chosen.append({
                "key": s.key, "kind": SourceKind(s.kind), "url": s.url, "channel": s.channel,
                "profile": s.outlet.profile, "article_pattern": (s.config or {}).get("article_pattern"),
                "next_page": (s.config or {}).get("next_page"), "platform": s.platform,
                "homepage": s.outlet.homepage,
            })
    return chosen, notes


def _crawl(sources: list[dict], known: dict, settings: dict, show_progress: bool, collect: list | None = None
           ) -> tuple[Crawler, set[str], dict[str, str]]:
    """Run the spider once over `sources`; returns the crawler and which sources' roots succeeded or failed.

    `collect`, when given, receives every item the spider yields (after the pipelines, if any).
    """
    process = CrawlerProcess({**settings, "LOG_INSTALL_ROOT_HANDLER": False})
    crawler = process.create_crawler(SourceSpider)
    ok: set[str] = set()
    failed_roots: dict[str, str] = {}
    crawler.signals.connect(lambda source: ok.add(source), signal=SOURCE_OK, weak=False)
    crawler.signals.connect(
        lambda source, message, root: failed_roots.setdefault(source, message) if root else None,
        signal=SOURCE_ERROR, weak=False,
    )
    progress = Progress(SpinnerColumn(), TextColumn("[bold]Thu thập[/]"), BarColumn(), TextColumn("{task.completed} trang"),
                        transient=True, disable=not show_progress)
    task = progress.add_task("crawl", total=None)
    crawler.signals.connect(lambda **_: progress.advance(task), signal=signals.response_received, weak=False)
    if collect is not None:
        crawler.signals.connect(lambda item, **_: collect.append(item), signal=signals.item_scraped, weak=False)
    with progress:
        process.crawl(crawler, sources=sources, known=known)
        process.start()
    return crawler, ok, failed_roots


def run_crawl(keys: list[str] | None = None, snapshot_url: str | None = None, show_progress: bool = True) -> dict:
    """Crawl once in this process; returns {"run_id", "sources": {key: counts}, "notes"}."""
    from mediaplan.db.locks import hold_many

    settings = get_settings()
    sources, notes = select_sources(keys, settings=settings)
    # One source is never crawled by two processes at once: a source another crawl holds is left to it. Crawlers
    # that share a Redis queue (MEDIAPLAN_REDIS_URL) are meant to work on the same sources together: the shared
    # dupefilter gives each URL to one of them, so they take no lock.
    shared = bool(settings.redis_url)
    with hold_many([] if shared else [f"crawl-source:{s['key']}" for s in sources]) as held:
        if shared:
            held = {f"crawl-source:{s['key']}" for s in sources}
        busy = [s["key"] for s in sources if f"crawl-source:{s['key']}" not in held]
        sources = [s for s in sources if s["key"] not in busy]
        notes = [*notes, *(f"{key}: một tiến trình khác đang thu thập nguồn này; lần này bỏ qua" for key in busy)]
        return _run(sources, notes, settings, snapshot_url, show_progress)


def _run(sources: list[dict], notes: list[str], settings, snapshot_url: str | None, show_progress: bool) -> dict:
    summary: dict = {s["key"]: counts.empty_counts() for s in sources}
    with session_scope() as session:
        run_id = store.start_run(session)
        known = store.known_urls(session)
        validators = store.load_validators(session)
    if sources:
        crawler, ok, failed_roots = _crawl(sources, known, scrapy_settings(settings, snapshot_url, validators),
                                           show_progress)
        summary = counts.source_counts(crawler.stats, [s["key"] for s in sources])
        with session_scope() as session:
            store.save_validators(session, crawler.stats.get_value(VALIDATORS_SEEN, {}))
            for key in summary:
                if key in failed_roots and key not in ok:
                    store.record_failure(session, key, failed_roots[key])
                elif key in ok:
                    store.record_success(session, key)
                    if summary[key]["errors"]:  # some articles failed: keep the latest reason visible
                        src = session.scalar(select(Source).where(Source.key == key))
                        src.last_error, src.last_error_at = summary[key]["errors"][-1][:2000], utcnow()
    with session_scope() as session:
        store.finish_run(session, run_id, {"sources": summary, "notes": notes})
    return {"run_id": run_id, "sources": summary, "notes": notes}


def preview_source(key: str, snapshot_url: str | None = None, limit: int = 5) -> tuple[list[store.Fetched], dict]:
    """Fetch one source once, as a crawl would, and return what it would store: nothing is written."""
    settings = get_settings()
    sources, notes = select_sources([key], include_disabled=True, settings=settings)
    if not sources:
        raise KeyError(notes[0] if notes else f"unknown source {key!r}")
    found: list[store.Fetched] = []
    # No pipeline: the items the spider yields are collected as they are, and nothing is stored.
    scrapy = {**scrapy_settings(settings, snapshot_url), "ITEM_PIPELINES": {}, "CLOSESPIDER_ITEMCOUNT": limit}
    crawler, _, _ = _crawl(sources, {}, scrapy, show_progress=False, collect=found)
    return found[:limit], counts.source_counts(crawler.stats, [key])[key]


def run_crawl_subprocess(keys: list[str] | None = None, snapshot_url: str | None = None, env: dict | None = None) -> int:
    """Crawl in a child process (Scrapy's reactor cannot restart in a long-lived one)."""
    cmd = [sys.executable, "-m", "mediaplan", "crawl", "--no-progress"]
    for key in keys or []:
        cmd += ["--source", key]
    if snapshot_url:
        cmd += ["--snapshot", snapshot_url]
    return subprocess.call(cmd, env=env)
