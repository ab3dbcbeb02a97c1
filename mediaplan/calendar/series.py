"""Recurring columns (chuyên mục) and the stories that fill their slots.

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

from mediaplan.calendar.workflow import log
from mediaplan.db.schema import Column, Coverage, Outlet, Story
from mediaplan.vocab import FORMATS, PLATFORMS

HORIZON_DAYS = 120  # slots are materialised this far ahead, so they can be assigned and reminded

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
               duration_minutes: int = 60, lead_days: int = 2, desk: str | None = None) -> Column:
    """Create or update a column by name (idempotent). `channel` is the platform it runs on."""
    if channel not in PLATFORMS:
        raise CalendarError(f"nền tảng không hợp lệ {channel!r}; chọn một trong {', '.join(PLATFORMS)}")
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
                  duration_minutes=duration_minutes, lead_days=lead_days, desk=desk)
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


def ensure_stories(session: Session, start: date, end: date) -> int:
    """Create the story (with one coverage) for every column slot in [start, end) that has none yet."""
    created = 0
    for column in session.scalars(select(Column).where(Column.active.is_(True))):
        existing = set(session.scalars(select(Story.occurrence_start).where(Story.column_id == column.id)))
        for slot in occurrences(column, start, end):
            slot_utc = slot.astimezone(timezone.utc)
            if slot_utc in existing:
                continue
            story = Story(column_id=column.id, occurrence_start=slot_utc, title=column.name, themes=list(column.themes),
                          planned_on=slot.date(), desk=column.desk, status="assigned" if column.assignee else "idea")
            story.coverages.append(Coverage(
                outlet_id=column.outlet_id, platform=column.channel, format=column.format, assignee=column.assignee,
                status="assigned" if column.assignee else "idea", publish_at=slot_utc,
                due_at=slot_utc - timedelta(days=column.lead_days), duration_minutes=column.duration_minutes))
            session.add(story)
            created += 1
    session.flush()
    return created


def ensure_horizon(session: Session, today: date | None = None, days: int = HORIZON_DAYS) -> int:
    """The rolling horizon: from the start of last month to `days` ahead."""
    today = today or datetime.now(TZ).date()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return ensure_stories(session, start, today + timedelta(days=days))


EDIT_SCOPES = ("one", "future", "all")


def edit_series(session: Session, column: Column, occurrence: datetime | None, scope: str, by: str,
                **changes) -> Column:
    """Edit a column for one occurrence, this and the following ones, or all of them.

    `one` edits that slot's story (an iCal exception keyed by RECURRENCE-ID); `all` edits the
    column and every slot not edited on its own; `future` ends the series before the slot
    (UNTIL) and starts a new column from it with the changes, as calendar apps do.
    """
    if scope not in EDIT_SCOPES:
        raise CalendarError(f"phạm vi sửa {scope!r} không hợp lệ; chọn one, future hoặc all")
    allowed = {"name", "assignee", "themes", "format", "duration_minutes", "lead_days", "time"}
    unknown = set(changes) - allowed
    if unknown:
        raise CalendarError(f"không sửa được {', '.join(sorted(unknown))}")
    if scope == "one":
        if occurrence is None:
            raise CalendarError("cần chọn buổi cần sửa")
        slot = occurrence.replace(tzinfo=occurrence.tzinfo or TZ).astimezone(timezone.utc)
        story = session.scalar(select(Story).where(Story.column_id == column.id, Story.occurrence_start == slot))
        if story is None:
            raise CalendarError(f"chuyên mục không có buổi lúc {occurrence:%d/%m/%Y %H:%M}")
        _apply_to_story(session, story, changes, by)
        return column
    if scope == "future":
        if occurrence is None:
            raise CalendarError("cần chọn buổi bắt đầu áp dụng")
        slot = occurrence.replace(tzinfo=occurrence.tzinfo or TZ)
        rule = parse_rrule(column.rrule)
        rule.pop("COUNT", None)
        rule["UNTIL"] = [(slot - timedelta(seconds=1)).astimezone(timezone.utc)]
        new = Column(name=changes.get("name") or f"{column.name} (từ {slot:%d/%m/%Y})", outlet_id=column.outlet_id,
                     channel=column.channel, format=changes.get("format", column.format),
                     themes=changes.get("themes", column.themes), assignee=changes.get("assignee", column.assignee),
                     rrule=parse_rrule(column.rrule).to_ical().decode(), dtstart=_with_time(slot, changes.get("time")).astimezone(timezone.utc),
                     duration_minutes=changes.get("duration_minutes", column.duration_minutes),
                     lead_days=changes.get("lead_days", column.lead_days), desk=column.desk)
        column.rrule = rule.to_ical().decode()
        column.sequence += 1
        session.add(new)
        session.flush()
        # Slots from the split on move to the new series, re-keyed to its times; a coverage still at its
        # slot moves with it, one moved by hand stays where the editor put it.
        from mediaplan.calendar.stories import move

        for story in session.scalars(select(Story).where(Story.column_id == column.id, Story.occurrence_start >= slot.astimezone(timezone.utc))):
            old = story.occurrence_start
            story.occurrence_start = _with_time(old.astimezone(TZ), changes.get("time")).astimezone(timezone.utc)
            story.column_id = new.id
            for coverage in story.coverages[:1]:
                if coverage.publish_at == old and story.occurrence_start != old:
                    move(session, coverage, story.occurrence_start, by)
        session.flush()
        log(session, column, "edit", column.name, new.name, by, "tách chuỗi: từ buổi này trở đi")
        return new
    for key in ("name", "assignee", "themes", "format", "duration_minutes", "lead_days"):
        if key in changes:
            setattr(column, key, changes[key])
    if "time" in changes:
        column.dtstart = _with_time(column.dtstart.astimezone(TZ), changes["time"]).astimezone(timezone.utc)
    column.sequence += 1
    for story in session.scalars(select(Story).where(Story.column_id == column.id)):
        if story.sequence == 0 and story.status not in {"published", "cancelled"}:
            _apply_to_story(session, story, changes, by, bump=False)
    log(session, column, "edit", None, ", ".join(sorted(changes)), by, "sửa cả chuỗi")
    session.flush()
    return column


def _with_time(moment: datetime, hhmm: str | None) -> datetime:
    if not hhmm:
        return moment
    hour, minute = (int(x) for x in hhmm.split(":"))
    return moment.replace(hour=hour, minute=minute)


def _apply_to_story(session: Session, story: Story, changes: dict, by: str, bump: bool = True) -> None:
    from mediaplan.calendar.stories import assign, move

    if "name" in changes:
        story.title = changes["name"]
    if "themes" in changes:
        story.themes = list(changes["themes"])
    coverage = story.coverages[0] if story.coverages else None
    if coverage is not None:
        if "format" in changes:
            coverage.format = changes["format"]
        if "duration_minutes" in changes:
            coverage.duration_minutes = changes["duration_minutes"]
        if "assignee" in changes and changes["assignee"] and changes["assignee"] != coverage.assignee:
            assign(session, coverage, changes["assignee"], by)
        if "time" in changes and coverage.publish_at:
            move(session, coverage, _with_time(coverage.publish_at.astimezone(TZ), changes["time"]), by)
    if bump:
        story.sequence += 1
        log(session, story, "edit", None, ", ".join(sorted(changes)), by, "sửa một buổi")
