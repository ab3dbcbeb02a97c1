"""The JSON API under /api/v1: the calendar's drag and drop and quick-add, the read endpoints, and its own
OpenAPI document. (tests/test_api_schema.py runs schemathesis over that document.)"""

from datetime import datetime, timedelta, timezone

from fastapi.testclient import TestClient
from sqlalchemy import select

from accounts import signed_in
from mediaplan.crawler.store import Fetched, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import Coverage, Item, Outlet, WorkflowEvent
from mediaplan.services.plan_defaults import press_outlet
from mediaplan.web.app import create_app
from test_web_calendar import planned


def test_move_keeps_the_time_of_day(db):
    client, coverage = planned(db)
    moved = client.post(f"/api/v1/coverages/{coverage}/move", json={"date": "2026-11-20"})
    assert moved.status_code == 200 and moved.json()["publish_at"] == "2026-11-20T20:00:00+07:00"
    assert moved.json()["date"] == "2026-11-20" and moved.json()["time"] == "20:00"
    exact = client.post(f"/api/v1/coverages/{coverage}/move", json={"publish_at": "2026-11-21T09:30:00"})
    assert exact.json()["publish_at"] == "2026-11-21T09:30:00+07:00"  # a naive time is local time
    with session_scope() as session:
        assert len(session.scalars(select(WorkflowEvent).where(WorkflowEvent.action == "move")).all()) == 2


def test_move_needs_a_date_and_a_known_coverage(db):
    client, coverage = planned(db)
    assert client.post(f"/api/v1/coverages/{coverage}/move", json={}).status_code == 400
    assert client.post("/api/v1/coverages/999/move", json={"date": "2026-11-20"}).status_code == 404


def test_status_follows_the_workflow(db):
    client, coverage = planned(db)
    assert client.post(f"/api/v1/coverages/{coverage}/status", json={"status": "published"}).status_code == 409
    started = client.post(f"/api/v1/coverages/{coverage}/status", json={"status": "in_progress"})
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert client.post(f"/api/v1/coverages/{coverage}/status", json={"status": "done"}).status_code == 422  # not a code


def test_linking_an_item_publishes_the_coverage(populated_db):
    client, coverage = planned(populated_db)
    linked = client.post(f"/api/v1/coverages/{coverage}/deliveries/1", json={"accept": True})
    assert linked.status_code == 200 and linked.json()["status"] == "published"
    assert "✓ đã đăng" in client.get("/calendar?month=2026-11").text
    assert client.post(f"/api/v1/coverages/{coverage}/deliveries/999", json={"accept": True}).status_code == 404


def test_quick_add_goes_to_the_plans_press_outlet(db):
    client, _ = planned(db)
    made = client.post("/api/v1/stories", json={"title": "Video: học sinh Lý Sơn học STEM", "date": "2026-11-27",
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
    assert client.post("/api/v1/stories", json={"title": "", "date": "2026-11-20"}).status_code == 422
    assert client.post("/api/v1/stories", json={"title": "x", "platform": "fax"}).status_code == 422
    assert client.post("/api/v1/stories", json={"title": "x", "themes": ["khong-co"]}).status_code == 400
    idea = client.post("/api/v1/stories", json={"title": "Ý tưởng không ngày"})
    assert idea.status_code == 200 and idea.json()["coverages"] == []  # no date: the backlog


# --- reading ------------------------------------------------------------------------------------


def test_me_names_the_user_their_abilities_and_the_csrf_token(db):
    editor = signed_in(db, "editor")
    me = editor.get("/api/v1/me")
    assert me.status_code == 200
    body = me.json()
    assert (body["username"], body["role"], body["full_name"]) == ("editor-test", "editor", "Người dùng editor-test")
    assert set(body["abilities"]) == {"read", "calendar", "labels", "review"}
    assert body["csrf_token"] == editor.headers["X-CSRF-Token"]  # what a client sends back on a change
    anonymous = TestClient(create_app(db)).get("/api/v1/me")
    assert anonymous.status_code == 401 and anonymous.json() == {"detail": "Cần đăng nhập."}
    assert anonymous.headers["www-authenticate"] == "Cookie"


def test_a_months_coverages_as_the_calendar_draws_them(db):
    client, coverage = planned(db)
    month = client.get("/api/v1/coverages", params={"month": "2026-11"})
    assert month.status_code == 200 and month.json()["month"] == "2026-11"
    (shown,) = [c for c in month.json()["coverages"] if c["id"] == coverage]
    assert shown["publish_at"] == "2026-11-19T20:00:00+07:00" and (shown["date"], shown["time"]) == ("2026-11-19", "20:00")
    assert (shown["platform"], shown["format"], shown["outlet"]) == ("tv", "talk_show", "baoquangngai")
    assert (shown["assignee"], shown["status"], shown["themes"]) == ("Châu", "assigned", ["teachers"])
    assert shown["title"] == "Tọa đàm: Ngày Nhà giáo"
    assert client.get(f"/api/v1/coverages/{coverage}").json() == shown
    # The calendar's filters, and other months
    assert coverage not in [c["id"] for c in client.get("/api/v1/coverages?month=2026-11&platform=online").json()["coverages"]]
    assert coverage in [c["id"] for c in client.get("/api/v1/coverages?month=2026-11&status=assigned").json()["coverages"]]
    assert client.get("/api/v1/coverages?month=2026-12").json()["coverages"] == []


def test_coverage_refusals_are_documented_shapes_in_vietnamese(db):
    client, _ = planned(db)
    missing = client.get("/api/v1/coverages/999")
    assert missing.status_code == 404 and missing.json() == {"detail": "không có phần thực hiện #999"}
    out_of_range = client.get("/api/v1/coverages?month=1999-12")
    assert out_of_range.status_code == 400 and "từ năm 2000" in out_of_range.json()["detail"]
    unnamed = client.get("/api/v1/coverages")
    assert unnamed.status_code == 422
    assert unnamed.json() == {"detail": [{"loc": ["query", "month"], "msg": "month: thiếu giá trị bắt buộc", "type": "missing"}]}
    wrong_code = client.get("/api/v1/coverages?month=2026-11&platform=fax")
    assert wrong_code.status_code == 422 and "facebook" in wrong_code.json()["detail"][0]["msg"]


def test_items_page_with_keys_like_the_items_page(populated_db):
    client = signed_in(populated_db, "viewer")  # reading is for everyone
    first = client.get("/api/v1/items", params={"limit": 2})
    assert first.status_code == 200
    page = first.json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["next"] == page["items"][-1]["id"]
    rest = client.get("/api/v1/items", params={"limit": 2, "after": page["next"]}).json()
    assert rest["total"] == 3 and len(rest["items"]) == 1 and rest["next"] is None
    titles = [i["title"] for i in page["items"] + rest["items"]]
    assert titles[0].startswith("Tuyên dương 46 nhà giáo") and titles[-1] == "Giá lúa tăng, nông dân phấn khởi"  # newest first
    top = page["items"][0]
    assert top["published_at"] == "2026-11-20T02:00:00Z" and top["outlet"]["key"] == "baoquangngai"
    assert top["education"] is True and top["themes"]
    education = client.get("/api/v1/items?education=true").json()
    assert education["total"] == 2 and "Giá lúa tăng, nông dân phấn khởi" not in [i["title"] for i in education["items"]]
    exact = client.get("/api/v1/items", params={"q": "Sơn Hạ"}).json()  # accent-aware, as on /items
    assert [i["title"] for i in exact["items"]] == [titles[1]]
    assert client.get("/api/v1/items?month=2026-10").json() == {"items": [], "next": None, "total": 0,
                                                                 "total_exact": True}
    assert client.get("/api/v1/items?limit=201").status_code == 422
    assert client.get("/api/v1/items?limit=0").status_code == 422
    gone = client.get("/api/v1/items?after=999999")
    assert gone.status_code == 400 and "999999" in gone.json()["detail"]
    assert client.get("/api/v1/items?month=2026-13").status_code == 400


def test_a_limit_above_the_pages_own_size_reads_on_across_pages(db):
    """/items shows 50 a page; the API's `limit` goes to 200, read as one keyset range, none twice."""
    start = datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)
    for n in range(60):
        url = f"https://baoquangngai.vn/giao-duc/202611/tin-{n}/"
        with session_scope() as session:
            upsert_item(session, Fetched(source_key="baoquangngai-rss", kind="article", url=url, canonical_url=url,
                                         title=f"Tin giáo dục số {n}", published_at=start + timedelta(hours=n)))
    client = signed_in(db, "viewer")
    everything = client.get("/api/v1/items?limit=200").json()
    assert everything["total"] == 60 and len(everything["items"]) == 60 and everything["next"] is None
    first = client.get("/api/v1/items?limit=55").json()
    assert len(first["items"]) == 55 and first["next"] == first["items"][-1]["id"]
    second = client.get(f"/api/v1/items?limit=55&after={first['next']}").json()
    assert len(second["items"]) == 5 and second["next"] is None
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in everything["items"]]
    assert everything["items"][0]["title"] == "Tin giáo dục số 59"  # newest first
    exactly = client.get("/api/v1/items?limit=50").json()  # a full page of /items, with more to come
    assert len(exactly["items"]) == 50 and exactly["next"] == exactly["items"][-1]["id"]


def test_one_item_with_its_themes_and_evidence(populated_db):
    client = signed_in(populated_db, "viewer")
    with session_scope() as session:
        item_id = session.scalar(select(Item.id).where(Item.title.startswith("Tuyên dương")))
    answer = client.get(f"/api/v1/items/{item_id}")
    assert answer.status_code == 200
    item = answer.json()
    assert item["title"].startswith("Tuyên dương 46 nhà giáo") and item["url"].startswith("https://baoquangngai.vn/")
    assert item["outlet"] == {"key": "baoquangngai", "name": item["outlet"]["name"]} and item["outlet"]["name"]
    assert item["published_at"] == "2026-11-20T02:00:00Z" and item["channel"] and item["kind"] == "article"
    assert item["themes"], "classified: themes with their evidence"
    for theme in item["themes"]:
        assert theme["name"] and theme["method"] in ("rule", "model", "manual")
        for e in theme["evidence"]:  # offsets into the field they name
            assert item[e["field"]][e["start"]:e["end"]] == e["text"]
    assert any(theme["evidence"] for theme in item["themes"])
    missing = client.get("/api/v1/items/999999")
    assert missing.status_code == 404 and missing.json() == {"detail": "Không tìm thấy tin, bài"}
    assert client.get("/api/v1/items/0").status_code == 422


def test_a_viewer_reads_but_may_not_move(db):
    _, coverage = planned(db)
    viewer = signed_in(db, "viewer")
    assert viewer.get(f"/api/v1/coverages/{coverage}").status_code == 200
    refused = viewer.post(f"/api/v1/coverages/{coverage}/move", json={"date": "2026-11-20"})
    assert refused.status_code == 403 and refused.json()["detail"].startswith("Chỉ biên tập viên")


def test_the_old_prefix_is_gone(db):
    client, coverage = planned(db)
    assert client.post(f"/api/coverages/{coverage}/move", json={"date": "2026-11-20"}).status_code == 404


# --- the API's own description ------------------------------------------------------------------


def test_the_api_describes_itself_and_only_itself(db):
    anonymous = TestClient(create_app(db))
    answer = anonymous.get("/api/v1/openapi.json")  # no data in it: open, like /openapi.json
    assert answer.status_code == 200
    spec = answer.json()
    paths = spec["paths"]
    assert paths and all(p.startswith("/api/v1/") for p in paths), list(paths)
    assert {"/api/v1/me", "/api/v1/items", "/api/v1/items/{item_id}", "/api/v1/coverages",
            "/api/v1/coverages/{coverage_id}", "/api/v1/stories"} <= set(paths)
    schemes = spec["components"]["securitySchemes"]
    assert schemes["session"] == {**schemes["session"], "type": "apiKey", "in": "cookie", "name": "mediaplan_session"}
    assert schemes["csrf"] == {**schemes["csrf"], "type": "apiKey", "in": "header", "name": "X-CSRF-Token"}
    for path, operations in paths.items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert {"200", "401", "503"} <= codes, (method, path)
            want = [{"session": [], "csrf": []}] if method == "post" else [{"session": []}]
            assert op["security"] == want, (method, path)
            if op.get("parameters") or op.get("requestBody"):
                ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ValidationErrorOut"), (method, path)
            if method == "post":
                assert "403" in codes and "404" in codes or path == "/api/v1/stories"
    assert "409" in paths["/api/v1/coverages/{coverage_id}/status"]["post"]["responses"]
    assert anonymous.get("/api/docs").status_code == 404  # no Swagger page: its CDN script would break the CSP
