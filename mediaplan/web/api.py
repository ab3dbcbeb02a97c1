"""The JSON API behind the calendar's drag and drop and quick-add (static/calendar.js).

Each endpoint calls one planning function and answers with the coverage as the
script redraws it; codes are the `mediaplan.vocab` enums, so a wrong code is a 422
that names the allowed ones.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import AfterValidator, BaseModel, Field

from mediaplan.calendar import stories as planning
from mediaplan.calendar.linking import confirm
from mediaplan.calendar.workflow import WorkflowError
from mediaplan.db.schema import Coverage
from mediaplan.localtime import local_tz, to_local
from mediaplan.services.plan_defaults import press_outlet
from mediaplan.vocab import CoverageStatus, Format, Platform
from mediaplan.periods import RANGE_TEXT, in_range, shown
from mediaplan.auth.roles import Ability
from mediaplan.web.deps import DbId, SessionDep, who
from mediaplan.web.security import allow
from mediaplan.web.errors import MULTILINE, ONE_LINE

router = APIRouter(prefix="/api")


def _planning_day(value: date) -> date:
    """A planning day within the one range (`periods.FIRST_DAY`..`LAST_DAY`), else a Vietnamese refusal (422)."""
    if not in_range(value):
        raise ValueError(f"ngày {value:%d/%m/%Y} ngoài khoảng lập kế hoạch, {RANGE_TEXT}")
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
        raise ValueError(f"giờ không hợp lệ {shown(value)}: dùng dạng HH:MM, ví dụ 08:00")
    return value


PlanningDay = Annotated[date, AfterValidator(_planning_day)]
PlanningTime = Annotated[datetime, AfterValidator(_planning_time)]
# Lengths are the columns' (db/schema.py): Story.title String(500), Coverage.assignee String(120), Outlet.key
# String(80), Theme.code String(40). A brief or a note is Text, bounded all the same.
TEXT_MAX = 2000
ThemeCode = Annotated[str, Field(max_length=40, pattern=ONE_LINE)]


class MoveIn(BaseModel):
    on: PlanningDay | None = Field(None, alias="date")  # keep the time of day, change the day
    publish_at: PlanningTime | None = None  # or an exact new time (naive = local time)


class StoryIn(BaseModel):
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
    status: CoverageStatus
    note: str = Field("", max_length=TEXT_MAX, pattern=MULTILINE)


@router.post("/coverages/{coverage_id}/move", dependencies=[allow(Ability.CALENDAR)])
def move(coverage_id: DbId, body: MoveIn, request: Request, session: SessionDep):
    try:
        coverage = planning.get_coverage(session, coverage_id)
        if body.publish_at is not None:
            when = body.publish_at
        elif body.on is not None:
            kept = to_local(coverage.publish_at).time() if coverage.publish_at else time(8, 0)
            when = datetime.combine(body.on, kept, local_tz())
        else:
            raise HTTPException(400, "cần date hoặc publish_at")
        planning.move(session, coverage, when, who(request))
    except planning.PlanningError as exc:
        raise HTTPException(404, str(exc))
    session.commit()
    return coverage_json(coverage)


@router.post("/coverages/{coverage_id}/status", dependencies=[allow(Ability.CALENDAR)])
def set_status(coverage_id: DbId, body: StatusIn, request: Request, session: SessionDep):
    try:
        coverage = planning.get_coverage(session, coverage_id)
        planning.set_status(session, coverage, body.status, who(request), body.note)
    except planning.PlanningError as exc:
        raise HTTPException(404, str(exc))
    except WorkflowError as exc:
        raise HTTPException(409, str(exc))
    session.commit()
    return coverage_json(coverage)


@router.post("/coverages/{coverage_id}/deliveries/{item_id}", dependencies=[allow(Ability.CALENDAR)])
def confirm_link(coverage_id: DbId, item_id: DbId, body: LinkIn, request: Request, session: SessionDep):
    """An editor confirms or rejects a link the monitor suggested (or links an item by hand)."""
    try:
        coverage = planning.get_coverage(session, coverage_id)
        confirm(session, coverage, item_id, who(request), accept=body.accept)
    except (planning.PlanningError, ValueError) as exc:
        raise HTTPException(404, str(exc))
    session.commit()
    return coverage_json(coverage)


@router.post("/stories", dependencies=[allow(Ability.CALENDAR)])
def add_story(body: StoryIn, request: Request, session: SessionDep):
    try:
        when = None
        if body.on:
            hour, minute = (int(x) for x in body.time.split(":"))
            when = datetime.combine(body.on, time(hour, minute), local_tz())
        coverages = [dict(platform=body.platform, fmt=body.format, outlet=body.outlet, publish_at=when,
                          assignee=body.assignee or None)] if when else []
        story = planning.add_story(session, body.title, who(request), brief=body.brief, themes=body.themes,
                                   planned_on=body.on, priority=body.priority, coverages=coverages)
    except (planning.PlanningError, ValueError) as exc:
        raise HTTPException(400, str(exc))
    session.commit()
    return {"story": story.id, "coverages": [coverage_json(c) for c in story.coverages]}


def coverage_json(c: Coverage) -> dict:
    """A coverage as the calendar script draws it, in local time."""
    at = to_local(c.publish_at) if c.publish_at else None
    return {"id": c.id, "story": c.story_id, "title": c.story.title, "status": c.status, "sequence": c.sequence,
            "publish_at": at.isoformat() if at else None,
            "due_at": to_local(c.due_at).isoformat() if c.due_at else None,
            "date": at.date().isoformat() if at else None,
            "time": at.strftime("%H:%M") if at else None}
