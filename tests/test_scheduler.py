"""The scheduler's persistent job store: a restart neither loses nor duplicates jobs."""

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
