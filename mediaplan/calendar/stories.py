"""Stories and their coverages: plan, assign, move, and record who did what.

Writes go through these functions so that every assignment lands in the history,
every state change and move in the audit log (see `workflow`), and every change
raises the iCal SEQUENCE so subscribed calendars update.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediaplan.calendar.workflow import change_status, follow_coverages, log
from mediaplan.db.schema import Assignment, Coverage, Outlet, Story, Theme, User
from mediaplan.localtime import as_utc, to_local
from mediaplan.vocab import CoverageStatus, Format, Platform, StoryStatus, WorkflowAction


class PlanningError(ValueError):
    pass


def _outlet_id(session: Session, key: str | None) -> int | None:
    if not key:
        return None
    outlet = session.scalar(select(Outlet).where(Outlet.key == key))
    if outlet is None:
        raise PlanningError(f"không có cơ quan {key!r}")
    return outlet.id


def check_codes(session: Session, platform: str | None, fmt: str | None, themes: list[str]) -> None:
    """Refuse a platform, format or theme outside the plan's vocabularies, in words an editor reads."""
    if platform and platform not in Platform.codes():
        raise PlanningError(f"nền tảng không hợp lệ {platform!r}; chọn một trong {', '.join(Platform.codes())}")
    if fmt and fmt not in Format.codes():
        raise PlanningError(f"định dạng không hợp lệ {fmt!r}; chọn một trong {', '.join(Format.codes())}")
    known = set(session.scalars(select(Theme.code)))
    unknown = [t for t in themes if t not in known]
    if unknown:
        raise PlanningError(f"chủ đề không có trong kế hoạch: {', '.join(unknown)}")


def check_assignee(session: Session, name: str | None) -> str | None:
    """The username of the enabled user an assignee names (None for nobody), or a refusal naming who is unknown.

    An assignee is a user (`users.username`, the foreign key of migration 0010), never a name typed in free text:
    every writer of an assignee (`assign`, `add_coverage`, `add_story`, the columns of `series`) asks here first.
    """
    if name is None:
        return None
    username = unicodedata.normalize("NFC", name.strip())
    if not username:
        raise PlanningError("cần tên đăng nhập của người được giao")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        same_name = session.scalars(select(User.username).where(func.lower(User.full_name) == username.lower(),
                                                                User.disabled.is_(False)).order_by(User.username)).all()
        hint = f"; có phải {', '.join(same_name)}?" if same_name else ""
        raise PlanningError(f"không có người dùng {username!r}: người được giao phải là một tài khoản "
                            f"(tên đăng nhập, xem mediaplan users list){hint}")
    if user.disabled:
        raise PlanningError(f"tài khoản {username!r} đã bị vô hiệu hóa: không giao việc cho tài khoản này được")
    return user.username


def add_story(session: Session, title: str, by: str, *, brief: str = "", themes: list[str] | None = None,
              planned_on: date | None = None, priority: int = 2, key_date: str | None = None, desk: str | None = None,
              coverages: list[dict] | None = None, column_id: int | None = None,
              occurrence_start: datetime | None = None) -> Story:
    """A story, with its coverages. Idempotent on (title, planning date): re-running adds nothing.

    A story that fills a column's slot (`column_id`, `occurrence_start`) is idempotent on its slot instead.
    """
    themes = list(themes or [])
    if not title.strip():
        raise PlanningError("cần tiêu đề")
    if priority not in (1, 2, 3):
        raise PlanningError("mức ưu tiên là 1, 2 hoặc 3")
    check_codes(session, None, None, themes)
    for spec in coverages or []:  # refused before anything is written
        check_assignee(session, spec.get("assignee"))
    if column_id is None:
        same = select(Story).where(Story.title == title.strip(), Story.planned_on == planned_on, Story.column_id.is_(None))
    else:
        same = select(Story).where(Story.column_id == column_id, Story.occurrence_start == as_utc(occurrence_start))
    story = session.scalar(same)
    if story is not None:
        return story
    story = Story(title=title.strip(), brief=brief, themes=themes, planned_on=planned_on, priority=priority,
                  key_date=key_date, desk=desk, created_by=by, status=StoryStatus.IDEA, column_id=column_id,
                  occurrence_start=as_utc(occurrence_start) if occurrence_start else None)
    session.add(story)
    session.flush()
    log(session, story, WorkflowAction.CREATE, None, story.status, by)
    for spec in coverages or []:
        add_coverage(session, story, by=by, **spec)
    return story


def add_coverage(session: Session, story: Story, by: str, *, platform: str | None = None, fmt: str | None = None,
                 outlet: str | None = None, publish_at: datetime | None = None, due_at: datetime | None = None,
                 lead_days: int = 2, assignee: str | None = None, duration_minutes: int = 60) -> Coverage:
    """A coverage of a story, created as an idea; with an assignee it is then assigned, as by `assign`.

    A new coverage can take its story back from published: the story follows its coverages.
    """
    check_codes(session, platform, fmt, [])
    assignee = check_assignee(session, assignee or None)
    publish = as_utc(publish_at) if publish_at else None
    coverage = Coverage(story=story, platform=platform, format=fmt, outlet_id=_outlet_id(session, outlet),
                        publish_at=publish, due_at=as_utc(due_at) if due_at else (publish - timedelta(days=lead_days) if publish else None),
                        duration_minutes=duration_minutes, status=CoverageStatus.IDEA)
    session.add(coverage)
    session.flush()
    if publish and story.planned_on is None:
        story.planned_on = to_local(publish).date()
    log(session, coverage, WorkflowAction.CREATE, None, coverage.status, by)
    follow_coverages(session, story, by)
    if assignee:
        assign(session, coverage, assignee, by)
    return coverage


def assign(session: Session, coverage: Coverage, assignee: str, by: str) -> Assignment:
    """Give a coverage to a user (by username, see `check_assignee`): a row in the history, the state moves to
    assigned."""
    username = check_assignee(session, assignee)
    before = coverage.assignee
    coverage.assignee = username
    row = Assignment(coverage=coverage, assignee=username, assigned_by=by)
    session.add(row)
    coverage.sequence += 1
    session.flush()
    log(session, coverage, WorkflowAction.ASSIGN, before, coverage.assignee, by)
    if coverage.status == CoverageStatus.IDEA:
        change_status(session, coverage, CoverageStatus.ASSIGNED, by, "giao việc")
    return row


def move(session: Session, coverage: Coverage, publish_at: datetime, by: str, keep_lead: bool = True) -> Coverage:
    """Reschedule a coverage (drag and drop, `calendar move`). The deadline keeps its lead time."""
    new = as_utc(publish_at)
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
        story.planned_on = to_local(new).date()
    session.flush()
    log(session, coverage, WorkflowAction.MOVE, to_local(before).isoformat() if before else None,
        to_local(new).isoformat(), by)
    if before is not None and story.status in {StoryStatus.ASSIGNED, StoryStatus.IN_PROGRESS}:
        change_status(session, story, StoryStatus.RESCHEDULED, by, "dời lịch")  # the story keeps the fact that it moved
    return coverage


def set_status(session: Session, obj: Story | Coverage, status: str, by: str, note: str = "") -> bool:
    """Change a story's or coverage's state; postponing a story takes it off the calendar into the backlog."""
    changed = change_status(session, obj, status, by, note)
    if changed and isinstance(obj, Story) and status == StoryStatus.POSTPONED:
        obj.planned_on = None
    if changed and isinstance(obj, Story) and status == StoryStatus.CANCELLED:
        for c in obj.coverages:
            if c.status not in {CoverageStatus.CANCELLED, CoverageStatus.PUBLISHED}:  # every other state may be cancelled
                change_status(session, c, CoverageStatus.CANCELLED, by, "hủy theo tin bài")
    return changed


def backlog(session: Session) -> list[Story]:
    """Ideas without a date, most urgent first."""
    return list(session.scalars(select(Story).where(Story.planned_on.is_(None), Story.status.not_in([StoryStatus.CANCELLED, StoryStatus.PUBLISHED]))
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
