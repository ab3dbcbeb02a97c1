"""The editorial calendar in the browser: month grid and week view, backlog, gaps,
printable budget, the month's plan as a spreadsheet, and the read-only shared view.

Pages are server-rendered; the only script (static/calendar.js) posts a move or a
quick-add to the JSON API (web/api.py) and updates the grid in place. A shared link
(/calendar/share/TOKEN) shows the same calendar read-only, for Department users.
"""

from __future__ import annotations

import io
from datetime import timedelta
from functools import partial
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mediaplan.calendar import stories as planning
from mediaplan.calendar.conflicts import find_conflicts
from mediaplan.calendar.exports import budget, write_plan
from mediaplan.calendar.gaps import compute_gaps
from mediaplan.calendar.ical import scope_of
from mediaplan.calendar.month import Filters, month_view, week_view
from mediaplan.calendar.workflow import past_due
from mediaplan.db.schema import Coverage, Outlet, User, utcnow
from mediaplan.i18n import _, capitalised, month_name
from mediaplan.localtime import local_today
from mediaplan.periods import check_month, current_month, next_month, previous_month
from mediaplan.vocab import FeedScope, OutletKind, TokenPurpose
from mediaplan.auth.roles import Ability
from mediaplan.web.deps import WEEKDAYS, SessionDep, parse_day, templates, theme_names, valid_month
from mediaplan.web.security import allow, public, user_can
from mediaplan.web.errors import Token, query_text

router = APIRouter()

# 20 colours that stay apart on white and for common colour blindness (Tableau 20, reordered).
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _month_weeks(days: list) -> list[list]:
    """Days of a month as Monday-first rows of seven, padded with None (as Vietnamese calendars print it)."""
    weeks, week = [], [None] * days[0].day.weekday()
    for d in days:
        week.append(d)
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return weeks


def _render(request: Request, session: Session, month: str | None, view: str, day: str | None, filters: Filters,
            readonly: bool, share: str | None = None):
    if view not in ("month", "week"):
        raise HTTPException(400, _("view là month hoặc week"))
    if view == "week":
        anchor = parse_day(day)
        days = week_view(session, anchor, filters)
        weeks = [days]
        month = f"{anchor:%Y-%m}"
        title = _("Tuần %(first)s – %(last)s") % {"first": f"{days[0].day:%d/%m}", "last": f"{days[-1].day:%d/%m/%Y}"}
        prev_q, next_q = f"view=week&day={anchor - timedelta(days=7)}", f"view=week&day={anchor + timedelta(days=7)}"
    else:
        month = check_month(month) if month else current_month()  # the calendar opens on this month
        weeks = _month_weeks(month_view(session, month, filters))
        title = capitalised(month_name(month))
        prev_q, next_q = f"month={previous_month(month)}", f"month={next_month(month)}"
    names = theme_names(session)
    used = {t for w in weeks for d in w if d for c in d.coverages for t in (c.story.themes or [])}
    outlets = session.scalars(select(Outlet).where(Outlet.kind == OutletKind.PRESS).order_by(Outlet.name)).all()
    # Assignees are users: the filter lists every enabled user and anyone still holding a coverage (value: the
    # username, shown: the full name); quick-add offers the enabled ones only, as `planning.check_assignee` does.
    holding = select(Coverage.assignee).where(Coverage.assignee.is_not(None)).distinct()
    assignees = session.execute(select(User.username, User.full_name, User.disabled)
                                .where(or_(User.disabled.is_(False), User.username.in_(holding)))
                                .order_by(User.full_name, User.username)).all()
    keep = urlencode({k: v for k, v in vars(filters).items() if v})  # a username may hold "Châu"
    return templates.TemplateResponse(request, "calendar.html", {
        "weeks": weeks, "view": view, "month": month, "title": title, "weekdays": WEEKDAYS,
        "prev_q": prev_q + (f"&{keep}" if keep else ""), "next_q": next_q + (f"&{keep}" if keep else ""),
        "names": names, "colours": {code: PALETTE[n % len(PALETTE)] for n, code in enumerate(names)},
        "legend": [c for c in names if c in used],
        "filters": vars(filters), "outlets": outlets, "assignees": assignees,
        "people": {a.username: a.full_name or a.username for a in assignees},
        "assignable": [a for a in assignees if not a.disabled], "readonly": readonly, "editable": not readonly and user_can(request, Ability.CALENDAR),
        "backlog": [] if readonly else planning.backlog(session), "share": share,
        "today": local_today(), "past_due": partial(past_due, now=utcnow()),
    })


@router.get("/calendar", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def calendar_page(request: Request, session: SessionDep, month: str | None = query_text(20),
                  view: str = query_text(10, "month"), day: str | None = query_text(20),
                  outlet: str | None = query_text(80), platform: str | None = query_text(40),
                  theme: str | None = query_text(40), assignee: str | None = query_text(80),
                  status: str | None = query_text(40)):
    """Filters are as long as the columns they match (outlets.key 80, coverages.assignee 80, codes 40)."""
    filters = Filters(outlet or None, platform or None, theme or None, assignee or None, status or None)
    return _render(request, session, month, view, day, filters, readonly=False)


@router.get("/calendar/share/{token}", response_class=HTMLResponse, dependencies=[public()])
def shared(request: Request, token: Token, session: SessionDep, month: str | None = query_text(20),
           view: str = query_text(10, "month"), day: str | None = query_text(20)):
    scope = scope_of(session, token, TokenPurpose.SHARE)  # an iCal token does not open this view
    if scope is None:
        raise HTTPException(404, _("Đường dẫn không còn hiệu lực"))
    kind, key = scope
    filters = Filters(**({kind if kind != FeedScope.USER else "assignee": key} if kind != FeedScope.ALL else {}))
    return _render(request, session, month, view, day, filters, readonly=True, share=token)


@router.get("/calendar/gaps", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def gaps_page(request: Request, session: SessionDep, month: str | None = query_text(20),
              weeks: int = Query(4, ge=1, le=52)):
    month = valid_month(session, month)
    today = local_today()
    return templates.TemplateResponse(request, "gaps.html", {
        "g": compute_gaps(session, month, weeks=weeks), "month": month, "weeks": weeks,
        "conflicts": find_conflicts(session, today, today + timedelta(weeks=weeks)),
    })


@router.get("/calendar/budget", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def budget_page(request: Request, session: SessionDep, day: str | None = query_text(20),
                days: int = Query(1, ge=1, le=7)):
    if days not in (1, 7):
        raise HTTPException(400, _("days là 1 (một ngày) hoặc 7 (một tuần)"))
    first = parse_day(day)
    if days == 7:
        first -= timedelta(days=first.weekday())
    return templates.TemplateResponse(request, "budget.html", {
        "rows": budget(session, first, days), "first": first, "days": days, "names": theme_names(session)})


@router.get("/calendar/export", dependencies=[allow(Ability.READ)])
def export(session: SessionDep, month: str = query_text(20, ...), format: str = query_text(10, "xlsx")):
    """The month's plan as a download, written in memory: no file is left behind."""
    month = valid_month(session, month)
    if format not in EXPORT_TYPES:
        raise HTTPException(400, _("format là csv hoặc xlsx"))
    name = f"ke-hoach-{month}.{format}"
    buffer = io.BytesIO()
    write_plan(session, month, buffer, fmt=format)
    return Response(buffer.getvalue(), media_type=EXPORT_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
