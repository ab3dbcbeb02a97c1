"""What the calendar tests share: a weekly column, local times, and the slots a month view and a feed show."""

from __future__ import annotations

from datetime import date, datetime

import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select

from mediaplan.calendar.month import month_view
from mediaplan.calendar.series import add_column
from mediaplan.db.schema import User
from mediaplan.localtime import local_tz, to_local
from mediaplan.vocab import CoverageStatus, StoryStatus


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall time in the plan's zone."""
    return datetime(year, month, day, hour, minute, tzinfo=local_tz())


def person(session, username: str, full_name: str = "", email: str | None = None, role: str = "editor") -> str:
    """An enabled user someone can be assigned to (assignees are users); its username. Made once."""
    if session.scalar(select(User).where(User.username == username)) is None:
        session.add(User(username=username, full_name=full_name, role=role,
                         email=email if email is not None else f"{username}@toasoan.example.org"))
        session.flush()
    return username


def talk_show(session):
    """The weekly TV talk show, Thursdays 19:30 from 3 Sep 2026, assigned to Minh Châu (user `minhchau`)."""
    return add_column(session, "Đột phá giáo dục", "baoquangngai", "tv", "talk_show", "FREQ=WEEKLY;BYDAY=TH",
                      at(2026, 9, 3, 19, 30), ["dissemination"], person(session, "minhchau", "Minh Châu"), 45)


def expand(feed: Calendar, start: date, end: date) -> list[datetime]:
    """The slot times a calendar app shows for a feed."""
    return sorted(to_local(e["DTSTART"].dt) for e in recurring_ical_events.of(feed).between(start, end))


def shown(session, *months: str) -> list[datetime]:
    """The slot times the month views show, without the cancelled ones."""
    return sorted(to_local(c.publish_at) for m in months for d in month_view(session, m) for c in d.coverages
                  if c.status != CoverageStatus.CANCELLED and c.story.status != StoryStatus.CANCELLED)
