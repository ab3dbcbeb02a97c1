"""What the month and week views show: coverages (with their story and deliveries) and key dates, per local day."""

from __future__ import annotations

import calendar as stdcal
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.db.schema import Coverage, KeyDate, Story
from mediaplan.localtime import local_midnight_utc, to_local
from mediaplan.periods import parse_month


@dataclass
class Day:
    day: date
    coverages: list[Coverage] = field(default_factory=list)
    key_dates: list[KeyDate] = field(default_factory=list)


def key_dates_in(session: Session, year: int, month: int) -> dict[date, list[KeyDate]]:
    out: dict[date, list[KeyDate]] = {}
    for kd in session.scalars(select(KeyDate)):
        if kd.on and (kd.on.year, kd.on.month) == (year, month):
            out.setdefault(kd.on, []).append(kd)
        elif kd.month == month and kd.day:
            out.setdefault(date(year, month, min(kd.day, stdcal.monthrange(year, month)[1])), []).append(kd)
    return out


@dataclass
class Filters:
    """What an editor narrows the calendar to; empty fields match everything."""

    outlet: str | None = None
    platform: str | None = None
    theme: str | None = None
    assignee: str | None = None
    status: str | None = None
    desk: str | None = None

    def match(self, c: Coverage) -> bool:
        return ((not self.outlet or (c.outlet is not None and c.outlet.key == self.outlet))
                and (not self.platform or c.platform == self.platform)
                and (not self.theme or self.theme in (c.story.themes or []))
                and (not self.assignee or c.assignee == self.assignee)
                and (not self.status or c.status == self.status)
                and (not self.desk or c.story.desk == self.desk))


def coverages_between(session: Session, start: datetime, end: datetime, filters: Filters | None = None) -> list[Coverage]:
    rows = session.scalars(
        select(Coverage).join(Story)
        .options(selectinload(Coverage.deliveries), selectinload(Coverage.story).selectinload(Story.column),
                 selectinload(Coverage.outlet))
        .where(Coverage.publish_at >= start, Coverage.publish_at < end).order_by(Coverage.publish_at, Coverage.id)
    ).all()
    return [c for c in rows if filters is None or filters.match(c)]


def _days(session: Session, first: date, last: date, filters: Filters | None) -> list[Day]:
    days = {first + timedelta(days=n): Day(first + timedelta(days=n)) for n in range((last - first).days + 1)}
    for c in coverages_between(session, local_midnight_utc(first), local_midnight_utc(last + timedelta(days=1)), filters):
        days[to_local(c.publish_at).date()].coverages.append(c)
    for year, month in sorted({(d.year, d.month) for d in days}):
        for d, kds in key_dates_in(session, year, month).items():
            if d in days:
                days[d].key_dates.extend(kds)
    return list(days.values())


def month_view(session: Session, period: str, filters: Filters | None = None) -> list[Day]:
    """Every local day of the month "YYYY-MM"; a bad period is a `periods.PeriodError`."""
    year, month = parse_month(period)
    return _days(session, date(year, month, 1), date(year, month, stdcal.monthrange(year, month)[1]), filters)


def week_view(session: Session, day: date, filters: Filters | None = None) -> list[Day]:
    """Monday to Sunday of the week that holds `day`."""
    monday = day - timedelta(days=day.weekday())
    return _days(session, monday, monday + timedelta(days=6), filters)
