"""The editorial calendar: a weekly column round-trips through iCal and recurring-ical-events."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select

from conftest import run_cli
from mediaplan.calendar.ical import build_feed
from mediaplan.calendar.month import month_view
from mediaplan.calendar.series import add_column, ensure_pieces, occurrences
from mediaplan.db import session_scope
from mediaplan.db.schema import PlannedPiece

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_weekly_column_with_cancelled_and_moved_slot_round_trips(db):
    with session_scope() as session:
        column = add_column(session, "Đột phá giáo dục", "baoquangngai", "tv", "talk_show", "FREQ=WEEKLY;BYDAY=TH",
                            datetime(2026, 9, 3, 19, 30, tzinfo=TZ), ["dissemination"], "Minh Châu", 45)
        ensure_pieces(session, date(2026, 9, 1), date(2026, 12, 1))
        pieces = session.scalars(select(PlannedPiece).order_by(PlannedPiece.occurrence_start)).all()
        assert len(pieces) == 13  # Thursdays from 3 Sep to 26 Nov 2026
        pieces[2].status = "cancelled"  # 17 Sep
        pieces[5].publish_at = pieces[5].occurrence_start + timedelta(days=1)  # 8 Oct moved to Friday
        pieces[5].sequence += 1
        column_id = column.id

    with session_scope() as session:
        shown = sorted(p.publish_at.astimezone(TZ) for d in
                       [*month_view(session, "2026-09"), *month_view(session, "2026-10"), *month_view(session, "2026-11")]
                       for p in d.pieces if p.status != "cancelled")
        feed = Calendar.from_ical(build_feed(session).to_ical())  # validates by round-tripping
    expanded = sorted(e["DTSTART"].dt.astimezone(TZ) for e in recurring_ical_events.of(feed).between(date(2026, 9, 1), date(2026, 12, 1)))
    assert expanded == shown
    assert len(shown) == 12
    assert datetime(2026, 9, 17, 19, 30, tzinfo=TZ) not in expanded
    assert datetime(2026, 10, 9, 19, 30, tzinfo=TZ) in expanded and datetime(2026, 10, 8, 19, 30, tzinfo=TZ) not in expanded
    assert all(t.hour == 19 and t.minute == 30 for t in expanded)
    series = [c for c in feed.walk("VEVENT") if c["UID"] == f"column-{column_id}@mediaplan" and "RRULE" in c]
    assert len(series) == 1 and series[0].get("EXDATE") is not None
    assert feed.walk("VTIMEZONE")[0]["TZID"] == "Asia/Ho_Chi_Minh"


def test_cli_add_column_list_and_ical(sqlite_db, tmp_path):
    env = {"MEDIAPLAN_DATABASE_URL": sqlite_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    run_cli("calendar", "add-column", "Hỏi – đáp Nghị quyết 71", "--outlet", "baoquangngai", "--platform", "online",
            "--format", "qa", "--weekly", "MO", "--dtstart", "2026-11-02T08:00", "--theme", "dissemination", env=env)
    listing = run_cli("calendar", "list", "--month", "2026-11", env=env)
    assert listing.stdout.count("Hỏi – đáp Nghị quyết 71") == 5  # Mondays 2, 9, 16, 23, 30 Nov
    assert "Ngày Nhà giáo Việt Nam" in listing.stdout  # key date shown
    run_cli("calendar", "ical", "--out", str(tmp_path / "lich.ics"), env=env)
    cal = Calendar.from_ical((tmp_path / "lich.ics").read_bytes())
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Hỏi – đáp Nghị quyết 71"]
    bad = run_cli("calendar", "add-column", "X", "--outlet", "baoquangngai", "--platform", "online", "--format", "qa",
                  "--rrule", "FREQ=SOMETIMES", "--dtstart", "2026-11-02T08:00", env=env, check=False)
    assert bad.returncode == 1 and "RRULE" in bad.stderr


def test_occurrences_are_local_time(sqlite_db):
    with session_scope() as session:
        column = add_column(session, "Tin sáng", "baoquangngai", "radio", "news", "FREQ=DAILY;COUNT=3",
                            datetime(2026, 11, 1, 6, 0), [])
        slots = occurrences(column, date(2026, 11, 1), date(2026, 11, 30))
    assert [s.isoformat() for s in slots] == ["2026-11-01T06:00:00+07:00", "2026-11-02T06:00:00+07:00", "2026-11-03T06:00:00+07:00"]
    assert column.dtstart.tzinfo is not None and column.dtstart.astimezone(timezone.utc).hour == 23
