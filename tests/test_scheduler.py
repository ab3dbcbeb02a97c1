"""The scheduler: its persistent job store (a restart neither loses nor duplicates jobs), the day-1 report draft
(analysts told, recipients only with auto-approval) and the retry job."""

from datetime import datetime
from zoneinfo import ZoneInfo

from mediaplan.scheduler import build_scheduler, configure

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_restart_keeps_one_job_per_source_and_the_monthly_report(db):
    first = build_scheduler(blocking=False)
    ids = configure(first)
    first.start(paused=True)
    first.shutdown(wait=False)

    second = build_scheduler(blocking=False)  # a restart, reading the same job store
    second.start(paused=True)
    stored = sorted(j.id for j in second.get_jobs())
    assert stored == sorted(ids)
    configure(second)
    assert sorted(j.id for j in second.get_jobs()) == sorted(ids)
    assert "crawl:baoquangngai-rss" in ids and "crawl:baoquangngai-facebook" not in ids
    report = second.get_job("report:monthly")
    nxt = report.trigger.get_next_fire_time(None, datetime(2026, 11, 26, 12, 0, tzinfo=TZ))
    assert nxt == datetime(2026, 12, 1, 8, 0, tzinfo=TZ)
    second.shutdown(wait=False)


def _mail_env(monkeypatch, port: int, **extra: str) -> None:
    from mediaplan.settings import get_settings

    monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(port))
    monkeypatch.setenv("MEDIAPLAN_REPORT_ANALYSTS", "phan-tich@so.vn, truong-phong@so.vn")
    monkeypatch.setenv("MEDIAPLAN_REPORT_RECIPIENTS", "ubnd@quangngai.gov.vn")
    for key, value in extra.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def _versions_and_deliveries():
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import ReportDelivery, ReportVersion

    with session_scope() as session:
        return ([(v.period, v.version, v.state, v.built_by) for v in session.scalars(select(ReportVersion))],
                session.scalars(select(ReportDelivery)).all())


def test_day_one_builds_a_draft_and_tells_the_analysts_but_sends_nothing(populated_db, mail_sink, monkeypatch):
    import mediaplan.periods
    from mediaplan.scheduler import build_monthly_draft, send_monthly_report

    _mail_env(monkeypatch, mail_sink.port)
    monkeypatch.setattr(mediaplan.periods, "current_month", lambda: "2026-12")  # day 1 of December
    build_monthly_draft()
    versions, deliveries = _versions_and_deliveries()
    assert versions == [("2026-11", 1, "draft", "lịch tự động")] and deliveries == []
    (notice,) = mail_sink.messages
    assert sorted(notice["to"]) == ["phan-tich@so.vn", "truong-phong@so.vn"]
    assert "chờ duyệt" in notice["message"]["Subject"] and "tháng 11/2026" in notice["message"]["Subject"]
    body = notice["message"].get_body(("plain",)).get_content()
    assert "mediaplan report approve --period 2026-11 --by" in body and "chưa được gửi cho ai" in body
    send_monthly_report()  # a second run (the old job name, as a job store written before may call it)
    assert _versions_and_deliveries()[0] == versions and len(mail_sink.messages) == 1  # told once


def test_auto_approval_sends_the_draft_to_the_recipients(populated_db, mail_sink, monkeypatch, tmp_path):
    from mediaplan.db import session_scope
    from mediaplan.services.reports import monthly_draft
    from mediaplan.settings import get_settings

    _mail_env(monkeypatch, mail_sink.port, MEDIAPLAN_REPORT_AUTO_APPROVE="true")
    with session_scope() as session:
        result = monthly_draft(session, "2026-11", tmp_path / "reports", get_settings())
    assert result["sent"]["sent"] == ["ubnd@quangngai.gov.vn"] and result["state"] == "sent"
    versions, deliveries = _versions_and_deliveries()
    assert [(v[2]) for v in versions] == ["sent"] and [(d.recipient, d.status) for d in deliveries] == [
        ("ubnd@quangngai.gov.vn", "sent")]
    by_subject = {m["message"]["Subject"]: m["to"] for m in mail_sink.messages}
    assert by_subject["Báo cáo truyền thông Nghị quyết 71-NQ/TW tháng 11/2026"] == ["ubnd@quangngai.gov.vn"]
    assert any("tự động duyệt và gửi" in s for s in by_subject)


def test_the_retry_job_is_scheduled(db):
    scheduler = build_scheduler(blocking=False)
    configure(scheduler)
    scheduler.start(paused=True)
    retry = scheduler.get_job("report:retry")
    assert retry.trigger.interval.total_seconds() == 5 * 60
    assert scheduler.get_job("report:monthly").func.__name__ == "build_monthly_draft"
    scheduler.shutdown(wait=False)


def test_a_source_enabled_or_disabled_later_gets_or_loses_its_crawl_job_without_a_restart(db):
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Source
    from mediaplan.scheduler import sync_source_jobs

    scheduler = build_scheduler(blocking=False)
    configure(scheduler)
    scheduler.start(paused=True)
    try:
        assert scheduler.get_job("crawl:baoquangngai-rss") and not scheduler.get_job("crawl:baoquangngai-facebook")
        with session_scope() as session:
            session.scalar(select(Source).where(Source.key == "baoquangngai-facebook")).enabled = True
            rss = session.scalar(select(Source).where(Source.key == "baoquangngai-rss"))
            rss.enabled = False
        assert sync_source_jobs(scheduler) == (["crawl:baoquangngai-facebook"], ["crawl:baoquangngai-rss"])
        assert scheduler.get_job("crawl:baoquangngai-facebook") and not scheduler.get_job("crawl:baoquangngai-rss")
        assert sync_source_jobs(scheduler) == ([], [])  # idempotent
        with session_scope() as session:
            facebook = session.scalar(select(Source).where(Source.key == "baoquangngai-facebook"))
            facebook.interval_minutes *= 2
        assert sync_source_jobs(scheduler) == (["crawl:baoquangngai-facebook"], [])
        assert scheduler.get_job("sources:sync")
    finally:
        scheduler.shutdown(wait=False)


def _due(ids_to_times: dict) -> None:
    """Store the given next run times (UTC datetimes); every other job is pushed a year out, so only these are due."""
    from datetime import timedelta, timezone

    scheduler = build_scheduler(store_only=True)
    scheduler.start(paused=True)
    configure(scheduler)
    far = datetime.now(timezone.utc) + timedelta(days=365)
    for job in scheduler.get_jobs():
        scheduler.modify_job(job.id, next_run_time=ids_to_times.get(job.id, far))
    scheduler.shutdown(wait=False)


def test_once_runs_what_is_due_coalesced_skips_the_too_late_and_survives_a_failing_job(db, monkeypatch):
    from datetime import timedelta, timezone

    import mediaplan.scheduler as sched
    from mediaplan.scheduler import run_once

    now = datetime.now(timezone.utc)
    # report:retry is within its grace (one interval); remind:weekly is past its 6 h grace; remind:daily fails.
    _due({"report:retry": now - timedelta(seconds=30 * sched.get_settings().report_retry_minutes),
          "remind:weekly": now - timedelta(hours=7), "remind:daily": now - timedelta(minutes=1)})
    calls = []
    monkeypatch.setattr(sched, "retry_report_deliveries", lambda: calls.append("retry"))

    def broken(digest):
        raise RuntimeError("smtp down")

    monkeypatch.setattr(sched, "send_reminders_job", broken)
    done = run_once()
    assert done == {"ran": ["report:retry"], "failed": ["remind:daily"], "missed": ["remind:weekly"]}
    assert calls == ["retry"]
    assert run_once() == {"ran": [], "failed": [], "missed": []}  # each next run time was moved past now
    scheduler = build_scheduler(store_only=True)
    scheduler.start(paused=True)
    assert all(j.next_run_time > now for j in scheduler.get_jobs())
    scheduler.shutdown(wait=False)


def test_two_schedulers_at_once_run_each_job_once(db):
    """Two `mediaplan scheduler --once` (two machines' cron) started together: the leader lock lets one run the
    due jobs; the other either waits it out (and finds nothing due) or stands aside. Repeated, on both backends."""
    import os
    import subprocess
    import sys
    from datetime import timedelta, timezone

    for _ in range(3):
        now = datetime.now(timezone.utc)
        _due({"report:retry": now - timedelta(seconds=30), "remind:daily": now - timedelta(seconds=30)})
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
        procs = [subprocess.Popen([sys.executable, "-m", "mediaplan", "scheduler", "--once"], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        ran = [job for out, _ in outs for line in out.splitlines() if line.startswith("Đã chạy:")
               for job in line.removeprefix("Đã chạy:").strip().split(", ")]
        assert sorted(ran) == ["remind:daily", "report:retry"], outs
