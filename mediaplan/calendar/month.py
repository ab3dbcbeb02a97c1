"""What the month view shows: planned pieces (with their deliveries) and key dates, per local day."""

from __future__ import annotations

import calendar as stdcal
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.db.schema import KeyDate, PlannedPiece

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Day:
    day: date
    pieces: list[PlannedPiece] = field(default_factory=list)
    key_dates: list[KeyDate] = field(default_factory=list)


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """UTC bounds of a local calendar month "YYYY-MM"."""
    try:
        year, month = (int(x) for x in period.split("-"))
        first = date(year, month, 1)
    except ValueError as exc:
        raise ValueError(f"tháng không hợp lệ {period!r}: dùng dạng YYYY-MM") from exc
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return (datetime.combine(first, time(), TZ).astimezone(timezone.utc),
            datetime.combine(nxt, time(), TZ).astimezone(timezone.utc))


def key_dates_in(session: Session, year: int, month: int) -> dict[date, list[KeyDate]]:
    out: dict[date, list[KeyDate]] = {}
    for kd in session.scalars(select(KeyDate)):
        if kd.on and (kd.on.year, kd.on.month) == (year, month):
            out.setdefault(kd.on, []).append(kd)
        elif kd.month == month and kd.day:
            out.setdefault(date(year, month, min(kd.day, stdcal.monthrange(year, month)[1])), []).append(kd)
    return out


def month_view(session: Session, period: str) -> list[Day]:
    start, end = month_bounds(period)
    year, month = (int(x) for x in period.split("-"))
    days = {date(year, month, d): Day(date(year, month, d)) for d in range(1, stdcal.monthrange(year, month)[1] + 1)}
    pieces = session.scalars(
        select(PlannedPiece).options(selectinload(PlannedPiece.deliveries))
        .where(PlannedPiece.publish_at >= start, PlannedPiece.publish_at < end).order_by(PlannedPiece.publish_at)
    )
    for piece in pieces:
        days[piece.publish_at.astimezone(TZ).date()].pieces.append(piece)
    for d, kds in key_dates_in(session, year, month).items():
        days[d].key_dates.extend(kds)
    return list(days.values())
