"""The iCal feed: one VEVENT per publication slot, series as RRULE with overrides.

UIDs are stable, SEQUENCE grows on every change, STATUS follows the piece's
workflow, and a VTIMEZONE for Asia/Ho_Chi_Minh is included for clients that
need it. A column slot whose piece was moved becomes a RECURRENCE-ID override;
a cancelled slot becomes an EXDATE.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.calendar.series import column_event
from mediaplan.db.schema import Column, Outlet, PlannedPiece, utcnow
from mediaplan.vocab import label

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STATUS = {"idea": "TENTATIVE", "assigned": "CONFIRMED", "in_progress": "CONFIRMED", "in_review": "CONFIRMED",
          "published": "CONFIRMED", "cancelled": "CANCELLED"}


def _piece_event(piece: PlannedPiece) -> Event:
    event = Event()
    event.add("uid", f"piece-{piece.id}@mediaplan")
    event.add("summary", piece.title)
    start = piece.publish_at.astimezone(TZ)
    event.add("dtstart", start)
    duration = piece.column.duration_minutes if piece.column else 60
    event.add("dtend", start + timedelta(minutes=duration))
    event.add("dtstamp", piece.updated_at or utcnow())
    event.add("sequence", piece.sequence)
    event.add("status", STATUS.get(piece.status, "TENTATIVE"))
    details = [f"Trạng thái: {label('status', piece.status)}"]
    if piece.format:
        details.append(f"Định dạng: {label('format', piece.format)}")
    if piece.channel:
        details.append(f"Kênh: {label('channel', piece.channel)}")
    if piece.assignee:
        details.append(f"Phụ trách: {piece.assignee}")
    if piece.due_at:
        details.append(f"Hạn nộp: {piece.due_at.astimezone(TZ):%d/%m/%Y %H:%M}")
    event.add("description", "\n".join(details))
    if piece.themes:
        event.add("categories", piece.themes)
    return event


def build_feed(session: Session, outlet_key: str | None = None, assignee: str | None = None,
               theme: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//mediaplan//Lịch biên tập//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Lịch biên tập NQ71")
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    cal.add_component(Timezone.from_tzid("Asia/Ho_Chi_Minh"))

    outlet_id = None
    if outlet_key:
        outlet = session.scalar(select(Outlet).where(Outlet.key == outlet_key))
        outlet_id = outlet.id if outlet else -1

    def wanted(obj) -> bool:
        if outlet_id is not None and obj.outlet_id != outlet_id:
            return False
        if assignee and obj.assignee != assignee:
            return False
        if theme and theme not in (obj.themes or []):
            return False
        return True

    for column in session.scalars(select(Column).where(Column.active.is_(True)).order_by(Column.id)):
        if not wanted(column):
            continue
        pieces = session.scalars(select(PlannedPiece).where(PlannedPiece.column_id == column.id)).all()
        series = column_event(column)
        for piece in pieces:
            if piece.status == "cancelled":
                series.add("exdate", piece.occurrence_start.astimezone(TZ))
        cal.add_component(series)
        for piece in pieces:
            moved = piece.publish_at != piece.occurrence_start
            if piece.status != "cancelled" and (moved or piece.sequence > 0 or piece.title != column.name):
                override = _piece_event(piece)
                override["uid"] = series["uid"]
                override.add("recurrence-id", piece.occurrence_start.astimezone(TZ))
                cal.add_component(override)
    for piece in session.scalars(select(PlannedPiece).where(PlannedPiece.column_id.is_(None)).order_by(PlannedPiece.id)):
        if piece.publish_at and wanted(piece):
            cal.add_component(_piece_event(piece))
    return cal
