"""Run one crawl: pick the sources, start Scrapy, store items, record health and a crawl-run row.

Scrapy's reactor runs once per process, so long-lived callers (the scheduler, the
demo's second crawl) start `mediaplan crawl` as a child process.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import timedelta

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from sqlalchemy import select

from mediaplan.crawler import store
from mediaplan.crawler.spider import SOURCE_ERROR, SOURCE_OK, SUPPORTED_KINDS, SourceSpider, empty_counts
from mediaplan.db import session_scope
from mediaplan.db.schema import Outlet, Source, utcnow
from mediaplan.settings import get_settings


class StorePipeline:
    """Writes each item in its own transaction: a killed crawl loses at most the item in flight."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.data_dir = get_settings().data_dir

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        spider = self.crawler.spider
        with session_scope() as session:
            outcome = store.upsert_item(session, item, self.data_dir)
        spider._count(item.source_key, outcome)
        spider.known[item.canonical_url] = item.published_at
        return item


def scrapy_settings(snapshot_url: str | None = None, validators: dict | None = None) -> dict:
    s = get_settings()
    delay = s.download_delay
    snapshot = snapshot_url if snapshot_url is not None else s.snapshot_url
    settings = {
        "USER_AGENT": s.user_agent,
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.01),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_DELAY": delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": s.concurrent_per_site,
        "DOWNLOAD_MAXSIZE": s.max_body_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_TIMEOUT": s.download_timeout,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "ITEM_PIPELINES": {StorePipeline: 300},
        # RetryAfter sits before Scrapy's RetryMiddleware (550) on the way back, so it sees 429/503 first.
        "DOWNLOADER_MIDDLEWARES": {"mediaplan.crawler.middlewares.RetryAfter": 560,
                                   "mediaplan.crawler.middlewares.ConditionalGet": 900,
                                   "mediaplan.crawler.middlewares.SnapshotRoute": 950},
        "MEDIAPLAN_SNAPSHOT_URL": snapshot,
        "MEDIAPLAN_VALIDATORS": validators or {},
    }
    if s.redis_url:
        # One queue and one dupefilter for every crawler of the group, on any machine: each URL is fetched once.
        settings.update(
            SCHEDULER="scrapy_redis.scheduler.Scheduler",
            DUPEFILTER_CLASS="scrapy_redis.dupefilter.RFPDupeFilter",
            SCHEDULER_PERSIST=True,
            SCHEDULER_QUEUE_KEY=f"mediaplan:{s.crawl_group}:requests",
            SCHEDULER_DUPEFILTER_KEY=f"mediaplan:{s.crawl_group}:dupefilter",
            REDIS_URL=s.redis_url,
        )
    if snapshot:  # the snapshot server is our own process on loopback: no need to pace requests to it
        settings.update(DOWNLOAD_DELAY=0, AUTOTHROTTLE_START_DELAY=0.01, AUTOTHROTTLE_MAX_DELAY=0.5)
    return settings


def adhoc_source(url: str, kind: str, outlet_key: str) -> str:
    """Register an ad-hoc source (same machinery as planned ones) and return its key."""
    with session_scope() as session:
        outlet = session.scalar(select(Outlet).where(Outlet.key == outlet_key))
        if outlet is None:
            raise KeyError(f"unknown outlet {outlet_key!r}")
        key = f"adhoc-{hashlib.sha1(f'{kind} {url}'.encode()).hexdigest()[:10]}"
        if session.scalar(select(Source).where(Source.key == key)) is None:
            channel = "tv" if kind == "youtube" else ("online" if outlet.kind == "press" else "portal")
            session.add(Source(key=key, outlet_id=outlet.id, kind=kind, url=url, channel=channel, adhoc=True,
                               platform="youtube" if kind == "youtube" else None))
        return key


def select_sources(keys: list[str] | None, include_disabled: bool = False) -> tuple[list[dict], list[str]]:
    """Sources to crawl (by source or outlet key), and notes about those skipped."""
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
            if s.kind not in SUPPORTED_KINDS:
                notes.append(f"{s.key}: loại nguồn {s.kind!r} chưa được hỗ trợ")
                continue
            if s.kind == "facebook_graph" and not get_settings().facebook_token:
                notes.append(f"{s.key}: cần MEDIAPLAN_FACEBOOK_TOKEN để đọc Graph API; bỏ qua")
                continue
            after = get_settings().backoff_after
            if s.consecutive_failures >= after and s.last_error_at:
                wait = timedelta(minutes=s.interval_minutes * 2 ** min(s.consecutive_failures - after, 5))
                if now - s.last_error_at < min(wait, timedelta(days=1)):
                    notes.append(f"{s.key}: tạm dừng sau {s.consecutive_failures} lần lỗi liên tiếp")
                    continue
            chosen.append({
                "key": s.key, "kind": s.kind, "url": s.url, "channel": s.channel,
                "profile": s.outlet.profile, "article_pattern": (s.config or {}).get("article_pattern"),
                "next_page": (s.config or {}).get("next_page"), "platform": s.platform,
                "homepage": s.outlet.homepage,
            })
    return chosen, notes


def _crawl(sources: list[dict], known: dict, summary: dict, settings: dict, show_progress: bool):
    """Run the spider once over `sources`; returns the crawler and which sources' roots succeeded or failed."""
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
    with progress:
        process.crawl(crawler, sources=sources, known=known, summary=summary,
                      max_listing_pages=get_settings().max_listing_pages)
        process.start()
    return crawler, ok, failed_roots


def run_crawl(keys: list[str] | None = None, snapshot_url: str | None = None, show_progress: bool = True) -> dict:
    """Crawl once in this process; returns {"run_id", "sources": {key: counts}, "notes"}."""
    sources, notes = select_sources(keys)
    summary: dict = {s["key"]: empty_counts() for s in sources}
    with session_scope() as session:
        run_id = store.start_run(session)
        known = store.known_urls(session)
        validators = store.load_validators(session)
    if sources:
        crawler, ok, failed_roots = _crawl(sources, known, summary, scrapy_settings(snapshot_url, validators), show_progress)
        with session_scope() as session:
            conditional = getattr(crawler, "conditional_get", None)
            store.save_validators(session, conditional.seen if conditional else {})
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


class PreviewPipeline:
    """Keeps what the spider found instead of storing it (`sources check`)."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.preview = []

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        self.crawler.preview.append(item)
        return item


def preview_source(key: str, snapshot_url: str | None = None, limit: int = 5) -> tuple[list[store.Fetched], dict]:
    """Fetch one source once, as a crawl would, and return what it would store: nothing is written."""
    sources, notes = select_sources([key], include_disabled=True)
    if not sources:
        raise KeyError(notes[0] if notes else f"unknown source {key!r}")
    summary: dict = {key: empty_counts()}
    settings = {**scrapy_settings(snapshot_url), "ITEM_PIPELINES": {PreviewPipeline: 300}, "CLOSESPIDER_ITEMCOUNT": limit}
    crawler, _, _ = _crawl(sources, {}, summary, settings, show_progress=False)
    return crawler.preview[:limit], summary[key]


def run_crawl_subprocess(keys: list[str] | None = None, snapshot_url: str | None = None, env: dict | None = None) -> int:
    """Crawl in a child process (Scrapy's reactor cannot restart in a long-lived one)."""
    cmd = [sys.executable, "-m", "mediaplan", "crawl", "--no-progress"]
    for key in keys or []:
        cmd += ["--source", key]
    if snapshot_url:
        cmd += ["--snapshot", snapshot_url]
    return subprocess.call(cmd, env=env)
