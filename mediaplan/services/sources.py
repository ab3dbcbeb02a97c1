"""Sources as an administrator manages them: their health, adding one without editing YAML, turning one off.

What an administrator decides here survives `mediaplan init`: a source added here is
not in the plan files and is left alone by the plan refresh, and a source turned off
is marked `disabled_manually`, which `plans.sync` honours.

`mediaplan sources …` and the web page `/sources` both call these functions, so the two
never disagree on a figure, on why a source is idle or on which sources have gone silent.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import Column, Float, MetaData, Table, Unicode, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaplan.crawler.health import Health, held_back, source_health
from mediaplan.db.schema import CrawlRun, Outlet, Source, utcnow
from mediaplan.reports.narrative import vi_number
from mediaplan.services import NotFound, ServiceError
from mediaplan.settings import Settings, get_settings
from mediaplan.vocab import Channel, Platform, SourceKind

# Bounds of what an administrator may type, matching the columns (sources.key is 120, sources.url 1000), so a
# long value is refused with a reason instead of failing in PostgreSQL.
KEY_MAX = 120
URL_MAX = 1000
PATTERN_MAX = 500  # article_pattern and next_page live in the JSON config; a longer one is a paste accident
INTERVAL_MIN, INTERVAL_MAX = 5, 7 * 24 * 60  # the plan's own floor; more than a week is not monitoring
KEY_FORM = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
CRAWL_JOB = "crawl:"  # the scheduler's job id prefix (scheduler.configure)


class SourceExists(ServiceError):
    """The key is taken: a conflict with what is stored, not a malformed value (the web answers 409)."""


def list_sources(session: Session) -> list[Health]:
    """Every source, by key, with its volume in the last 7 and 30 days and whether it has gone silent."""
    return source_health(session)


def get_source(session: Session, key: str) -> Source:
    if len(key) > KEY_MAX:  # cannot name a row; said before any query
        raise NotFound(f"không có nguồn {key[:40]!r}…")
    source = session.scalar(select(Source).where(Source.key == key))
    if source is None:
        raise NotFound(f"không có nguồn {key!r}")
    return source


def outlets(session: Session) -> list[Outlet]:
    """The outlets a source can belong to, by name (the add form's choices). Loading them once also lets each
    health row reach its outlet without one query per source."""
    return list(session.scalars(select(Outlet).order_by(Outlet.name)))


# --- why a source is not collecting ---------------------------------------------------------------------


def idle_reasons(source: Source, settings: Settings | None = None, now: datetime | None = None
                 ) -> tuple[list[str], datetime | None]:
    """Why a crawl of all sources leaves this one out, in Vietnamese, and when a backed-off source is tried again.

    Off and ad hoc are the switches; the rest is `crawler.health.held_back`, the very rule the crawl skips by
    (Facebook without a token, backed off after `backoff_after` failures in a row); every reason is listed, so enabling a Facebook source without a token
    shows that it still will not collect.
    """
    settings = settings or get_settings()
    now = now or utcnow()
    reasons: list[str] = []
    config = source.config or {}
    if not source.enabled:
        if config.get("disabled_manually"):
            by = config.get("switched_by")
            reasons.append("tắt bởi quản trị" + (f" ({'dòng lệnh' if by == 'cli' else by})" if by else ""))
        else:
            reasons.append("tắt trong kế hoạch")
    if source.adhoc:
        reasons.append("nguồn tạm (mediaplan crawl --url): chỉ thu thập khi được gọi riêng")
    held, resume = held_back(source, settings, now)
    reasons.extend(held)
    return reasons, resume


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- the scheduler's plan ---------------------------------------------------------------------------------

# APScheduler's own table (SQLAlchemyJobStore), read only; on its own MetaData so migrations never manage it.
_JOBS = Table("apscheduler_jobs", MetaData(), Column("id", Unicode(191), primary_key=True),
              Column("next_run_time", Float(25)))


def scheduled_crawls(session: Session) -> dict[str, datetime] | None:
    """When the scheduler will next crawl each source, from its persistent job store; None when this database
    has no job store (the scheduler never ran here), so a page can say "not known" rather than "never"."""
    if not inspect(session.connection()).has_table(_JOBS.name):
        return None
    rows = session.execute(select(_JOBS.c.id, _JOBS.c.next_run_time).where(_JOBS.c.id.startswith(CRAWL_JOB)))
    return {job.removeprefix(CRAWL_JOB): datetime.fromtimestamp(at, timezone.utc) for job, at in rows if at is not None}


# --- the page and `sources list` --------------------------------------------------------------------------


@dataclass
class SourceStatus:
    """One source as the page and `sources list` show it: health, why it is idle, when it is crawled next."""

    health: Health
    idle: list[str] = field(default_factory=list)
    resume_at: datetime | None = None  # a backed-off source is tried again from then
    next_crawl: datetime | None = None  # None: not scheduled, or not known

    @property
    def source(self) -> Source:
        return self.health.source

    @property
    def silent(self) -> bool:
        return self.health.silent

    @property
    def switched(self) -> tuple[str, datetime | None] | None:
        """Who last turned the source off or on (here or on the command line), and when."""
        return _stamp(self.source.config, "switched_by", "switched_at")

    @property
    def added(self) -> tuple[str, datetime | None] | None:
        """Who added the source outside the plan files, and when."""
        return _stamp(self.source.config, "added_by", "added_at")


def _stamp(config: dict | None, by: str, at: str) -> tuple[str, datetime | None] | None:
    config = config or {}
    if not config.get(by):
        return None
    try:
        when = _aware(datetime.fromisoformat(config[at])) if config.get(at) else None
    except (TypeError, ValueError):
        when = None
    return str(config[by]), when


@dataclass
class Overview:
    rows: list[SourceStatus]
    scheduler_known: bool  # False: no job store in this database, so no next crawl is known
    last_run: CrawlRun | None

    @property
    def silent(self) -> list[SourceStatus]:
        return [r for r in self.rows if r.silent]


def overview(session: Session, settings: Settings | None = None, now: datetime | None = None) -> Overview:
    """Every source with its health (`crawler.health.source_health`: a few grouped counts, however many items),
    the reasons it is idle, and its next crawl.

    The next crawl is the scheduler's next run of the source's job; an idle source has none (the job finds
    nothing to do), and a backed-off one is crawled at the first run after its pause ends.
    """
    settings = settings or get_settings()
    now = now or utcnow()
    outlets(session)  # into the identity map: each row's outlet without a query per source
    jobs = scheduled_crawls(session)
    rows = []
    for health in source_health(session, now):
        reasons, resume = idle_reasons(health.source, settings, now)
        nxt = (jobs or {}).get(health.source.key)
        if nxt is not None and resume is not None and nxt < resume:  # the interval's runs until the pause ends are skipped
            step = timedelta(minutes=health.source.interval_minutes)
            nxt += step * math.ceil((resume - nxt) / step)
        blocked = len(reasons) > (1 if resume else 0)  # idle for a reason other than the pause (listed last)
        rows.append(SourceStatus(health, reasons, resume, None if blocked else nxt))
    last_run = session.scalar(select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(1))
    return Overview(rows, jobs is not None, last_run)


def silence_note(health: Health) -> str:
    """The warning for a source gone silent (`Health.silent`), worded once for the CLI and the page."""
    return (f"{health.source.key} không có tin, bài nào trong 7 ngày, trong khi thường có "
            f"{vi_number(health.usual_per_week, 1)} tin, bài mỗi tuần")


# --- changes ----------------------------------------------------------------------------------------------


def _code(vocabulary, value: str | None, field: str):
    if value is None or value == "":
        return None
    if len(value) > 40:  # no code is that long; the refusal does not repeat a pasted page
        raise ServiceError(f"{value[:40]!r}… không hợp lệ; chọn một trong: {', '.join(vocabulary.codes())}", field=field)
    try:
        return vocabulary.parse(value)
    except ValueError as exc:
        raise ServiceError(str(exc), field=field) from None


def check_key(key: str) -> str:
    """A new source's key: short enough for its column, and plain (it is typed on the command line and in URLs)."""
    key = key.strip()
    if not key:
        raise ServiceError("cần mã nguồn", field="key")
    if len(key) > KEY_MAX:
        raise ServiceError(f"mã nguồn dài quá {KEY_MAX} ký tự ({len(key)})", field="key")
    if not KEY_FORM.match(key):
        raise ServiceError("mã nguồn chỉ gồm chữ thường không dấu, chữ số, “-”, “_” và “.”, ví dụ xa-ba-to-tin-tuc",
                           field="key")
    return key


def check_url(url: str) -> str:
    """Only http(s) with a host: the crawler fetches it and the page links to it, so `javascript:` and the like
    are refused here, not escaped later."""
    url = url.strip()
    if len(url) > URL_MAX:
        raise ServiceError(f"địa chỉ dài quá {URL_MAX} ký tự", field="url")
    parts = urlsplit(url) if url.isprintable() and " " not in url else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or not url.startswith(("http://", "https://")):
        raise ServiceError(f"{url[:80]!r}: cần địa chỉ http(s)", field="url")
    return url


def add_source(session: Session, key: str, *, outlet: str, kind: str, url: str, channel: str,
               platform: str | None = None, interval: int = 60, article_pattern: str | None = None,
               next_page: str | None = None, added_by: str = "cli") -> Source:
    """Add a source to an outlet; `article_pattern` (a regular expression) and `next_page` (a CSS selector)
    are for listing pages; `added_by` says who added it (the signed-in user on the web, "cli" on the command line).
    Refuses an unknown outlet, a key already taken, and a malformed or over-long key, URL or pattern."""
    key = check_key(key)
    kind, channel = _code(SourceKind, kind, "kind"), _code(Channel, channel, "channel")
    if kind is None:
        raise ServiceError("cần chọn loại nguồn", field="kind")
    if channel is None:
        raise ServiceError("cần chọn kênh", field="channel")
    platform = _code(Platform, platform, "platform")
    url = check_url(url)
    if not INTERVAL_MIN <= interval <= INTERVAL_MAX:
        raise ServiceError(f"chu kỳ phải từ {INTERVAL_MIN} đến {INTERVAL_MAX} phút", field="interval")
    for name, value in (("article_pattern", article_pattern), ("next_page", next_page)):
        if value and len(value) > PATTERN_MAX:
            raise ServiceError(f"dài quá {PATTERN_MAX} ký tự", field=name)
    if article_pattern:
        try:
            re.compile(article_pattern)
        except re.error as exc:
            raise ServiceError(f"không hợp lệ: {exc}", field="article_pattern") from None
    if not outlet:
        raise ServiceError("cần chọn cơ quan", field="outlet")
    owner = session.scalar(select(Outlet).where(Outlet.key == outlet[:200]))
    if owner is None:
        raise NotFound(f"không có cơ quan {outlet[:80]!r}", field="outlet")
    if session.scalar(select(Source.id).where(Source.key == key)) is not None:
        raise SourceExists(f"đã có nguồn {key!r}", field="key")
    config = {k: v for k, v in {"article_pattern": article_pattern, "next_page": next_page, "added_by": added_by,
                                "added_at": utcnow().isoformat(timespec="seconds")}.items() if v}
    source = Source(key=key, outlet_id=owner.id, kind=kind, url=url, channel=channel, platform=platform,
                    interval_minutes=interval, config=config)
    try:
        with session.begin_nested():  # two admins adding the same key at once: the second is told, not a 500
            session.add(source)
    except IntegrityError:
        raise SourceExists(f"đã có nguồn {key!r}", field="key") from None
    return source


def set_enabled(session: Session, key: str, enabled: bool, by: str = "cli") -> Source:
    """Turn a source on or off, remembered across plan refreshes (`init` does not undo an administrator).

    Who switched it and when are kept in its config (`switched_by`, `switched_at`) for the page; switching a
    source to the state it is already in changes nothing, so a repeated form post does not rewrite who did it.
    """
    source = get_source(session, key)
    if source.enabled == enabled and bool((source.config or {}).get("disabled_manually")) == (not enabled):
        return source
    source.enabled = enabled
    source.config = {**(source.config or {}), "disabled_manually": not enabled, "switched_by": by,
                     "switched_at": utcnow().isoformat(timespec="seconds")}
    return source
