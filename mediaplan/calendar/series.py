"""Recurring columns (chuyên mục) and the stories that fill their slots.

A column's recurrence is an RFC 5545 RRULE from a DTSTART in local time.
Occurrences are expanded by recurring-ical-events from the very VEVENT the iCal
feed publishes, so the calendar and the feed cannot disagree. A slot's story and
coverage are made by `stories`, as an editor would make them, so each has its
create, assign and status events and its assignment row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import recurring_ical_events
from icalendar import Calendar, Event, vRecur
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.calendar.stories import add_story, assign, check_assignee, check_codes, move
from mediaplan.calendar.workflow import SYSTEM, log
from mediaplan.db.schema import Column, Outlet, Story
from mediaplan.localtime import as_utc, local_today, to_local
from mediaplan.periods import first_day, month_of, previous_month
from mediaplan.vocab import EditScope, StoryStatus, WorkflowAction

HORIZON_DAYS = 120  # slots are materialised this far ahead, so they can be assigned and reminded


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


def add_column(session: Session, name: str, outlet_key: str, platform: str, fmt: str, rrule: str,
               dtstart: datetime, themes: list[str] | None = None, assignee: str | None = None,
               duration_minutes: int = 60, lead_days: int = 2, desk: str | None = None, by: str = SYSTEM) -> Column:
    """Create or update a column by name (idempotent); logged as a create or an edit of the column.

    Its platform, format, themes and assignee (a user, `stories.check_assignee`) are checked here, so that
    materialising its slots cannot fail later.
    """
    check_codes(session, platform, fmt, list(themes or []))
    assignee = check_assignee(session, assignee or None)
    parse_rrule(rrule)
    outlet = session.scalar(select(Outlet).where(Outlet.key == outlet_key))
    if outlet is None:
        raise CalendarError(f"không có cơ quan {outlet_key!r}")
    column = session.scalar(select(Column).where(Column.name == name))
    values = dict(outlet_id=outlet.id, platform=platform, format=fmt, rrule=rrule.removeprefix("RRULE:"),
                  dtstart=as_utc(dtstart), themes=list(themes or []), assignee=assignee,
                  duration_minutes=duration_minutes, lead_days=lead_days, desk=desk)
    if column is None:
        column = Column(name=name, **values)
        session.add(column)
        session.flush()
        log(session, column, WorkflowAction.CREATE, None, name, by)
    else:
        changed = sorted(k for k, v in values.items() if getattr(column, k) != v)
        for k, v in values.items():
            setattr(column, k, v)
        if changed:
            column.sequence += 1
            session.flush()
            log(session, column, WorkflowAction.EDIT, None, ", ".join(changed), by)
    session.flush()
    return column


def column_event(column: Column) -> Event:
    """The VEVENT of a column's series (no overrides), in local time."""
    event = Event()
    event.add("uid", f"column-{column.id}@mediaplan")
    event.add("summary", column.name)
    start = to_local(column.dtstart)
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
    return [to_local(e["DTSTART"].dt) for e in recurring_ical_events.of(cal).between(start, end)]


def ensure_stories(session: Session, start: date, end: date) -> int:
    """Create the story (with one coverage) for every column slot in [start, end) that has none yet.

    They are made by `stories.add_story` in the name of `SYSTEM`, exactly as an editor would make them.
    """
    created = 0
    for column in session.scalars(select(Column).where(Column.active.is_(True))):
        existing = set(session.scalars(select(Story.occurrence_start).where(Story.column_id == column.id)))
        for slot in occurrences(column, start, end):
            if as_utc(slot) in existing:
                continue
            story = add_story(session, column.name, SYSTEM, themes=list(column.themes), planned_on=slot.date(),
                              desk=column.desk, column_id=column.id, occurrence_start=slot, coverages=[dict(
                                  platform=column.platform, fmt=column.format, outlet=column.outlet.key, publish_at=slot,
                                  lead_days=column.lead_days, assignee=column.assignee,
                                  duration_minutes=column.duration_minutes)])
            # A slot just made is the series' own occurrence, revision 0 of the column's VEVENT, however many
            # steps made it: the feed shows it through the RRULE, and an edit of the whole series reaches it.
            story.sequence = 0
            for coverage in story.coverages:
                coverage.sequence = 0
            created += 1
    session.flush()
    return created


def ensure_horizon(session: Session, today: date | None = None, days: int = HORIZON_DAYS) -> int:
    """The rolling horizon: from the start of last month to `days` ahead."""
    today = today or local_today()
    return ensure_stories(session, first_day(previous_month(month_of(today))), today + timedelta(days=days))


EDIT_SCOPES = EditScope.codes()


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
    if changes.get("assignee"):
        changes["assignee"] = check_assignee(session, changes["assignee"])
    if scope == "one":
        if occurrence is None:
            raise CalendarError("cần chọn buổi cần sửa")
        slot = as_utc(occurrence)
        story = session.scalar(select(Story).where(Story.column_id == column.id, Story.occurrence_start == slot))
        if story is None:
            raise CalendarError(f"chuyên mục không có buổi lúc {occurrence:%d/%m/%Y %H:%M}")
        _apply_to_story(session, story, changes, by)
        return column
    if scope == "future":
        if occurrence is None:
            raise CalendarError("cần chọn buổi bắt đầu áp dụng")
        slot = to_local(as_utc(occurrence))
        rule = parse_rrule(column.rrule)
        rule.pop("COUNT", None)
        rule["UNTIL"] = [(slot - timedelta(seconds=1)).astimezone(timezone.utc)]
        new = Column(name=changes.get("name") or f"{column.name} (từ {slot:%d/%m/%Y})", outlet_id=column.outlet_id,
                     platform=column.platform, format=changes.get("format", column.format),
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
        for story in session.scalars(select(Story).where(Story.column_id == column.id, Story.occurrence_start >= slot.astimezone(timezone.utc))):
            old = story.occurrence_start
            story.occurrence_start = as_utc(_with_time(to_local(old), changes.get("time")))
            story.column_id = new.id
            for coverage in story.coverages[:1]:
                if coverage.publish_at == old and story.occurrence_start != old:
                    move(session, coverage, story.occurrence_start, by)
        session.flush()
        log(session, column, WorkflowAction.EDIT, column.name, new.name, by, "tách chuỗi: từ buổi này trở đi")
        return new
    for key in ("name", "assignee", "themes", "format", "duration_minutes", "lead_days"):
        if key in changes:
            setattr(column, key, changes[key])
    if "time" in changes:
        column.dtstart = as_utc(_with_time(to_local(column.dtstart), changes["time"]))
    column.sequence += 1
    for story in session.scalars(select(Story).where(Story.column_id == column.id)):
        if story.sequence == 0 and story.status not in {StoryStatus.PUBLISHED, StoryStatus.CANCELLED}:
            _apply_to_story(session, story, changes, by, bump=False)
    log(session, column, WorkflowAction.EDIT, None, ", ".join(sorted(changes)), by, "sửa cả chuỗi")
    session.flush()
    return column


def _with_time(moment: datetime, hhmm: str | None) -> datetime:
    if not hhmm:
        return moment
    hour, minute = (int(x) for x in hhmm.split(":"))
    return moment.replace(hour=hour, minute=minute)


def _apply_to_story(session: Session, story: Story, changes: dict, by: str, bump: bool = True) -> None:
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
            move(session, coverage, _with_time(to_local(coverage.publish_at), changes["time"]), by)
    if bump:
        story.sequence += 1
        log(session, story, WorkflowAction.EDIT, None, ", ".join(sorted(changes)), by, "sửa một buổi")
