"""The workflow: allowed transitions, the audit log, and a story's state derived from its coverages, one rule a test."""

from datetime import date, datetime
from itertools import permutations

import pytest
from calendar_helpers import person, talk_show
from sqlalchemy import select

from mediaplan.calendar import stories as planning
from mediaplan.calendar.series import ensure_stories
from mediaplan.calendar.workflow import WorkflowError, derive_story_status
from mediaplan.db import session_scope
from mediaplan.db.schema import Assignment, Coverage, Story, WorkflowEvent


def _two_coverages(session, title="Phóng sự: bữa trưa bán trú"):
    return planning.add_story(session, title, "Lan", themes=["student_support", "ethnic_remote"],
                              planned_on=date(2026, 12, 10), coverages=[
                                  dict(platform="tv", fmt="reportage", outlet="baoquangngai",
                                       publish_at=datetime(2026, 12, 10, 19, 30)),
                                  dict(platform="facebook", fmt="short_video", outlet="baoquangngai",
                                       publish_at=datetime(2026, 12, 11, 12, 0))])


def _publish(session, coverage, by):
    """`by` (a user, made here) is given the coverage and takes it to published."""
    planning.assign(session, coverage, person(session, by), "Lan")
    for state in ("in_progress", "in_review", "published"):
        planning.set_status(session, coverage, state, by)


def test_every_state_transition_is_in_the_audit_log(db):
    with session_scope() as session:
        story = _two_coverages(session)
        tv, fb = story.coverages
        _publish(session, tv, "minhchau")
        with pytest.raises(WorkflowError, match="được phép"):
            planning.set_status(session, fb, "published", "minhchau")  # an idea cannot jump to published
        planning.assign(session, fb, person(session, "mangxahoi", "Nhóm mạng xã hội"), "Lan")
        planning.set_status(session, fb, "idea", "mangxahoi")  # handed back
        planning.set_status(session, fb, "cancelled", "Lan")
        later = planning.add_story(session, "Tọa đàm: học phí", "Lan", planned_on=date(2026, 12, 20))
        planning.set_status(session, later, "postponed", "Lan", "chờ số liệu")
        ids = {"story": story.id, "tv": tv.id, "fb": fb.id, "later": later.id}

    with session_scope() as session:
        events = session.scalars(select(WorkflowEvent).order_by(WorkflowEvent.id)).all()
        transitions = [(e.entity, e.entity_id, e.from_value, e.to_value, e.by) for e in events if e.action == "status"]
        history = session.scalars(select(Assignment).order_by(Assignment.id)).all()
        later = session.get(Story, ids["later"])
        assert later.planned_on is None and later.status == "postponed"  # postponed: back to the backlog
        assert session.get(Story, ids["story"]).status == "published"  # every live coverage is published
        statuses = {c.id: c.status for c in session.scalars(select(Coverage))}
    assert ("coverage", ids["tv"], "idea", "assigned", "Lan") in transitions
    for before, after in (("assigned", "in_progress"), ("in_progress", "in_review"), ("in_review", "published")):
        assert ("coverage", ids["tv"], before, after, "minhchau") in transitions
    assert ("coverage", ids["fb"], "assigned", "idea", "mangxahoi") in transitions
    assert ("coverage", ids["fb"], "idea", "cancelled", "Lan") in transitions
    assert ("story", ids["later"], "idea", "postponed", "Lan") in transitions
    assert [t[3] for t in transitions if t[:2] == ("story", ids["story"])][-1] == "published"  # followed its coverages
    assert [(a.assignee, a.assigned_by) for a in history] == [("minhchau", "Lan"), ("mangxahoi", "Lan")]
    # Nothing changed state without a log row: each coverage's current state is the last one logged.
    for coverage_id, status in statuses.items():
        assert [t for t in transitions if t[:2] == ("coverage", coverage_id)][-1][3] == status


def test_a_story_with_one_coverage_published_and_one_at_the_idea_stage_is_not_published(sqlite_db):
    with session_scope() as session:
        story = _two_coverages(session)
        tv, fb = story.coverages
        _publish(session, tv, "minhchau")
        assert (tv.status, fb.status, story.status) == ("published", "idea", "idea")
        planning.set_status(session, fb, "cancelled", "Lan")  # now every live coverage is published
        assert story.status == "published"
        note = session.scalars(select(WorkflowEvent.note).where(WorkflowEvent.entity == "story")
                               .order_by(WorkflowEvent.id.desc())).first()
    assert "đã đăng" in note  # the log names the rule that decided


def test_a_new_coverage_takes_a_published_story_back(sqlite_db):
    with session_scope() as session:
        story = planning.add_story(session, "Infographic: học phí", "Lan", coverages=[
            dict(platform="online", fmt="infographic", outlet="baoquangngai", publish_at=datetime(2026, 12, 3, 9, 0))])
        _publish(session, story.coverages[0], "dohoa")
        assert story.status == "published"
        planning.add_coverage(session, story, "Lan", platform="facebook", fmt="short_video", outlet="baoquangngai")
        assert story.status == "idea"


def test_a_rescheduled_slot_follows_again_once_work_moves_forward(sqlite_db):
    with session_scope() as session:
        talk_show(session)
        ensure_stories(session, date(2026, 9, 1), date(2026, 9, 8))
        story = session.scalar(select(Story))
        coverage = story.coverages[0]
        planning.move(session, coverage, datetime(2026, 9, 4, 19, 30), "Trưởng ban")
        assert story.status == "rescheduled"
        planning.set_status(session, coverage, "assigned", "Trưởng ban")  # no change of state: still rescheduled
        assert story.status == "rescheduled"
        planning.set_status(session, coverage, "in_progress", "Minh Châu")
        assert story.status == "in_progress"


# The rules of derive_story_status, one a test (rule numbers as in its docstring).

def test_rule_1_without_coverages_the_story_keeps_its_state():
    for state in ("idea", "assigned", "postponed", "rescheduled", "cancelled", "published"):
        assert derive_story_status(state, []) == state


def test_rule_2_every_coverage_cancelled_cancels_the_story():
    for state in ("idea", "in_progress", "rescheduled", "postponed"):
        assert derive_story_status(state, ["cancelled", "cancelled"]) == "cancelled"


def test_rule_3_every_live_coverage_published_publishes_the_story():
    assert derive_story_status("in_review", ["published", "cancelled", "published"]) == "published"
    assert derive_story_status("postponed", ["published"]) == "published"  # a fact, over the editor's state
    assert derive_story_status("cancelled", ["published", "cancelled"]) == "published"


def test_rule_4_an_editors_cancelled_or_postponed_story_stays_so():
    for state in ("cancelled", "postponed"):
        for coverages in (["idea"], ["assigned", "published"], ["in_review", "cancelled"]):
            assert derive_story_status(state, coverages, moved_forward=True) == state


def test_rule_5_a_rescheduled_story_waits_for_work_to_move_forward():
    assert derive_story_status("rescheduled", ["assigned", "in_progress"]) == "rescheduled"
    assert derive_story_status("rescheduled", ["assigned", "in_progress"], moved_forward=True) == "assigned"


def test_rule_6_otherwise_the_least_advanced_live_coverage_decides_whatever_their_order():
    cases = {("published", "idea"): "idea", ("in_review", "assigned", "published"): "assigned",
             ("in_progress", "in_review", "cancelled"): "in_progress", ("in_review",): "in_review"}
    for coverages, expected in cases.items():
        for order in permutations(coverages):
            for state in ("idea", "assigned", "in_progress", "in_review", "published"):
                assert derive_story_status(state, list(order)) == expected
