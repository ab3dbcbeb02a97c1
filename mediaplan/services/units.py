"""Reminding the units that have not posted about Resolution 71 in a period (plan V.1 "theo dõi, đôn đốc", V.6).

The units and their figures are `reports.metrics.unit_compliance`, the very rows the /units page, the report's
appendix and its XLSX sheet show: a reminder never says "you have not posted" on a count taken another way.
Only a unit whose portal is monitored and that has no post in the period ("chưa đăng") is reminded. A unit whose
portal is not monitored ("chưa theo dõi") is not: we cannot know that it has not posted.

Addresses are plan data, never guessed: a department's `email:` in agencies.yaml, a commune's, ward's or the
special zone's line in the plan folder's unit_contacts.yaml (another province ships its own folder). Each address
is checked when it loads; a bad one is one Vietnamese line naming its file and line, and every other address
still loads. A unit without an address is listed by name, not silently skipped.

Like the calendar's reminders (calendar/reminders.py), each reminder sent is a `reminders_sent` row, keyed
`unit_silent:{period}:{unit_key}:{recipient}` and committed right after the server accepted the message. A rerun,
a restart, a second click finds it and sends nothing: a unit is reminded at most once per period, whatever its
address. A failed send writes nothing, so the next run tries again.

The CLI (`mediaplan report remind-units`) and the web page (POST /units/remind) only call these functions.
"""

from __future__ import annotations

import hashlib
import smtplib
import threading
import unicodedata
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaplan.db.schema import Agency, ReminderSent, utcnow
from mediaplan.localtime import local_midnight_utc, to_local
from mediaplan.periods import SINCE_START, Period, parse_period
from mediaplan.plans import Plan
from mediaplan.plans.models import email_problem
from mediaplan.reports.metrics import PORTAL_UNITS, unit_compliance
from mediaplan.services import ServiceError
from mediaplan.settings import Settings, get_settings
from mediaplan.smtp import SendError, deliver
from mediaplan.vocab import AgencyKind, ReminderCadence, ReminderKind

CONTACTS_FILE = "unit_contacts.yaml"
SILENT, UNWATCHED = "chưa đăng", "chưa theo dõi"  # unit_compliance's statuses this module acts on
# One run at a time in a process: two clicks on the web form must not both find a unit not yet reminded.
_ONE_RUN = threading.Lock()


# --- addresses ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitContacts:
    """The units' addresses (unit key → address) and, one line each, the entries that were refused."""

    emails: dict[str, str]
    problems: tuple[str, ...] = ()


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def _plan_units(plan: Plan) -> dict[str, str]:
    """Unit key → full name, for the units plan V.6 asks to post (the departments, then every commune)."""
    units = {a.key: a.name for a in plan.agencies.agencies if a.kind in PORTAL_UNITS}
    units.update({c.agency_key: c.name for c in plan.communes})
    return units


def _agency_lines(path: Path) -> dict[int, int]:
    """Index in `agencies:` → line of its `email:` (or of the entry), for the problems' line numbers."""
    from mediaplan.plans import _LineLoader, _line_of

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except (OSError, yaml.YAMLError):
        return {}  # the plan loaded from this very file, so this is a race with an editor; lines are a nicety
    entries = data.get("agencies") if isinstance(data, dict) else None
    return {i: _line_of(data, ("agencies", i, "email")) for i in range(len(entries or []))}


def unit_contacts(plan: Plan | None = None) -> UnitContacts:
    """Every unit's address from the plan folder: agencies.yaml's `email:` fields, then unit_contacts.yaml.

    unit_contacts.yaml is read line by line (`unit key or full name: address`), so a line that is not valid YAML
    loses only itself. A refused entry (bad address, unknown unit, a second address for one unit) is one line,
    `file:line: why`, and the entry is left out; the file is optional (no file: no commune addresses).
    """
    from mediaplan.plans import current_plan

    plan = plan or current_plan()
    units = _plan_units(plan)
    emails: dict[str, str] = {}
    where: dict[str, str] = {}  # unit key → the file and line its address came from
    problems: list[str] = []

    agencies_path = plan.folder / "agencies.yaml"
    lines = _agency_lines(agencies_path)
    for i, agency in enumerate(plan.agencies.agencies):
        if agency.email is None:
            continue
        at = f"{agencies_path}:{lines.get(i, '?')}"
        why = email_problem(agency.email)
        if why:
            problems.append(f"{at}: {agency.key}: {why}; bỏ qua địa chỉ này")
            continue
        emails[agency.key], where[agency.key] = agency.email.strip(), at

    path = plan.folder / CONTACTS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UnitContacts(emails, tuple(problems))
    except (OSError, UnicodeDecodeError) as exc:
        return UnitContacts(emails, (*problems, f"{path}: không đọc được tệp: {exc}"))
    by_name = {_fold(name): key for key, name in units.items()}
    by_key = {_fold(key): key for key in units}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        at = f"{path}:{number}"
        if line[0].isspace():
            problems.append(f"{at}: dòng không được thụt lề (mỗi dòng: mã đơn vị: e-mail); bỏ qua dòng này")
            continue
        try:
            entry = yaml.safe_load(line)
        except yaml.YAMLError as exc:
            problems.append(f"{at}: không đọc được dòng ({getattr(exc, 'problem', None) or 'YAML sai'}); bỏ qua dòng này")
            continue
        if not isinstance(entry, dict) or len(entry) != 1:
            problems.append(f"{at}: cần dạng `mã đơn vị: e-mail`; bỏ qua dòng này")
            continue
        ((name, address),) = entry.items()
        name = unicodedata.normalize("NFC", str(name)).strip()
        key = by_key.get(_fold(name)) or by_name.get(_fold(name))
        if key is None:
            problems.append(f"{at}: {name!r} không phải một đơn vị của mục V.6 trong kế hoạch "
                            f"(ghi mã như ubnd-21025 hoặc tên đầy đủ như \"Xã Sơn Hà\"); bỏ qua dòng này")
            continue
        if address is None or (isinstance(address, str) and not address.strip()):
            continue  # not filled in yet: the unit has no address
        why = email_problem(address)
        if why:
            problems.append(f"{at}: {name}: {why}; bỏ qua dòng này")
            continue
        address = unicodedata.normalize("NFC", address).strip()
        if key in emails:
            if emails[key].casefold() != address.casefold():
                problems.append(f"{at}: {units[key]} đã có địa chỉ {emails[key]} ({where[key]}); bỏ qua dòng này")
            continue
        emails[key], where[key] = address, at
    return UnitContacts(emails, tuple(problems))


# --- who has not posted ---------------------------------------------------------------------------------------


def remindable_period(value: str | Period) -> Period:
    """A period a unit can be reminded about, or a ServiceError in one line.

    `since-start` is refused: its end moves every month, so "once per period" would mean once ever. So is a
    period that has not begun (every unit would be "chưa đăng") or that ended before the plan began.
    """
    from mediaplan.plans import current_plan

    period = value if isinstance(value, Period) else parse_period(value)
    start, end = period.bounds
    if period.key == SINCE_START:
        raise ServiceError("since-start không phải một kỳ để nhắc nhở (mốc cuối đổi mỗi tháng): chọn tháng 2026-11, "
                           "quý 2026-Q4, nửa năm 2026-H2 hoặc năm 2026", field="period")
    if start > utcnow():
        raise ServiceError(f"{period.key}: {period.label} chưa bắt đầu, chưa thể nhắc đơn vị chưa đăng bài", field="period")
    starts = current_plan().meta.starts
    if end <= local_midnight_utc(starts):
        raise ServiceError(f"{period.key}: {period.label} kết thúc trước khi kế hoạch bắt đầu ({starts:%d/%m/%Y})",
                           field="period")
    return period


def _prefix(period: Period, unit_key: str = "") -> str:
    return f"{ReminderKind.UNIT_SILENT}:{period.key}:" + (f"{unit_key}:" if unit_key else "")


def reminder_key(period: Period, unit_key: str, recipient: str) -> str:
    return f"{_prefix(period, unit_key)}{recipient}"[:300]


def _reminded(session: Session, period: Period) -> dict[str, ReminderSent]:
    """Unit key → the reminder already sent to it for this period (the first, should there be two)."""
    prefix = _prefix(period)
    rows = session.scalars(select(ReminderSent).where(ReminderSent.kind == ReminderKind.UNIT_SILENT,
                                                      ReminderSent.key.startswith(prefix, autoescape=True))
                           .order_by(ReminderSent.sent_at))
    out: dict[str, ReminderSent] = {}
    for row in rows:
        out.setdefault(row.key[len(prefix):].partition(":")[0], row)
    return out


@dataclass
class Silence:
    """The units of plan V.6 for one period, as far as reminders go."""

    period: Period
    silent: list[dict]  # monitored, no post in the period: unit_compliance rows plus "email" (None: none known)
    unwatched: list[dict]  # portal not monitored ("chưa theo dõi"): never reminded
    reminded: dict[str, ReminderSent]  # unit key → the reminder it already had for this period
    problems: tuple[str, ...] = ()  # the address entries refused when loading

    @property
    def to_remind(self) -> list[dict]:
        """The silent units a reminder would go to now: an address, and not yet reminded this period."""
        return [u for u in self.silent if u["email"] and u["key"] not in self.reminded]

    @property
    def without_address(self) -> list[dict]:
        return [u for u in self.silent if not u["email"] and u["key"] not in self.reminded]

    @property
    def already(self) -> list[dict]:
        return [u for u in self.silent if u["key"] in self.reminded]


def silent_units(session: Session, period: str | Period, contacts: UnitContacts | None = None) -> Silence:
    """The units with no post about Resolution 71 in the period, each with its address or None.

    Straight from `unit_compliance` (status "chưa đăng"); the unmonitored ones are returned apart.
    """
    period = period if isinstance(period, Period) else parse_period(period)
    contacts = contacts or unit_contacts()
    rows = unit_compliance(session, *period.bounds)
    silent = [{**r, "email": contacts.emails.get(r["key"])} for r in rows if r["status"] == SILENT]
    unwatched = [r for r in rows if r["status"] == UNWATCHED]
    return Silence(period, silent, unwatched, _reminded(session, period), contacts.problems)


# --- the reminders --------------------------------------------------------------------------------------------


@dataclass
class Reminders:
    """What a reminder run did (or, dry, would do); each list holds unit rows as `Silence` gives them."""

    period: Period
    by: str
    dry_run: bool
    sent: list[dict] = field(default_factory=list)  # dry run: the ones that would be sent
    already: list[dict] = field(default_factory=list)  # + "sent_at", "recipient", "sent_by" of the earlier reminder
    without_address: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)  # + "answer": what the server said (or why it was not reached)
    unwatched: list[dict] = field(default_factory=list)
    problems: tuple[str, ...] = ()


def _answer(exc: BaseException) -> str:
    """The server's answer to a refused send, on one line ("550 5.1.1 …"), or the connection's failure."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {(reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply)}"
                         for code, reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return " ".join(f"{exc.smtp_code} {reply}".split())
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _unreachable(exc: BaseException) -> bool:
    """No server to talk to (refused, unreachable, timed out): trying the next unit now would fail the same way."""
    return not isinstance(exc, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused))


def _department(plan: Plan, contacts: UnitContacts, settings: Settings) -> tuple[str, str]:
    """(the Department's name, the address units answer to): the lead agency's own address, else the sender's."""
    lead = next((a for a in plan.agencies.agencies if a.key == plan.meta.lead_agency), None)
    name = lead.name if lead else plan.meta.lead_agency
    return name, contacts.emails.get(plan.meta.lead_agency) or parseaddr(settings.mail_from)[1] or settings.mail_from


def _day(iso: str | None) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if iso else ""


def build_message(settings: Settings, plan: Plan, period: Period, unit: dict, addressee: str, by: str,
                  department: tuple[str, str]) -> EmailMessage:
    """The reminder to one unit, in Vietnamese: whom, which period, what plan V.6 asks, its count, whom to answer."""
    name, reply_to = department
    msg = EmailMessage()
    msg["Subject"] = f"Đề nghị đăng tin, bài về Nghị quyết số 71-NQ/TW — {period.label} ({unit['name']})"
    msg["From"] = settings.mail_from
    msg["To"] = unit["email"]
    if reply_to and reply_to != parseaddr(settings.mail_from)[1]:
        msg["Reply-To"] = formataddr((name, reply_to))
    msg["Date"] = formatdate(localtime=False)
    digest = hashlib.sha256(reminder_key(period, unit["key"], unit["email"]).encode()).hexdigest()[:16]
    msg["Message-ID"] = f"<unit-silent.{digest}@mediaplan.local>"  # the same for one unit, period and address
    since = unit["posts_since_start"]
    last = f"; tin, bài gần nhất ngày {_day(unit['last_post'])}" if unit.get("last_post") else ""
    portal = f" ({unit['portal']})" if unit.get("portal") else ""
    body = [
        f"Kính gửi: {addressee}",
        "",
        f"Thực hiện {plan.meta.name}, mục V.6 của Kế hoạch đề nghị các sở, ban, ngành và Ủy ban nhân dân các xã, "
        f"phường, đặc khu thường xuyên đăng tin, bài về Nghị quyết số 71-NQ/TW của Bộ Chính trị về đột phá phát "
        f"triển giáo dục và đào tạo trên trang thông tin điện tử của đơn vị; mục V.1 giao {name} theo dõi, đôn đốc.",
        "",
        f"Theo số liệu giám sát, trong {period.label}, trang thông tin điện tử của đơn vị{portal} chưa có "
        f"tin, bài nào về Nghị quyết số 71-NQ/TW. Từ khi Kế hoạch bắt đầu ({plan.meta.starts:%d/%m/%Y}) đến hết kỳ: "
        f"{since} tin, bài{last}.",
        "",
        f"Đề nghị {addressee} quan tâm đăng tải tin, bài về Nghị quyết số 71-NQ/TW. Nếu đơn vị đã đăng mà số liệu "
        f"trên chưa ghi nhận, xin phản hồi kèm đường dẫn bài viết để {name} cập nhật.",
        "",
        f"Liên hệ: {name}, e-mail {reply_to}.",
        f"Người gửi: {by}.",
        "",
        "(Thư gửi một lần cho mỗi đơn vị trong mỗi kỳ.)",
    ]
    msg.set_content("\n".join(body) + "\n")
    return msg


def _addressees(session: Session, keys: list[str]) -> dict[str, str]:
    """How a mail greets each unit: "UBND xã Sơn Hà", "Sở Nội vụ" (the agency's name, not the table's short one)."""
    rows = session.execute(select(Agency.key, Agency.name, Agency.kind).where(Agency.key.in_(keys))) if keys else []
    return {k: (n.replace("UBND ", "Ủy ban nhân dân ", 1) if kind == AgencyKind.COMMUNE else n) for k, n, kind in rows}


def _plan_for(settings: Settings) -> Plan:
    from mediaplan.plans import current_plan, load_plan

    return current_plan() if settings.plan == get_settings().plan else load_plan(settings.plan)


def remind_silent_units(session: Session, period: str | Period, by: str, dry_run: bool = False,
                        settings: Settings | None = None) -> Reminders:
    """E-mail each monitored unit that has not posted in the period, once per unit and period; say what happened.

    Every reminder's row is committed right after its message was accepted, so a crash later never resends it;
    a refused or failed send records nothing and is tried again next run. Once the server cannot be reached at
    all, the remaining units are not tried (each would wait for the same timeout) and are listed as failed with
    that reason. `dry_run` sends and records nothing and lists who would be reminded.
    """
    from mediaplan.nlp.labels import LabelError, check_name

    settings = settings or get_settings()
    try:
        by = check_name(by, "người gửi nhắc nhở")
    except LabelError as exc:
        raise ServiceError(str(exc), field="by") from None
    period = remindable_period(period)
    plan = _plan_for(settings)
    contacts = unit_contacts(plan)
    with _ONE_RUN:
        session.commit()  # end any earlier read: another run may have sent (and recorded) since
        silence = silent_units(session, period, contacts)
        result = Reminders(period, by, dry_run, without_address=silence.without_address, unwatched=silence.unwatched,
                           problems=silence.problems)
        for unit in silence.already:
            row = silence.reminded[unit["key"]]
            result.already.append({**unit, "sent_at": row.sent_at, "recipient": row.recipient, "sent_by": row.sent_by})
        pending = silence.to_remind
        if dry_run:
            result.sent = pending
            return result
        department = _department(plan, contacts, settings)
        addressees = _addressees(session, [u["key"] for u in pending])
        down: str | None = None
        for unit in pending:
            if down:
                result.failed.append({**unit, "answer": f"chưa thử: {down}"})
                continue
            msg = build_message(settings, plan, period, unit, addressees.get(unit["key"], unit["name"]), by, department)
            try:
                deliver(settings, msg)
            except SendError as exc:
                result.failed.append({**unit, "answer": _answer(exc)})
                if _unreachable(exc):
                    down = f"không kết nối được máy chủ thư ({_answer(exc)})"
                continue
            session.add(ReminderSent(key=reminder_key(period, unit["key"], unit["email"]), recipient=unit["email"],
                                     kind=ReminderKind.UNIT_SILENT, digest=ReminderCadence.PERIOD, sent_by=by))
            try:
                session.commit()  # this reminder's row now: a crash on the next unit must not resend this one
            except IntegrityError:
                session.rollback()  # another process sent and recorded the very same reminder meanwhile
            result.sent.append(unit)
    return result
