"""The editorial calendar: series and their exceptions through iCal, the workflow and its audit log,
assignments, gaps against a hand count, conflicts, reminders once, feeds, imports and exports."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import func, select

from conftest import run_cli
from mediaplan.calendar import stories as planning
from mediaplan.calendar.conflicts import find_conflicts
from mediaplan.calendar.gaps import compute_gaps
from mediaplan.calendar.ical import build_feed, feed_token
from mediaplan.calendar.importer import IcsError, import_ics
from mediaplan.calendar.month import month_view
from mediaplan.calendar.series import add_column, edit_series, ensure_stories, occurrences
from mediaplan.calendar.workflow import WorkflowError
from mediaplan.crawler.store import Fetched, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import Assignment, Coverage, ItemTheme, KeyDate, Story, User, WorkflowEvent
from mediaplan.nlp.pipeline import classify_items

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _talk_show(session):
    return add_column(session, "Đột phá giáo dục", "baoquangngai", "tv", "talk_show", "FREQ=WEEKLY;BYDAY=TH",
                      datetime(2026, 9, 3, 19, 30, tzinfo=TZ), ["dissemination"], "Minh Châu", 45)


def _expand(feed: Calendar, start: date, end: date) -> list[datetime]:
    return sorted(e["DTSTART"].dt.astimezone(TZ) for e in recurring_ical_events.of(feed).between(start, end))


def _shown(session, *months) -> list[datetime]:
    return sorted(c.publish_at.astimezone(TZ) for m in months for d in month_view(session, m) for c in d.coverages
                  if c.status != "cancelled" and c.story.status != "cancelled")


def test_weekly_column_with_cancelled_and_moved_slot_round_trips(db):
    with session_scope() as session:
        column = _talk_show(session)
        ensure_stories(session, date(2026, 9, 1), date(2026, 12, 1))
        slots = session.scalars(select(Story).order_by(Story.occurrence_start)).all()
        assert len(slots) == 13  # Thursdays from 3 Sep to 26 Nov 2026
        planning.set_status(session, slots[2], "cancelled", "Trưởng ban")  # 17 Sep
        planning.move(session, slots[5].coverages[0], datetime(2026, 10, 9, 19, 30), "Trưởng ban")  # 8 Oct → Friday
        column_id = column.id

    with session_scope() as session:
        shown = _shown(session, "2026-09", "2026-10", "2026-11")
        feed = Calendar.from_ical(build_feed(session).to_ical())  # validates by round-tripping
    expanded = _expand(feed, date(2026, 9, 1), date(2026, 12, 1))
    assert expanded == shown and len(shown) == 12
    assert datetime(2026, 9, 17, 19, 30, tzinfo=TZ) not in expanded
    assert datetime(2026, 10, 9, 19, 30, tzinfo=TZ) in expanded and datetime(2026, 10, 8, 19, 30, tzinfo=TZ) not in expanded
    assert all(t.hour == 19 and t.minute == 30 for t in expanded)
    uid = f"column-{column_id}@mediaplan"
    series = [c for c in feed.walk("VEVENT") if c["UID"] == uid and "RRULE" in c]
    assert len(series) == 1 and series[0].get("EXDATE") is not None
    with session_scope() as session:
        moved = session.scalar(select(Story).where(Story.occurrence_start == datetime(2026, 10, 8, 19, 30, tzinfo=TZ)))
        assert moved.status == "rescheduled"  # a moved slot says so
    override = next(c for c in feed.walk("VEVENT") if c["UID"] == uid and "RECURRENCE-ID" in c)
    assert override["RECURRENCE-ID"].dt == datetime(2026, 10, 8, 19, 30, tzinfo=TZ) and int(override["SEQUENCE"]) >= 1
    assert feed.walk("VTIMEZONE")[0]["TZID"] == "Asia/Ho_Chi_Minh"


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
        planning.assign(session, coverage, "Thanh Hải", "Trưởng ban")
        second = event()
        planning.move(session, coverage, datetime(2026, 12, 4, 9, 0), "Trưởng ban")
        third = event()
        planning.set_status(session, coverage, "cancelled", "Trưởng ban")
        fourth = event()
    assert int(first["SEQUENCE"]) < int(second["SEQUENCE"]) < int(third["SEQUENCE"]) < int(fourth["SEQUENCE"])
    assert str(second["STATUS"]) == "CONFIRMED" and str(fourth["STATUS"]) == "CANCELLED"
    assert third["DTSTART"].dt == datetime(2026, 12, 4, 9, 0, tzinfo=TZ)


def test_every_state_transition_is_in_the_audit_log(db):
    with session_scope() as session:
        story = planning.add_story(session, "Phóng sự: bữa trưa bán trú", "Lan", themes=["student_support", "ethnic_remote"],
                                   planned_on=date(2026, 12, 10), coverages=[
                                       dict(platform="tv", fmt="reportage", outlet="baoquangngai",
                                            publish_at=datetime(2026, 12, 10, 19, 30)),
                                       dict(platform="facebook", fmt="short_video", outlet="baoquangngai",
                                            publish_at=datetime(2026, 12, 11, 12, 0))])
        tv, fb = story.coverages
        planning.assign(session, tv, "Minh Châu", "Lan")
        planning.answer(session, tv, True, "Minh Châu")
        for state in ("in_progress", "in_review", "published"):
            planning.set_status(session, tv, state, "Minh Châu")
        with pytest.raises(WorkflowError, match="được phép"):
            planning.set_status(session, fb, "published", "Minh Châu")  # an idea cannot jump to published
        planning.assign(session, fb, "Mạng xã hội", "Lan")
        planning.answer(session, fb, False, "Mạng xã hội")  # declined: back to idea, unassigned
        planning.set_status(session, fb, "cancelled", "Lan")
        later = planning.add_story(session, "Tọa đàm: học phí", "Lan", planned_on=date(2026, 12, 20))
        planning.set_status(session, later, "postponed", "Lan", "chờ số liệu")
        ids = {"story": story.id, "tv": tv.id, "fb": fb.id, "later": later.id}

    with session_scope() as session:
        events = session.scalars(select(WorkflowEvent).order_by(WorkflowEvent.id)).all()
        transitions = [(e.entity, e.entity_id, e.from_value, e.to_value, e.by)
                       for e in events if e.action == "status"]
        history = session.scalars(select(Assignment).order_by(Assignment.id)).all()
        later = session.get(Story, ids["later"])
        assert later.planned_on is None and later.status == "postponed"  # postponed: back to the backlog
        assert session.get(Story, ids["story"]).status == "published"  # every live coverage is published
    assert ("coverage", ids["tv"], "idea", "assigned", "Lan") in transitions
    for before, after in (("assigned", "in_progress"), ("in_progress", "in_review"), ("in_review", "published")):
        assert ("coverage", ids["tv"], before, after, "Minh Châu") in transitions
    assert ("coverage", ids["fb"], "assigned", "idea", "Mạng xã hội") in transitions
    assert ("coverage", ids["fb"], "idea", "cancelled", "Lan") in transitions
    assert ("story", ids["later"], "idea", "postponed", "Lan") in transitions
    assert [t[3] for t in transitions if t[:2] == ("story", ids["story"])][-1] == "published"  # followed its coverages
    assert [(a.assignee, a.assigned_by, a.accepted) for a in history] == [("Minh Châu", "Lan", True), ("Mạng xã hội", "Lan", False)]
    # Nothing changed state without a log row: each coverage's current state is the last one logged.
    with session_scope() as session:
        for c in session.scalars(select(Coverage)):
            last = [t for t in transitions if t[0] == "coverage" and t[1] == c.id][-1]
            assert last[3] == c.status


def test_edit_one_occurrence_the_following_ones_or_all(sqlite_db):
    with session_scope() as session:
        column = _talk_show(session)
        ensure_stories(session, date(2026, 9, 1), date(2026, 10, 31))
        edit_series(session, column, datetime(2026, 9, 10, 19, 30), "one", "Lan", name="Đột phá giáo dục: số đặc biệt")
        edit_series(session, column, None, "all", "Lan", assignee="Thanh Hải")
        new = edit_series(session, column, datetime(2026, 10, 1, 19, 30), "future", "Lan", time="20:00")
        ensure_stories(session, date(2026, 9, 1), date(2026, 10, 31))
        rows = session.scalars(select(Story).order_by(Story.occurrence_start)).all()
        by_day = {s.occurrence_start.astimezone(TZ).date(): s for s in rows}
        assert by_day[date(2026, 9, 10)].title == "Đột phá giáo dục: số đặc biệt"
        assert by_day[date(2026, 9, 17)].coverages[0].assignee == "Thanh Hải"
        assert [s.occurrence_start.astimezone(TZ).strftime("%d/%m %H:%M") for s in rows if s.column_id == new.id] == \
            ["01/10 20:00", "08/10 20:00", "15/10 20:00", "22/10 20:00", "29/10 20:00"]
        assert all(s.occurrence_start < datetime(2026, 10, 1, tzinfo=TZ) for s in rows if s.column_id == column.id)
        feed = Calendar.from_ical(build_feed(session).to_ical())
        shown = _shown(session, "2026-09", "2026-10")
    assert _expand(feed, date(2026, 9, 1), date(2026, 10, 31)) == shown


def _item(session, url, title, day, fmt_hint="", outlet_source="baoquangngai-rss", body=""):
    upsert_item(session, Fetched(source_key=outlet_source, kind="article", url=url, canonical_url=url,
                                 title=title, sapo=title, body=body or title + ". " + fmt_hint,
                                 published_at=datetime(2026, 11, day, 1, 0, tzinfo=timezone.utc)))


def test_gaps_agree_with_a_hand_count(db):
    with session_scope() as session:
        _item(session, "https://baoquangngai.vn/giao-duc/a1.htm", "Quán triệt Nghị quyết 71 về đột phá giáo dục đến cán bộ, giáo viên", 3)
        _item(session, "https://baoquangngai.vn/giao-duc/a2.htm", "Triển khai kế hoạch thực hiện Nghị quyết 71 của tỉnh trong ngành giáo dục", 9)
        _item(session, "https://baoquangngai.vn/giao-duc/a3.htm", "Tuyển dụng giáo viên: thiếu giáo viên mầm non ở vùng cao", 12)
        _item(session, "https://baoquangngai.vn/kinh-te/a4.htm", "Giá lúa tăng, nông dân phấn khởi", 14)
        classify_items(session)
        # Hand count of the classifier's output, read directly: which items carry which theme.
        themes = {(t.item.url, t.theme_code) for t in session.scalars(select(ItemTheme))}
        assert ("https://baoquangngai.vn/giao-duc/a1.htm", "dissemination") in themes
        assert ("https://baoquangngai.vn/giao-duc/a2.htm", "dissemination") in themes
        assert ("https://baoquangngai.vn/giao-duc/a3.htm", "teachers") in themes
        story = planning.add_story(session, "Quán triệt Nghị quyết 71 về đột phá giáo dục", "Lan", themes=["dissemination"],
                                   coverages=[dict(platform="online", fmt="news", outlet="baoquangngai",
                                                   publish_at=datetime(2026, 11, 3, 8, 0))])
        planning.add_story(session, "Tọa đàm: đổi mới giáo dục", "Lan", themes=["press_products"], coverages=[
            dict(platform="tv", fmt="talk_show", outlet="baoquangngai", publish_at=datetime(2026, 11, 26, 20, 0))])
        planning.add_story(session, "Bị hủy", "Lan", themes=["dissemination"], coverages=[
            dict(platform="online", fmt="news", outlet="baoquangngai", publish_at=datetime(2026, 11, 20, 8, 0))])
        cancelled = session.scalar(select(Story).where(Story.title == "Bị hủy"))
        planning.set_status(session, cancelled, "cancelled", "Lan")
        from mediaplan.calendar.linking import confirm
        item_a1 = next(t.item for t in session.scalars(select(ItemTheme)) if t.item.url.endswith("a1.htm"))
        confirm(session, story.coverages[0], item_a1.id, "Lan")
        g = compute_gaps(session, "2026-11", today=date(2026, 11, 27))

    rows = {(r["theme"], r["platform"], r["format"]): r for r in g["rows"]}
    # By hand, from the labels read above: which November items carry the theme, and which one was linked.
    def hand(theme):
        items = {url for url, code in themes if code == theme}
        return len(items), len(items - {"https://baoquangngai.vn/giao-duc/a1.htm"})
    # dissemination: target 4 (plan data); planned 1 (the cancelled story does not count); delivered a1 and a2,
    # of which a2 was not planned.
    d = rows[("dissemination", None, None)]
    assert (d["target"], d["planned"], d["delivered"], d["unplanned"]) == (4, 1, *hand("dissemination")) == (4, 1, 2, 1)
    # the TV talk show: target 1, planned 1, delivered 0 (nothing was broadcast).
    t = rows[("press_products", "tv", "talk_show")]
    assert (t["target"], t["planned"], t["delivered"]) == (1, 1, 0)
    # teachers: target 2, nothing planned; delivered as counted by hand (a3 at least, unplanned).
    te = rows[("teachers", None, None)]
    assert (te["target"], te["planned"], te["delivered"], te["unplanned"]) == (2, 0, *hand("teachers"))
    assert te["unplanned"] >= 1
    # a theme without a target: shown with no target, counted the same way.
    assert rows[("preschool", None, None)]["target"] is None
    assert rows[("preschool", None, None)]["delivered"] == hand("preschool")[0]
    under = {f["theme"] for f in g["flags"] if f["kind"] == "under_target"}
    assert {"dissemination", "press_products"} <= under  # 2/4 and 0/1
    assert ("teachers" in under) == (te["delivered"] < 2)
    assert any(f["kind"] == "nothing_planned" and f["theme"] == "teachers" for f in g["flags"])
    assert any("chưa có tin, bài nào" in s for s in g["suggestions"])


def test_conflicts_double_booking_overload_and_empty_key_date(sqlite_db):
    with session_scope() as session:
        session.add(User(username="minhchau", email="mc@bao.example", role="editor", capacity_per_week=2))
        for n, (title, hour) in enumerate((("Tọa đàm A", 20), ("Tọa đàm B", 20))):
            planning.add_story(session, title, "Lan", coverages=[dict(platform="tv", fmt="talk_show", outlet="baoquangngai",
                                                                      publish_at=datetime(2026, 12, 3, hour, 30 * n),
                                                                      assignee="minhchau")])
        planning.add_story(session, "Bài C", "Lan", coverages=[dict(platform="online", fmt="article", outlet="baoquangngai",
                                                                   publish_at=datetime(2026, 12, 4, 9, 0), assignee="minhchau")])
        session.add(KeyDate(key="exam-day", name="Kỳ thi học sinh giỏi tỉnh", on=date(2026, 12, 15), themes=["exams_admissions"]))
        session.flush()
        found = find_conflicts(session, date(2026, 12, 1), date(2026, 12, 31))
    kinds = {c["kind"] for c in found}
    assert {"double_booked", "overloaded", "key_date_empty"} <= kinds
    double = next(c for c in found if c["kind"] == "double_booked")
    assert "20:30" in double["message"]
    assert next(c for c in found if c["kind"] == "overloaded")["assignee"] == "minhchau"
    assert any(c.get("key_date") == "exam-day" for c in found)


def test_ical_feeds_per_user_with_tokens_and_due_dates(sqlite_db):
    with session_scope() as session:
        planning.add_story(session, "Bài của Hải", "Lan", coverages=[dict(platform="online", fmt="article", outlet="baoquangngai",
                                                                       publish_at=datetime(2026, 12, 3, 9, 0), assignee="Hải")])
        planning.add_story(session, "Bài của Châu", "Lan", coverages=[dict(platform="online", fmt="article", outlet="baoquangngai",
                                                                         publish_at=datetime(2026, 12, 4, 9, 0), assignee="Châu")])
        mine = Calendar.from_ical(build_feed(session, "user", "Hải", include_due=True).to_ical())
        first = feed_token(session, "user", "Hải")
        assert feed_token(session, "user", "Hải") == first  # stable until regenerated
        second = feed_token(session, "user", "Hải", regenerate=True)
    summaries = sorted(str(e["SUMMARY"]) for e in mine.walk("VEVENT"))
    assert summaries == ["Bài của Hải", "Hạn nộp: Bài của Hải"]
    assert second != first


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
    assert first["added"] == 4 and first["skipped"] == 1 and "thiếu" in first["problems"][0]
    assert again["added"] == 0 and again["updated"] == 0
    assert [(r.on.isoformat(), r.name) for r in rows] == [
        ("2026-12-07", "Giao ban ngành"), ("2026-12-14", "Giao ban ngành"),
        ("2026-12-15", "Kỳ thi chọn học sinh giỏi tỉnh"), ("2026-12-21", "Giao ban ngành")]


def test_reminders_are_sent_once_even_across_a_scheduler_restart(db, mail_sink, monkeypatch):
    from mediaplan.scheduler import build_scheduler, configure
    from mediaplan.settings import get_settings

    monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(mail_sink.port))
    get_settings.cache_clear()
    now = datetime.now(TZ)
    with session_scope() as session:
        session.add(User(username="hai", email="hai@bao.example", role="editor"))
        planning.add_story(session, "Sắp đến hạn", "Lan", coverages=[dict(
            platform="online", fmt="article", outlet="baoquangngai", publish_at=now + timedelta(days=2), due_at=now + timedelta(days=1),
            assignee="hai")])
        planning.add_story(session, "Quá hạn", "Lan", coverages=[dict(
            platform="online", fmt="news", outlet="baoquangngai", publish_at=now + timedelta(hours=5), due_at=now - timedelta(hours=3),
            assignee="hai")])
        planning.add_story(session, "Còn xa", "Lan", coverages=[dict(
            platform="online", fmt="news", outlet="baoquangngai", publish_at=now + timedelta(days=30), assignee="hai")])

    for _ in range(2):  # the scheduler starts, runs the daily job, stops; then again, as after a restart
        scheduler = build_scheduler(blocking=False)
        configure(scheduler)
        scheduler.start(paused=True)
        job = scheduler.get_job("remind:daily")
        job.func(*job.args)
        scheduler.shutdown(wait=False)

    assert len(mail_sink.messages) == 1
    mail = mail_sink.messages[0]
    assert mail["to"] == ["hai@bao.example"]
    text = mail["message"].get_body(preferencelist=("plain",)).get_content()
    assert "Sắp đến hạn" in text and "Quá hạn" in text and "Còn xa" not in text
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(WorkflowEvent)) > 0
    # A moved deadline is a new reminder.
    with session_scope() as session:
        c = session.scalar(select(Coverage).join(Story).where(Story.title == "Sắp đến hạn"))
        planning.move(session, c, now + timedelta(days=2, hours=3), "Lan")
    from mediaplan.calendar.reminders import send_reminders
    with session_scope() as session:
        result = send_reminders(session, "daily")
    assert result["sent"] == 1 and result["reminders"] == 1 and len(mail_sink.messages) == 2


def test_weekly_digest_goes_to_the_desk_with_unassigned_slots(sqlite_db, mail_sink, monkeypatch):
    from mediaplan.calendar.reminders import send_reminders
    from mediaplan.settings import get_settings

    monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(mail_sink.port))
    monkeypatch.setenv("MEDIAPLAN_DESK_EMAILS", "Thời sự=thoisu@bao.example")
    get_settings.cache_clear()
    now = datetime.now(TZ)
    with session_scope() as session:
        planning.add_story(session, "Chưa ai nhận", "Lan", desk="Thời sự", coverages=[dict(
            platform="tv", fmt="news", outlet="baoquangngai", publish_at=now + timedelta(days=3))])
        planning.add_story(session, "Ban khác, không có địa chỉ", "Lan", desk="Văn hóa", coverages=[dict(
            platform="online", fmt="news", outlet="baoquangngai", publish_at=now + timedelta(days=3))])
        first = send_reminders(session, "weekly")
        second = send_reminders(session, "weekly")
    assert first["sent"] == 1 and second["sent"] == 0 and second["skipped"] == 1
    assert any("Văn hóa" in p for p in first["problems"])  # no address: said, not silently dropped
    (mail,) = mail_sink.messages
    assert mail["to"] == ["thoisu@bao.example"]
    assert "chưa có người nhận" in mail["message"].get_body(preferencelist=("plain",)).get_content()


def test_occurrences_are_local_time(sqlite_db):
    with session_scope() as session:
        column = add_column(session, "Tin sáng", "baoquangngai", "radio", "news", "FREQ=DAILY;COUNT=3",
                            datetime(2026, 11, 1, 6, 0), [])
        slots = occurrences(column, date(2026, 11, 1), date(2026, 11, 30))
    assert [s.isoformat() for s in slots] == ["2026-11-01T06:00:00+07:00", "2026-11-02T06:00:00+07:00", "2026-11-03T06:00:00+07:00"]
    assert column.dtstart.tzinfo is not None and column.dtstart.astimezone(timezone.utc).hour == 23


def test_cli_plans_assigns_moves_and_exports(sqlite_db, tmp_path):
    env = {"MEDIAPLAN_DATABASE_URL": sqlite_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var"), "MEDIAPLAN_USER": "Lan"}
    run_cli("calendar", "add-column", "Hỏi – đáp Nghị quyết 71", "--outlet", "baoquangngai", "--platform", "online",
            "--format", "qa", "--weekly", "MO", "--at", "08:00", "--dtstart", "2026-11-02T07:00", "--theme", "dissemination", env=env)
    made = run_cli("calendar", "add-story", "Phóng sự: điểm trường Tu Rét", "--on", "2026-11-18T19:30", "--platform", "tv",
                   "--format", "reportage", "--platform", "facebook", "--format", "short_video", "--theme", "ethnic_remote", env=env)
    ids = [int(x) for x in made.stdout.split("phần thực hiện:")[1].replace("#", "").replace(",", " ").split()]
    assert len(ids) == 2
    run_cli("calendar", "assign", str(ids[0]), "--to", "Minh Châu", env=env)
    run_cli("calendar", "move", str(ids[0]), "--to", "2026-11-19T20:00", env=env)
    run_cli("calendar", "status", str(ids[0]), "in_progress", env=env)
    bad = run_cli("calendar", "status", str(ids[1]), "published", env=env, check=False)
    assert bad.returncode == 1 and "được phép" in bad.stderr
    listing = run_cli("calendar", "list", "--month", "2026-11", env=env).stdout
    assert listing.count("Hỏi – đáp Nghị quyết 71") == 5  # Mondays 2, 9, 16, 23, 30 Nov
    assert "Ngày Nhà giáo Việt Nam" in listing and "Minh Châu" in listing and "19/11" in listing
    log = run_cli("calendar", "log", env=env).stdout
    assert "in_progress" in log and "Lan" in log
    run_cli("calendar", "ical", "--user", "Minh Châu", "--out", str(tmp_path / "chau.ics"), env=env)
    cal = Calendar.from_ical((tmp_path / "chau.ics").read_bytes())
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Phóng sự: điểm trường Tu Rét"]
    run_cli("calendar", "export", "--month", "2026-11", "--out", str(tmp_path / "plan.xlsx"), env=env)
    sheet = load_workbook(tmp_path / "plan.xlsx").active
    assert sheet["A1"].value == "Ngày đăng" and sheet.max_row == 1 + 5 + 2
    run_cli("calendar", "export", "--month", "2026-11", "--out", str(tmp_path / "plan.csv"), env=env)
    assert (tmp_path / "plan.csv").read_text(encoding="utf-8-sig").count("\n") == 1 + 5 + 2
    gaps = run_cli("calendar", "gaps", "--month", "2026-11", env=env).stdout
    assert "Tuyên truyền" in gaps or "dissemination" in gaps
    url = run_cli("calendar", "feed-url", "--desk", "Thời sự", env=env).stdout.strip()
    assert "/ical/" in url and url.endswith(".ics")
    bad_rrule = run_cli("calendar", "add-column", "X", "--outlet", "baoquangngai", "--platform", "online", "--format", "qa",
                        "--rrule", "FREQ=SOMETIMES", "--dtstart", "2026-11-02T08:00", env=env, check=False)
    assert bad_rrule.returncode == 1 and "RRULE" in bad_rrule.stderr
    run_cli("calendar", "edit-column", "Hỏi – đáp Nghị quyết 71", "--scope", "one", "--occurrence", "2026-11-16T08:00",
            "--name", "Hỏi – đáp số đặc biệt", env=env)
    assert "Hỏi – đáp số đặc biệt" in run_cli("calendar", "list", "--month", "2026-11", env=env).stdout
    bad_scope = run_cli("calendar", "edit-column", "Hỏi – đáp Nghị quyết 71", "--scope", "some", "--name", "X", env=env, check=False)
    assert bad_scope.returncode == 1 and "one, future" in bad_scope.stderr
    bad_date = run_cli("calendar", "move", str(ids[0]), "--to", "32/13/2026", env=env, check=False)
    assert bad_date.returncode == 1 and "2026-11-20T19:30" in bad_date.stderr
