"""The dashboard (`/`): a month's figures against the plan, and the health check."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from mediaplan.db.schema import Item
from mediaplan.periods import month_of
from mediaplan.reports.metrics import compute
from mediaplan.web.deps import SessionDep, templates, valid_month

router = APIRouter()


@router.get("/healthz")
def healthz(session: SessionDep):
    return {"ok": True, "items": session.scalar(select(func.count(Item.id)))}


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, month: str | None = None):
    month = valid_month(session, month)
    figures = compute(session, month)
    # Month series: education items per month over the last 6 months with data.
    published = session.scalars(select(Item.published_at).where(Item.education.is_(True), Item.published_at.is_not(None)))
    months = Counter(month_of(t) for t in published)
    series = sorted(months.items())[-6:]
    return templates.TemplateResponse(request, "dashboard.html", {
        "f": figures, "month": month, "series": series, "max_series": max([n for _, n in series] or [1]),
        "max_theme": max([t["items"] for t in figures["themes"]] or [1]) or 1,
    })
