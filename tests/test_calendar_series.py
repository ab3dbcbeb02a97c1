"""Recurring columns: their slots, made as an editor would make them, and edits of one, the following or all."""

from datetime import date, timezone

from calendar_helpers import at, expand, person, shown, talk_show
from icalendar import Calendar
from sqlalchemy import select

from mediaplan.calendar import stories as planning
from mediaplan.calendar.ical import build_feed
from mediaplan.calendar.series import add_column, edit_series, ensure_stories, occurrences
from mediaplan.calendar.workflow import SYSTEM
from mediaplan.db import session_scope
from mediaplan.db.schema import Assignment, Story, WorkflowEvent
from mediaplan.localtime import to_local


def test_weekly_column_with_cancelled_and_moved_slot_round_trips(db):
    with session_scope() as session:
        column = talk_show(session)
        ensure_stories(session, date(2026, 9, 1), date(2026, 12, 1))
        slots = session.scalars(select(Story).order_by(Story.occurrence_start)).all()
        assert len(slots) == 13  # Thursdays from 3 Sep to 26 Nov 2026
        planning.set_status(session, slots[2], "cancelled", "Trưởng ban")  # 17 Sep
        planning.move(session, slots[5].coverages[0], at(2026, 10, 9, 19, 30), "Trưởng ban")  # 8 Oct → Friday
        column_id = column.id

    with session_scope() as session:
        on_views = shown(session, "2026-09", "2026-10", "2026-11")
        feed = Calendar.from_ical(build_feed(session).to_ical())  # validates by round-tripping
    expanded = expand(feed, date(2026, 9, 1), date(2026, 12, 1))
    assert expanded == on_views and len(on_views) == 12
    assert at(2026, 9, 17, 19, 30) not in expanded
    assert at(2026, 10, 9, 19, 30) in expanded and at(2026, 10, 8, 19, 30) not in expanded
    assert all(t.hour == 19 and t.minute == 30 for t in expanded)
    uid = f"column-{column_id}@mediaplan"
    series = [c for c in feed.walk("VEVENT") if c["UID"] == uid and "RRULE" in c]
    assert len(series) == 1 and series[0].get("EXDATE") is not None
    # Only the two slots an editor touched differ from the series; the others are the RRULE's own.
    overrides = [c for c in feed.walk("VEVENT") if c["UID"] == uid and "RECURRENCE-ID" in c]
    assert [o["RECURRENCE-ID"].dt for o in overrides] == [at(2026, 10, 8, 19, 30)] and int(overrides[0]["SEQUENCE"]) >= 1
    with session_scope() as session:
        moved = session.scalar(select(Story).where(Story.occurrence_start == at(2026, 10, 8, 19, 30)))
        assert moved.status == "rescheduled"  # a moved slot says so
    assert feed.walk("VTIMEZONE")[0]["TZID"] == "Asia/Ho_Chi_Minh"


def test_a_column_with_an_assignee_materialises_slots_as_an_editor_would(db):
    with session_scope() as session:
        column = talk_show(session)
        assert ensure_stories(session, date(2026, 9, 1), date(2026, 10, 1)) == 4  # 3, 10, 17, 24 Sep
        assert ensure_stories(session, date(2026, 9, 1), date(2026, 10, 1)) == 0  # idempotent
        column_id = column.id
    with session_scope() as session:
        stories = session.scalars(select(Story).order_by(Story.occurrence_start)).all()
        events = session.scalars(select(WorkflowEvent).order_by(WorkflowEvent.id)).all()
        assert [e.action for e in events if e.entity == "column"] == ["create"]
        for story in stories:
            (coverage,) = story.coverages
            assert (story.status, coverage.status, coverage.assignee) == ("assigned", "assigned", "minhchau")
            rows = session.scalars(select(Assignment).where(Assignment.coverage_id == coverage.id)).all()
            assert [(a.assignee, a.assigned_by) for a in rows] == [("minhchau", SYSTEM)]
            assert [(e.action, e.from_value, e.to_value, e.by) for e in events
                    if e.entity == "coverage" and e.entity_id == coverage.id] == [
                ("create", None, "idea", SYSTEM), ("assign", None, "minhchau", SYSTEM),
                ("status", "idea", "assigned", SYSTEM)]
            assert [(e.action, e.from_value, e.to_value, e.by) for e in events
                    if e.entity == "story" and e.entity_id == story.id] == [
                ("create", None, "idea", SYSTEM), ("status", "idea", "assigned", SYSTEM)]
            assert (story.column_id, story.planned_on) == (column_id, to_local(story.occurrence_start).date())
            assert coverage.publish_at == story.occurrence_start and coverage.duration_minutes == 45
            assert (coverage.platform, coverage.format, story.themes) == ("tv", "talk_show", ["dissemination"])
        # Untouched slots are the series itself in the feed: no overrides for them.
        feed = Calendar.from_ical(build_feed(session).to_ical())
    assert [c for c in feed.walk("VEVENT") if "RECURRENCE-ID" in c] == []


def test_edit_one_occurrence_the_following_ones_or_all(sqlite_db):
    with session_scope() as session:
        column = talk_show(session)
        ensure_stories(session, date(2026, 9, 1), date(2026, 10, 31))
        edit_series(session, column, at(2026, 9, 10, 19, 30), "one", "Lan", name="Đột phá giáo dục: số đặc biệt")
        edit_series(session, column, None, "all", "Lan", assignee=person(session, "thanhhai", "Thanh Hải"))
        new = edit_series(session, column, at(2026, 10, 1, 19, 30), "future", "Lan", time="20:00")
        ensure_stories(session, date(2026, 9, 1), date(2026, 10, 31))
        rows = session.scalars(select(Story).order_by(Story.occurrence_start)).all()
        by_day = {to_local(s.occurrence_start).date(): s for s in rows}
        assert by_day[date(2026, 9, 10)].title == "Đột phá giáo dục: số đặc biệt"
        assert by_day[date(2026, 9, 17)].coverages[0].assignee == "thanhhai"
        assert [to_local(s.occurrence_start).strftime("%d/%m %H:%M") for s in rows if s.column_id == new.id] == \
            ["01/10 20:00", "08/10 20:00", "15/10 20:00", "22/10 20:00", "29/10 20:00"]
        assert all(s.occurrence_start < at(2026, 10, 1) for s in rows if s.column_id == column.id)
        feed = Calendar.from_ical(build_feed(session).to_ical())
        on_views = shown(session, "2026-09", "2026-10")
    assert expand(feed, date(2026, 9, 1), date(2026, 10, 31)) == on_views


def test_occurrences_are_local_time(sqlite_db):
    with session_scope() as session:
        column = add_column(session, "Tin sáng", "baoquangngai", "radio", "news", "FREQ=DAILY;COUNT=3",
                            at(2026, 11, 1, 6, 0).replace(tzinfo=None), [])
        slots = occurrences(column, date(2026, 11, 1), date(2026, 11, 30))
    assert [s.isoformat() for s in slots] == ["2026-11-01T06:00:00+07:00", "2026-11-02T06:00:00+07:00", "2026-11-03T06:00:00+07:00"]
    assert column.dtstart.astimezone(timezone.utc).hour == 23  # a naive start is local time, stored as UTC
