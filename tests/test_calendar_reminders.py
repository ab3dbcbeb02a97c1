"""Reminder e-mails: each reminder once, across scheduler restarts; weekly digests to desks."""

from datetime import timedelta

from sqlalchemy import select

from mediaplan.calendar import stories as planning
from mediaplan.calendar.reminders import send_reminders
from mediaplan.db import session_scope
from mediaplan.db.schema import Coverage, Story, User
from mediaplan.localtime import local_now


def test_reminders_are_sent_once_even_across_a_scheduler_restart(db, mail_sink, monkeypatch):
    from mediaplan.scheduler import build_scheduler, configure
    from mediaplan.settings import get_settings

    monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(mail_sink.port))
    get_settings.cache_clear()
    now = local_now()
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
    # A moved deadline is a new reminder.
    with session_scope() as session:
        c = session.scalar(select(Coverage).join(Story).where(Story.title == "Sắp đến hạn"))
        planning.move(session, c, now + timedelta(days=2, hours=3), "Lan")
    with session_scope() as session:
        result = send_reminders(session, "daily")
    assert result["sent"] == 1 and result["reminders"] == 1 and len(mail_sink.messages) == 2


def test_weekly_digest_goes_to_the_desk_with_unassigned_slots(sqlite_db, mail_sink, monkeypatch):
    from mediaplan.settings import get_settings

    monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(mail_sink.port))
    monkeypatch.setenv("MEDIAPLAN_DESK_EMAILS", "Thời sự=thoisu@bao.example")
    get_settings.cache_clear()
    now = local_now()
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
