"""The long-running scheduler: crawl each source on its interval, classify and link, remind, draft the monthly report.

Jobs live in a persistent SQLAlchemy job store under fixed ids, so a restart
replaces rather than duplicates them, and missed runs are coalesced into one.
The report jobs are idempotent on their own: the day-1 draft keeps its version when nothing changed (and tells
the analysts once); e-mail goes out only for an approved version, once per recipient (`reports.mail`), and the
retry job resends only what the server refused or never received.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
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
    from mediaplan.calendar.linking import link_deliveries
    from mediaplan.crawler.run import run_crawl_subprocess
    from mediaplan.nlp.pipeline import classify_items
    from mediaplan.reports.cache import refresh_after_changes

    with session_scope() as session:  # an admin may have switched it off since the job was scheduled
        source = session.scalar(select(Source).where(Source.key == source_key))
        if source is None or not source.enabled:
            log.info("crawl of %s skipped: the source is %s", source_key, "gone" if source is None else "disabled")
            return
    code = run_crawl_subprocess([source_key])
    if code != 0:
        log.warning("crawl of %s exited with %s", source_key, code)
    with session_scope() as session:
        classify_items(session)
        link_deliveries(session)  # newly published items mark their planned coverages published
    refresh_after_changes()  # the dashboard's months, made now so that the next view reads them ready


def build_monthly_draft() -> None:
    """On day 1, build the draft of the month that just ended and e-mail the analysts (MEDIAPLAN_REPORT_ANALYSTS)
    that it is ready. Nothing goes to the recipients unless MEDIAPLAN_REPORT_AUTO_APPROVE is on: an analyst
    approves (`mediaplan report approve`) and sends (`mediaplan report send`)."""
    from mediaplan.periods import current_month, previous_month
    from mediaplan.services.reports import monthly_draft

    settings = get_settings()
    period = previous_month(current_month())
    with session_scope() as session:
        result = monthly_draft(session, period, settings.data_dir / "reports" / period, settings)
    log.info("report %s: version %s (%s), analysts told: %s, sent: %s", result["period"], result["version"],
             result["state"], ", ".join(result["analysts"]) or "none", (result["sent"] or {}).get("sent", "none"))


send_monthly_report = build_monthly_draft  # the name job stores written before issue 11 refer to


def retry_report_deliveries() -> None:
    """Retry failed report e-mails whose `next_attempt_at` has come (backoff doubles each time) and abandoned
    `sending` ones; uncertain ones wait for an analyst (`mediaplan report send --resend-uncertain`)."""
    from mediaplan.services.reports import retry_deliveries

    with session_scope() as session:
        result = retry_deliveries(session)
    for key in ("sent", "failed", "uncertain"):
        if result.get(key):
            log.info("report retries %s: %s", key, ", ".join(result[key]))


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


SYNC_MINUTES = 5  # how soon a source added, switched or re-timed on /sources or the CLI gets its crawl job
_running = None  # the scheduler of this process (run_forever), for the sync job, which the job store cannot pickle


def sync_source_jobs(scheduler) -> tuple[list[str], list[str]]:
    """One crawl job per enabled, non-ad-hoc source, at its interval: jobs are added for new or re-timed sources
    and removed for sources switched off or gone. Returns (added or changed, removed) job ids."""
    with session_scope() as session:
        wanted = {f"crawl:{key}": (key, minutes) for key, minutes in session.execute(
            select(Source.key, Source.interval_minutes).where(Source.enabled.is_(True), Source.adhoc.is_(False)))}
    changed, removed = [], []
    for job in scheduler.get_jobs():
        if job.id.startswith("crawl:") and job.id not in wanted:
            scheduler.remove_job(job.id)
            removed.append(job.id)
    for job_id, (key, minutes) in wanted.items():
        job = scheduler.get_job(job_id)
        if job is not None and getattr(job.trigger, "interval", None) == timedelta(minutes=minutes):
            continue
        scheduler.add_job(crawl_and_classify, IntervalTrigger(minutes=minutes, timezone=local_tz()),
                          args=[key], id=job_id, replace_existing=True, coalesce=True,
                          max_instances=1, misfire_grace_time=minutes * 60)
        changed.append(job_id)
    return changed, removed


def sync_sources_job() -> None:
    """Every few minutes in a running scheduler, so that a source enabled on /sources is crawled without a restart."""
    if _running is None:
        return
    changed, removed = sync_source_jobs(_running)
    if changed or removed:
        log.info("crawl jobs: added or re-timed %s; removed %s", ", ".join(changed) or "none", ", ".join(removed) or "none")


def _keep(scheduler, func: str, trigger, job_id: str, grace: int, args: list | None = None) -> None:
    """Add a fixed job unless the store already has it with the same trigger: re-adding would push its next run
    time forward on every restart (or every `--once`), and an interval job would never come due.

    The job names its function by textual reference ("mediaplan.scheduler:name"), resolved when the job is loaded,
    so what the store holds never depends on which object this process happened to import."""
    ref = f"{__name__}:{func}"
    job = scheduler.get_job(job_id)
    if job is not None and str(job.trigger) == str(trigger) and job.func_ref == ref and list(job.args) == (args or []):
        return
    scheduler.add_job(ref, trigger, args=args or [], id=job_id, name=func, replace_existing=True,
                      coalesce=True, max_instances=1, misfire_grace_time=grace)


def configure(scheduler) -> list[str]:
    """Put every job in the store. Call it on a started (or paused) scheduler, so that what the store already
    holds is seen and kept."""
    sync_source_jobs(scheduler)
    ids = sorted(job.id for job in scheduler.get_jobs() if job.id.startswith("crawl:"))
    tz = local_tz()
    minutes = max(1, get_settings().report_retry_minutes)
    fixed = [
        ("sync_sources_job", IntervalTrigger(minutes=SYNC_MINUTES, timezone=tz), "sources:sync", SYNC_MINUTES * 60, None),
        ("build_monthly_draft", CronTrigger(day=1, hour=8, minute=0, timezone=tz), "report:monthly", 6 * 3600, None),
        ("retry_report_deliveries", IntervalTrigger(minutes=minutes, timezone=tz), "report:retry", minutes * 60, None),
        ("send_reminders_job", CronTrigger(hour=7, minute=0, timezone=tz), "remind:daily", 6 * 3600, ["daily"]),
        ("send_reminders_job", CronTrigger(day_of_week="mon", hour=7, minute=30, timezone=tz), "remind:weekly",
         6 * 3600, ["weekly"]),
    ]
    for func, trigger, job_id, grace, args in fixed:
        _keep(scheduler, func, trigger, job_id, grace, args)
        ids.append(job_id)
    return ids


class StoreOnlyScheduler(BaseScheduler):
    """A scheduler with no thread of its own: it reads and writes the job store and never runs a job by itself.

    `run_once` runs the due jobs itself; a background thread would also wake on every change to the store and,
    once shut down, try to hand the same due jobs to a closed executor."""

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


def build_scheduler(blocking: bool = True, store_only: bool = False):
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = get_settings()
    store = SQLAlchemyJobStore(url=settings.db_url, tablename="apscheduler_jobs")
    cls = StoreOnlyScheduler if store_only else BlockingScheduler if blocking else BackgroundScheduler
    return cls(jobstores={"default": store}, timezone=local_tz())


LEADER = "scheduler:leader"


def _block_until_stopped(scheduler) -> None:
    """Keep the process (and its leader lock) until SIGTERM or Ctrl+C, then let running jobs finish."""
    import signal
    import threading

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    log.info("stopping: waiting for running jobs")
    scheduler.shutdown(wait=True)


WAIT_FOR_LEADER_SECONDS = 30


def run_forever() -> None:
    """Run the jobs for as long as this process holds the leader lock (`db.locks.try_lock`): a second scheduler
    on another machine waits, and takes over within half a minute of the leader's end."""
    import time

    from mediaplan.db.locks import try_lock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    migrate()
    global _running
    while True:
        with try_lock(LEADER) as leader:
            if leader:
                scheduler = _running = build_scheduler(blocking=False)
                scheduler.start(paused=True)  # the store is attached: configure sees, and keeps, what it holds
                ids = configure(scheduler)
                log.info("leader: scheduled %d jobs: %s", len(ids), ", ".join(ids))
                scheduler.resume()
                _block_until_stopped(scheduler)
                return
        log.info("another scheduler holds the leader lock; waiting %d s", WAIT_FOR_LEADER_SECONDS)
        time.sleep(WAIT_FOR_LEADER_SECONDS)


def run_once(now=None) -> dict[str, list[str]] | None:
    """For cron users (`mediaplan scheduler --once`): run each job that is due, once, then record its next run
    time in the job store and exit. None when another scheduler holds the leader lock (it runs them).

    What a long-running scheduler would do is kept: missed runs are coalesced into one, a run later than its
    job's misfire grace is skipped (and rescheduled), and a failing job is logged and does not stop the others.
    """
    from datetime import datetime, timezone

    from mediaplan.db.locks import try_lock

    migrate()
    with try_lock(LEADER) as leader:
        if not leader:
            return None
        now = now or datetime.now(timezone.utc)
        scheduler = build_scheduler(store_only=True)
        scheduler.start(paused=True)  # attaches the job store; no thread, so nothing runs behind our back
        configure(scheduler)
        done: dict[str, list[str]] = {"ran": [], "failed": [], "missed": []}
        try:
            for job in sorted(scheduler.get_jobs(), key=lambda j: j.id):
                due = job.next_run_time
                if due is None or due > now:
                    continue
                late = (now - due).total_seconds()
                if job.misfire_grace_time is not None and late > job.misfire_grace_time:
                    done["missed"].append(job.id)
                else:
                    try:
                        job.func(*job.args, **job.kwargs)
                        done["ran"].append(job.id)
                    except Exception:  # one job's failure is logged; the others still run
                        log.exception("job %s failed", job.id)
                        done["failed"].append(job.id)
                following = job.trigger.get_next_fire_time(due, now)
                while following is not None and following <= now:  # coalesce: one run for all the missed ones
                    following = job.trigger.get_next_fire_time(following, now)
                if following is None:
                    scheduler.remove_job(job.id)
                else:
                    scheduler.modify_job(job.id, next_run_time=following)
        finally:
            scheduler.shutdown(wait=False)
        return done
