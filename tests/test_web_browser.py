"""The dashboard and the calendar's drag and drop in real headless Chromium (Debian's), served by uvicorn."""

import shutil
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import uvicorn
from sqlalchemy import select

from mediaplan.db import session_scope
from mediaplan.db.schema import WorkflowEvent
from mediaplan.mailsink import free_port
from accounts import PASSWORD, ensure_user
from mediaplan.web.app import create_app
from mediaplan.web.items import PAGE_SIZE
from test_web_calendar import plan_story
from test_web_items import add_items

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser_page(database_url: str, width: int = 1280, height: int = 900, role: str | None = "admin",
                 username: str | None = None):
    """The app served by uvicorn on a free port, and a page of Debian's Chromium driven by Playwright,
    signed in through the login form as a user of `role` (None: not signed in)."""
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
            if role:
                username = username or f"{role}-test"
                ensure_user(database_url, username, role)
                page.goto(f"{page.base}/login")
                page.fill("#username", username)
                page.fill("#password", PASSWORD)
                page.click("section.login button[type=submit]")
                page.wait_for_selector("form.logout")
            yield page
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=5)


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


def test_drag_and_drop_moves_a_coverage_and_the_move_survives_a_reload(populated_db, tmp_path):
    with session_scope() as session:
        coverage = plan_story(session)
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
        page.wait_for_selector('td[data-date="2026-11-27"] .coverage:has-text("Video: học sinh Lý Sơn học STEM")')
        assert page.evaluate("window.__same_page") is True
    with session_scope() as session:
        moves = session.scalars(select(WorkflowEvent).where(WorkflowEvent.action == "move")).all()
        assert [(m.entity_id, m.to_value[:16]) for m in moves] == [(coverage, "2026-11-24T20:00")]
    assert (tmp_path / "calendar.png").stat().st_size > 10_000


def test_item_list_pages_forward_in_chromium(db):
    base = datetime(2026, 11, 30, tzinfo=timezone.utc)
    add_items([(f"Tin số {n}", base - timedelta(hours=n)) for n in range(PAGE_SIZE + 3)])
    with browser_page(db) as page:
        page.goto(f"{page.base}/items")
        assert page.locator("#items tr[data-id]").count() == PAGE_SIZE
        page.click("#next-page")
        page.wait_for_url("**after=**")
        assert page.locator("#items tr[data-id]").count() == 3
        assert page.locator("#items tr[data-id] a").first.inner_text() == f"Tin số {PAGE_SIZE}"
