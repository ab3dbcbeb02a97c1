"""The editorial calendar operations that take more than one call of `mediaplan.calendar`.

Everything else the interfaces do with the calendar (stories, coverages, links, feeds)
is one call of the calendar package itself, which already refuses bad input with a
ValueError in Vietnamese.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.calendar.series import add_column, ensure_stories
from mediaplan.db.schema import Column, WorkflowEvent
from mediaplan.localtime import local_today
from mediaplan.plans import current_plan
from mediaplan.services import NotFound, ServiceError


def add_recurring_column(session: Session, name: str, *, outlet: str, platform: str, fmt: str, rrule: str,
                         dtstart: datetime, themes: list[str] | None = None, assignee: str | None = None,
                         duration: int = 60, lead_days: int = 2, desk: str | None = None,
                         horizon_days: int = 120) -> tuple[Column, int]:
    """Add (or update, by name) a recurring column and plan its slots up to `horizon_days` ahead.

    Slots are made from the first occurrence on (or from today, for a column that started earlier).
    Returns the column and how many slots were created.
    """
    unknown = set(themes or []) - set(current_plan().theme_codes)
    if unknown:
        raise ServiceError(f"mã chủ đề không có trong kế hoạch: {', '.join(sorted(unknown))}")
    column = add_column(session, name, outlet, platform, fmt, rrule, dtstart, themes, assignee, duration, lead_days, desk)
    today = local_today()
    created = ensure_stories(session, min(today, dtstart.date()), today + timedelta(days=horizon_days))
    return column, created


def column_named(session: Session, name: str) -> Column:
    column = session.scalar(select(Column).where(Column.name == name))
    if column is None:
        raise NotFound(f"không có chuyên mục {name!r}")
    return column


def audit_log(session: Session, limit: int = 30) -> list[WorkflowEvent]:
    """The last `limit` events of the audit log, oldest first (the order they are read in)."""
    rows = session.scalars(select(WorkflowEvent).order_by(WorkflowEvent.id.desc()).limit(limit)).all()
    return list(reversed(rows))
