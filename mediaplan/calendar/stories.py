"""Stories and their coverages: plan, assign, move, and record who did what.

Writes go through these functions so that every assignment lands in the history,
every state change and move in the audit log (see `workflow`), and every change
raises the iCal SEQUENCE so subscribed calendars update.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.calendar.workflow import WorkflowError, change_status, log
from mediaplan.db.schema import Assignment, Coverage, Outlet, Story, Theme, utcnow
from mediaplan.vocab import FORMATS, PLATFORMS

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class PlanningError(ValueError):
    pass


def local(value: datetime) -> datetime:
    """A naive datetime typed by a person is Vietnam time; stored as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=TZ)
    return value.astimezone(timezone.utc)


def _outlet_id(session: Session, key: str | None) -> int | None:
    if not key:
        return None
    outlet = session.scalar(select(Outlet).where(Outlet.key == key))
    if outlet is None:
        raise PlanningError(f"không có cơ quan {key!r}")
    return outlet.id


def _check(session: Session, platform: str | None, fmt: str | None, themes: list[str]) -> None:
    if platform and platform not in PLATFORMS:
        raise PlanningError(f"nền tảng không hợp lệ {platform!r}; chọn một trong {', '.join(PLATFORMS)}")
    if fmt and fmt not in FORMATS:
        raise PlanningError(f"định dạng không hợp lệ {fmt!r}; chọn một trong {', '.join(FORMATS)}")
    known = set(session.scalars(select(Theme.code)))
    unknown = [t for t in themes if t not in known]
    if unknown:
        raise PlanningError(f"chủ đề không có trong kế hoạch: {', '.join(unknown)}")


def add_story(session: Session, title: str, by: str, *, brief: str = "", themes: list[str] | None = None,
              planned_on: date | None = None, priority: int = 2, key_date: str | None = None, desk: str | None = None,
              coverages: list[dict] | None = None) -> Story:
    """A story, with its coverages. Idempotent on (title, planning date): re-running adds nothing."""
    themes = list(themes or [])
    if not title.strip():
        raise PlanningError("cần tiêu đề")
    if priority not in (1, 2, 3):
        raise PlanningError("mức ưu tiên là 1, 2 hoặc 3")
    _check(session, None, None, themes)
    story = session.scalar(select(Story).where(Story.title == title.strip(), Story.planned_on == planned_on,
                                               Story.column_id.is_(None)))
    if story is not None:
        return story
    story = Story(title=title.strip(), brief=brief, themes=themes, planned_on=planned_on, priority=priority,
                  key_date=key_date, desk=desk, created_by=by, status="idea")
    session.add(story)
    session.flush()
    log(session, story, "create", None, "idea", by)
    for spec in coverages or []:
        add_coverage(session, story, by=by, **spec)
    return story


def add_coverage(session: Session, story: Story, by: str, *, platform: str | None = None, fmt: str | None = None,
                 outlet: str | None = None, publish_at: datetime | None = None, due_at: datetime | None = None,
                 lead_days: int = 2, assignee: str | None = None, duration_minutes: int = 60) -> Coverage:
    _check(session, platform, fmt, [])
    publish = local(publish_at) if publish_at else None
    coverage = Coverage(story=story, platform=platform, format=fmt, outlet_id=_outlet_id(session, outlet),
                        publish_at=publish, due_at=local(due_at) if due_at else (publish - timedelta(days=lead_days) if publish else None),
                        duration_minutes=duration_minutes, status="idea")
    session.add(coverage)
    session.flush()
    if publish and story.planned_on is None:
        story.planned_on = publish.astimezone(TZ).date()
    log(session, coverage, "create", None, "idea", by)
    if assignee:
        assign(session, coverage, assignee, by)
    return coverage


def assign(session: Session, coverage: Coverage, assignee: str, by: str) -> Assignment:
    """Give a coverage to someone: a row in the history, the state moves to assigned."""
    if not assignee.strip():
        raise PlanningError("cần tên người được giao")
    before = coverage.assignee
    coverage.assignee = assignee.strip()
    row = Assignment(coverage=coverage, assignee=assignee.strip(), assigned_by=by)
    session.add(row)
    coverage.sequence += 1
    session.flush()
    log(session, coverage, "assign", before, coverage.assignee, by)
    if coverage.status == "idea":
        change_status(session, coverage, "assigned", by, "giao việc")
    return row


def answer(session: Session, coverage: Coverage, accepted: bool, by: str) -> Assignment:
    """The assignee accepts or declines; a decline puts the coverage back to idea, unassigned."""
    if not coverage.assignments:
        raise PlanningError("phần thực hiện này chưa được giao")
    row = coverage.assignments[-1]
    row.accepted, row.answered_at = accepted, utcnow()
    log(session, coverage, "answer", row.assignee, "nhận" if accepted else "từ chối", by)
    if not accepted:
        coverage.assignee = None
        change_status(session, coverage, "idea", by, "người được giao từ chối")
    session.flush()
    return row


def move(session: Session, coverage: Coverage, publish_at: datetime, by: str, keep_lead: bool = True) -> Coverage:
    """Reschedule a coverage (drag and drop, `calendar move`). The deadline keeps its lead time."""
    new = local(publish_at)
    if coverage.publish_at == new:
        return coverage
    before = coverage.publish_at
    if keep_lead and coverage.due_at and before:
        coverage.due_at = new - (before - coverage.due_at)
    coverage.publish_at = new
    coverage.sequence += 1
    story = coverage.story
    story.sequence += 1
    if story.column_id is None or len(story.coverages) == 1:
        story.planned_on = new.astimezone(TZ).date()
    session.flush()
    log(session, coverage, "move", before.astimezone(TZ).isoformat() if before else None,
        new.astimezone(TZ).isoformat(), by)
    if before is not None and story.status in {"assigned", "in_progress"}:
        change_status(session, story, "rescheduled", by, "dời lịch")  # the story keeps the fact that it moved
    return coverage


def set_status(session: Session, obj: Story | Coverage, status: str, by: str, note: str = "") -> bool:
    """Change a story's or coverage's state; postponing a story takes it off the calendar into the backlog."""
    changed = change_status(session, obj, status, by, note)
    if changed and isinstance(obj, Story) and status == "postponed":
        obj.planned_on = None
    if changed and isinstance(obj, Story) and status == "cancelled":
        for c in obj.coverages:
            if c.status not in {"cancelled", "published"}:
                try:
                    change_status(session, c, "cancelled", by, "hủy theo tin bài")
                except WorkflowError:
                    pass
    return changed


def backlog(session: Session) -> list[Story]:
    """Ideas without a date, most urgent first."""
    return list(session.scalars(select(Story).where(Story.planned_on.is_(None), Story.status.not_in(["cancelled", "published"]))
                                .order_by(Story.priority, Story.created_at)))


def get_coverage(session: Session, coverage_id: int) -> Coverage:
    coverage = session.get(Coverage, coverage_id)
    if coverage is None:
        raise PlanningError(f"không có phần thực hiện #{coverage_id}")
    return coverage


def get_story(session: Session, story_id: int) -> Story:
    story = session.get(Story, story_id)
    if story is None:
        raise PlanningError(f"không có tin bài kế hoạch #{story_id}")
    return story
