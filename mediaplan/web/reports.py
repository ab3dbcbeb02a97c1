"""The report pages (`/reports`, issue 11): the versions of every period and, per version, its review page.

    /reports                         every version (and its delivery log); a form to build a period's draft
    POST /reports/build              build a draft (the same service as `report build`), then its page
    /reports/{id}                    one version: state, figures, preview, downloads, narrative, approve, send, log
    /reports/{id}/files/{name}       report.html (the preview), .docx, .pdf, .xlsx of that version, nothing else
    POST /reports/{id}/narrative     save the changed sections (draft only), as `report narrative` does
    POST /reports/{id}/approve       approve this draft, as `report approve --version N` does
    POST /reports/{id}/send          e-mail this approved version to the plan's recipients, as `report send`
    POST /reports/{id}/resend        the same with --resend-uncertain, once the analyst ticks the confirmation

Routes only parse the form, call `services.reports` and render; every rule (only a draft is approved, only an
approved version is sent, never twice to one recipient) lives there. A successful POST redirects (303) back to
the page with a short `done` note, so a reload never repeats it; a refused one re-renders the page with the
reason on top and a 4xx status (404 no such version, 409 not in the state for it, 400 a malformed input), and
nothing of it is kept. The acting person is `deps.who(request)`; who may build, approve and send, and the CSRF
field of each of these plain forms, come with accounts (issue 12).

The preview is the version's own report.html, served with a CSP that forbids scripts, requests and plugins
(`sandbox; default-src 'none'`) and shown in an <iframe sandbox>: the report carries outlet titles and analysts'
text, and must not be able to act as the app even if some of it slipped through unescaped.
"""

from __future__ import annotations

import tempfile
from html import escape
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaplan.db.schema import ReportVersion
from mediaplan.periods import PeriodError, parse_period
from mediaplan.i18n import N_, _, current, number, percent, period_name, using
from mediaplan.reports.versions import NARRATIVE_SECTIONS, label_of, narrative_rows
from mediaplan.services import NotFound, ServiceError
from mediaplan.services.reports import (REPORT_FILES, Frozen, NoRecipients, NotApproved, approve_report,
                                        build_period_report, edit_version_narrative, report_versions,
                                        send_period_report, version_by_id, version_file, version_narrative)
from mediaplan.settings import get_settings
from mediaplan.vocab import ReportState, SendStatus, label
from mediaplan.auth.roles import Ability
from mediaplan.web.deps import MAX_ID, DbId, SessionDep, local, templates, who
from mediaplan.web import budget
from mediaplan.web.security import allow

router = APIRouter()

PERIOD_HINT = "2026-11, 2026-Q4, 2026-H2, 2026, since-start"
PERIOD_MAX = 40  # longer than any period's text: refused before parsing
# name → (content type, what the link says)
FILES = {
    "report.html": ("text/html; charset=utf-8", N_("Trang HTML")),
    "report.docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (DOCX)"),
    "report.pdf": ("application/pdf", "PDF"),
    "report.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)"),
}
assert tuple(FILES) == REPORT_FILES
PREVIEW_CSP = "sandbox; default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'"
SEND_OUTCOMES = {"sent": N_("đã gửi"), "skipped": N_("bỏ qua (đã gửi trước đó)"), "failed": N_("lỗi"),
                 "uncertain": N_("không chắc đã gửi"), "busy": N_("đang được gửi ở nơi khác"), "waiting": N_("chờ thử lại")}


# --- the list ---------------------------------------------------------------------------------------------------


def _list_page(request: Request, session: Session, period: str = "", *, build_period: str = "",
               error: str | None = None, status: int = 200) -> HTMLResponse:
    """Every version grouped by period (or one period's), the build form, and `error` on top with `status`."""
    try:
        found = report_versions(session, period or None)
    except PeriodError as exc:
        found, error, status = report_versions(session, None), error or str(exc), 400 if status == 200 else status
    groups: dict[str, dict] = {}
    for v in found:
        group = groups.setdefault(v.period, {"key": v.period, "label": label_of(v), "versions": []})
        group["versions"].append(v)
    for group in groups.values():
        group["narrative"] = narrative_rows(session, group["key"])
    return templates.TemplateResponse(request, "reports.html", {
        "periods": list(groups.values()), "period": period, "sections": NARRATIVE_SECTIONS, "hint": PERIOD_HINT,
        "build_period": build_period, "error": error}, status_code=status)


@router.get("/reports", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def reports(request: Request, session: SessionDep, period: str | None = None):
    """Every version, newest first, or those of one period (a malformed period: the page, its reason, a 400)."""
    return _list_page(request, session, (period or "").strip()[:PERIOD_MAX * 2])


async def _form_fields(request: Request) -> dict[str, str]:
    """The submitted form's text fields (a stray file field is ignored): every POST here reads a few of them."""
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


FormDep = Annotated[dict[str, str], Depends(_form_fields)]


@router.post("/reports/build", response_class=HTMLResponse, dependencies=[allow(Ability.REPORTS)])
def build(request: Request, session: SessionDep, form: FormDep):
    """Build a draft of the period typed (the same call as `report build`) and open its page.

    The files are written to a scratch folder and archived by the service into the version's own folder, so two
    builds at once never write over each other's files. The same content as the latest version keeps that version.
    """
    budget.lift()  # the user waits for the build; each of its queries keeps the statement timeout
    text = form.get("period", "").strip()
    back = form.get("back", "")
    try:
        if len(text) > PERIOD_MAX:
            raise PeriodError(_("kỳ báo cáo không hợp lệ: dài quá %(n)s ký tự; dùng %(hint)s") % {"n": PERIOD_MAX, "hint": PERIOD_HINT})
        period = parse_period(text)
        data_dir = get_settings().data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        # The report is the Department's Vietnamese document, whatever language the page is shown in.
        with tempfile.TemporaryDirectory(prefix="web-build-", dir=data_dir) as scratch, using("vi"):
            built = build_period_report(session, period, scratch, by=who(request))
            session.commit()
    except (PeriodError, ServiceError) as exc:
        return _build_refused(request, session, back, text, str(exc), 400)
    except IntegrityError:  # another build of the period took the same version number a moment before
        return _build_refused(request, session, back, text, _("Kỳ này đang được dựng ở nơi khác cùng lúc: "
                              "tải lại trang để xem phiên bản vừa dựng, hoặc dựng lại."), 409)
    return _back(built.version, "built" if built.new else "kept")


def _build_refused(request: Request, session: Session, back: str, text: str, error: str, status: int) -> HTMLResponse:
    """A refused build answers where it was asked: the version page of its "Dựng lại" button, else the list."""
    session.rollback()
    if back.isascii() and back.isdigit() and 1 <= int(back) <= MAX_ID:
        version = session.get(ReportVersion, int(back))
        if version is not None:
            return _version_page(request, session, version, error=error, status=status)
    return _list_page(request, session, build_period=text[:PERIOD_MAX * 2], error=error, status=status)


# --- one version ------------------------------------------------------------------------------------------------


def _period_label(version: ReportVersion) -> str:
    """The version's period as the page's language names it (in Vietnamese, as the version recorded it)."""
    return label_of(version) if current() == "vi" else period_name(version.period)


def _delta(now: int | None, before: int | None) -> str:
    """"tăng 2 (+11,1%)", "giảm 3 (-25%)", "không đổi" (as the report's `narrative.change` says it), in the page's
    language and number format; no percentage from zero."""
    if now is None or before is None:
        return ""
    if now == before:
        return _("không đổi")
    text = (_("tăng %(n)s") if now > before else _("giảm %(n)s")) % {"n": number(abs(now - before))}
    if not before:
        return text
    return f"{text} ({'+' if now > before else '-'}{percent(abs(now - before) / before * 100)})"


def _summary(figures: dict, period: str = "") -> dict:
    """The figures the version page shows at a glance, in the page's number format; "—" where a figure is missing
    (a version migrated from before figures were kept)."""
    t = figures.get("totals") or {}
    targets = figures.get("targets") or []
    units = figures.get("units") or []
    judged = [x for x in targets if x.get("met") is not None]
    cal = figures.get("calendar") or {}

    def num(key):
        return number(t.get(key)) if key in t else "—"

    previous = figures.get("previous_label") or _("kỳ trước")
    if current() != "vi" and period:
        try:
            previous = period_name(parse_period(period).previous())
        except PeriodError:
            previous = _("kỳ trước")
    return {
        "cards": [
            ("items", _("Tin, bài thu thập"), num("items"), ""),
            ("education", _("Về giáo dục và đào tạo"), num("education"),
             f"{previous}: {num('previous_education')}; "
             f"{_delta(t.get('education'), t.get('previous_education'))}" if "previous_education" in t else ""),
            ("nq71", _("Nêu Nghị quyết 71"), num("nq71"),
             f"{previous}: {num('previous_nq71')}; "
             f"{_delta(t.get('nq71'), t.get('previous_nq71'))}" if "previous_nq71" in t else ""),
            ("targets", _("Chỉ tiêu đạt"), f"{number(sum(1 for x in judged if x.get('met')))}/{number(len(judged))}"
             if targets else "—", _("%(n)s chỉ tiêu chưa đủ dữ liệu để đánh giá") % {"n": number(len(targets) - len(judged))}
             if len(targets) > len(judged) else ""),
            ("units", _("Đơn vị đã đăng về NQ 71"), f"{number(sum(1 for u in units if u.get('status') == 'đã đăng'))}"
             f"/{number(len(units))}" if units else "—", ""),
            ("calendar", _("Kế hoạch đã đăng"), f"{number(cal.get('delivered', 0))}/{number(cal.get('planned', 0))}"
             if cal else "—", ""),
        ],
    }


def _files(version: ReportVersion) -> list[dict]:
    out = []
    for name, (_type, what) in FILES.items():
        try:
            size = version_file(version, name).stat().st_size
        except NotFound:
            size = None
        out.append({"name": name, "what": _(what), "size": None if size is None else number(max(1, round(size / 1024))),
                    "href": f"/reports/{version.id}/files/{name}" + ("?download=1" if name == "report.html" else ""),
                    "filename": _download_name(version, name)})
    return out


def _download_name(version: ReportVersion, name: str) -> str:
    """bao-cao-2026-11-v2.docx: the period and the version, so two downloads never take each other's name."""
    return f"bao-cao-{version.period}-v{version.version}.{name.rsplit('.', 1)[1]}"


NOTES = {
    "built": N_("Đã dựng phiên bản {v} (bản nháp)."),
    "kept": N_("Nội dung không đổi so với phiên bản {v}: giữ phiên bản này."),
    "saved": N_("Đã lưu phần nhận định."),
    "unchanged": N_("Không có phần nhận định nào thay đổi."),
    "approved": N_("Đã phê duyệt phiên bản {v}. Bấm “Gửi” để gửi cho người nhận."),
}


def _note(version: ReportVersion, done: str | None, counts: dict[str, str]) -> str | None:
    """The acknowledgement of the POST that redirected here (`done` and, after a send, its counts)."""
    if done in NOTES:
        return _(NOTES[done]).format(v=version.version)
    if done in ("sent", "resent"):
        parts = []
        for key, said in SEND_OUTCOMES.items():
            value = counts.get(key, "")
            if value.isascii() and value.isdigit() and len(value) < 7 and (key in ("sent", "skipped", "failed", "uncertain") or value != "0"):
                parts.append(f"{_(said)}: {number(int(value))}")
        return _("Gửi phiên bản %(n)s:") % {"n": version.version} + " " + "; ".join(parts) + "." if parts else None
    return None


def _version_page(request: Request, session: Session, version: ReportVersion, *, done: str | None = None,
                  counts: dict[str, str] | None = None, error: str | None = None, status: int = 200,
                  typed: dict[str, str] | None = None) -> HTMLResponse:
    """One version's page; `typed` keeps what the analyst wrote when a save was refused, so nothing is lost."""
    narrative = version_narrative(session, version)
    siblings = report_versions(session, version.period)
    latest = max(siblings, key=lambda v: v.version) if siblings else version
    deliveries = sorted(version.deliveries, key=lambda d: d.recipient)
    settings = get_settings()
    files = _files(version)
    return templates.TemplateResponse(request, "report_version.html", {
        "v": version, "period_label": _period_label(version), "summary": _summary(version.figures or {}, version.period),
        "files": files, "preview": f"/reports/{version.id}/files/report.html",
        "has_preview": any(f["name"] == "report.html" and f["size"] for f in files),
        "sections": [{"key": k, "title": _(title), "text": (typed or {}).get(k, narrative.texts.get(k, "")),
                      "edited": k in (version.narrative or {}) if version.state != ReportState.DRAFT else None}
                     for k, title in NARRATIVE_SECTIONS.items()],
        "edits": {r.section: r for r in narrative_rows(session, version.period)},
        "stale": narrative.stale, "draft": version.state == ReportState.DRAFT,
        "sendable": version.state in (ReportState.APPROVED, ReportState.SENT),
        "deliveries": deliveries, "uncertain": [d for d in deliveries if d.status == SendStatus.UNCERTAIN],
        "recipients": settings.report_recipients, "siblings": sorted(siblings, key=lambda v: -v.version),
        "latest": latest, "note": _note(version, done, counts or {}), "error": error, "who": who(request),
    }, status_code=status)


def _back(version: ReportVersion, done: str, **counts: int) -> RedirectResponse:
    """PRG: back to the version's page with what was done (a reload does not repeat the POST)."""
    return RedirectResponse(f"/reports/{version.id}?{urlencode({'done': done, **counts})}", status_code=303)


def _refused(request: Request, session: Session, version_id: int, exc: ServiceError | str, status: int,
             typed: dict[str, str] | None = None) -> HTMLResponse:
    """The page again with the reason on top; nothing of the refused request is kept."""
    session.rollback()
    return _version_page(request, session, version_by_id(session, version_id), error=str(exc), status=status, typed=typed)


def _missing(request: Request, session: Session, exc: NotFound) -> HTMLResponse:
    """No such version: the list page with the reason, a 404."""
    session.rollback()
    return _list_page(request, session, error=str(exc), status=404)


@router.get("/reports/{version_id}", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def version_page(request: Request, version_id: DbId, session: SessionDep, done: str | None = None):
    try:
        version = version_by_id(session, version_id)
    except NotFound as exc:
        return _missing(request, session, exc)
    counts = {k: request.query_params.get(k, "") for k in SEND_OUTCOMES}
    return _version_page(request, session, version, done=done, counts=counts)


@router.get("/reports/{version_id}/files/{name}", dependencies=[allow(Ability.READ)])
def version_download(request: Request, version_id: DbId, name: str, session: SessionDep, download: str | None = None):
    """One of the four files of the version's own archive, by its known name only; anything else is a 404.

    report.html opens inline (the preview), under a CSP sandbox; with ?download=1, and the other three always,
    as an attachment named after the period and the version.
    """
    try:
        version = version_by_id(session, version_id)
        path = version_file(version, name)
    except NotFound as exc:
        return HTMLResponse(f"<p>{escape(str(exc))}</p>", status_code=404)
    media_type, _what = FILES[name]
    inline = name == "report.html" and not download
    return FileResponse(path, media_type=media_type, filename=_download_name(version, name),
                        content_disposition_type="inline" if inline else "attachment",
                        headers={"Content-Security-Policy": PREVIEW_CSP, "X-Content-Type-Options": "nosniff",
                                 "Cache-Control": "private, no-cache"})


@router.post("/reports/{version_id}/narrative", response_class=HTMLResponse, dependencies=[allow(Ability.REPORTS)])
def save_narrative(request: Request, version_id: DbId, session: SessionDep, form: FormDep):
    """Save the sections the analyst changed (draft only), through the service `report narrative` uses."""
    typed = {k: form[k] for k in NARRATIVE_SECTIONS if k in form}
    try:
        version = version_by_id(session, version_id)
    except NotFound as exc:
        return _missing(request, session, exc)
    try:
        saved = edit_version_narrative(session, version, typed, who(request))
    except Frozen as exc:
        return _refused(request, session, version_id, exc, 409)
    except ServiceError as exc:
        return _refused(request, session, version_id, exc, 400, typed=typed)
    session.commit()
    return _back(version, "saved" if saved else "unchanged")


@router.post("/reports/{version_id}/approve", response_class=HTMLResponse, dependencies=[allow(Ability.REPORTS)])
def approve(request: Request, version_id: DbId, session: SessionDep):
    """Approve this draft (as `report approve --version N`); an approved or sent one is refused, not re-approved."""
    try:
        version = version_by_id(session, version_id)
    except NotFound as exc:
        return _missing(request, session, exc)
    if version_narrative(session, version).stale:  # the service refuses it too; this says it in the page's words
        return _refused(request, session, version_id, _("Phần nhận định đã sửa sau khi dựng phiên bản %(n)s: "
                        "bấm “Dựng lại bản nháp” rồi phê duyệt phiên bản mới.") % {"n": version.version}, 409)
    try:
        approved, now = approve_report(session, version.period, who(request), version.version)
    except ServiceError as exc:
        return _refused(request, session, version_id, exc, 409 if not exc.field else 400)
    if not now:
        by = " " + _("bởi %(name)s") % {"name": approved.approved_by} if approved.approved_by else ""
        return _refused(request, session, version_id, _("Phiên bản %(n)s đã được duyệt trước đó%(by)s "
                        "(%(at)s; hiện: %(state)s): không duyệt lại.") % {
                            "n": approved.version, "by": by, "at": local(approved.approved_at),
                            "state": label("report_state", approved.state)}, 409)
    session.commit()
    return _back(approved, "approved")


def _send(request: Request, version_id: int, session: Session, *, resend_uncertain: bool) -> HTMLResponse | RedirectResponse:
    """E-mail this version to the plan's recipients (MEDIAPLAN_REPORT_RECIPIENTS) through `send_period_report`."""
    budget.lift()  # the SMTP exchange is not the database's time: the send is recorded however long it took
    try:
        version = version_by_id(session, version_id)
    except NotFound as exc:
        return _missing(request, session, exc)
    try:
        with using("vi"):  # the e-mail is Vietnamese, whatever language the page is shown in
            result = send_period_report(session, version.period, None, number=version.version,
                                        resend_uncertain=resend_uncertain)
    except NotApproved:
        return _refused(request, session, version_id, _("Phiên bản %(n)s là bản nháp, chưa được duyệt: "
                        "không gửi. Phê duyệt trước rồi gửi.") % {"n": version.version}, 409)
    except NoRecipients:
        return _refused(request, session, version_id, _("Chưa có người nhận: quản trị cần đặt MEDIAPLAN_REPORT_RECIPIENTS "
                        "(danh sách địa chỉ, cách nhau bởi dấu phẩy)."), 409)
    except ServiceError as exc:
        return _refused(request, session, version_id, exc, 409)
    session.commit()
    return _back(version, "resent" if resend_uncertain else "sent",
                 **{k: len(result.get(k, [])) for k in SEND_OUTCOMES})


@router.post("/reports/{version_id}/send", response_class=HTMLResponse, dependencies=[allow(Ability.REPORTS)])
def send(request: Request, version_id: DbId, session: SessionDep):
    """Send this approved version (a draft: 409, nothing sent); recipients who have it are skipped."""
    return _send(request, version_id, session, resend_uncertain=False)


@router.post("/reports/{version_id}/resend", response_class=HTMLResponse, dependencies=[allow(Ability.REPORTS)])
def resend(request: Request, version_id: DbId, session: SessionDep, form: FormDep):
    """Re-send the uncertain deliveries, only once the analyst ticks that the recipients said they lack it: the
    message may have arrived, and sending it again is a choice a person makes."""
    if form.get("confirm") != "yes":
        try:
            version_by_id(session, version_id)
        except NotFound as exc:
            return _missing(request, session, exc)
        return _refused(request, session, version_id, _("Chưa gửi lại: đánh dấu ô xác nhận rằng người nhận chưa có thư "
                        "rồi bấm lại."), 400)
    return _send(request, version_id, session, resend_uncertain=True)
