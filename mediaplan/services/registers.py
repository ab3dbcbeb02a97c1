"""Registers of dissemination conferences (plan II.1, first bullet) and courses (plan III.4), and the indicators
counted from them.

The plan's targets "100% cán bộ, công chức, viên chức được quán triệt" and "70% (2030) / 100% (2035) cán bộ làm công
tác truyền thông được đào tạo, bồi dưỡng" used to be shares typed in by hand, which nobody could check. They are now
counted from what the Department already collects: each event (a conference or a course) with its attendees per
unit, the files that prove it (stored once, by their SHA-256, and listed in the report), and each unit's two
headcounts, which are the denominators. Units send their lists as XLSX, so that is what `import_workbook` reads.

The units are those of `reports.metrics.unit_compliance` (every department of the plan and the 96 communes, wards
and the special zone), under the same keys, so the register, the V.6 table and the reminders name the same units.

How attendances add up across events (docs/metrics.md, "Sổ theo dõi"): for a conference, a unit counts the largest
attendance of any conference (the same staff attend successive conferences, so a sum would count people twice); for
courses, the sum over courses (courses teach different skills to different people of a small communication team);
either way never more than the unit's headcount. Both count every event held up to the last day of the period,
because being disseminated or trained once stays true; the report lists the events held within the period.

Everything is counted in SQL; nothing here prints (the CLI and the web app render what it returns).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Float, case, cast, delete, func, select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Agency, RegisterEvent, RegisterEvidence, RegisterParticipation, UnitHeadcount, utcnow
from mediaplan.localtime import local_today
from mediaplan.nlp.normalize import fold, normalize
from mediaplan.periods import Period, first_day, next_month, parse_day
from mediaplan.services import NotFound, ServiceError
from mediaplan.vocab import AgencyKind, HeadcountKind, RegisterKind

MAX_FILE_BYTES = 20 * 1024 * 1024  # an attendance list or a scanned minute; more is refused (the web answers 413)
MAX_SHEET_ROWS = 10_000  # a list of units has about a hundred rows; past this a sheet is not a list of units
SHORT_HASH = 12  # hex digits of the SHA-256 shown in the report (the XLSX and the web page carry the whole hash)
TITLE_MAX, PLACE_MAX, FILENAME_MAX = 300, 200, 255
COUNT_MAX = 1_000_000  # more people than the province has staff: a typo
UNITS = (AgencyKind.DEPARTMENT, AgencyKind.COMMUNE)  # as reports.metrics.PORTAL_UNITS (the plan's units)

# The headcount each register is divided by, for the tables that show both (the targets name theirs in targets.yaml).
PAIRS = {RegisterKind.CONFERENCE: HeadcountKind.STAFF, RegisterKind.TRAINING: HeadcountKind.COMMS_STAFF}
# How a reason names the missing headcount ("N đơn vị chưa có số biên chế").
HEADCOUNT_NAMES = {HeadcountKind.STAFF: "số biên chế", HeadcountKind.COMMS_STAFF: "số cán bộ làm công tác truyền thông"}
EMPTY_REGISTER = "chưa có sổ theo dõi"


class TooLarge(ServiceError):
    """A file over MAX_FILE_BYTES (the web answers 413)."""


# --- small checks --------------------------------------------------------------------------------------------


def _name(by: str | None, who: str = "người nhập") -> str:
    from mediaplan.nlp.labels import check_name

    try:
        return check_name(by or "", who)
    except ValueError as exc:
        raise ServiceError(str(exc), field="by") from None


def _text(value: str | None, what: str, limit: int, *, required: bool = False, option: str | None = None) -> str:
    text = normalize(value or "")
    if required and not text:
        raise ServiceError(f"cần {what}", field=option)
    if len(text) > limit or any(unicodedata.category(c) == "Cc" for c in text):
        raise ServiceError(f"{what} không hợp lệ: tối đa {limit} ký tự, không có ký tự điều khiển", field=option)
    return text


def _day(value: date | str | None, option: str = "date") -> date:
    if isinstance(value, date):
        return value
    try:
        return parse_day(value or "")
    except ValueError as exc:
        raise ServiceError(str(exc), field=option) from None


def _kind(value: str, vocabulary, option: str):
    try:
        return vocabulary.parse((value or "").strip())
    except ValueError as exc:
        raise ServiceError(str(exc), field=option) from None


def _count(value, what: str = "số người") -> int:
    """A whole number of people from a form, the CLI or a spreadsheet cell ("1.234" as units type it is 1234)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ServiceError(f"thiếu {what}")
    if isinstance(value, bool):
        raise ServiceError(f"{what} không hợp lệ {value!r}: cần một số nguyên không âm")
    if isinstance(value, float):
        if not value.is_integer():
            raise ServiceError(f"{what} không hợp lệ {value:g}: cần một số nguyên không âm")
        value = int(value)
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):
            text = re.sub(r"[.,]", "", text)
        if not re.fullmatch(r"\d+", text):
            raise ServiceError(f"{what} không hợp lệ {value.strip()[:40]!r}: cần một số nguyên không âm")
        value = int(text)
    if not isinstance(value, int) or value < 0 or value > COUNT_MAX:
        raise ServiceError(f"{what} không hợp lệ {value!r}: cần một số nguyên từ 0 đến {COUNT_MAX:,}".replace(",", "."))
    return value


def period_days(period: Period) -> tuple[date, date]:
    """The first and the last local day of a period (registers are dated by day, not by instant)."""
    return first_day(period.first), first_day(next_month(period.last)) - timedelta(days=1)


# --- units ---------------------------------------------------------------------------------------------------


def unit_name(agency: Agency) -> str:
    """The unit as the report names it: "Xã Sơn Hà", "Sở Nội vụ" (the V.6 table's naming)."""
    return agency.short_name if agency.kind == AgencyKind.COMMUNE and agency.short_name else agency.name


class UnitMatcher:
    """Finds a unit from what a spreadsheet calls it: its key, full name ("Xã Sơn Hà", "UBND xã Sơn Hà"), name
    without its type ("Sơn Hà") or a known alias; accents first, then without them.

    The exact accented form wins: "Xã Sơn Hạ" is Sơn Hạ even though "Xa Son Ha" could be either. A name that only
    its accents tell apart from another is refused when typed without them, naming both, rather than guessed.
    """

    def __init__(self, session: Session):
        self.exact: dict[str, set[str]] = {}
        self.folded: dict[str, set[str]] = {}
        self.names: dict[str, str] = {}
        for a in session.scalars(select(Agency).where(Agency.kind.in_(UNITS))):
            self.names[a.key] = unit_name(a)
            forms = {a.key, a.name, a.short_name or "", *(a.aliases or [])}
            if a.kind == AgencyKind.COMMUNE and a.unit_type:
                bare = [x for x in {a.short_name or "", *(a.aliases or [])} if x]
                prefix = f"{a.unit_type} ".lower()
                forms |= {x[len(prefix):] for x in bare if x.lower().startswith(prefix)}
                forms |= {f"{a.unit_type} {x}" for x in (a.aliases or [])}
            for form in filter(None, (normalize(x) for x in forms)):
                self.exact.setdefault(form.lower(), set()).add(a.key)
                self.folded.setdefault(fold(form), set()).add(a.key)

    def match(self, text) -> str:
        raw = normalize(str(text if text is not None else ""))
        if not raw:
            raise ServiceError("thiếu tên đơn vị")
        for table, key in ((self.exact, raw.lower()), (self.folded, fold(raw))):
            found = table.get(key, set())
            if len(found) == 1:
                return next(iter(found))
            if len(found) > 1:
                names = ", ".join(sorted(self.names[k] for k in found))
                raise ServiceError(f"«{raw[:80]}» có thể là {names}: ghi tên có đủ dấu hoặc mã đơn vị")
        raise ServiceError(f"không có đơn vị «{raw[:80]}» trong Kế hoạch (ghi tên đầy đủ như «Xã Sơn Hà», «Sở Nội vụ» "
                           "hoặc mã đơn vị)")


# --- evidence files ------------------------------------------------------------------------------------------


def evidence_root() -> Path:
    from mediaplan.settings import get_settings

    return Path(get_settings().data_dir)


def _clean_filename(name: str | None) -> str:
    base = re.split(r"[\\/]", normalize(name or ""))[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    return (base or "tệp")[-FILENAME_MAX:]


def check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise TooLarge(f"tệp lớn hơn {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if not data:
        raise ServiceError("tệp rỗng")


def store_file(data: bytes) -> tuple[str, str]:
    """Store the bytes once at `evidence/<sha256>` under the data dir; returns (sha256, the relative path).

    Written to a temporary name and renamed, so a crash never leaves a half file under a hash it does not have.
    """
    check_size(data)
    digest = hashlib.sha256(data).hexdigest()
    relative = f"evidence/{digest}"
    path = evidence_root() / relative
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return digest, relative


def _event(session: Session, event_id: int) -> RegisterEvent:
    event = session.get(RegisterEvent, event_id) if isinstance(event_id, int) and 0 < event_id < 2**31 else None
    if event is None:
        raise NotFound(f"không có sự kiện #{event_id} trong sổ theo dõi")
    return event


def attach_evidence(session: Session, event_id: int, filename: str, data: bytes, *, by: str) -> RegisterEvidence:
    """Attach a file to an event; the same bytes attached again to the same event return the row already there."""
    by = _name(by)
    event = _event(session, event_id)
    digest, relative = store_file(data)
    row = session.scalar(select(RegisterEvidence).where(RegisterEvidence.event_id == event.id,
                                                        RegisterEvidence.sha256 == digest))
    if row is None:
        row = RegisterEvidence(event_id=event.id, filename=_clean_filename(filename), sha256=digest, size=len(data),
                               stored_path=relative, uploaded_by=by)
        session.add(row)
        session.flush()
    return row


def evidence_file(session: Session, evidence_id: int) -> tuple[RegisterEvidence, Path]:
    row = session.get(RegisterEvidence, evidence_id) if 0 < evidence_id < 2**31 else None
    path = evidence_root() / row.stored_path if row else None
    if row is None or not path.is_file():
        raise NotFound(f"không có tệp minh chứng #{evidence_id}")
    return row, path


# --- events, attendance, headcounts --------------------------------------------------------------------------


def add_event(session: Session, kind: str, title: str, held_on: date | str, *, by: str, organiser: str = "",
              place: str = "", participants: Mapping[str, int] | None = None) -> RegisterEvent:
    """Record a conference or a course; `participants` maps a unit (key or name) to its attendees."""
    event = RegisterEvent(kind=_kind(kind, RegisterKind, "kind"), title=_text(title, "tên sự kiện", TITLE_MAX, required=True, option="title"),
                          held_on=_day(held_on), organiser=_text(organiser, "đơn vị tổ chức", PLACE_MAX, option="organiser"),
                          place=_text(place, "địa điểm", PLACE_MAX, option="place"), created_by=_name(by))
    session.add(event)
    session.flush()
    if participants:
        matcher = UnitMatcher(session)
        for unit, count in participants.items():
            _set_participation(session, event, matcher.match(unit), _count(count), by=event.created_by, evidence_id=None)
    return event


def _set_participation(session: Session, event: RegisterEvent, unit_key: str, count: int, *, by: str,
                       evidence_id: int | None) -> RegisterParticipation:
    row = session.scalar(select(RegisterParticipation).where(RegisterParticipation.event_id == event.id,
                                                             RegisterParticipation.unit_key == unit_key))
    if row is None:
        row = RegisterParticipation(event_id=event.id, unit_key=unit_key, count=count, entered_by=by, evidence_id=evidence_id)
        session.add(row)
    else:
        row.count, row.entered_by, row.evidence_id, row.entered_at = count, by, evidence_id, utcnow()
    session.flush()
    return row


def set_participation(session: Session, event_id: int, unit: str, count, *, by: str) -> RegisterParticipation:
    """One unit's attendance at one event, entered by hand (replaces what was there for that unit)."""
    by = _name(by)
    event = _event(session, event_id)
    return _set_participation(session, event, UnitMatcher(session).match(unit), _count(count), by=by, evidence_id=None)


def set_headcount(session: Session, unit: str, kind: str, count, *, by: str, as_of: date | str | None = None,
                  source: str = "") -> UnitHeadcount:
    """A unit's headcount of one kind as of a day (default today); the same unit, kind and day replaces it."""
    by = _name(by)
    key = UnitMatcher(session).match(unit)
    kind = _kind(kind, HeadcountKind, "kind")
    when = _day(as_of, "as_of") if as_of else local_today()
    return _set_headcount(session, key, kind, _count(count, "số biên chế"), when, _text(source, "nguồn", 1000), by)


def _set_headcount(session, key, kind, count, when, source, by) -> UnitHeadcount:
    row = session.scalar(select(UnitHeadcount).where(UnitHeadcount.unit_key == key, UnitHeadcount.kind == kind,
                                                     UnitHeadcount.as_of == when))
    if row is None:
        row = UnitHeadcount(unit_key=key, kind=kind, count=count, as_of=when, source=source, entered_by=by)
        session.add(row)
    else:
        row.count, row.source, row.entered_by, row.entered_at = count, source, by, utcnow()
    session.flush()
    return row


# --- XLSX import ---------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did: rows taken, the file kept as evidence, and one line per refused row."""

    filename: str
    sha256: str
    event_id: int | None = None
    evidence_id: int | None = None
    participants: int = 0  # unit rows imported
    attendees: int = 0  # their sum
    headcounts: int = 0  # headcount figures set
    errors: list[str] = field(default_factory=list)


# Header words and total rows, accent-folded as the cells are (fold keeps đ apart from d).
_UNIT, _UNIT_OF_MEASURE = fold("đơn vị"), fold("đơn vị tính")
_COUNT = tuple(fold(w) for w in ("tham dự", "học viên", "được đào tạo", "được bồi dưỡng", "được quán triệt"))
_COUNT_EXACT = {fold("số người"), fold("số lượng")}
_COMMS, _STAFF = fold("truyền thông"), fold("biên chế")
_TOTAL_ROWS = {fold(w) for w in ("tổng", "tổng cộng", "cộng", "tổng số", "toàn tỉnh")}


def _header(cell) -> str:
    return fold(normalize(str(cell))) if cell is not None else ""


def _columns(header: list[str]) -> dict[str, int]:
    """Column positions by what the header says (accents and case ignored, a little wording tolerated):
    "Đơn vị", "Số người tham dự" (or "Số học viên", "Số người được đào tạo"), "Biên chế", "Cán bộ truyền thông"."""
    out: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h or _UNIT_OF_MEASURE in h:
            continue
        if _UNIT in h and "unit" not in out:
            out["unit"] = i
        elif any(w in h for w in _COUNT) or h in _COUNT_EXACT:
            out.setdefault("count", i)
        elif _COMMS in h:
            out.setdefault("comms_staff", i)
        elif _STAFF in h:
            out.setdefault("staff", i)
    return out


def _read_sheets(data: bytes, filename: str) -> dict[str, tuple[str, dict[str, int], list[tuple[int, tuple]]]]:
    """The participants sheet and the headcount sheet of a workbook: {role: (sheet title, columns, rows)}."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a zip that is not a workbook, a truncated file, an .xls: all the same to the user
        raise ServiceError(f"«{filename}» không đọc được như một tệp Excel .xlsx") from None
    found: dict[str, tuple[str, dict[str, int], list[tuple[int, tuple]]]] = {}
    try:
        for ws in wb.worksheets:
            columns, rows = None, []
            for n, values in enumerate(ws.iter_rows(values_only=True), 1):
                if n > MAX_SHEET_ROWS:
                    raise ServiceError(f"trang «{ws.title}» có hơn {MAX_SHEET_ROWS:,} dòng: không phải danh sách đơn vị".replace(",", "."))
                if columns is None:
                    if n > 20:
                        break  # no header in the first 20 rows: not one of our sheets
                    cols = _columns([_header(v) for v in values])
                    if "unit" in cols and ({"count"} & set(cols) or {"staff", "comms_staff"} & set(cols)):
                        columns = cols
                    continue
                rows.append((n, values))
            if columns is None:
                continue
            role = "participants" if "count" in columns else "headcounts"
            found.setdefault(role, (ws.title, columns, rows))
    except ServiceError:
        raise
    except Exception:
        raise ServiceError(f"«{filename}» hỏng: không đọc hết được các trang của tệp Excel") from None
    finally:
        wb.close()
    return found


def _cell(values: tuple, i: int | None):
    if i is None or i >= len(values):
        return None
    v = values[i]
    return None if isinstance(v, str) and not v.strip() else v


def import_workbook(session: Session, data: bytes, filename: str, *, event_id: int | None, by: str,
                    as_of: date | str | None = None) -> ImportResult:
    """Import a unit's or the Department's XLSX: the sheet "Đơn vị | Số người tham dự" as the event's attendance,
    and, when present, the sheet "Đơn vị | Biên chế | Cán bộ truyền thông" as headcounts (as of the event's day,
    or `as_of`, or today without an event).

    A row naming an unknown unit or holding a bad number is refused with one line naming it; the other rows import.
    The file is stored as the event's evidence, and re-importing it replaces the rows it wrote before: the same
    file imported twice gives the same register, never double counts.
    """
    by = _name(by)
    check_size(data)
    filename = _clean_filename(filename)
    event = _event(session, event_id) if event_id is not None else None
    sheets = _read_sheets(data, filename)
    if event is not None and "participants" not in sheets:
        raise ServiceError(f"«{filename}»: không có trang nào có cột «Đơn vị» và «Số người tham dự»")
    if event is None and "headcounts" not in sheets:
        raise ServiceError(f"«{filename}»: không có trang nào có cột «Đơn vị» và «Biên chế» / «Cán bộ truyền thông»"
                           + ("; để nhập danh sách tham dự, chọn sự kiện (--event)" if "participants" in sheets else ""))
    matcher = UnitMatcher(session)
    digest = hashlib.sha256(data).hexdigest()
    result = ImportResult(filename=filename, sha256=digest)

    attendance: dict[str, int] = {}
    if event is not None:
        title, cols, rows = sheets["participants"]
        seen: dict[str, int] = {}
        for n, values in rows:
            unit, count = _cell(values, cols["unit"]), _cell(values, cols["count"])
            if unit is None and count is None:
                continue
            if unit is not None and fold(normalize(str(unit))).strip(" :.") in _TOTAL_ROWS:
                continue  # the total row units add at the bottom
            try:
                key = matcher.match(unit)
                if key in seen:
                    raise ServiceError(f"{matcher.names[key]} đã có ở dòng {seen[key]}")
                number = _count(count, "số người tham dự")
            except ServiceError as exc:
                result.errors.append(f"dòng {n} (trang «{title}»): {exc}")
                continue
            seen[key] = n
            attendance[key] = number

    staffing: dict[str, dict[HeadcountKind, int]] = {}
    if "headcounts" in sheets:
        title, cols, rows = sheets["headcounts"]
        seen = {}
        for n, values in rows:
            unit = _cell(values, cols["unit"])
            numbers = {kind: _cell(values, cols.get(kind.value)) for kind in HeadcountKind}
            if unit is None and all(v is None for v in numbers.values()):
                continue
            if unit is not None and fold(normalize(str(unit))).strip(" :.") in _TOTAL_ROWS:
                continue
            try:
                key = matcher.match(unit)
                if key in seen:
                    raise ServiceError(f"{matcher.names[key]} đã có ở dòng {seen[key]}")
                parsed = {kind: _count(v, "số biên chế" if kind == HeadcountKind.STAFF else "số cán bộ truyền thông")
                          for kind, v in numbers.items() if v is not None}
                if not parsed:
                    raise ServiceError("thiếu số biên chế và số cán bộ truyền thông")
                if parsed.get(HeadcountKind.COMMS_STAFF, 0) > parsed.get(HeadcountKind.STAFF, COUNT_MAX):
                    raise ServiceError("số cán bộ truyền thông lớn hơn biên chế")
            except ServiceError as exc:
                result.errors.append(f"dòng {n} (trang «{title}»): {exc}")
                continue
            seen[key] = n
            staffing[key] = parsed

    # The file itself is the evidence of what was imported (an event's list) or the source of the headcounts.
    if event is not None:
        evidence = attach_evidence(session, event.id, filename, data, by=by)
        result.event_id, result.evidence_id = event.id, evidence.id
        session.execute(delete(RegisterParticipation).where(RegisterParticipation.event_id == event.id,
                                                            RegisterParticipation.evidence_id == evidence.id))
        session.flush()
        for key, number in attendance.items():
            _set_participation(session, event, key, number, by=by, evidence_id=evidence.id)
        result.participants, result.attendees = len(attendance), sum(attendance.values())
    else:
        store_file(data)
    if staffing:
        when = _day(as_of, "as_of") if as_of else (event.held_on if event is not None else local_today())
        source = f"tệp {filename} (sha256 {digest[:SHORT_HASH]})"
        for key, numbers in staffing.items():
            for kind, number in numbers.items():
                _set_headcount(session, key, kind, number, when, source, by)
                result.headcounts += 1
    return result


# --- the indicators, counted in SQL --------------------------------------------------------------------------


def _in_force(kind: HeadcountKind, end: date):
    """Each unit's headcount in force on `end`: the latest as of that day, or, when every figure was recorded
    later (a report built after its period), the earliest one."""
    before = UnitHeadcount.as_of <= end
    rank = func.row_number().over(
        partition_by=UnitHeadcount.unit_key,
        order_by=(case((before, 0), else_=1), case((before, UnitHeadcount.as_of)).desc(), UnitHeadcount.as_of,
                  UnitHeadcount.id.desc())).label("rank")
    ranked = (select(UnitHeadcount.unit_key, UnitHeadcount.count, UnitHeadcount.as_of, UnitHeadcount.source, rank)
              .where(UnitHeadcount.kind == kind).subquery())
    return select(ranked.c.unit_key, ranked.c.count, ranked.c.as_of, ranked.c.source).where(ranked.c.rank == 1).subquery()


def _attended(register: RegisterKind, end: date):
    """Each unit's people reached by `register` up to `end`: the largest conference, or the sum of courses."""
    combine = func.max if register == RegisterKind.CONFERENCE else func.sum
    return (select(RegisterParticipation.unit_key, combine(RegisterParticipation.count).label("people"),
                   func.count(func.distinct(RegisterParticipation.event_id)).label("events"))
            .join(RegisterEvent, RegisterEvent.id == RegisterParticipation.event_id)
            .where(RegisterEvent.kind == register, RegisterEvent.held_on <= end)
            .group_by(RegisterParticipation.unit_key).subquery())


def _per_unit(register: RegisterKind, headcount: HeadcountKind, end: date):
    staff, people = _in_force(headcount, end), _attended(register, end)
    reached = func.coalesce(people.c.people, 0)
    covered = case((staff.c.count.is_(None), None), (reached < staff.c.count, reached), else_=staff.c.count)
    return (select(Agency.key, Agency.name, Agency.short_name, Agency.kind,
                   staff.c.count.label("headcount"), staff.c.as_of.label("headcount_as_of"),
                   staff.c.source.label("headcount_source"), reached.label("people"),
                   func.coalesce(people.c.events, 0).label("events"), covered.label("covered"),
                   (cast(covered, Float) / func.nullif(staff.c.count, 0)).label("share"))
            .outerjoin(staff, staff.c.unit_key == Agency.key).outerjoin(people, people.c.unit_key == Agency.key)
            .where(Agency.kind.in_(UNITS)))


def unit_indicators(session: Session, register: str, headcount: str, end: date) -> list[dict]:
    """One row per unit: its headcount in force, the people the register reached (capped at the headcount) and
    the share, in the V.6 table's order."""
    register, headcount = RegisterKind(register), HeadcountKind(headcount)
    q = _per_unit(register, headcount, end).order_by(Agency.kind.desc(), Agency.key)
    return [{"key": r.key, "name": r.short_name if r.kind == AgencyKind.COMMUNE and r.short_name else r.name,
             "kind": str(r.kind), "headcount": r.headcount,
             "headcount_as_of": r.headcount_as_of.isoformat() if r.headcount_as_of else None,
             "headcount_source": r.headcount_source or "", "people": int(r.people), "events": int(r.events),
             "covered": None if r.covered is None else int(r.covered), "share": r.share}
            for r in session.execute(q)]


def indicator(session: Session, register: str, headcount: str, end: date) -> dict:
    """The province's share: Σ min(people_u, headcount_u) / Σ headcount_u over every unit, as of `end`.

    Complete only when every unit has a headcount and the register has at least one event by then; otherwise
    `value` is None and `reason` says what is missing (the report prints "chưa đủ dữ liệu: <reason>").
    """
    from mediaplan.reports.narrative import vi_number

    register, headcount = RegisterKind(register), HeadcountKind(headcount)
    rows = _per_unit(register, headcount, end).subquery()
    units, missing, covered, denominator, people = session.execute(select(
        func.count(), func.sum(case((rows.c.headcount.is_(None), 1), else_=0)), func.coalesce(func.sum(rows.c.covered), 0),
        func.coalesce(func.sum(rows.c.headcount), 0), func.coalesce(func.sum(rows.c.people), 0))).one()
    events = session.scalar(select(func.count()).select_from(RegisterEvent)
                            .where(RegisterEvent.kind == register, RegisterEvent.held_on <= end)) or 0
    missing, covered, denominator, people = int(missing or 0), int(covered), int(denominator), int(people)
    reasons = []
    if not events:
        reasons.append(EMPTY_REGISTER)
    if missing:
        reasons.append(f"{missing} đơn vị chưa có {HEADCOUNT_NAMES[headcount]}")
    elif not denominator and units:
        reasons.append(f"tổng {HEADCOUNT_NAMES[headcount]} của các đơn vị bằng 0")
    what = "được quán triệt" if register == RegisterKind.CONFERENCE else "được đào tạo, bồi dưỡng"
    noun = "hội nghị quán triệt" if register == RegisterKind.CONFERENCE else "lớp đào tạo, bồi dưỡng"
    held = f"{vi_number(events)} {noun} đến {end:%d/%m/%Y}"
    known = units - missing
    if not known:
        detail = f"chưa đơn vị nào có {HEADCOUNT_NAMES[headcount]}; {held}"
    elif missing:  # the partial figure, said as partial: the share itself is withheld until every unit has a headcount
        detail = (f"{vi_number(covered)}/{vi_number(denominator)} người {what} ở {vi_number(known)}/{vi_number(units)} "
                  f"đơn vị đã có {HEADCOUNT_NAMES[headcount]}; {held}")
    else:
        detail = f"{vi_number(covered)}/{vi_number(denominator)} người {what} ở {vi_number(units)} đơn vị; {held}"
    return {"register": str(register), "headcount": str(headcount), "end": end.isoformat(), "units": int(units),
            "missing": missing, "events": int(events), "people": people, "covered": covered,
            "denominator": denominator, "value": None if reasons else covered / denominator,
            "reason": "; ".join(reasons) or None, "detail": detail}


# --- what the report, the page and the CLI list --------------------------------------------------------------


def events_between(session: Session, first: date, last: date, kind: str | None = None) -> list[dict]:
    """The events held from `first` to `last`, by date, each with its units, attendees and evidence files."""
    totals = (select(RegisterParticipation.event_id, func.count().label("units"), func.sum(RegisterParticipation.count).label("people"))
              .group_by(RegisterParticipation.event_id).subquery())
    q = (select(RegisterEvent, func.coalesce(totals.c.units, 0), func.coalesce(totals.c.people, 0))
         .outerjoin(totals, totals.c.event_id == RegisterEvent.id)
         .where(RegisterEvent.held_on >= first, RegisterEvent.held_on <= last)
         .order_by(RegisterEvent.held_on, RegisterEvent.id))
    if kind:
        q = q.where(RegisterEvent.kind == RegisterKind(kind))
    found = session.execute(q).all()
    files: dict[int, list[dict]] = {}
    if found:
        ids = [e.id for e, _, _ in found]
        for start in range(0, len(ids), 500):
            for ev in session.scalars(select(RegisterEvidence).where(RegisterEvidence.event_id.in_(ids[start:start + 500]))
                                      .order_by(RegisterEvidence.id)):
                files.setdefault(ev.event_id, []).append({
                    "id": ev.id, "filename": ev.filename, "sha256": ev.sha256, "short": ev.sha256[:SHORT_HASH],
                    "size": ev.size, "uploaded_by": ev.uploaded_by})
    return [{"id": e.id, "kind": str(e.kind), "kind_label": RegisterKind(e.kind).label, "title": e.title,
             "date": e.held_on.isoformat(), "organiser": e.organiser, "place": e.place, "units": int(units),
             "attendees": int(people), "evidence": files.get(e.id, [])}
            for e, units, people in found]


def participants_of(session: Session, event_id: int) -> list[dict]:
    """One event's attendance per unit (the page's detail of an event)."""
    event = _event(session, event_id)
    q = (select(RegisterParticipation, Agency).join(Agency, Agency.key == RegisterParticipation.unit_key)
         .where(RegisterParticipation.event_id == event.id).order_by(Agency.kind.desc(), Agency.key))
    return [{"key": a.key, "name": unit_name(a), "count": p.count, "from_file": p.evidence_id is not None,
             "entered_by": p.entered_by} for p, a in session.execute(q)]


def register_figures(session: Session, period: Period) -> dict:
    """The registers section of a period's figures: the events held in it, and both indicators per unit as of its
    last day (the report's appendix, the XLSX sheets "Sổ theo dõi", the /registers page)."""
    first, last = period_days(period)
    indicators, per_unit = [], {}
    for register, headcount in PAIRS.items():
        totals = indicator(session, register, headcount, last)
        totals["label"] = register.label
        totals["headcount_label"] = headcount.label
        indicators.append(totals)
        for row in unit_indicators(session, register, headcount, last):
            unit = per_unit.setdefault(row["key"], {"key": row["key"], "name": row["name"], "kind": row["kind"]})
            unit[register.value] = {k: row[k] for k in ("headcount", "headcount_as_of", "people", "events", "covered", "share")}
    return {"first_day": first.isoformat(), "last_day": last.isoformat(),
            "events": events_between(session, first, last), "indicators": indicators, "units": list(per_unit.values())}
