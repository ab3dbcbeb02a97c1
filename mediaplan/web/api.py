"""The JSON API, under /api/v1: what the calendar's drag and drop and quick-add call (static/calendar.js), and the
read endpoints an API client expects (the signed-in user, a month's coverages, items and one item).

Each endpoint is thin over one service: the planning functions (`calendar.stories`, `calendar.linking`), the
month view (`calendar.month.month_view`), the items list (`web.items.list_items`, keyset paging) and the export
row (`services.items.export_row`). Codes are the `mediaplan.vocab` enums, so a wrong code is a 422 that names the
allowed ones. Every answer, refusals included, has its model in `web/api_models.py`; the API's own OpenAPI
document (`api_schema`, at /api/v1/openapi.json; no Swagger page, whose CDN script and inline code the CSP refuses) lists them with the cookie session and the
X-CSRF-Token header as security schemes, and tests/test_api_schema.py runs schemathesis over it.

Who may: every route names its ability (`security.allow`), reads need READ, changes CALENDAR; a change also needs
the session's CSRF token in X-CSRF-Token (GET /api/v1/me tells it). Requests under /api/ are answered in JSON
whatever they accept (`security.wants_json`, `errors._wants_html`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy.orm import selectinload

from mediaplan.auth.roles import Ability
from mediaplan.auth.sessions import COOKIE
from mediaplan.calendar import stories as planning
from mediaplan.calendar.linking import confirm
from mediaplan.calendar.month import Filters, month_view
from mediaplan.calendar.workflow import WorkflowError
from mediaplan.db.schema import Coverage, Item
from mediaplan.i18n import _
from mediaplan.localtime import local_tz, to_local
from mediaplan.periods import in_range, range_text, shown
from mediaplan.services.items import export_row
from mediaplan.services.plan_defaults import press_outlet
from mediaplan.vocab import CoverageStatus, Format, Platform
from mediaplan.web.api_models import (CoverageListOut, CoverageOut, ItemOut, ItemPageOut, MeOut, StoryOut,
                                      refusals)
from mediaplan.web.deps import MAX_ID, SessionDep, theme_names, who
from mediaplan.web.errors import MULTILINE, ONE_LINE, query_text
from mediaplan.web.items import PAGE_SIZE, Q_MAX, ItemFilters, list_items
from mediaplan.web.security import allow, csrf_token, public

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX, tags=["api"])

MAX_LIMIT = 200  # items per page of GET /api/v1/items
MONTH = r"^\d{4}-\d{2}$"
# A database id in a path, with an example (the first row) for clients and for schemathesis' examples phase.
Id = Annotated[int, PathParam(ge=1, le=MAX_ID, examples=[1])]


def _planning_day(value: date) -> date:
    """A planning day within the one range (`periods.FIRST_DAY`..`LAST_DAY`), else a Vietnamese refusal (422)."""
    if not in_range(value):
        raise ValueError(_("ngày %(day)s ngoài khoảng lập kế hoạch, %(range)s") % {"day": f"{value:%d/%m/%Y}", "range": range_text()})
    return value


def _planning_time(value: datetime) -> datetime:
    """A time whose day is within the range: first in the time's own zone (so year 9999 with an offset never
    reaches a conversion), then in the plan's zone, where the calendar files it."""
    _planning_day(value.date())
    if value.tzinfo is not None:
        _planning_day(to_local(value).date())
    return value


def _hour_minute(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(_("giờ không hợp lệ %(value)s: dùng dạng HH:MM, ví dụ 08:00") % {"value": shown(value)})
    return value


PlanningDay = Annotated[date, AfterValidator(_planning_day)]
PlanningTime = Annotated[datetime, AfterValidator(_planning_time)]
# Lengths are the columns' (db/schema.py): Story.title String(500), Coverage.assignee String(120), Outlet.key
# String(80), Theme.code String(40). A brief or a note is Text, bounded all the same.
TEXT_MAX = 2000
ThemeCode = Annotated[str, Field(max_length=40, pattern=ONE_LINE)]


class MoveIn(BaseModel):
    """Either a new day (the time of day is kept) or an exact new time; with neither, a 400."""

    model_config = {"json_schema_extra": {"examples": [{"date": "2026-11-20"}, {"publish_at": "2026-11-21T09:30:00"}]}}

    on: PlanningDay | None = Field(None, alias="date")  # keep the time of day, change the day
    publish_at: PlanningTime | None = None  # or an exact new time (naive = local time)


class StoryIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"title": "Video: học sinh Lý Sơn học STEM", "date": "2026-11-27",
                                                        "time": "18:00", "platform": "facebook", "format": "short_video"}]}}

    title: str = Field(min_length=1, max_length=500, pattern=ONE_LINE)
    on: PlanningDay | None = Field(None, alias="date")  # empty: the ideas backlog
    time: Annotated[str, AfterValidator(_hour_minute)] = "08:00"  # local time
    platform: Platform | None = Platform.ONLINE
    format: Format | None = Format.NEWS
    themes: list[ThemeCode] = Field(default_factory=list, max_length=20)
    assignee: str | None = Field(None, max_length=120, pattern=ONE_LINE)
    outlet: str | None = Field(default_factory=press_outlet, max_length=80, pattern=ONE_LINE)  # the plan's newsroom
    brief: str = Field("", max_length=TEXT_MAX, pattern=MULTILINE)
    priority: int = Field(2, ge=1, le=3)


class LinkIn(BaseModel):
    accept: bool = True


class StatusIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"status": "in_progress", "note": "bắt đầu ghi hình"}]}}

    status: CoverageStatus
    note: str = Field("", max_length=TEXT_MAX, pattern=MULTILINE)


# --- reading --------------------------------------------------------------------------------


@router.get("/me", response_model=MeOut, responses=refusals(403), dependencies=[allow(Ability.READ)])
def me(request: Request):
    """The signed-in user, what their role may do, and the session's CSRF token for changes."""
    actor = request.state.user
    return {"username": actor.username, "full_name": actor.full_name, "role": actor.role,
            "abilities": [a for a in Ability if actor.can(a)], "csrf_token": csrf_token(request)}


@router.get("/coverages", response_model=CoverageListOut, responses=refusals(400, 403, 422),
            dependencies=[allow(Ability.READ)])
def coverages(session: SessionDep,
              month: str = Query(min_length=7, max_length=7, pattern=MONTH, examples=["2026-11"],
                                 description="the local month, YYYY-MM (2000-01 … 2100-12)"),
              outlet: str | None = query_text(80), platform: Platform | None = None, theme: str | None = query_text(40),
              assignee: str | None = query_text(80), status: CoverageStatus | None = None):
    """The coverages scheduled in a month, as the calendar shows them, with the calendar's filters."""
    filters = Filters(outlet or None, platform, theme or None, assignee or None, status)
    days = month_view(session, month, filters)  # a month outside the planning range: PeriodError, a 400
    return {"month": month, "coverages": [coverage_json(c) for d in days for c in d.coverages]}


@router.get("/coverages/{coverage_id}", response_model=CoverageOut, responses=refusals(403, 404, 422),
            dependencies=[allow(Ability.READ)])
def coverage(coverage_id: Id, session: SessionDep):
    try:
        return coverage_json(planning.get_coverage(session, coverage_id))
    except planning.PlanningError as exc:
        raise HTTPException(404, str(exc))


@router.get("/items", response_model=ItemPageOut, responses=refusals(400, 403, 422), dependencies=[allow(Ability.READ)])
def items(session: SessionDep, theme: str | None = query_text(40), outlet: str | None = query_text(80),
          month: str | None = Query(None, max_length=7, pattern=MONTH, examples=["2026-11"],
                                    description="the local month of publication, YYYY-MM"),
          q: str | None = Query(None, max_length=Q_MAX, pattern=ONE_LINE, description="accent-aware search"),
          education: bool = Query(False, description="true: only items about education"),
          after: int | None = Query(None, ge=1, le=MAX_ID, description="the `next` of the previous page"),
          limit: int = Query(PAGE_SIZE, ge=1, le=MAX_LIMIT)):
    """Items as the /items page filters and orders them, a page at a time (keyset: `after` is the last id shown)."""
    filters = ItemFilters(theme or "", outlet or "", month or "", q or "", "1" if education else "")
    page = list_items(session, filters, after=after, size=limit)  # one count, one keyset range scan
    return {"items": [_item_summary(i) for i in page.items], "total": page.total, "total_exact": page.total_exact,
            "next": page.next_after}


@router.get("/items/{item_id}", response_model=ItemOut, responses=refusals(403, 404, 422),
            dependencies=[allow(Ability.READ)])
def item(item_id: Id, session: SessionDep):
    """One item with its themes and their evidence (offsets into title, sapo or body), as the export has them."""
    found = session.get(Item, item_id, options=[selectinload(Item.themes), selectinload(Item.outlet),
                                                 selectinload(Item.source)])
    if found is None:
        raise HTTPException(404, _("Không tìm thấy tin, bài"))
    row, names = export_row(found), theme_names(session)
    return {**row, "outlet": _outlet(found), "published_at": _utc(found.published_at),
            "education": bool(found.education), "nq71": bool(found.nq71),
            "themes": [{"code": t["theme"], "name": names.get(t["theme"], t["theme"]), "method": t["method"],
                        "evidence": t["evidence"]} for t in row["theme_evidence"]]}


# --- changing -------------------------------------------------------------------------------


@router.post("/coverages/{coverage_id}/move", response_model=CoverageOut, responses=refusals(400, 403, 404, 409, 422),
             dependencies=[allow(Ability.CALENDAR)])
def move(coverage_id: Id, body: MoveIn, request: Request, session: SessionDep):
    """Reschedule a coverage (drag and drop): to another day at the same time of day, or to an exact time."""
    try:
        coverage = planning.get_coverage(session, coverage_id)
        if body.publish_at is not None:
            when = body.publish_at
        elif body.on is not None:
            kept = to_local(coverage.publish_at).time() if coverage.publish_at else time(8, 0)
            when = datetime.combine(body.on, kept, local_tz())
        else:
            raise HTTPException(400, _("cần date hoặc publish_at"))
        planning.move(session, coverage, when, who(request))
    except WorkflowError as exc:
        raise HTTPException(409, str(exc))
    except planning.PlanningError as exc:
        raise HTTPException(404, str(exc))
    session.commit()
    return coverage_json(coverage)


@router.post("/coverages/{coverage_id}/status", response_model=CoverageOut, responses=refusals(400, 403, 404, 409, 422),
             dependencies=[allow(Ability.CALENDAR)])
def set_status(coverage_id: Id, body: StatusIn, request: Request, session: SessionDep):
    """Change a coverage's state, as the workflow allows (vocab.TRANSITIONS); another move is a 409."""
    try:
        coverage = planning.get_coverage(session, coverage_id)
        planning.set_status(session, coverage, body.status, who(request), body.note)
    except WorkflowError as exc:
        raise HTTPException(409, str(exc))
    except planning.PlanningError as exc:
        raise HTTPException(404, str(exc))
    session.commit()
    return coverage_json(coverage)


@router.post("/coverages/{coverage_id}/deliveries/{item_id}", response_model=CoverageOut,
             responses=refusals(400, 403, 404, 409, 422), dependencies=[allow(Ability.CALENDAR)])
def confirm_link(coverage_id: Id, item_id: Id, body: LinkIn, request: Request, session: SessionDep):
    """An editor confirms or rejects a link the monitor suggested (or links an item by hand)."""
    try:
        coverage = planning.get_coverage(session, coverage_id)
        confirm(session, coverage, item_id, who(request), accept=body.accept)
    except WorkflowError as exc:
        raise HTTPException(409, str(exc))
    except (planning.PlanningError, ValueError) as exc:
        raise HTTPException(404, str(exc))
    session.commit()
    return coverage_json(coverage)


@router.post("/stories", response_model=StoryOut, responses=refusals(400, 403, 409, 422),
             dependencies=[allow(Ability.CALENDAR)])
def add_story(body: StoryIn, request: Request, session: SessionDep):
    """A story with one coverage at `date` `time` (local), or, without a date, an idea in the backlog."""
    try:
        when = None
        if body.on:
            hour, minute = (int(x) for x in body.time.split(":"))
            when = datetime.combine(body.on, time(hour, minute), local_tz())
        coverages = [dict(platform=body.platform, fmt=body.format, outlet=body.outlet, publish_at=when,
                          assignee=body.assignee or None)] if when else []
        story = planning.add_story(session, body.title, who(request), brief=body.brief, themes=body.themes,
                                   planned_on=body.on, priority=body.priority, coverages=coverages)
    except WorkflowError as exc:
        raise HTTPException(409, str(exc))
    except (planning.PlanningError, ValueError) as exc:
        raise HTTPException(400, str(exc))
    session.commit()
    return {"story": story.id, "coverages": [coverage_json(c) for c in story.coverages]}


# --- shapes -------------------------------------------------------------------------------


def coverage_json(c: Coverage) -> dict:
    """A coverage as the calendar script draws it, in local time (api_models.CoverageOut)."""
    at = to_local(c.publish_at) if c.publish_at else None
    return {"id": c.id, "story": c.story_id, "title": c.story.title, "status": c.status, "sequence": c.sequence,
            "publish_at": at.isoformat() if at else None,
            "due_at": to_local(c.due_at).isoformat() if c.due_at else None,
            "date": at.date().isoformat() if at else None,
            "time": at.strftime("%H:%M") if at else None,
            "platform": c.platform, "format": c.format, "outlet": c.outlet.key if c.outlet else None,
            "assignee": c.assignee, "themes": list(c.story.themes or [])}


def _utc(value: datetime | None) -> datetime | None:
    """A stored time (naive = UTC, as the database returns it) as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _outlet(i: Item) -> dict:
    return {"key": i.outlet.key, "name": i.outlet.name}


def _item_summary(i: Item) -> dict:
    return {"id": i.id, "title": i.title, "url": i.url, "outlet": _outlet(i), "kind": i.kind, "channel": i.channel,
            "format": i.format, "published_at": _utc(i.published_at), "education": bool(i.education),
            "themes": sorted(t.theme_code for t in i.themes if not t.removed)}


# --- the API's description ------------------------------------------------------------------

SECURITY_SCHEMES = {
    "session": {"type": "apiKey", "in": "cookie", "name": COOKIE,
                "description": "Cookie phiên đã ký, nhận được khi đăng nhập ở /login (HttpOnly, SameSite=Lax)."},
    "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
             "description": "Mã CSRF của phiên (GET /api/v1/me trả về `csrf_token`), bắt buộc với mọi POST."},
}
UNSAFE = {"post", "put", "patch", "delete"}


def api_schema(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of the /api/v1 routes alone (not the HTML pages), built once per app: every answer's
    model, and the security a call needs: the session cookie, plus X-CSRF-Token on a change."""
    cached = getattr(app.state, "api_openapi", None)
    if cached is not None:
        return cached
    routes = [rc for rc in iter_route_contexts(app.routes) if (rc.path or "").startswith(PREFIX + "/")]
    schema = get_openapi(
        title="mediaplan API", version="1",
        description="JSON API của mediaplan: lịch biên tập và tin, bài theo dõi. Cần đăng nhập (cookie phiên); "
                    "mọi yêu cầu thay đổi (POST) gửi kèm mã CSRF trong tiêu đề X-CSRF-Token.",
        routes=routes)
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            operation["security"] = [{"session": [], "csrf": []} if method in UNSAFE else {"session": []}]
    app.state.api_openapi = schema
    return schema


@router.get("/openapi.json", include_in_schema=False, dependencies=[public()])
def openapi(request: Request) -> dict[str, Any]:
    return api_schema(request.app)

