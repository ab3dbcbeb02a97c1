"""The report versions page (`/reports`): each build of a period's report with its state (draft, approved, sent),
who approved it, and its delivery log (who received which version, when, what the server answered).

Read-only for now: approving and sending stay with `mediaplan report approve` / `send` until accounts and roles
(issue 12) say who may do it from the web.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mediaplan.services.reports import report_versions
from mediaplan.reports.versions import NARRATIVE_SECTIONS, label_of, narrative_rows
from mediaplan.web.deps import SessionDep, templates

router = APIRouter()


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, session: SessionDep, period: str | None = None):
    """Every version, newest first, or those of one period (a malformed period is a 400 from the app's handler)."""
    found = report_versions(session, period or None)
    periods: dict[str, dict] = {}
    for v in found:
        group = periods.setdefault(v.period, {"key": v.period, "label": label_of(v), "versions": []})
        group["versions"].append(v)
    for group in periods.values():
        group["narrative"] = narrative_rows(session, group["key"])
    return templates.TemplateResponse(request, "reports.html", {
        "periods": list(periods.values()), "period": (period or "").strip(), "sections": NARRATIVE_SECTIONS})
