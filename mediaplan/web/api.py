"""The JSON API behind the calendar's drag and drop and quick-add (static/calendar.js).

Each endpoint calls one planning function and answers with the coverage as the
script redraws it; codes are the `mediaplan.vocab` enums, so a wrong code is a 422
that names the allowed ones.
"""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, field_validator

from mediaplan.calendar import stories as planning
from mediaplan.calendar.linking import confirm
from mediaplan.calendar.workflow import WorkflowError
from mediaplan.db.schema import Coverage
from mediaplan.localtime import local_tz, to_local
from mediaplan.services.plan_defaults import press_outlet
from mediaplan.vocab import CoverageStatus, Format, Platform
from mediaplan.periods import FIRST_DAY, LAST_DAY
from mediaplan.web.deps import DbId, SessionDep, who

router = APIRouter(prefix="/api")


class MoveIn(BaseModel):
    on: date | None = Field(None, alias="date", ge=FIRST_DAY, le=LAST_DAY)  # keep the time of day, change the day
    publish_at: datetime | None = None  # or an exact new time (naive = local time)

    @field_validator("publish_at")
    @classmethod
    def _within_calendar(cls, value: datetime | None) -> datetime | None:
        if value is not None and not FIRST_DAY <= value.date() <= LAST_DAY:
            raise ValueError(f"ngoài khoảng {FIRST_DAY.year}–{LAST_DAY.year}")
        return value


class StoryIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    on: date | None = Field(None, alias="date", ge=FIRST_DAY, le=LAST_DAY)  # empty: the ideas backlog
    time: str = "08:00"
    platform: Platform | None = Platform.ONLINE
    format: Format | None = Format.NEWS
    themes: list[str] = Field(default_factory=list)
    assignee: str | None = None
    outlet: str | None = Field(default_factory=press_outlet)  # the plan's newsroom
    brief: str = ""
    priority: int = 2


class LinkIn(BaseModel):
    accept: bool = True


class StatusIn(BaseModel):
    status: CoverageStatus
    note: str = ""


@router.post("/coverages/{coverage_id}/move")
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


@router.post("/coverages/{coverage_id}/status")
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


@router.post("/coverages/{coverage_id}/deliveries/{item_id}")
def confirm_link(coverage_id: DbId, item_id: DbId, body: LinkIn, request: Request, session: SessionDep):
    """An editor confirms or rejects a link the monitor suggested (or links an item by hand)."""
    try:
        coverage = planning.get_coverage(session, coverage_id)
        confirm(session, coverage, item_id, who(request), accept=body.accept)
    except (planning.PlanningError, ValueError) as exc:
        raise HTTPException(404, str(exc))
    session.commit()
    return coverage_json(coverage)


@router.post("/stories")
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
