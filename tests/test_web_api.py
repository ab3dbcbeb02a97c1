"""The JSON API the calendar's drag and drop and quick-add use."""

from sqlalchemy import select

from mediaplan.db import session_scope
from mediaplan.db.schema import Coverage, Outlet, WorkflowEvent
from mediaplan.services.plan_defaults import press_outlet
from test_web_calendar import planned


def test_move_keeps_the_time_of_day(db):
    client, coverage = planned(db)
    moved = client.post(f"/api/coverages/{coverage}/move", json={"date": "2026-11-20"})
    assert moved.status_code == 200 and moved.json()["publish_at"] == "2026-11-20T20:00:00+07:00"
    assert moved.json()["date"] == "2026-11-20" and moved.json()["time"] == "20:00"
    exact = client.post(f"/api/coverages/{coverage}/move", json={"publish_at": "2026-11-21T09:30:00"})
    assert exact.json()["publish_at"] == "2026-11-21T09:30:00+07:00"  # a naive time is local time
    with session_scope() as session:
        assert len(session.scalars(select(WorkflowEvent).where(WorkflowEvent.action == "move")).all()) == 2


def test_move_needs_a_date_and_a_known_coverage(db):
    client, coverage = planned(db)
    assert client.post(f"/api/coverages/{coverage}/move", json={}).status_code == 400
    assert client.post("/api/coverages/999/move", json={"date": "2026-11-20"}).status_code == 404


def test_status_follows_the_workflow(db):
    client, coverage = planned(db)
    assert client.post(f"/api/coverages/{coverage}/status", json={"status": "published"}).status_code == 409
    started = client.post(f"/api/coverages/{coverage}/status", json={"status": "in_progress"})
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert client.post(f"/api/coverages/{coverage}/status", json={"status": "done"}).status_code == 422  # not a code


def test_linking_an_item_publishes_the_coverage(populated_db):
    client, coverage = planned(populated_db)
    linked = client.post(f"/api/coverages/{coverage}/deliveries/1", json={"accept": True})
    assert linked.status_code == 200 and linked.json()["status"] == "published"
    assert "✓ đã đăng" in client.get("/calendar?month=2026-11").text
    assert client.post(f"/api/coverages/{coverage}/deliveries/999", json={"accept": True}).status_code == 404


def test_quick_add_goes_to_the_plans_press_outlet(db):
    client, _ = planned(db)
    made = client.post("/api/stories", json={"title": "Video: học sinh Lý Sơn học STEM", "date": "2026-11-27",
                                             "time": "18:00", "platform": "facebook", "format": "short_video"})
    assert made.status_code == 200
    (coverage,) = made.json()["coverages"]
    assert coverage["date"] == "2026-11-27" and coverage["time"] == "18:00"
    with session_scope() as session:
        outlet = session.scalar(select(Outlet.key).join(Coverage, Coverage.outlet_id == Outlet.id)
                                .where(Coverage.id == coverage["id"]))
    assert outlet == press_outlet() is not None  # from the plan's data, not from the code


def test_quick_add_refuses_bad_input(db):
    client, _ = planned(db)
    assert client.post("/api/stories", json={"title": "", "date": "2026-11-20"}).status_code == 422
    assert client.post("/api/stories", json={"title": "x", "platform": "fax"}).status_code == 422
    assert client.post("/api/stories", json={"title": "x", "themes": ["khong-co"]}).status_code == 400
    idea = client.post("/api/stories", json={"title": "Ý tưởng không ngày"})
    assert idea.status_code == 200 and idea.json()["coverages"] == []  # no date: the backlog
