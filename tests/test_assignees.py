"""Assignees are users: migration 0010 turns the free-text names into users (and the foreign key holds), every
writer refuses a name that is not an enabled user, the calendar's filter lists users, and a deadline reminder
goes to the assignee's e-mail (users.email) through a real SMTP conversation."""

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from accounts import signed_in
from calendar_helpers import at, person
from mediaplan.calendar import stories as planning
from mediaplan.calendar.series import CalendarError, add_column, edit_series
from mediaplan.db import downgrade, get_engine, migrate, session_scope
from mediaplan.db.schema import Assignment, Column, Coverage, FeedToken, Outlet, Story, User
from mediaplan.localtime import local_now


def _assignee_keys(table: str) -> list[dict]:
    with get_engine().connect() as conn:
        return [fk for fk in inspect(conn).get_foreign_keys(table) if fk["referred_table"] == "users"]


def test_migration_makes_users_of_free_text_assignees_and_the_foreign_key_holds(db, caplog):
    downgrade("0009")  # the schema as it was, with names typed in free text
    assert _assignee_keys("coverages") == []
    with session_scope() as session:
        outlet_id = session.scalar(select(Outlet.id).where(Outlet.key == "baoquangngai"))  # columns of 0009 only
        session.add(User(username="Châu", full_name="Minh Châu", role="editor", email="chau@toasoan.example.org"))
        session.add(User(username="lan", full_name="Lan", role="editor", email="lan@toasoan.example.org"))
        session.add(Column(name="Đột phá giáo dục", outlet_id=outlet_id, platform="online", format="article",
                           themes=[], assignee="Thanh Hải", rrule="FREQ=WEEKLY;BYDAY=TH", dtstart=at(2026, 9, 3, 7)))
        story = Story(title="Tọa đàm", themes=[])
        names = ["Thanh Hải", "Châu", " Châu ", "Thanh Hai", "Lan@Toasoan.example.org", "hai@bao.example", "Đồ họa", ""]
        for name in names:
            story.coverages.append(Coverage(platform="tv", format="talk_show", assignee=name))
        session.add(story)
        session.flush()
        for coverage in story.coverages:
            session.add(Assignment(coverage_id=coverage.id, assignee=coverage.assignee, assigned_by="Trưởng ban"))
        session.add(FeedToken(purpose="ical", scope="user", key="Thanh Hải", token="a" * 64))
        ids = [c.id for c in story.coverages]

    caplog.set_level(logging.INFO, logger="mediaplan.db.migrations")
    migrate()
    assert "8 assignee name(s) found, 4 disabled user(s) created" in caplog.text
    with session_scope() as session:
        made = {u.username: u for u in session.scalars(select(User).where(User.disabled.is_(True)))}
        assert sorted(made) == ["do.hoa", "hai", "thanh.hai", "thanh.hai.2"]
        assert all(u.password_hash is None and u.role == "editor" for u in made.values())  # nobody signs in as them
        assert (made["thanh.hai"].full_name, made["thanh.hai.2"].full_name) == ("Thanh Hai", "Thanh Hải")  # two people
        assert (made["hai"].email, made["hai"].full_name) == ("hai@bao.example", "")  # an address keeps reaching them
        assert [session.get(Coverage, i).assignee for i in ids] == [
            "thanh.hai.2", "Châu", "Châu", "thanh.hai", "lan", "hai", "do.hoa", None]
        assert session.scalar(select(Column.assignee)) == "thanh.hai.2"
        assert sorted(session.scalars(select(Assignment.assignee))) == sorted(
            ["thanh.hai.2", "Châu", "Châu", "thanh.hai", "lan", "hai", "do.hoa"])  # the empty one named nobody
        assert session.scalar(select(FeedToken.key)) == "thanh.hai.2"  # the person's feed URL keeps working
        assert not session.scalar(select(User).where(User.username == "Châu")).disabled  # an existing user stays
    for table in ("columns", "coverages", "assignments"):
        (fk,) = _assignee_keys(table)
        assert (fk["name"], fk["constrained_columns"], fk["referred_columns"]) == (
            f"fk_{table}_assignee", ["assignee"], ["username"])
        assert fk["options"].get("onupdate", "").upper() == "CASCADE"
    with pytest.raises(IntegrityError), session_scope() as session:  # the database itself refuses a free name
        session.add(Coverage(story_id=session.scalar(select(Story.id)), assignee="Không Ai"))
        session.flush()
    with session_scope() as session:  # and a rename follows into the plan (ON UPDATE CASCADE)
        session.scalar(select(User).where(User.username == "thanh.hai.2")).username = "thanhhai"
    with session_scope() as session:
        assert session.get(Coverage, ids[0]).assignee == "thanhhai"
        assert session.scalar(select(Column.assignee)) == "thanhhai"

    downgrade("0009")  # the foreign keys go; the users and the names they were given stay
    assert _assignee_keys("coverages") == [] and _assignee_keys("assignments") == []
    migrate()  # and back: nothing more to create
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.disabled.is_(True))) == 4


def test_planning_refuses_an_assignee_who_is_not_an_enabled_user(sqlite_db):
    with session_scope() as session:
        person(session, "minhchau", "Minh Châu")
        session.add(User(username="cu", full_name="Người cũ", role="editor", disabled=True))
        session.flush()
        story = planning.add_story(session, "Phóng sự", "Lan", coverages=[dict(
            platform="tv", fmt="reportage", outlet="baoquangngai", publish_at=datetime(2026, 12, 10, 19, 30))])
        coverage = story.coverages[0]
        with pytest.raises(planning.PlanningError, match=r"không có người dùng 'Minh Châu'.*có phải minhchau\?"):
            planning.assign(session, coverage, "Minh Châu", "Lan")
        with pytest.raises(planning.PlanningError, match="'cu' đã bị vô hiệu hóa"):
            planning.assign(session, coverage, "cu", "Lan")
        with pytest.raises(planning.PlanningError, match="không có người dùng 'Không Ai'"):
            planning.add_story(session, "Bài mới", "Lan", coverages=[dict(platform="online", fmt="news",
                                                                          assignee="Không Ai")])
        with pytest.raises(planning.PlanningError, match="không có người dùng 'Không Ai'"):
            add_column(session, "Chuyên mục", "baoquangngai", "online", "qa", "FREQ=WEEKLY;BYDAY=MO",
                       at(2026, 11, 2, 8), assignee="Không Ai")
        column = add_column(session, "Chuyên mục", "baoquangngai", "online", "qa", "FREQ=WEEKLY;BYDAY=MO",
                            at(2026, 11, 2, 8), assignee="minhchau")
        with pytest.raises(planning.PlanningError, match="không có người dùng 'Thanh Hải'"):
            edit_series(session, column, None, "all", "Lan", assignee="Thanh Hải")
        with pytest.raises(CalendarError):  # the series' own checks still come first
            edit_series(session, column, None, "some", "Lan", assignee="minhchau")
        assert coverage.assignee is None and coverage.status == "idea" and not coverage.assignments
        assert session.scalar(select(func.count()).select_from(Story).where(Story.title == "Bài mới")) == 0
        planning.assign(session, coverage, " minhchau ", "Lan")
        assert (coverage.assignee, coverage.status) == ("minhchau", "assigned")


def _stories_path(client) -> str:
    """Wherever the JSON API is mounted (/api or /api/v1), the quick-add endpoint."""
    return next(path for path, ops in client.get("/openapi.json").json()["paths"].items()
                if path.endswith("/stories") and "post" in ops)


def test_the_api_refuses_an_unknown_assignee_in_vietnamese(db):
    client = signed_in(db, "editor")
    with session_scope() as session:
        person(session, "minhchau", "Minh Châu")
        session.add(User(username="cu", full_name="Người cũ", role="editor", disabled=True))
    path = _stories_path(client)
    body = {"title": "Video: học sinh Lý Sơn học STEM", "date": "2026-11-27", "time": "18:00", "platform": "facebook",
            "format": "short_video", "assignee": "Minh Châu"}
    refused = client.post(path, json=body)
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("không có người dùng 'Minh Châu'") and "\n" not in refused.json()["detail"]
    assert client.post(path, json={**body, "assignee": "cu"}).status_code == 400
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Story)) == 0  # nothing half-made
    made = client.post(path, json={**body, "assignee": "minhchau"})
    assert made.status_code == 200, made.text
    with session_scope() as session:
        (coverage,) = session.scalars(select(Coverage)).all()
        assert (coverage.assignee, coverage.status) == ("minhchau", "assigned")


def test_the_calendar_lists_users_as_assignees(db):
    client = signed_in(db, "editor")
    with session_scope() as session:
        person(session, "minhchau", "Minh Châu")
        person(session, "cu", "Người đã nghỉ")
        person(session, "nghi.han", "Người nghỉ hẳn")
        planning.add_story(session, "Tọa đàm", "Lan", coverages=[dict(
            platform="tv", fmt="talk_show", outlet="baoquangngai", publish_at=datetime(2026, 11, 19, 20, 0),
            assignee="cu")])
        for username in ("cu", "nghi.han"):  # both leave; `cu` still holds the coverage
            session.scalar(select(User).where(User.username == username)).disabled = True
    page = client.get("/calendar?month=2026-11").text
    filters = page.split('id="filters"')[1].split("</form>")[0]
    assert '<option value="minhchau">Minh Châu</option>' in filters  # username as value, full name shown
    assert '<option value="cu">Người đã nghỉ</option>' in filters  # still holds a coverage
    assert "nghi.han" not in filters  # disabled and holding nothing
    quick = page.split('id="quick-form"')[1].split("</form>")[0]
    assert '<option value="minhchau">Minh Châu</option>' in quick and 'value="cu"' not in quick
    assert "· Người đã nghỉ</span>" in page  # the card names the person
    assert 'id="coverage-' in client.get("/calendar?month=2026-11&assignee=cu").text
    assert 'id="coverage-' not in client.get("/calendar?month=2026-11&assignee=minhchau").text


def test_a_deadline_reminder_goes_to_the_assignees_email_and_one_without_is_named(sqlite_db, mail_sink, monkeypatch, cli):
    from mediaplan.settings import get_settings

    monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(mail_sink.port))
    get_settings.cache_clear()
    now = local_now()
    with session_scope() as session:
        person(session, "thanhhai", "Thanh Hải", email="thanh.hai@toasoan.example.org")
        person(session, "khongthu", "Lê Không Thư", email="")  # no address
        person(session, "nghi", "Người đã nghỉ", email="nghi@toasoan.example.org")
        for title, who in (("Hỏi – đáp NQ 71", "thanhhai"), ("Ảnh: lễ khai giảng", "khongthu"), ("Tin cũ", "nghi")):
            planning.add_story(session, title, "Lan", coverages=[dict(
                platform="online", fmt="news", outlet="baoquangngai", publish_at=now + timedelta(days=2),
                due_at=now + timedelta(days=1), assignee=who)])
        session.scalar(select(User).where(User.username == "nghi")).disabled = True

    out = cli("calendar", "remind", "--digest", "daily").stdout
    assert "Đã gửi 1 e-mail (1 lời nhắc)" in out
    assert "Lê Không Thư (khongthu) chưa có địa chỉ e-mail" in out  # named in the run's output, not sent to
    assert "Người đã nghỉ (nghi) không còn hoạt động" in out
    (mail,) = mail_sink.messages
    assert mail["to"] == ["thanh.hai@toasoan.example.org"]
    text = mail["message"].get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Chào Thanh Hải,") and "Hỏi – đáp NQ 71" in text and "lễ khai giảng" not in text
    again = cli("calendar", "remind", "--digest", "daily").stdout
    assert "Đã gửi 0 e-mail" in again and len(mail_sink.messages) == 1  # once
