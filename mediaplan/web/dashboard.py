"""The dashboard (`/`): a month's figures against the plan, with the report's charts, and the health check.

Every figure comes from `reports.metrics.compute`, as in the report (docs/metrics.md), through
`dashboard_figures`, which keeps them per month in the database while nothing they count has changed
(`reports.cache`); the charts (`/charts/NAME.png`) are the report's own (`reports.charts.CHARTS`) drawn from
those same figures. `compute` is the costly part (a few dozen SQL counts), so a view computes it once: the page
keeps the charts' part of its figures under their hash (`chart_version`, a few entries in memory) and its
images ask for that version, so they are drawn from exactly the numbers the page prints. A chart asked for
without a known version (another worker, a restart, a bookmarked image) computes the figures as the page does."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import timezone
from collections import OrderedDict

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Item
from mediaplan.reports import charts
from mediaplan.reports import cache
from mediaplan.auth.roles import Ability
from mediaplan.i18n import _
from mediaplan.web.deps import SessionDep, templates, valid_month
from mediaplan.web.security import allow, public
from mediaplan.web.errors import query_text

log = logging.getLogger(__name__)
router = APIRouter()

KEPT = 16  # chart versions kept in memory (each a month's series, themes, targets, outlets and channels)
_kept: OrderedDict[str, tuple[str, dict]] = OrderedDict()
_lock = threading.Lock()


def dashboard_figures(session: Session, month: str) -> dict:
    """The figures the dashboard shows for a month, and its charts are drawn from: the report's, without the
    lists only documents print, kept in the database while nothing they count has changed (`reports.cache`)."""
    return cache.dashboard_figures(session, month)


def chart_version(figures: dict) -> str:
    """A hash of what the charts are drawn from: the same figures, the same version (and the same PNG bytes)."""
    data = json.dumps({k: figures.get(k) for k in charts.INPUTS}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def keep_for_charts(month: str, figures: dict) -> str:
    """Keep the charts' part of a view's figures for its images; returns the version they ask for."""
    version = chart_version(figures)
    with _lock:
        _kept[version] = (month, {k: figures[k] for k in charts.INPUTS})
        _kept.move_to_end(version)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return version


def _kept_figures(version: str | None, month: str) -> dict | None:
    with _lock:
        found = _kept.get(version) if version else None
    return found[1] if found and found[0] == month else None


@router.get("/healthz", dependencies=[public()])
def healthz(request: Request):
    """For a load balancer and an operator: is the database answering, and when did a crawl last finish.

    A database that does not answer is 503 with Retry-After (take this worker out of rotation), never a 500;
    `last_crawl` is the newest finished run, in UTC, or null before the first one.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from mediaplan.db.schema import CrawlRun

    try:
        with request.app.state.sessions() as session:
            items = session.scalar(select(func.count(Item.id)))
            last = session.scalar(select(func.max(CrawlRun.finished_at)))
    except SQLAlchemyError as exc:
        from mediaplan.db.failures import explain

        log.warning("healthz: %s", explain(exc) or type(exc).__name__)
        return JSONResponse({"ok": False, "database": "unavailable"}, status_code=503, headers={"Retry-After": "30"})
    return {"ok": True, "database": "ok", "items": items,
            "last_crawl": last.astimezone(timezone.utc).isoformat() if last else None}


@router.get("/", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def dashboard(request: Request, session: SessionDep, month: str | None = query_text(20)):
    month = valid_month(session, month)
    figures = dashboard_figures(session, month)
    series = figures["series"]  # the months up to this one, as the trend chart draws them
    return templates.TemplateResponse(request, "dashboard.html", {
        "f": figures, "month": month, "chart_version": keep_for_charts(month, figures),
        "max_series": max([m["education"] for m in series] or [1]) or 1,
        "max_theme": max([t["items"] for t in figures["themes"]] or [1]) or 1,
    })


@router.get("/charts/{name}.png", dependencies=[allow(Ability.READ)])
def chart(session: SessionDep, name: str = PathParam(max_length=20), month: str | None = query_text(20),
          v: str | None = Query(None, max_length=64, pattern=r"^[0-9a-f]+$")):
    """One of the report's charts (`reports.charts.CHARTS`) for a month, drawn from the dashboard's figures:
    those of the page that asked (`v`, its version), else computed as the page computes them. A version's
    image never changes, so the browser keeps it a day; otherwise five minutes."""
    draw = charts.CHARTS.get(name)
    if draw is None:
        raise HTTPException(404, _("Không có biểu đồ này; các biểu đồ là: %(names)s") % {"names": ", ".join(charts.CHARTS)})
    month = valid_month(session, month)  # a malformed month is a 400
    figures = _kept_figures(v, month)
    if figures is None:
        figures = dashboard_figures(session, month)
        fixed = v is not None and chart_version(figures) == v
    else:
        fixed = True
    return Response(draw(figures), media_type="image/png", headers={
        "Cache-Control": "private, max-age=86400, immutable" if fixed else "private, max-age=300"})
