"""The compliance page (`/units`): every unit plan V.6 asks to post about Resolution 71, for a period.

The rows are `reports.metrics.unit_compliance`, the very table the report's appendix and its XLSX sheet show,
so the page, the report and the Department's reminders name the same units.

From the page the Department e-mails a reminder to the units that have not posted (plan V.1 "theo dõi, đôn
đốc"): a plain form, POST /units/remind, which calls `services.units.remind_silent_units` (once per unit and
period) and shows the page again with what was done. Reposting the form is harmless: nobody is reminded twice.
Sending needs the `reports` ability (an analyst of the Department, or an admin), and the form carries the CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from mediaplan.periods import Period, parse_period
from mediaplan.reports.metrics import DEFINITIONS, unit_compliance
from mediaplan.services import ServiceError
from mediaplan.services.units import Reminders, remindable_period, remind_silent_units, silent_units
from mediaplan.auth.roles import Ability
from mediaplan.i18n import N_, using
from mediaplan.web import budget
from mediaplan.web.deps import SessionDep, templates, valid_month, who
from mediaplan.web.security import allow

router = APIRouter()
STATUSES = (N_("đã đăng"), N_("chưa đăng"), N_("chưa theo dõi"))  # unit_compliance's, translated where shown


def _page(request: Request, session, period: Period, status: str | None, result: Reminders | None = None):
    rows = unit_compliance(session, *period.bounds)
    totals = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    shown = [r for r in rows if r["status"] == status] if status in STATUSES else rows
    silence, why_not = None, None
    try:
        silence = silent_units(session, remindable_period(period))
    except ServiceError as exc:  # since-start, a period not begun: the page still shows, without the form
        why_not = str(exc)
    return templates.TemplateResponse(request, "units.html", {
        "period": period, "rows": shown, "all": len(rows), "totals": totals, "status": status if status in STATUSES else None,
        "statuses": STATUSES, "note": DEFINITIONS["units"], "silence": silence, "why_not": why_not, "result": result,
        "reminded": silence.reminded if silence else {}})


@router.get("/units", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def units(request: Request, session: SessionDep, period: str | None = None, status: str | None = None):
    period = parse_period(period) if period else parse_period(valid_month(session, None))
    return _page(request, session, period, status)


@router.post("/units/remind", response_class=HTMLResponse, dependencies=[allow(Ability.REPORTS)])
def units_remind(request: Request, session: SessionDep, period: str = Form(""), status: str = Form("")):
    """Remind the silent units of the period shown, in the signed-in analyst's name (it e-mails other bodies, so
    it needs the ability that sends reports); a malformed period is a 400 (app's PeriodError handler)."""
    budget.lift()  # the SMTP exchanges are not the database's time: each reminder sent is recorded
    p = parse_period(period)
    try:
        with using("vi"):  # the e-mails to the units are Vietnamese, whatever language the page is shown in
            result = remind_silent_units(session, p, who(request))
    except ServiceError as exc:
        return PlainTextResponse(str(exc), status_code=400)
    return _page(request, session, p, status or None, result)
