"""E-mail an approved version of a report: never twice silently, never lost silently.

Each recipient of a version has one `report_deliveries` row (unique on version + recipient), committed before the
SMTP conversation begins and moved at each step, each move committed before the next step:

    pending ──claim──▶ sending ──354 after DATA, just before the message──▶ uncertain ──250──▶ sent
                          │                                                     │
                          └── refused, 4xx/5xx, no connection ──▶ failed ◀──4xx/5xx─┘

- `sending`: the conversation is under way but the message has not left. A sender that dies here delivered
  nothing (a server delivers only after the final "."), so the row is taken again once its lease has run out.
- `uncertain`: the message went out and the server's answer never came (the sender was killed, the connection
  dropped, the answer timed out). It may have been delivered: it is never sent again on its own, only when an
  analyst asks (`resend_uncertain`, `mediaplan report send --resend-uncertain`).
- `failed`: the server answered no (or could not be reached), so nothing was delivered. A transient failure
  (no connection, a 4xx answer) gets `next_attempt_at` with exponential backoff, which the scheduler's retry job
  honours; an explicit `mediaplan report send` retries any failed row at once.
- `sent`: the server answered 250; never sent again for this version.

A row is claimed by a compare-and-set UPDATE, so two senders (the CLI and the scheduler) never both send it.
The Message-ID is derived from the version and the recipient and stored on the row: a re-send after an
uncertain attempt carries the same Message-ID, so a mail client can tell it is the same message.
"""

from __future__ import annotations

import base64
import hashlib
import re
import smtplib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaplan.db.schema import ReportDelivery, ReportVersion, utcnow
from mediaplan.reports.metrics import no_data_statement
from mediaplan.reports.narrative import vi_number
from mediaplan.reports.versions import label_of, mark_sent, period_key, sendable
from mediaplan.services import ServiceError
from mediaplan.settings import Settings
from mediaplan.smtp import deliver
from mediaplan.vocab import SendStatus

SENDING_LEASE = timedelta(minutes=15)  # far longer than the conversation before DATA can take (30 s per reply)
DATA_ANSWER_TIMEOUT = 600  # seconds to wait for the answer to the message itself (RFC 5321, 4.5.3.2.6)
MAX_BACKOFF = timedelta(hours=6)
ATTACHMENTS = (("report.xlsx", "application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
               ("report.docx", "application", "vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
               ("report.pdf", "application", "pdf", "pdf"))
OUTCOMES = ("sent", "skipped", "failed", "uncertain", "busy", "waiting")


def message_id_for(version: ReportVersion, recipient: str) -> str:
    """The same for one version and recipient whenever it is computed; another version, another id."""
    who = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9-]", "-", version.period)
    return f"<report-{slug}-v{version.version}-{version.content_hash[:8]}-{who}@mediaplan.local>"


_DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def inline_images(html: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The report's HTML with each data: PNG turned into a `cid:` reference, and the images to attach."""
    images: list[tuple[str, bytes]] = []

    def swap(match: re.Match) -> str:
        cid = f"chart{len(images) + 1}.{hashlib.sha256(match.group(1).encode()).hexdigest()[:12]}@mediaplan.local"
        images.append((cid, base64.b64decode(match.group(1))))
        return f'src="cid:{cid}"'

    return _DATA_PNG.sub(swap, html), images


def build_message(settings: Settings, version: ReportVersion, recipient: str, message_id: str) -> EmailMessage:
    out = Path(version.out_dir)
    label = label_of(version)
    msg = EmailMessage()
    msg["Subject"] = f"Báo cáo truyền thông Nghị quyết 71-NQ/TW {label}"
    msg["From"] = settings.mail_from
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id
    msg["X-Mediaplan-Report"] = f"{version.period} v{version.version}"
    t = (version.figures or {}).get("totals", {})
    if statement := no_data_statement(version.figures or {}):
        summary = f"Báo cáo {label}: {statement}"
    else:
        summary = (f"Báo cáo {label}: {vi_number(t.get('education', 0))} tin, bài về giáo dục, "
                   f"{vi_number(t.get('nq71', 0))} tin, bài nêu Nghị quyết 71.")
    msg.set_content(f"{summary} Bản đầy đủ ở phần HTML và các tệp đính kèm.")
    html, images = inline_images((out / "report.html").read_text(encoding="utf-8"))
    msg.add_alternative(html, subtype="html")
    body = msg.get_body(("html",))
    for cid, png in images:  # the charts travel inside the message: mail clients block data: URIs and links
        body.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    for name, maintype, subtype, ext in ATTACHMENTS:
        if (out / name).exists():
            msg.add_attachment((out / name).read_bytes(), maintype=maintype, subtype=subtype,
                               filename=f"bao-cao-nq71-{version.period}.{ext}")
    return msg


def backoff(settings: Settings, attempts: int) -> timedelta | None:
    """How long to wait after the `attempts`-th failed attempt; None once the retries are spent."""
    if attempts >= settings.report_retry_max:
        return None
    return min(timedelta(minutes=settings.report_retry_minutes) * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


# --- one SMTP conversation ---------------------------------------------------------------------------------------


def _answer(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {' '.join(text.split())}".strip()


def _problem(exc: BaseException) -> tuple[str, bool]:
    """(what to record, whether it is worth retrying) for an exception before the message left."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return _answer(exc.smtp_code, exc.smtp_error), 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{type(exc).__name__}: {exc}", False  # e.g. no STARTTLS: the setting, not the moment, is wrong
    return f"{type(exc).__name__}: {exc}", True  # refused, unreachable, timed out, dropped


class _Refused(Exception):
    def __init__(self, code: int, reply: bytes):
        self.code, self.reply = code, reply


def converse(settings: Settings, msg: EmailMessage, recipient: str,
             before_message: Callable[[], None]) -> tuple[SendStatus, str, bool]:
    """Send `msg` to one recipient: (status, the server's answer or the error, transient).

    `before_message` runs once the server has said 354 to DATA, just before the message itself goes out:
    from then on, until the server answers, the outcome is uncertain.
    """
    data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    data = re.sub(rb"(?m)^\.", b"..", data)  # dot-stuffing (RFC 5321, 4.5.2)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    except (OSError, smtplib.SMTPException) as exc:
        return (SendStatus.FAILED, *_problem(exc))
    try:
        try:
            smtp.ehlo_or_helo_if_needed()
            if settings.smtp_starttls:
                smtp.starttls()
                smtp.ehlo()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            for command, expected in ((lambda: smtp.mail(parseaddr(settings.mail_from)[1] or settings.mail_from), (250,)),
                                      (lambda: smtp.rcpt(recipient), (250, 251)),
                                      (lambda: smtp.docmd("DATA"), (354,))):
                code, reply = command()
                if code not in expected:
                    raise _Refused(code, reply)
        except _Refused as refused:  # the server said no before the message: nothing was delivered
            return SendStatus.FAILED, _answer(refused.code, refused.reply), not 500 <= refused.code < 600
        except (OSError, smtplib.SMTPException) as exc:
            return (SendStatus.FAILED, *_problem(exc))
        before_message()
        try:
            smtp.send(data + b".\r\n")
            if smtp.sock is not None:
                smtp.sock.settimeout(DATA_ANSWER_TIMEOUT)
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()  # no QUIT into a connection that stopped answering
            return SendStatus.UNCERTAIN, f"không nhận được trả lời sau khi gửi nội dung: {type(exc).__name__}: {exc}", False
        if code == 250:
            return SendStatus.SENT, _answer(code, reply), False
        if 400 <= code < 600:  # a clear no: not delivered
            return SendStatus.FAILED, _answer(code, reply), code < 500
        return SendStatus.UNCERTAIN, f"trả lời không rõ sau khi gửi nội dung: {_answer(code, reply)}", False
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


# --- the delivery rows -------------------------------------------------------------------------------------------


def _row(session: Session, version: ReportVersion, recipient: str) -> ReportDelivery:
    """The version's row for a recipient, created (and committed) if it is the first time."""
    query = select(ReportDelivery).where(ReportDelivery.version_id == version.id, ReportDelivery.recipient == recipient)
    row = session.scalar(query)
    if row is not None:
        return row
    session.add(ReportDelivery(version_id=version.id, period=version.period, recipient=recipient,
                               status=SendStatus.PENDING, message_id=message_id_for(version, recipient)))
    try:
        session.commit()
    except IntegrityError:  # another sender created it first: use theirs
        session.rollback()
    return session.scalar(query)


def _claim(session: Session, row: ReportDelivery, now: datetime) -> bool:
    """Take the row for one attempt, unless another sender moved it since it was read."""
    seen = (row.status, row.attempts)
    claimed = session.execute(
        update(ReportDelivery)
        .where(ReportDelivery.id == row.id, ReportDelivery.status == seen[0], ReportDelivery.attempts == seen[1])
        .values(status=SendStatus.SENDING, attempts=seen[1] + 1, started_at=now, next_attempt_at=None)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    session.refresh(row)
    return claimed == 1


def _decide(row: ReportDelivery, now: datetime, *, resend_uncertain: bool, due_only: bool) -> str | None:
    """Why the row is not attempted now (an OUTCOMES key), or None to attempt it."""
    if row.status == SendStatus.SENT:
        return "skipped"
    if row.status == SendStatus.UNCERTAIN:
        return None if resend_uncertain else "uncertain"
    if row.status == SendStatus.SENDING:
        return None if row.started_at is None or now - row.started_at > SENDING_LEASE else "busy"
    if row.status == SendStatus.FAILED and due_only and (row.next_attempt_at is None or row.next_attempt_at > now):
        return "waiting"
    return None


def _attempt(session: Session, settings: Settings, version: ReportVersion, row: ReportDelivery, msg: EmailMessage) -> str:
    """One attempt at a claimed row; every step is committed before the next. Returns an OUTCOMES key."""
    if not row.message_id:  # a row from before migration 0006
        row.message_id = msg["Message-ID"]
        session.commit()

    def before_message() -> None:
        row.status, row.last_answer = SendStatus.UNCERTAIN, "đã gửi nội dung sau DATA, đang chờ máy chủ trả lời"
        session.commit()

    status, answer, transient = converse(settings, msg, row.recipient, before_message)
    row.status, row.last_answer = status, answer
    if status == SendStatus.SENT:
        row.sent_at, row.next_attempt_at = utcnow(), None
        mark_sent(version)
    elif status == SendStatus.FAILED:
        wait = backoff(settings, row.attempts) if transient else None
        row.next_attempt_at = utcnow() + wait if wait else None
    session.commit()
    return {SendStatus.SENT: "sent", SendStatus.FAILED: "failed"}.get(status, "uncertain")


def _recipients(recipients: Iterable[str]) -> list[str]:
    seen = list(dict.fromkeys(r.strip() for r in recipients if r and r.strip()))
    bad = [r for r in seen if "@" not in r or any(c.isspace() for c in r)]
    if bad:
        raise ServiceError(f"địa chỉ e-mail không hợp lệ: {', '.join(bad)}", field="to")
    return seen


def send_version(session: Session, settings: Settings, version: ReportVersion, recipients: Iterable[str], *,
                 resend_uncertain: bool = False, due_only: bool = False, now: datetime | None = None) -> dict[str, list[str]]:
    """E-mail one sendable version to `recipients`: the addresses under each OUTCOMES key."""
    result: dict[str, list[str]] = {k: [] for k in OUTCOMES}
    for recipient in _recipients(recipients):
        row = _row(session, version, recipient)
        moment = now or utcnow()
        why = _decide(row, moment, resend_uncertain=resend_uncertain, due_only=due_only)
        if why is None:  # the message is made before the row is claimed: a file that cannot be read claims nothing
            msg = build_message(settings, version, recipient, row.message_id or message_id_for(version, recipient))
            why = _attempt(session, settings, version, row, msg) if _claim(session, row, moment) else "busy"
        result[why].append(recipient)
    return result


def send_report(session: Session, settings: Settings, period: str, recipients: Iterable[str], *, number: int | None = None,
                resend_uncertain: bool = False, due_only: bool = False, now: datetime | None = None) -> dict[str, list[str]]:
    """E-mail the latest (or version `number` of a) period's report: only an approved version, once per recipient.

    A draft raises NotApproved and nothing is sent; no report raises NoReport (both ServiceErrors, in Vietnamese).
    """
    version = sendable(session, period_key(period), number)
    return send_version(session, settings, version, recipients, resend_uncertain=resend_uncertain, due_only=due_only, now=now)


def retry_due(session: Session, settings: Settings, now: datetime | None = None) -> dict[str, list[str]]:
    """The scheduler's retries: failed deliveries whose `next_attempt_at` has come, and `sending` rows whose sender
    died before the message left (lease run out). Uncertain ones are left to the analysts."""
    now = now or utcnow()
    rows = session.scalars(select(ReportDelivery).where(
        ((ReportDelivery.status == SendStatus.FAILED) & (ReportDelivery.next_attempt_at <= now))
        | ((ReportDelivery.status == SendStatus.SENDING) & (ReportDelivery.started_at < now - SENDING_LEASE)))
        .order_by(ReportDelivery.version_id, ReportDelivery.recipient)).all()
    result: dict[str, list[str]] = {k: [] for k in OUTCOMES}
    by_version: dict[int, list[str]] = {}
    for row in rows:
        by_version.setdefault(row.version_id, []).append(row.recipient)
    for version_id, recipients in by_version.items():
        version = session.get(ReportVersion, version_id)
        done = send_version(session, settings, version, recipients, due_only=True, now=now)
        for key, addresses in done.items():
            result[key] += [f"{a} ({version.period} v{version.version})" for a in addresses]
    return result


# --- telling the analysts ----------------------------------------------------------------------------------------


def notify_analysts(settings: Settings, version: ReportVersion, sent: dict[str, list[str]] | None = None) -> list[str]:
    """E-mail the analysts that a version is ready for review (or, auto-approved, what was sent). Raises SendError."""
    to = list(settings.report_analysts)
    if not to:
        return []
    label, p = label_of(version), version.period
    t = (version.figures or {}).get("totals", {})
    msg = EmailMessage()
    if sent is None:
        msg["Subject"] = f"[mediaplan] Bản nháp báo cáo {label} (phiên bản {version.version}) chờ duyệt"
    else:
        msg["Subject"] = f"[mediaplan] Báo cáo {label} (phiên bản {version.version}) đã tự động duyệt và gửi"
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    lines = [
        f"Báo cáo {label}, phiên bản {version.version} ({version.state.label}).",
        f"Số liệu: {vi_number(t.get('items', 0))} tin, bài thu thập; {vi_number(t.get('education', 0))} về giáo dục; "
        f"{vi_number(t.get('nq71', 0))} nêu Nghị quyết 71.",
        f"Tệp: {version.out_dir}",
        f"Xem: {settings.public_url.rstrip('/')}/reports?period={p}",
        "",
    ]
    if sent is None:
        lines += [
            "Báo cáo chưa được gửi cho ai. Các bước:",
            f"  sửa nhận định:  mediaplan report narrative --period {p} --section uu_diem --text-file TỆP --by TÊN",
            f"  tạo lại:        mediaplan report build --period {p} --out THƯ_MỤC",
            f"  duyệt:          mediaplan report approve --period {p} --by TÊN",
            f"  gửi:            mediaplan report send --period {p}",
        ]
    else:
        lines += [f"Đã gửi: {', '.join(sent.get('sent', [])) or 'không ai'}",
                  f"Lỗi (sẽ thử lại): {', '.join(sent.get('failed', [])) or 'không'}",
                  f"Nhật ký: mediaplan report deliveries --period {p}"]
    msg.set_content("\n".join(lines))
    deliver(settings, msg)
    return to
