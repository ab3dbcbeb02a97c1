"""The dashboard (`/`): a month's figures against the plan, and the health check.

Every figure comes from `reports.metrics.compute` or `reports.counts`, as in the report (docs/metrics.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from mediaplan.db.schema import Item
from mediaplan.periods import FIRST_DAY, month_bounds, shift_month
from mediaplan.reports.counts import Limits, count
from mediaplan.reports.metrics import compute
from mediaplan.auth.roles import Ability
from mediaplan.web.deps import SessionDep, templates, valid_month
from mediaplan.web.security import allow, public
from mediaplan.web.errors import query_text

router = APIRouter()


@router.get("/healthz", dependencies=[public()])
def healthz(session: SessionDep):
    return {"ok": True, "items": session.scalar(select(func.count(Item.id)))}


@router.get("/", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def dashboard(request: Request, session: SessionDep, month: str | None = query_text(20)):
    month = valid_month(session, month)
    figures = compute(session, month)
    # The six months up to this one, each counted as the month's own card is (`reports.counts`, one SQL count each).
    months = [m for m in (shift_month(month, -k) for k in range(5, -1, -1)) if m >= f"{FIRST_DAY.year:04d}-01"]
    series = [(m, count(session, Limits(*month_bounds(m)))) for m in months]
    return templates.TemplateResponse(request, "dashboard.html", {
        "f": figures, "month": month, "series": series, "max_series": max([n for _, n in series] or [1]) or 1,
        "max_theme": max([t["items"] for t in figures["themes"]] or [1]) or 1,
    })
