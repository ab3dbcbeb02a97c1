"""The compliance page (`/units`): every unit plan V.6 asks to post about Resolution 71, for a period.

The rows are `reports.metrics.unit_compliance`, the very table the report's appendix and its XLSX sheet show,
so the page, the report and the Department's reminders name the same units.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mediaplan.periods import parse_period
from mediaplan.reports.metrics import DEFINITIONS, unit_compliance
from mediaplan.web.deps import SessionDep, templates, valid_month

router = APIRouter()
STATUSES = ("đã đăng", "chưa đăng", "chưa theo dõi")


@router.get("/units", response_class=HTMLResponse)
def units(request: Request, session: SessionDep, period: str | None = None, status: str | None = None):
    period = parse_period(period) if period else parse_period(valid_month(session, None))
    rows = unit_compliance(session, *period.bounds)
    totals = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    shown = [r for r in rows if r["status"] == status] if status in STATUSES else rows
    return templates.TemplateResponse(request, "units.html", {
        "period": period, "rows": shown, "all": len(rows), "totals": totals, "status": status if status in STATUSES else None,
        "statuses": STATUSES, "note": DEFINITIONS["units"]})
