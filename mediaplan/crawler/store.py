"""Persisting what the spiders find: one item per canonical URL, revisions on change, source health.

Kept apart from Scrapy so the same rules apply to every way an item arrives
(a crawl, an import, a test), and so that a re-run is always idempotent.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db import insert_for
from mediaplan.db.schema import CrawlRun, FetchState, Item, ItemRevision, Source, search_texts, utcnow
from mediaplan.nlp.normalize import normalize
from mediaplan.periods import in_range, shown
from mediaplan.vocab import CrawlStatus


@dataclass
class Fetched:
    """An item as a spider hands it over, before it is stored."""

    source_key: str
    kind: str
    url: str
    canonical_url: str
    title: str
    sapo: str = ""
    body: str = ""
    author: str | None = None
    category: str | None = None
    published_at: datetime | None = None
    channel: str | None = None
    extra: dict | None = None
    raw: bytes | None = None


def content_hash(title: str, sapo: str, body: str) -> str:
    return hashlib.sha256("\x1f".join((title, sapo, body)).encode("utf-8")).hexdigest()


RAW_GZIP_LEVEL = 1


def save_raw(data_dir: Path, canonical: str, raw: bytes) -> str:
    """Keep the fetched payload, gzipped, so extraction can be re-run without re-crawling.

    At level 1: on 60 real Fundus pages (348 KB each on average) level 9 cost 10.1 ms a page, level 1 2.2 ms, for
    files 20% larger (80 KB against 67 KB); the raw store is written once per page and read rarely."""
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    rel = Path("raw") / digest[:2] / f"{digest}.gz"
    path = data_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw, compresslevel=RAW_GZIP_LEVEL))
    return str(rel)


WEB_SCHEMES = ("http", "https")
URL_MAX = 1000  # items.url and items.canonical_url are String(1000)
REFUSED = "refused"


def http_url(url: str | None) -> str | None:
    """The address itself (trimmed) when it is an http(s) URL with a host, else None.

    The one test of a link from crawled content, for storing (`upsert_item`) and for rendering (the `safe_url`
    filter, `web.links`). A feed or a social post may carry `javascript:`, `data:`, `vbscript:` or `file:` as
    its link, which runs or opens something when clicked. Surrounding spaces are trimmed; a control character
    anywhere refuses the link outright, since a browser drops tabs and line breaks and would read "java", a
    tab, "script:" as `javascript:`. No host, no link: courlan turns `javascript:alert(1)` into "https:///…".
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or any(ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # an invalid IPv6 host, for instance
        return None
    return url if parts.scheme.lower() in WEB_SCHEMES and parts.hostname else None


def refused_link(fetched: Fetched) -> str | None:
    """Why an item cannot be stored under its link (a message for the source's health), or None."""
    link = http_url(fetched.url)
    if link is None or http_url(fetched.canonical_url) is None:
        return f"bỏ qua tin, bài có liên kết không phải http(s): {shown(fetched.url, 80)}"
    if len(link) > URL_MAX or len(fetched.canonical_url) > URL_MAX:
        return f"bỏ qua tin, bài có liên kết dài quá {URL_MAX} ký tự: {shown(fetched.url, 80)}"
    return None


def _text(value: str | None, limit: int | None = None) -> str | None:
    """Crawled text as a column keeps it: without NUL (PostgreSQL refuses it in any text) and cut to the
    column's length, so one odd page never fails its item's transaction."""
    if value is None:
        return None
    value = value.replace("\x00", "")
    return value[:limit] if limit else value


def _published(value: datetime | None) -> datetime | None:
    """A publication date within the one range of days (`periods`), else unknown: a page dated 1970 or 2999
    would otherwise become the month the dashboard opens on, a month no page accepts."""
    return value if value is not None and in_range(value.date()) else None


def upsert_item(session: Session, fetched: Fetched, data_dir: Path | None = None) -> str:
    """Store or update an item; returns "new", "updated", "unchanged" or "refused".

    "refused": the item's link is not an http(s) URL (or is longer than its column); nothing is stored, and
    the reason is noted on the source (its last error, as `sources list` and the sources page show it)
    without counting as a failure of the source, which works.
    """
    source = session.scalar(select(Source).where(Source.key == fetched.source_key))
    if source is None:
        raise KeyError(f"unknown source {fetched.source_key!r}")
    if reason := refused_link(fetched):
        source.last_error, source.last_error_at = reason, utcnow()
        return REFUSED
    title, sapo, body = (normalize(_text(fetched.title)), normalize(_text(fetched.sapo)),
                         normalize(_text(fetched.body)))
    digest = content_hash(title, sapo, body)
    raw_ref = save_raw(data_dir, fetched.canonical_url, fetched.raw) if (data_dir and fetched.raw) else None
    existing = session.scalar(select(Item).where(Item.canonical_url == fetched.canonical_url))
    if existing is None:
        # The same text under another URL of the same outlet (a URL variant courlan cannot fold) is not a new item.
        twin = session.scalar(select(Item.id).where(Item.outlet_id == source.outlet_id, Item.content_hash == digest))
        if twin is not None:
            return "unchanged"
    if existing is not None:
        if existing.content_hash == digest:
            return "unchanged"
        session.add(ItemRevision(item_id=existing.id, title=existing.title, content_hash=existing.content_hash))
        existing.title, existing.sapo, existing.body = title, sapo, body
        existing.raw_title = _text(fetched.title)
        existing.content_hash = digest
        existing.author = _text(fetched.author, 300) or existing.author
        existing.updated_at = utcnow()
        existing.classified_at = None  # re-classify the new text
        existing.raw_ref = raw_ref or existing.raw_ref
        if fetched.extra:
            existing.extra = {**(existing.extra or {}), **fetched.extra}
        return "updated"
    text, folded = search_texts(title, sapo, body)  # a Core insert runs no ORM hook: the search columns here
    values = dict(
        outlet_id=source.outlet_id,
        source_id=source.id,
        kind=fetched.kind,
        url=http_url(fetched.url),
        canonical_url=fetched.canonical_url,
        content_hash=digest,
        title=title,
        sapo=sapo,
        body=body,
        raw_title=_text(fetched.title),
        author=_text(fetched.author, 300),  # items.author String(300), items.category String(200)
        category=_text(fetched.category, 200),
        published_at=_published(fetched.published_at),
        channel=fetched.channel or source.channel,
        extra=fetched.extra or {},
        raw_ref=raw_ref,
        search_text=text,
        search_folded=folded,
    )
    # INSERT … ON CONFLICT (canonical_url) DO NOTHING: another crawl that stored the same page between our read
    # and this write leaves one row and no error; the loser counts it unchanged.
    stmt = insert_for(session)(Item).values(**values).on_conflict_do_nothing(index_elements=[Item.canonical_url])
    stored = session.execute(stmt.returning(Item.id)).scalar()
    return "new" if stored is not None else "unchanged"


def record_success(session: Session, source_key: str) -> None:
    source = session.scalar(select(Source).where(Source.key == source_key))
    if source:
        source.last_success_at = utcnow()
        source.consecutive_failures = 0


def record_failure(session: Session, source_key: str, error: str) -> None:
    source = session.scalar(select(Source).where(Source.key == source_key))
    if source:
        source.last_error = error[:2000]
        source.last_error_at = utcnow()
        source.consecutive_failures += 1


STALE_RUN_HOURS = 24  # no crawl runs this long: a "running" run older than this, from any machine, is dead


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def abort_dead_runs(session: Session) -> list[int]:
    """Mark `aborted` every run left "running" by a process that died (killed, out of memory, machine restarted):
    on this machine, one whose process is gone; on any machine, one started over a day ago. Without this a dead
    crawl stays "running" forever on /sources and in the data-gap statement."""
    host, now = socket.gethostname(), utcnow()
    aborted = []
    for run in session.scalars(select(CrawlRun).where(CrawlRun.status == CrawlStatus.RUNNING)):
        owner = dict(run.summary or {})
        started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=timezone.utc)
        here_and_gone = owner.get("host") == host and owner.get("pid") != os.getpid() and not _alive(owner.get("pid"))
        if here_and_gone or now - started > timedelta(hours=STALE_RUN_HOURS):
            run.status, run.finished_at = CrawlStatus.ABORTED, now
            run.summary = {**owner, "notes": ["tiến trình thu thập đã dừng trước khi kết thúc lượt này"]}
            aborted.append(run.id)
    return aborted


def start_run(session: Session) -> int:
    """A new run, recording which process owns it, after marking the runs of dead processes aborted."""
    abort_dead_runs(session)
    run = CrawlRun(summary={"host": socket.gethostname(), "pid": os.getpid()})
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, summary: dict, status: str = "done") -> None:
    run = session.get(CrawlRun, run_id)
    run.summary = summary
    run.status = status
    run.finished_at = utcnow()


def known_urls(session: Session) -> dict[str, datetime | None]:
    """Canonical URL → the latest date we know for it, to skip what is already stored."""
    rows = session.execute(select(Item.canonical_url, Item.updated_at, Item.published_at))
    return {url: (upd or pub) for url, upd, pub in rows}


def load_validators(session: Session) -> dict[str, tuple[str | None, str | None]]:
    return {url: (etag, modified) for url, etag, modified in
            session.execute(select(FetchState.url, FetchState.etag, FetchState.last_modified))}


def save_validators(session: Session, seen: dict[str, tuple[str | None, str | None, int]]) -> None:
    """One upsert per URL (INSERT … ON CONFLICT DO UPDATE): two crawls finishing at once on a fresh database used to
    both find no row, both insert, and one crashed on the primary key; now the later one simply wins."""
    if not seen:
        return
    insert = insert_for(session)
    session.flush()
    now = utcnow()
    for url, (etag, modified, status) in sorted(seen.items()):  # one order for every writer: no deadlock on PostgreSQL
        stmt = insert(FetchState).values(url=url, etag=etag, last_modified=modified, status=status, fetched_at=now)
        session.execute(stmt.on_conflict_do_update(index_elements=[FetchState.url], set_={
            "etag": stmt.excluded.etag, "last_modified": stmt.excluded.last_modified, "status": stmt.excluded.status,
            "fetched_at": stmt.excluded.fetched_at}))
