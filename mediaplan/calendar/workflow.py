"""Workflow states and the audit log.

Every change of state, every move, assignment and link goes through here or through
`stories` (which calls here), so the audit log is complete by construction: nothing
else writes a story's or coverage's `status`, `publish_at`, `assignee` or `planned_on`.
Even the slots a column materialises on its own are made through `stories`, by
`SYSTEM`. A story's state is derived from its coverages by the rules of
`derive_story_status`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from mediaplan.db.schema import Coverage, Story, WorkflowEvent
from mediaplan.vocab import TRANSITIONS, CoverageStatus, StoryStatus, WorkflowAction, WorkflowEntity, label

SYSTEM = "hệ thống"  # who the audit log names when no person acted (a column materialising its slots)

# How far work has moved, from first to last; a cancelled coverage has no stage.
STAGE_ORDER: tuple[CoverageStatus, ...] = (CoverageStatus.IDEA, CoverageStatus.ASSIGNED, CoverageStatus.IN_PROGRESS,
                                           CoverageStatus.IN_REVIEW, CoverageStatus.PUBLISHED)


# Work not yet handed in: a coverage in one of these states is still owed by its assignee.
OPEN_STATUSES: tuple[CoverageStatus, ...] = (CoverageStatus.IDEA, CoverageStatus.ASSIGNED, CoverageStatus.IN_PROGRESS)


def past_due(coverage: Coverage, now: datetime) -> bool:
    """Past its deadline (its publishing time when it has none) and not yet in review, published or cancelled,
    in a story that still runs. The calendar marks these and the reminders' `overdue` uses the same states."""
    deadline = coverage.due_at or coverage.publish_at
    if deadline is None or coverage.status not in OPEN_STATUSES:
        return False
    if coverage.story.status in (StoryStatus.CANCELLED, StoryStatus.POSTPONED):
        return False
    return (deadline if deadline.tzinfo else deadline.replace(tzinfo=timezone.utc)) < now


class WorkflowError(ValueError):
    pass


def log(session: Session, obj, action: WorkflowAction | str, before, after, by: str, note: str = "") -> WorkflowEvent:
    event = WorkflowEvent(entity=_entity(obj), entity_id=obj.id, action=action,
                          from_value=None if before is None else str(before)[:300],
                          to_value=None if after is None else str(after)[:300], by=by or SYSTEM, note=note)
    session.add(event)
    return event


def _entity(obj) -> WorkflowEntity:
    return {"Story": WorkflowEntity.STORY, "Coverage": WorkflowEntity.COVERAGE,
            "Column": WorkflowEntity.COLUMN}[type(obj).__name__]


def change_status(session: Session, obj: Story | Coverage, to: str, by: str, note: str = "", force: bool = False) -> bool:
    """Move a story or coverage to another state if the workflow allows it; log it. False if already there.

    `force` is for facts, not decisions: monitoring saw the coverage published, whatever state it was in.
    """
    states = StoryStatus if isinstance(obj, Story) else CoverageStatus
    if to not in states.codes():
        raise WorkflowError(f"trạng thái không hợp lệ {to!r}; chọn một trong {', '.join(states.codes())}")
    if obj.status == to:
        return False
    if not force and to not in TRANSITIONS.get(obj.status, frozenset()):
        allowed = ", ".join(f"{s} ({label('status', s)})" for s in sorted(TRANSITIONS.get(obj.status, ())))
        raise WorkflowError(f"không chuyển được từ {label('status', obj.status)} sang {label('status', to)}; "
                            f"được phép: {allowed}")
    before = obj.status
    obj.status = to
    obj.sequence += 1
    session.flush()
    log(session, obj, WorkflowAction.STATUS, before, to, by, note)
    if isinstance(obj, Coverage):
        follow_coverages(session, obj.story, by, moved_forward=_forward(before, to))
    return True


def _forward(before: str, after: str) -> bool:
    return before in STAGE_ORDER and after in STAGE_ORDER and STAGE_ORDER.index(after) > STAGE_ORDER.index(before)


# The rules, in order; the first that gives a state decides. Each takes the story's state, its coverages'
# states, the live (not cancelled) ones, and whether the coverage change that triggered it moved work forward.
Rule = Callable[[str, Sequence[str], Sequence[str], bool], "str | None"]
RULES: tuple[tuple[str, Rule], ...] = (
    ("không có phần thực hiện nào: tin bài giữ trạng thái của nó",
     lambda story, all_, live, forward: story if not all_ else None),
    ("mọi phần thực hiện bị hủy: tin bài bị hủy",
     lambda story, all_, live, forward: StoryStatus.CANCELLED if not live else None),
    ("mọi phần thực hiện còn lại đã đăng: tin bài đã đăng",
     lambda story, all_, live, forward: StoryStatus.PUBLISHED if all(s == CoverageStatus.PUBLISHED for s in live) else None),
    ("biên tập viên đã hủy hoặc hoãn: giữ nguyên",
     lambda story, all_, live, forward: story if story in (StoryStatus.CANCELLED, StoryStatus.POSTPONED) else None),
    ("đã dời lịch: giữ nguyên cho đến khi một phần thực hiện tiến lên",
     lambda story, all_, live, forward: story if story == StoryStatus.RESCHEDULED and not forward else None),
    ("còn lại: theo phần thực hiện chậm nhất",
     lambda story, all_, live, forward: StoryStatus(min(live, key=STAGE_ORDER.index))),
)


def derive_story_status(story_status: str, coverage_statuses: Sequence[str], moved_forward: bool = False) -> str:
    """The state a story takes from its coverages' states. The rules, first match wins:

    1. No coverages: the story keeps its own state (an idea in the backlog, or whatever the editor set).
    2. Every coverage cancelled: the story is cancelled.
    3. Every live (not cancelled) coverage published: the story is published. Publication is a fact
       seen by monitoring or an editor, so this holds even over an editor's postponed or cancelled.
    4. The editor cancelled or postponed the story: it stays so. Only an editor reopens it (postponing
       also took its date away, which no coverage can give back).
    5. The story was rescheduled (a coverage moved): it stays so until a coverage's work moves forward
       (to a later stage in `STAGE_ORDER`), then follows rule 6 again.
    6. Otherwise the story is at the stage every live coverage has reached: the least advanced one in
       idea < assigned < in_progress < in_review < published. So a story with one published coverage
       and one still at the idea stage is an idea, not published.
    """
    return _decide(story_status, coverage_statuses, moved_forward)[0]


def _decide(story_status: str, coverage_statuses: Sequence[str], moved_forward: bool) -> tuple[str, str]:
    live = [s for s in coverage_statuses if s != CoverageStatus.CANCELLED]
    return next((status, why) for why, rule in RULES
                if (status := rule(story_status, coverage_statuses, live, moved_forward)) is not None)


def follow_coverages(session: Session, story: Story, by: str, moved_forward: bool = False) -> None:
    """Set the story to the state `derive_story_status` gives; the audit log names the rule that decided."""
    target, why = _decide(story.status, [c.status for c in story.coverages], moved_forward)
    if target != story.status:
        before = story.status
        story.status = target
        story.sequence += 1
        log(session, story, WorkflowAction.STATUS, before, target, by, f"theo các phần thực hiện: {why}")
