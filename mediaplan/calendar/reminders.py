"""Reminder e-mails: a daily digest per assignee, a weekly digest per desk, each reminder once.

What is reminded:
- `due`: a coverage due within N days and not yet in review, published or cancelled;
- `overdue`: a coverage past its deadline and not yet in review, published or cancelled;
- `unassigned`: a slot in the coming week with nobody assigned (weekly, to the desk).

A daily reminder goes to the assignee's e-mail (`users.email`: an assignee is a user). An assignee without an
address, or whose account is disabled, is named in the run's `problems` (the command's output, the scheduler's
log) and not sent to. The weekly digest goes to the desk's address (`MEDIAPLAN_DESK_EMAILS`) or its editors'.

Every reminder sent is a `reminders_sent` row keyed by kind, coverage, deadline and
recipient, written in the same transaction right after the mail went out. Re-running,
or restarting the scheduler, finds the row and does not send again; a moved deadline
is a new reminder. A failed send writes nothing, so the next run tries again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.calendar.workflow import OPEN_STATUSES
from mediaplan.db.schema import Coverage, ReminderSent, Story, User
from mediaplan.localtime import to_local
from mediaplan.settings import Settings, get_settings
from mediaplan.smtp import SendError, deliver
from mediaplan.vocab import CoverageStatus, Digest, ReminderKind, Role, StoryStatus, label

OPEN = OPEN_STATUSES  # the calendar's `past_due` counts the same states as owed
# How a mail names each kind (the unassigned one says who is missing, not the vocabulary's "chưa giao").
KIND_NAMES = {ReminderKind.DUE: "sắp đến hạn", ReminderKind.OVERDUE: "quá hạn", ReminderKind.UNASSIGNED: "chưa có người nhận"}


def _reminders(session: Session, now: datetime, due_within_days: int,
               digest: str) -> list[tuple[ReminderKind, Coverage, datetime]]:
    rows = session.scalars(select(Coverage).join(Story).options(selectinload(Coverage.story))
                           .where(Coverage.status.in_(OPEN),
                                  Story.status.not_in([StoryStatus.CANCELLED, StoryStatus.POSTPONED]))).all()
    out = []
    for c in rows:
        if c.due_at and c.assignee:
            if c.due_at < now:
                out.append((ReminderKind.OVERDUE, c, c.due_at))
            elif c.due_at <= now + timedelta(days=due_within_days):
                out.append((ReminderKind.DUE, c, c.due_at))
        if digest == Digest.WEEKLY and not c.assignee and c.publish_at and now <= c.publish_at <= now + timedelta(days=7):
            out.append((ReminderKind.UNASSIGNED, c, c.publish_at))
    return out


def _desk_addresses(session: Session, settings: Settings, desk: str) -> list[str]:
    if desk in settings.desk_emails:
        return [settings.desk_emails[desk]]
    return list(session.scalars(select(User.email).where(User.desk == desk, User.disabled.is_(False), User.email.is_not(None),
                                                         User.role.in_([Role.EDITOR, Role.ADMIN])).order_by(User.email)))


def _person(user: User | None, username: str) -> str:
    """How a problem names an assignee: "Thanh Hải (thanhhai)"."""
    full = user.full_name.strip() if user and user.full_name else ""
    return f"{full} ({username})" if full and full != username else username


def _line(kind: str, c: Coverage) -> str:
    when = to_local(c.publish_at).strftime("%d/%m %H:%M") if c.publish_at else "chưa xếp lịch"
    due = to_local(c.due_at).strftime("%d/%m %H:%M") if c.due_at else "—"
    return (f"[{KIND_NAMES[kind]}] #{c.id} {c.story.title} — {label('format', c.format)}, {label('platform', c.platform)}; "
            f"đăng {when}, hạn nộp {due}; {label('status', c.status)}")


def send_reminders(session: Session, digest: str = Digest.DAILY, due_within_days: int | None = None,
                   now: datetime | None = None, settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    now = now or datetime.now(timezone.utc)
    days = settings.reminder_days if due_within_days is None else due_within_days
    groups: dict[tuple[str, str], list] = defaultdict(list)  # (recipient, heading) → reminders
    problems = []
    found = _reminders(session, now, days, digest)
    names = {c.assignee for _, c, _ in found if c.assignee}
    people = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))} if names else {}
    for kind, c, deadline in found:
        if digest == Digest.DAILY:
            user = people.get(c.assignee)
            if user is None or user.disabled:
                problems.append(f"tài khoản của {_person(user, c.assignee)} không còn hoạt động: không gửi lời nhắc #{c.id}")
                continue
            if not user.email:
                problems.append(f"{_person(user, c.assignee)} chưa có địa chỉ e-mail: bỏ qua lời nhắc #{c.id}")
                continue
            recipients, heading = [user.email], (user.full_name or "").strip() or user.username
        else:
            desk = c.story.desk or "chung"
            recipients = _desk_addresses(session, settings, desk)
            heading = f"ban {desk}"
        if not recipients:
            problems.append(f"không có địa chỉ e-mail cho {heading}: bỏ qua lời nhắc #{c.id}")
            continue
        for r in recipients:
            groups[(r, heading)].append((kind, c, deadline))
    result = {"sent": 0, "reminders": 0, "skipped": 0, "failed": 0, "problems": problems}
    for (recipient, heading), items in sorted(groups.items()):
        fresh = []
        for kind, c, deadline in items:
            key = f"{kind}:{c.id}:{deadline.astimezone(timezone.utc):%Y%m%dT%H%M}:{recipient}"[:300]
            if session.get(ReminderSent, key) is None:
                fresh.append((key, kind, c))
            else:
                result["skipped"] += 1
        if not fresh:
            continue
        msg = EmailMessage()
        title = "Nhắc việc hằng ngày" if digest == Digest.DAILY else "Tổng hợp tuần của ban"
        msg["Subject"] = f"[Lịch biên tập] {title}: {len(fresh)} việc cần chú ý ({heading})"
        msg["From"] = settings.mail_from
        msg["To"] = recipient
        msg["Message-ID"] = make_msgid(idstring=f"remind-{digest}", domain="mediaplan.local")
        msg.set_content(f"Chào {heading},\n\n" + "\n".join(_line(kind, c) for _, kind, c in fresh)
                        + f"\n\nXem lịch: {settings.public_url.rstrip('/')}/calendar\n")
        try:
            deliver(settings, msg)
        except SendError as exc:
            result["failed"] += 1
            problems.append(f"gửi cho {recipient} thất bại: {type(exc).__name__}: {exc}")
            continue
        for key, kind, _ in fresh:
            session.add(ReminderSent(key=key, recipient=recipient, kind=kind, digest=digest))
        session.commit()  # each mail's rows at once: a crash later must not resend this one
        result["sent"] += 1
        result["reminders"] += len(fresh)
    return result
