"""Workflow states and the audit log.

Every change of state, every move, assignment and link goes through here, so the
audit log is complete by construction: nothing else writes `status` or `publish_at`.
A story's state follows its coverages (all published → published) unless an editor
set it to postponed, rescheduled or cancelled.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mediaplan.db.schema import Coverage, Story, WorkflowEvent
from mediaplan.vocab import PIECE_STATUSES, STORY_STATUSES, TRANSITIONS, label


class WorkflowError(ValueError):
    pass


def log(session: Session, obj, action: str, before, after, by: str, note: str = "") -> WorkflowEvent:
    event = WorkflowEvent(entity=_entity(obj), entity_id=obj.id, action=action,
                          from_value=None if before is None else str(before)[:300],
                          to_value=None if after is None else str(after)[:300], by=by or "hệ thống", note=note)
    session.add(event)
    return event


def _entity(obj) -> str:
    return {"Story": "story", "Coverage": "coverage", "Column": "column"}[type(obj).__name__]


def change_status(session: Session, obj: Story | Coverage, to: str, by: str, note: str = "", force: bool = False) -> bool:
    """Move a story or coverage to another state if the workflow allows it; log it. False if already there.

    `force` is for facts, not decisions: monitoring saw the piece published, whatever state it was in.
    """
    allowed_states = STORY_STATUSES if isinstance(obj, Story) else PIECE_STATUSES
    if to not in allowed_states:
        raise WorkflowError(f"trạng thái không hợp lệ {to!r}; chọn một trong {', '.join(allowed_states)}")
    if obj.status == to:
        return False
    if not force and to not in TRANSITIONS.get(obj.status, set()):
        allowed = ", ".join(f"{s} ({label('status', s)})" for s in sorted(TRANSITIONS.get(obj.status, ())))
        raise WorkflowError(f"không chuyển được từ {label('status', obj.status)} sang {label('status', to)}; "
                            f"được phép: {allowed}")
    before = obj.status
    obj.status = to
    obj.sequence += 1
    session.flush()
    log(session, obj, "status", before, to, by, note)
    if isinstance(obj, Coverage):
        follow_coverages(session, obj.story, by)
    return True


def follow_coverages(session: Session, story: Story, by: str) -> None:
    """A story is published when every live coverage is; cancelled when all are cancelled."""
    live = [c for c in story.coverages if c.status != "cancelled"]
    target = None
    if story.coverages and not live:
        target = "cancelled"
    elif live and all(c.status == "published" for c in live):
        target = "published"
    elif live and story.status in {"idea", "published"} and any(c.status != "idea" for c in live):
        target = max((c.status for c in live), key=list(PIECE_STATUSES).index) if story.status == "idea" else "in_review"
    if target and target != story.status:
        before = story.status
        story.status = target
        story.sequence += 1
        log(session, story, "status", before, target, by, "theo trạng thái các phần thực hiện")
