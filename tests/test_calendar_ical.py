"""iCal: feeds whose SEQUENCE grows on every change, per-user feeds with tokens, and importing outside calendars."""

from datetime import date, datetime, timedelta

import pytest
from calendar_helpers import at, person
from icalendar import Calendar
from sqlalchemy import select

from mediaplan.calendar import stories as planning
from mediaplan.calendar.ical import FeedError, build_feed, feed_token, scope_of
from mediaplan.calendar.importer import IcsError, import_ics
from mediaplan.db import session_scope
from mediaplan.db.schema import FeedToken, KeyDate, utcnow


def test_sequence_grows_on_every_change_and_uids_stay(sqlite_db):
    with session_scope() as session:
        story = planning.add_story(session, "Infographic: học phí năm học mới", "Hà", themes=["student_support"],
                                   coverages=[dict(platform="online", fmt="infographic", outlet="baoquangngai",
                                                   publish_at=datetime(2026, 12, 3, 9, 0))])
        coverage = story.coverages[0]

        def event():
            return next(e for e in Calendar.from_ical(build_feed(session).to_ical()).walk("VEVENT")
                        if e["UID"] == f"coverage-{coverage.id}@mediaplan")
        first = event()
        assert str(first["STATUS"]) == "TENTATIVE"
        planning.assign(session, coverage, person(session, "thanhhai", "Thanh Hải"), "Trưởng ban")
        second = event()
        planning.move(session, coverage, datetime(2026, 12, 4, 9, 0), "Trưởng ban")
        third = event()
        planning.set_status(session, coverage, "cancelled", "Trưởng ban")
        fourth = event()
    assert int(first["SEQUENCE"]) < int(second["SEQUENCE"]) < int(third["SEQUENCE"]) < int(fourth["SEQUENCE"])
    assert str(second["STATUS"]) == "CONFIRMED" and str(fourth["STATUS"]) == "CANCELLED"
    assert third["DTSTART"].dt == at(2026, 12, 4, 9, 0)


def test_ical_feeds_per_user_with_tokens_and_due_dates(sqlite_db):
    with session_scope() as session:
        person(session, "Hải")
        person(session, "Châu")
        planning.add_story(session, "Bài của Hải", "Lan", coverages=[dict(platform="online", fmt="article", outlet="baoquangngai",
                                                                       publish_at=datetime(2026, 12, 3, 9, 0), assignee="Hải")])
        planning.add_story(session, "Bài của Châu", "Lan", coverages=[dict(platform="online", fmt="article", outlet="baoquangngai",
                                                                         publish_at=datetime(2026, 12, 4, 9, 0), assignee="Châu")])
        mine = Calendar.from_ical(build_feed(session, "user", "Hải", include_due=True).to_ical())
        first = feed_token(session, "user", "Hải")
        assert scope_of(session, first) == ("user", "Hải")
        assert feed_token(session, "user", "Hải") is None  # shown once: only its hash is kept
        stored = session.scalar(select(FeedToken.token).where(FeedToken.scope == "user", FeedToken.key == "Hải"))
        assert stored != first and len(stored) == 64
        second = feed_token(session, "user", "Hải", regenerate=True)
        assert scope_of(session, second) == ("user", "Hải") and scope_of(session, first) is None
        shared = feed_token(session, "user", "Hải", purpose="share", days=1)  # its own token, for its own page
        assert scope_of(session, shared) is None and scope_of(session, shared, "share") == ("user", "Hải")
        assert scope_of(session, second, "share") is None
        row = session.scalar(select(FeedToken).where(FeedToken.purpose == "share"))
        row.expires_at = utcnow() - timedelta(seconds=1)
        assert scope_of(session, shared, "share") is None  # expired
        with pytest.raises(FeedError, match="all, user, desk, outlet, theme"):
            build_feed(session, "everyone")
    summaries = sorted(str(e["SUMMARY"]) for e in mine.walk("VEVENT"))
    assert summaries == ["Bài của Hải", "Hạn nộp: Bài của Hải"]


def test_import_ics_into_key_dates_is_idempotent_and_survives_a_bad_event(sqlite_db):
    ics = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//So GD&DT//VI\r
BEGIN:VEVENT\r
UID:exam-2026@sgddt\r
DTSTART;VALUE=DATE:20261215\r
SUMMARY:K\xe1\xbb\xb3 thi ch\xe1\xbb\x8dn h\xe1\xbb\x8dc sinh gi\xe1\xbb\x8fi t\xe1\xbb\x89nh\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:giao-ban@sgddt\r
DTSTART;TZID=Asia/Ho_Chi_Minh:20261207T080000\r
RRULE:FREQ=WEEKLY;COUNT=3\r
SUMMARY:Giao ban ng\xc3\xa0nh\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:broken@sgddt\r
SUMMARY:Kh\xc3\xb4ng c\xc3\xb3 ng\xc3\xa0y\r
END:VEVENT\r
END:VCALENDAR\r
"""
    with session_scope() as session:
        first = import_ics(session, ics, today=date(2026, 11, 27))
        again = import_ics(session, ics, today=date(2026, 11, 27))
        rows = session.scalars(select(KeyDate).where(KeyDate.source == "ics").order_by(KeyDate.on)).all()
        with pytest.raises(IcsError):
            import_ics(session, b"this is not a calendar")
        notes = {r.note for r in rows if r.name == "Giao ban ngành"}
    assert first["added"] == 4 and first["skipped"] == 1 and "thiếu" in first["problems"][0]
    assert again["added"] == 0 and again["updated"] == 0
    assert [(r.on.isoformat(), r.name) for r in rows] == [
        ("2026-12-07", "Giao ban ngành"), ("2026-12-14", "Giao ban ngành"),
        ("2026-12-15", "Kỳ thi chọn học sinh giỏi tỉnh"), ("2026-12-21", "Giao ban ngành")]
    assert notes == {"08:00"}  # the meeting's local time
