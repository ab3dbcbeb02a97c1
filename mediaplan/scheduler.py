"""The long-running scheduler: crawl each source on its interval, classify and link, remind, send the monthly report.

Jobs live in a persistent SQLAlchemy job store under fixed ids, so a restart
replaces rather than duplicates them, and missed runs are coalesced into one.
The report job is idempotent on its own (one delivery row per recipient and month).
"""

from __future__ import annotations

import logging

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from mediaplan.db import migrate, session_scope
from mediaplan.db.schema import Source
from mediaplan.settings import get_settings
from mediaplan.localtime import local_tz

log = logging.getLogger("mediaplan.scheduler")


def crawl_and_classify(source_key: str) -> None:
    from mediaplan.crawler.run import run_crawl_subprocess
    from mediaplan.nlp.pipeline import classify_items

    from mediaplan.calendar.linking import link_deliveries

    code = run_crawl_subprocess([source_key])
    if code != 0:
        log.warning("crawl of %s exited with %s", source_key, code)
    with session_scope() as session:
        classify_items(session)
        link_deliveries(session)  # newly published items mark their planned coverages published


def send_monthly_report() -> None:
    """On day 1, report on the month that just ended (the same services as `mediaplan report build/send`)."""
    from mediaplan.periods import current_month, previous_month
    from mediaplan.services.reports import build_month_report, send_month_report

    settings = get_settings()
    period = previous_month(current_month())
    out = settings.data_dir / "reports" / period
    with session_scope() as session:
        if settings.report_recipients:
            send_month_report(session, period, out_dir=out, rebuild=True, settings=settings)
        else:
            build_month_report(session, period, out)


def send_reminders_job(digest: str) -> None:
    """Daily digest per assignee, weekly per desk; each reminder is recorded once sent, so restarts never repeat it."""
    from mediaplan.calendar.reminders import send_reminders
    from mediaplan.calendar.series import ensure_horizon

    with session_scope() as session:
        ensure_horizon(session)
        session.commit()
        result = send_reminders(session, digest=digest)
    for problem in result["problems"]:
        log.warning("reminders: %s", problem)


def configure(scheduler) -> list[str]:
    ids = []
    with session_scope() as session:
        sources = session.scalars(select(Source).where(Source.enabled.is_(True), Source.adhoc.is_(False))).all()
        for s in sources:
            job_id = f"crawl:{s.key}"
            scheduler.add_job(crawl_and_classify, IntervalTrigger(minutes=s.interval_minutes, timezone=local_tz()),
                              args=[s.key], id=job_id, replace_existing=True, coalesce=True,
                              max_instances=1, misfire_grace_time=s.interval_minutes * 60)
            ids.append(job_id)
    scheduler.add_job(send_monthly_report, CronTrigger(day=1, hour=8, minute=0, timezone=local_tz()), id="report:monthly",
                      replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
    ids.append("report:monthly")
    scheduler.add_job(send_reminders_job, CronTrigger(hour=7, minute=0, timezone=local_tz()), args=["daily"], id="remind:daily",
                      replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
    scheduler.add_job(send_reminders_job, CronTrigger(day_of_week="mon", hour=7, minute=30, timezone=local_tz()), args=["weekly"],
                      id="remind:weekly", replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
    ids += ["remind:daily", "remind:weekly"]
    return ids


def build_scheduler(blocking: bool = True):
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = get_settings()
    store = SQLAlchemyJobStore(url=settings.db_url, tablename="apscheduler_jobs")
    cls = BlockingScheduler if blocking else BackgroundScheduler
    return cls(jobstores={"default": store}, timezone=local_tz())


def run_forever() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    migrate()
    scheduler = build_scheduler()
    ids = configure(scheduler)
    log.info("scheduled %d jobs: %s", len(ids), ", ".join(ids))
    scheduler.start()
