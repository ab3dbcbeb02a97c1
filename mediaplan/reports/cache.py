"""The dashboard's figures, kept per period in the database and read back while nothing they count has changed.

`compute` is a few dozen counts; at 1M items (40k a month) that is seconds, on every view of `/` and of each of
its charts. `figures` keeps what it made in `figures_cache` with the data version it was made at
(`db.versioning`: every committed write that could change a figure grows it, in the writer's own transaction)
and the definition it was made by (`definition`, a hash of the code that computes them, so an upgrade never
shows figures of the old code). An entry is used only when both are current and it was made today, for what
changes with time alone (a period that has begun, a register counted to the day).

The version is read before the figures are computed: a write committed meanwhile leaves an entry labelled older
than its data, which the next view recomputes; never newer than its data. `refresh_dashboard`, called after classify and
link, computes the months a crawl changes at once, so the next view reads figures already made.
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediaplan.db import insert_for
from mediaplan.db.schema import DataVersion, FiguresCache, utcnow

_SOURCES = ("reports", "services/registers.py", "periods.py", "vocab.py")  # what defines a figure, under mediaplan/


@lru_cache
def definition() -> str:
    """A hash of the code that computes the figures: another code, another key."""
    root, digest = Path(__file__).resolve().parents[1], hashlib.sha256()
    for name in _SOURCES:
        path = root / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def _key(period: str) -> str:
    return f"{period}@{definition()}"


def current_version(session: Session) -> int | None:
    return session.scalar(select(DataVersion.n).where(DataVersion.id == 1))


_making: dict[str, threading.Lock] = {}
_making_guard = threading.Lock()


def _lock_for(period: str) -> threading.Lock:
    with _making_guard:
        return _making.setdefault(period, threading.Lock())


def _current(session: Session, period: str, version: int) -> dict | None:
    row = session.execute(select(FiguresCache.version, FiguresCache.computed_at, FiguresCache.figures)
                          .where(FiguresCache.period == _key(period))).first()
    if row is not None and row.version == version and _same_day(row.computed_at):
        return row.figures
    return None


def _same_day(computed_at) -> bool:
    """Whether figures made at `computed_at` still hold today: what changes with time alone in them changes with
    the day (a period that has begun, registers counted to the day, the date they were made on), so an entry is
    good until midnight, in Vietnam and on this machine's clock alike."""
    from datetime import date

    from mediaplan.localtime import local_today, to_local

    return to_local(computed_at).date() == local_today() and computed_at.astimezone().date() == date.today()


def figures(session: Session, period: str, make: Callable[[], dict]) -> dict:
    """The period's figures: the cached ones when current, else `make()`'s, kept for the next view. Commits the
    session when it stores them (called where nothing else is pending: a page view, a job's end).

    Within a process one view at a time makes a period's figures; the others wait and read what it kept (fifty
    users arriving after a crawl would otherwise run fifty copies of the same counts at once)."""
    version = current_version(session)
    if version is None:  # no version row (a schema built without migration 0016's data): no cache
        return make()
    if (found := _current(session, period, version)) is not None:
        return found
    with _lock_for(period):  # each statement sees what is committed (READ COMMITTED; SQLite reads outside one)
        version = current_version(session)
        if (found := _current(session, period, version)) is not None:
            return found
        return _store(session, period, version, make())


def _store(session: Session, period: str, version: int, made: dict) -> dict:
    """Keep `made`; returns it as a later read will give it back (through JSON), so every view shows the same."""
    data = json.loads(json.dumps(made, default=str))
    stmt = insert_for(session)(FiguresCache).values(period=_key(period), version=version, computed_at=utcnow(),
                                                    figures=data)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[FiguresCache.period],
        set_={"version": stmt.excluded.version, "computed_at": stmt.excluded.computed_at,
              "figures": stmt.excluded.figures},
        where=FiguresCache.version <= stmt.excluded.version))  # a slower worker never puts older figures back
    session.execute(delete(FiguresCache).where(~FiguresCache.period.endswith(f"@{definition()}")))  # older code's
    session.commit()
    return data


def _dashboard_make(session: Session, month: str) -> dict:
    from mediaplan.i18n import using
    from mediaplan.reports.metrics import compute

    with using("vi"):  # the report's own sentences (targets' details and evaluations), shown as Vietnamese text
        return compute(session, month, lists=False)


def dashboard_figures(session: Session, month: str) -> dict:
    """The figures the dashboard shows for a month and draws its charts from: the report's (`compute`), without
    the lists only documents print (the month's items, the shortlist's stories), kept while current."""
    return figures(session, month, lambda: _dashboard_make(session, month))


def refresh_dashboard(session: Session, months: list[str] | None = None) -> list[str]:
    """After classify and link: the dashboard's figures of `months` (default this month and the last) made now."""
    from mediaplan.periods import current_month, previous_month

    now = current_month()
    months = months or [now, previous_month(now)]
    for month in months:  # whatever the cache holds: the version is read first, as in `figures`
        if (version := current_version(session)) is not None:
            _store(session, month, version, _dashboard_make(session, month))
    return months


def refresh_after_changes() -> None:
    """`refresh_dashboard` in its own unit of work, for the end of classify and link (the scheduler's job, the
    commands): a failure is logged and never fails what ran before it; the next view computes them itself."""
    import logging

    from mediaplan.db import session_scope

    try:
        with session_scope() as session:
            refresh_dashboard(session)
    except Exception:  # noqa: BLE001
        logging.getLogger(__name__).exception("dashboard figures not refreshed")
