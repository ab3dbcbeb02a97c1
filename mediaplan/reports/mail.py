"""E-mail the monthly report, at most once per recipient and month.

Each recipient has a report_deliveries row (unique on period + recipient); a row
marked sent is never sent again, so a re-run, a retry after a failure, or a
scheduler restart cannot double-send.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Report, ReportDelivery, utcnow
from mediaplan.settings import Settings
from mediaplan.smtp import SendError, deliver


def _message(settings: Settings, report: Report, recipient: str) -> EmailMessage:
    out = Path(report.out_dir)
    year, month = report.period.split("-")
    msg = EmailMessage()
    msg["Subject"] = f"Báo cáo truyền thông Nghị quyết 71-NQ/TW tháng {int(month)}/{year}"
    msg["From"] = settings.mail_from
    msg["To"] = recipient
    msg["Message-ID"] = make_msgid(idstring=f"report-{report.period}", domain="mediaplan.local")
    t = report.figures["totals"]
    msg.set_content(
        f"Báo cáo tháng {int(month)}/{year}: {t['education']} tin, bài về giáo dục, "
        f"{t['nq71']} tin, bài nêu Nghị quyết 71. Bản đầy đủ ở phần HTML và tệp đính kèm report.xlsx."
    )
    msg.add_alternative((out / "report.html").read_text(encoding="utf-8"), subtype="html")
    msg.add_attachment((out / "report.xlsx").read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       filename=f"bao-cao-nq71-{report.period}.xlsx")
    return msg


def send_report(session: Session, settings: Settings, period: str, recipients: list[str]) -> dict:
    report = session.scalar(select(Report).where(Report.period == period))
    if report is None:
        raise LookupError(f"chưa có báo cáo tháng {period}: chạy `mediaplan report build --month {period}` trước")
    result = {"sent": [], "skipped": [], "failed": []}
    for recipient in recipients:
        row = session.scalar(select(ReportDelivery).where(ReportDelivery.period == period,
                                                          ReportDelivery.recipient == recipient))
        if row is None:
            row = ReportDelivery(period=period, recipient=recipient)
            session.add(row)
            session.flush()
        if row.status == "sent":
            result["skipped"].append(recipient)
            continue
        row.attempts += 1
        msg = _message(settings, report, recipient)
        try:
            deliver(settings, msg)
        except SendError as exc:
            row.status, row.last_error = "failed", f"{type(exc).__name__}: {exc}"
            result["failed"].append(recipient)
        else:
            row.status, row.sent_at, row.message_id, row.last_error = "sent", utcnow(), msg["Message-ID"], None
            result["sent"].append(recipient)
        session.commit()  # record each outcome at once: a crash mid-list must not resend the ones done
    return result
