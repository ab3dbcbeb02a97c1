"""The registers page (`/registers`): conferences and courses of a period with their evidence, both staff
indicators per unit, and plain HTML forms to add an event, upload a unit's XLSX list, attach an evidence file and
set a unit's headcounts.

The indicators are `services.registers.register_figures`, the very figures of the report's appendix and its XLSX
sheets, so the page and the signed report agree. Uploads are refused above `services.registers.MAX_FILE_BYTES`
(413) before the body is parsed when the browser says its length, and again on the bytes read; a request without
a length is refused (411), so a body of unknown size is never spooled. Every refusal is a 4xx with a Vietnamese
message on the page itself, never a 500: a bad date, an unknown unit, a corrupt XLSX.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from mediaplan.periods import Period, month_of, parse_period
from mediaplan.reports.metrics import DEFINITIONS
from mediaplan.i18n import _, number, percent
from mediaplan.services import NotFound, ServiceError
from mediaplan.services import registers as reg
from mediaplan.vocab import HeadcountKind, RegisterKind, label
from mediaplan.auth.roles import Ability
from mediaplan.web.deps import MAX_ID, SessionDep, templates, valid_month, who
from mediaplan.web.security import allow

router = APIRouter()
FORM_OVERHEAD = 64 * 1024  # the other fields and the multipart boundaries around one file
MAX_FIELDS = 20


class Refused(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


def _period(session, value: str | None) -> Period:
    return parse_period(value) if value else parse_period(valid_month(session, None))


def _page(request: Request, session, period: Period, *, status: int = 200, error: str | None = None,
          notice: str | None = None, result: reg.ImportResult | None = None, event: int | None = None):
    figures = reg.register_figures(session, period)
    detail = None
    if event and any(e["id"] == event for e in figures["events"]):
        detail = {"id": event, "rows": reg.participants_of(session, event)}
    return templates.TemplateResponse(request, "registers.html", {
        "period": period, "reg": figures, "error": error, "notice": notice, "result": result, "detail": detail,
        "kinds": RegisterKind.labels(), "headcounts": HeadcountKind.labels(), "max_mb": reg.MAX_FILE_BYTES // (1024 * 1024),
        "notes": [DEFINITIONS[k] for k in ("disseminated", "trained", "headcount")],
        "pct": lambda value: percent(None if value is None else value * 100)}, status_code=status)


async def _form(request: Request):
    """The posted form, its size checked first: no length → 411, too long → 413, unparseable → 400."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise Refused(411, _("Yêu cầu phải cho biết độ dài (Content-Length)."))
    if int(length) > reg.MAX_FILE_BYTES + FORM_OVERHEAD:
        raise Refused(413, _("Tệp lớn hơn %(mb)s MB: không nhận.") % {"mb": reg.MAX_FILE_BYTES // (1024 * 1024)})
    try:
        return await request.form(max_files=2, max_fields=MAX_FIELDS)
    except Exception:  # a malformed multipart body (starlette raises several kinds); the user's to fix
        raise Refused(400, _("Biểu mẫu gửi lên không đọc được; hãy tải lại trang rồi gửi lại.")) from None


def _field(form, name: str, limit: int = 1000) -> str:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return ""
    if len(value) > limit:
        raise Refused(400, _("Trường «%(name)s» quá dài.") % {"name": name})
    return value


async def _file(form, name: str = "file") -> tuple[str, bytes]:
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Refused(400, _("Chưa chọn tệp."))
    data = await upload.read(reg.MAX_FILE_BYTES + 1)
    if len(data) > reg.MAX_FILE_BYTES:
        raise Refused(413, _("Tệp lớn hơn %(mb)s MB: không nhận.") % {"mb": reg.MAX_FILE_BYTES // (1024 * 1024)})
    return upload.filename, data


def _event_id(value) -> int:
    if isinstance(value, int):
        event = value
    elif isinstance(value, str) and value.strip().isdigit():
        event = int(value.strip())
    else:
        raise Refused(400, _("Mã sự kiện không hợp lệ."))
    if not 1 <= event <= MAX_ID:
        raise Refused(404, _("Không có sự kiện #%(n)s trong sổ theo dõi.") % {"n": event})
    return event


def _shown(value: str | None) -> int | None:
    """The event whose attendance the page unfolds, when the value can name one (never a refusal: it is display)."""
    return int(value) if value and value.isdigit() and 1 <= int(value) <= MAX_ID else None


def _status(exc: ServiceError) -> int:
    return 404 if isinstance(exc, NotFound) else 413 if isinstance(exc, reg.TooLarge) else 400


async def _act(request: Request, session, action, *, event: int | None = None):
    """Run one change; a refusal re-renders the page (with the period asked for) with its status and message."""
    period = _period(session, request.query_params.get("period"))
    try:
        form = await _form(request)
        period = _period(session, _field(form, "period", 40) or request.query_params.get("period"))
        answer = await action(form)
        session.commit()
    except Refused as exc:
        session.rollback()
        return _page(request, session, period, status=exc.status, error=exc.message, event=event)
    except ServiceError as exc:
        session.rollback()
        return _page(request, session, period, status=_status(exc), error=str(exc), event=event)
    except ValueError as exc:  # a malformed period in the form (PeriodError)
        session.rollback()
        return _page(request, session, _period(session, None), status=400, error=str(exc))
    if isinstance(answer, RedirectResponse):
        return answer
    notice, result = answer
    return _page(request, session, period, notice=notice, result=result, event=event)


@router.get("/registers", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def registers(request: Request, session: SessionDep, period: str | None = None, event: str | None = None):
    """Events of the period, both indicators per unit, and the forms."""
    return _page(request, session, _period(session, period), event=_shown(event))


@router.post("/registers/events", response_class=HTMLResponse, dependencies=[allow(Ability.REGISTERS)])
async def add_event(request: Request, session: SessionDep):
    """A new conference or course, optionally with its first evidence file; then the page of its month."""
    async def action(form):
        row = reg.add_event(session, _field(form, "kind", 40), _field(form, "title", 400), _field(form, "date", 40),
                            organiser=_field(form, "organiser", 300), place=_field(form, "place", 300), by=who(request))
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            name, data = await _file(form)
            reg.attach_evidence(session, row.id, name, data, by=who(request))
        return RedirectResponse(f"/registers?period={month_of(row.held_on)}&event={row.id}#event-{row.id}", status_code=303)

    return await _act(request, session, action)


@router.post("/registers/events/{event_id}/import", response_class=HTMLResponse, dependencies=[allow(Ability.REGISTERS)])
async def import_list(request: Request, session: SessionDep, event_id: str):
    """A unit's XLSX list for one event (and its headcount sheet, when it has one)."""
    event = _shown(event_id)

    async def action(form):
        name, data = await _file(form)
        result = reg.import_workbook(session, data, name, event_id=_event_id(event_id), by=who(request))
        return (_("Đã nhập %(units)s đơn vị, %(people)s người tham dự từ «%(file)s»") % {
                    "units": number(result.participants), "people": number(result.attendees), "file": result.filename}
                + (_("; %(n)s số biên chế") % {"n": number(result.headcounts)} if result.headcounts else "")
                + (_("; %(n)s dòng bị từ chối") % {"n": number(len(result.errors))} if result.errors else "") + "."), result

    return await _act(request, session, action, event=event)


@router.post("/registers/events/{event_id}/evidence", response_class=HTMLResponse, dependencies=[allow(Ability.REGISTERS)])
async def attach(request: Request, session: SessionDep, event_id: str):
    """An evidence file for one event; the same file twice is kept once."""
    event = _shown(event_id)

    async def action(form):
        name, data = await _file(form)
        row = reg.attach_evidence(session, _event_id(event_id), name, data, by=who(request))
        return _("Đã lưu minh chứng «%(file)s» (SHA-256 %(sha)s).") % {"file": row.filename, "sha": row.sha256}, None

    return await _act(request, session, action, event=event)


@router.post("/registers/events/{event_id}/participants", response_class=HTMLResponse, dependencies=[allow(Ability.REGISTERS)])
async def participation(request: Request, session: SessionDep, event_id: str):
    """One unit's attendance at one event, typed in (a list that is not a spreadsheet)."""
    event = _shown(event_id)

    async def action(form):
        row = reg.set_participation(session, _event_id(event_id), _field(form, "unit", 300), _field(form, "count", 40),
                                    by=who(request))
        return _("Đã ghi %(n)s người tham dự của %(unit)s.") % {
            "n": number(row.count), "unit": reg.UnitMatcher(session).names[row.unit_key]}, None

    return await _act(request, session, action, event=event)


@router.post("/registers/headcounts", response_class=HTMLResponse, dependencies=[allow(Ability.REGISTERS)])
async def headcount(request: Request, session: SessionDep):
    """A unit's headcounts (either or both), as of a day, with their source; or a headcount XLSX."""
    async def action(form):
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            name, data = await _file(form)
            result = reg.import_workbook(session, data, name, event_id=None, by=who(request),
                                         as_of=_field(form, "as_of", 40) or None)
            return (_("Đã ghi %(n)s số biên chế từ «%(file)s»") % {"n": number(result.headcounts), "file": result.filename}
                    + (_("; %(n)s dòng bị từ chối") % {"n": number(len(result.errors))} if result.errors else "") + "."), result
        unit, as_of, source = _field(form, "unit", 300), _field(form, "as_of", 40) or None, _field(form, "source", 1000)
        given = [(kind, _field(form, kind, 40)) for kind in ("staff", "comms_staff")]
        given = [(kind, value) for kind, value in given if value.strip()]
        if not given:
            raise Refused(400, _("Cần số biên chế hoặc số cán bộ làm công tác truyền thông."))
        for kind, value in given:
            row = reg.set_headcount(session, unit, kind, value, by=who(request), as_of=as_of, source=source)
        names = reg.UnitMatcher(session).names
        return _("Đã ghi số liệu của %(unit)s:") % {"unit": names[row.unit_key]} + " " + ", ".join(
            f"{label('headcount', k)} {v.strip()}" for k, v in given) + ".", None

    return await _act(request, session, action)


@router.get("/registers/evidence/{evidence_id}", dependencies=[allow(Ability.READ)])
def download(session: SessionDep, evidence_id: str):
    """An evidence file as it was sent, under its original name (never rendered inline: it is whatever was sent)."""
    from fastapi import HTTPException

    try:
        if not (evidence_id.isdigit() and len(evidence_id) <= 10):
            raise NotFound(f"không có tệp minh chứng {evidence_id[:20]!r}")
        row, path = reg.evidence_file(session, int(evidence_id))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return FileResponse(path, filename=row.filename, media_type="application/octet-stream",
                        content_disposition_type="attachment")
