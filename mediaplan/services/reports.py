"""The monthly report: build it (HTML, XLSX, figures) and e-mail it to the province's recipients.

Sending is idempotent per recipient and month (`reports.mail` keeps one delivery row
each), so the CLI, the web app and the scheduler's day-1 job can all call
`send_month_report` and nobody receives the report twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Report
from mediaplan.periods import check_month
from mediaplan.reports.build import build_report
from mediaplan.reports.mail import send_report
from mediaplan.services import ServiceError
from mediaplan.settings import Settings, get_settings


class NoRecipients(ServiceError):
    """Neither the caller nor MEDIAPLAN_REPORT_RECIPIENTS names anyone to send to."""


def build_month_report(session: Session, month: str, out_dir: Path) -> dict:
    """Write report.html, report.xlsx and figures.json of a month into `out_dir`, record it, return its figures."""
    _, figures = build_report(session, check_month(month), Path(out_dir))
    return figures


def send_month_report(session: Session, month: str, recipients: Iterable[str] | None = None, *, out_dir: Path,
                      rebuild: bool = False, settings: Settings | None = None) -> dict[str, list[str]]:
    """E-mail a month's report to `recipients` (default MEDIAPLAN_REPORT_RECIPIENTS).

    The report is built into `out_dir` first if it was never built, or always with `rebuild` (the
    scheduler reports on the month that just ended, whose figures may have moved since an earlier build);
    the build is committed before any e-mail leaves, so every message describes a recorded report.
    Returns the addresses under "sent", "skipped" (already sent for this month) and "failed".
    """
    settings = settings or get_settings()
    period = check_month(month)
    to = list(recipients or settings.report_recipients)
    if not to:
        raise NoRecipients("chưa có người nhận: đặt MEDIAPLAN_REPORT_RECIPIENTS")
    if rebuild or session.scalar(select(Report).where(Report.period == period)) is None:
        build_report(session, period, Path(out_dir))
        session.commit()
    return send_report(session, settings, period, to)
