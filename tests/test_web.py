"""The web app, feature by feature (HTTP), and the dashboard in real headless Chromium."""

import shutil
import threading
import time
from contextlib import contextmanager
from datetime import datetime

import pytest
import uvicorn
from fastapi.testclient import TestClient

from mediaplan.calendar.ical import feed_token
from mediaplan.db import session_scope
from mediaplan.mailsink import free_port
from mediaplan.web.app import create_app


def test_pages_in_vietnamese(populated_db):
    client = TestClient(create_app(populated_db))
    home = client.get("/?month=2026-11")
    assert home.status_code == 200 and "Tổng quan truyền thông Nghị quyết 71" in home.text
    assert 'id="card-education">2<' in home.text
    items = client.get("/items?month=2026-11&education=1")
    assert items.status_code == 200 and items.text.count('<tr data-id=') == 2
    assert client.get("/items?month=2026-13").status_code == 400  # a bad date in a form is a clear error


def test_accented_search_first_then_folded(populated_db):
    client = TestClient(create_app(populated_db))
    exact = client.get("/items", params={"q": "Sơn Hạ"}).text
    assert exact.count("<tr data-id=") == 1 and "Sơn Hạ" in exact
    loose = client.get("/items", params={"q": "son ha"}).text
    assert loose.count("<tr data-id=") == 2
    assert 'id="ambiguous"' in loose and "Sơn Hà hoặc Sơn Hạ" in loose  # folding is ambiguous here: say so
    assert 'id="ambiguous"' not in exact


def test_item_page_shows_evidence(populated_db):
    client = TestClient(create_app(populated_db))
    page = client.get("/items/1")
    assert page.status_code == 200
    assert "<mark" in page.text and 'data-theme="exemplary"' in page.text and "gương điển hình" in page.text
    assert client.get("/items/999").status_code == 404


def _plan(session):
    from mediaplan.calendar import stories as planning

    story = planning.add_story(session, "Tọa đàm: Ngày Nhà giáo", "Lan", themes=["teachers"], coverages=[
        dict(platform="tv", fmt="talk_show", outlet="baoquangngai", publish_at=datetime(2026, 11, 19, 20, 0), assignee="Châu")])
    planning.add_story(session, "Ý tưởng: bữa trưa bán trú", "Lan", themes=["student_support"], priority=1)
    return story.coverages[0].id


def test_calendar_pages_feeds_and_api(populated_db):
    with session_scope() as session:
        coverage = _plan(session)
        token = feed_token(session, "user", "Châu")
    client = TestClient(create_app(populated_db))
    page = client.get("/calendar?month=2026-11")
    assert page.status_code == 200 and "Ngày Nhà giáo Việt Nam" in page.text and "Thứ Hai" in page.text
    assert f'id="coverage-{coverage}"' in page.text and 'draggable="true"' in page.text
    assert 'id="legend"' in page.text and "Nhà giáo và cán bộ quản lý giáo dục" in page.text  # colour legend
    assert "Ý tưởng: bữa trưa bán trú" in page.text  # the backlog sidebar
    week = client.get("/calendar?view=week&day=2026-11-19")
    assert week.status_code == 200 and week.text.count('class="day') == 7
    filtered = client.get("/calendar?month=2026-11&platform=online")
    assert f'id="coverage-{coverage}"' not in filtered.text
    assert client.get("/calendar?view=week&day=2026-02-30").status_code == 400  # a bad date is a clear error
    ics = client.get(f"/ical/{token}.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and b"Ng\xc3\xa0y Nh\xc3\xa0 gi\xc3\xa1o" in ics.content
    assert client.get("/ical/wrong-token.ics").status_code == 404
    with session_scope() as session:
        feed_token(session, "user", "Châu", regenerate=True)
    assert client.get(f"/ical/{token}.ics").status_code == 404  # the old URL stops working
    shared = client.get(f"/calendar/share/{feed_token_for(populated_db)}?month=2026-11")
    assert shared.status_code == 200 and "chỉ xem" in shared.text and 'draggable="true"' not in shared.text
    moved = client.post(f"/api/coverages/{coverage}/move", json={"date": "2026-11-20"})
    assert moved.status_code == 200 and moved.json()["publish_at"] == "2026-11-20T20:00:00+07:00"
    assert client.post(f"/api/coverages/{coverage}/status", json={"status": "published"}).status_code == 409
    assert client.post("/api/coverages/999/move", json={"date": "2026-11-20"}).status_code == 404
    linked = client.post(f"/api/coverages/{coverage}/deliveries/1", json={"accept": True})  # an editor links by hand
    assert linked.status_code == 200 and linked.json()["status"] == "published"
    assert "✓ đã đăng" in client.get("/calendar?month=2026-11").text
    assert client.post(f"/api/coverages/{coverage}/deliveries/999", json={"accept": True}).status_code == 404
    assert client.post("/api/stories", json={"title": "", "date": "2026-11-20"}).status_code == 422
    gaps = client.get("/calendar/gaps?month=2026-11")
    assert gaps.status_code == 200 and 'id="gaps"' in gaps.text
    budget = client.get("/calendar/budget?day=2026-11-16&days=7")
    assert budget.status_code == 200 and "Tọa đàm: Ngày Nhà giáo" in budget.text and "Chủ Nhật, 22/11/2026" in budget.text
    xlsx = client.get("/calendar/export?month=2026-11&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def feed_token_for(_db) -> str:
    with session_scope() as session:
        return feed_token(session, "all")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser_page(database_url: str, width: int = 1280, height: int = 900):
    """The app served by uvicorn on a free port, and a page of Debian's Chromium driven by Playwright."""
    if not CHROMIUM:
        pytest.fail("Debian chromium is required for the browser tests (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(database_url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"])
            page = browser.new_page(viewport={"width": width, "height": height})
            page.base = f"http://127.0.0.1:{port}"
            yield page
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.mark.browser
def test_dashboard_in_headless_chromium(populated_db, tmp_path):
    with browser_page(populated_db) as page:
        page.goto(f"{page.base}/?month=2026-11")
        assert page.locator("#card-education").inner_text() == "2"
        assert page.locator("#by-theme tr[data-theme='exemplary'] td.num").first.inner_text() == "1"
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        page.click("#by-theme tr[data-theme='exemplary'] a")
        page.wait_for_url("**/items?theme=exemplary**")
        assert page.locator("#items tr[data-id]").count() == 1
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


@pytest.mark.browser
def test_drag_and_drop_moves_a_coverage_and_the_move_survives_a_reload(populated_db, tmp_path):
    with session_scope() as session:
        coverage = _plan(session)
    with browser_page(populated_db, 1400, 1000) as page:
        page.goto(f"{page.base}/calendar?month=2026-11")
        chip = page.locator(f"#coverage-{coverage}")
        assert chip.locator("xpath=ancestor::td").get_attribute("data-date") == "2026-11-19"
        page.evaluate("window.__same_page = true")  # gone if the page reloads
        chip.drag_to(page.locator('td[data-date="2026-11-24"]'))
        page.wait_for_selector('td[data-date="2026-11-24"] #coverage-%d' % coverage)
        assert page.evaluate("window.__same_page") is True  # moved in place, no full reload
        assert "Đã dời" in page.locator("#cal-status").inner_text()
        page.screenshot(path=str(tmp_path / "calendar.png"), full_page=True)
        page.reload()
        assert page.locator(f"#coverage-{coverage}").locator("xpath=ancestor::td").get_attribute("data-date") == "2026-11-24"
        assert page.locator(f"#coverage-{coverage} .time").inner_text() == "20:00"  # the time of day is kept
        # Quick-add: click a day, fill the form, the story appears on that day without a reload.
        page.evaluate("window.__same_page = true")
        page.locator('td[data-date="2026-11-27"]').click(position={"x": 60, "y": 60})
        page.fill("#quick-form input[name=title]", "Video: học sinh Lý Sơn học STEM")
        page.select_option("#quick-form select[name=platform]", "facebook")
        page.select_option("#quick-form select[name=format]", "short_video")
        page.fill("#quick-form input[name=time]", "18:00")
        page.click("#qa-save")
        page.wait_for_selector('td[data-date="2026-11-27"] .piece:has-text("Video: học sinh Lý Sơn học STEM")')
        assert page.evaluate("window.__same_page") is True
    with session_scope() as session:
        from sqlalchemy import select

        from mediaplan.db.schema import WorkflowEvent
        moves = session.scalars(select(WorkflowEvent).where(WorkflowEvent.action == "move")).all()
        assert [(m.entity_id, m.to_value[:16]) for m in moves] == [(coverage, "2026-11-24T20:00")]
    assert (tmp_path / "calendar.png").stat().st_size > 10_000
