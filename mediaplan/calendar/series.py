"""Recurring columns (chuyên mục) and the planned pieces that fill their slots.

A column's recurrence is an RFC 5545 RRULE from a DTSTART in Asia/Ho_Chi_Minh.
Occurrences are expanded by recurring-ical-events from the very VEVENT the iCal
feed publishes, so the calendar and the feed cannot disagree.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Event, vRecur
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Column, Outlet, PlannedPiece, utcnow
from mediaplan.vocab import CHANNELS, FORMATS

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class CalendarError(ValueError):
    pass


def parse_rrule(text: str) -> vRecur:
    try:
        rule = vRecur.from_ical(text.removeprefix("RRULE:"))
    except ValueError as exc:
        raise CalendarError(f"RRULE không hợp lệ: {text!r} ({exc})") from exc
    if "FREQ" not in rule:
        raise CalendarError(f"RRULE thiếu FREQ: {text!r}")
    return rule


def add_column(session: Session, name: str, outlet_key: str, channel: str, fmt: str, rrule: str,
               dtstart: datetime, themes: list[str] | None = None, assignee: str | None = None,
               duration_minutes: int = 60, lead_days: int = 2) -> Column:
    """Create or update a column by name (idempotent)."""
    if channel not in CHANNELS:
        raise CalendarError(f"kênh không hợp lệ {channel!r}; chọn một trong {', '.join(CHANNELS)}")
    if fmt not in FORMATS:
        raise CalendarError(f"định dạng không hợp lệ {fmt!r}; chọn một trong {', '.join(FORMATS)}")
    parse_rrule(rrule)
    outlet = session.scalar(select(Outlet).where(Outlet.key == outlet_key))
    if outlet is None:
        raise CalendarError(f"không có cơ quan {outlet_key!r}")
    if dtstart.tzinfo is None:
        dtstart = dtstart.replace(tzinfo=TZ)
    column = session.scalar(select(Column).where(Column.name == name))
    values = dict(outlet_id=outlet.id, channel=channel, format=fmt, rrule=rrule.removeprefix("RRULE:"),
                  dtstart=dtstart.astimezone(timezone.utc), themes=list(themes or []), assignee=assignee,
                  duration_minutes=duration_minutes, lead_days=lead_days)
    if column is None:
        column = Column(name=name, **values)
        session.add(column)
    else:
        changed = any(getattr(column, k) != v for k, v in values.items())
        for k, v in values.items():
            setattr(column, k, v)
        if changed:
            column.sequence += 1
    session.flush()
    return column


def column_event(column: Column) -> Event:
    """The VEVENT of a column's series (no overrides), in local time."""
    event = Event()
    event.add("uid", f"column-{column.id}@mediaplan")
    event.add("summary", column.name)
    start = column.dtstart.astimezone(TZ)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=column.duration_minutes))
    event.add("rrule", parse_rrule(column.rrule))
    event.add("sequence", column.sequence)
    event.add("dtstamp", column.created_at)
    return event


def occurrences(column: Column, start: date | datetime, end: date | datetime) -> list[datetime]:
    """Slot start times of a column in [start, end), as aware local datetimes."""
    cal = Calendar()
    cal.add_component(column_event(column))
    return [e["DTSTART"].dt.astimezone(TZ) for e in recurring_ical_events.of(cal).between(start, end)]


def ensure_pieces(session: Session, start: date, end: date) -> int:
    """Create the planned piece for every column slot in [start, end) that has none yet."""
    created = 0
    for column in session.scalars(select(Column).where(Column.active.is_(True))):
        existing = {p.occurrence_start for p in session.scalars(
            select(PlannedPiece).where(PlannedPiece.column_id == column.id))}
        for slot in occurrences(column, start, end):
            slot_utc = slot.astimezone(timezone.utc)
            if slot_utc in existing:
                continue
            session.add(PlannedPiece(
                column_id=column.id, occurrence_start=slot_utc, title=column.name,
                themes=list(column.themes), outlet_id=column.outlet_id, channel=column.channel, format=column.format,
                assignee=column.assignee, status="assigned" if column.assignee else "idea",
                publish_at=slot_utc, due_at=slot_utc - timedelta(days=column.lead_days),
            ))
            created += 1
    session.flush()
    return created


def add_piece(session: Session, title: str, publish_at: datetime, outlet_key: str | None = None,
              channel: str | None = None, fmt: str | None = None, themes: list[str] | None = None,
              assignee: str | None = None, lead_days: int = 2, key_date: str | None = None) -> PlannedPiece:
    """A one-off planned piece; idempotent on (title, publish time)."""
    if publish_at.tzinfo is None:
        publish_at = publish_at.replace(tzinfo=TZ)
    publish_at = publish_at.astimezone(timezone.utc)
    piece = session.scalar(select(PlannedPiece).where(PlannedPiece.title == title, PlannedPiece.publish_at == publish_at))
    if piece:
        return piece
    outlet = session.scalar(select(Outlet).where(Outlet.key == outlet_key)) if outlet_key else None
    piece = PlannedPiece(title=title, publish_at=publish_at, due_at=publish_at - timedelta(days=lead_days),
                         outlet_id=outlet.id if outlet else None, channel=channel, format=fmt,
                         themes=list(themes or []), assignee=assignee, key_date=key_date,
                         status="assigned" if assignee else "idea", updated_at=utcnow())
    session.add(piece)
    session.flush()
    return piece
