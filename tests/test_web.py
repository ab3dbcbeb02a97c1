"""The web app, feature by feature (HTTP), and the dashboard in real headless Chromium."""

import shutil
import threading
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient

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


def test_item_page_shows_evidence(populated_db):
    client = TestClient(create_app(populated_db))
    page = client.get("/items/1")
    assert page.status_code == 200
    assert "<mark" in page.text and 'data-theme="exemplary"' in page.text and "gương điển hình" in page.text
    assert client.get("/items/999").status_code == 404


def test_calendar_and_ics(populated_db):
    client = TestClient(create_app(populated_db))
    page = client.get("/calendar?month=2026-11")
    assert page.status_code == 200 and "Ngày Nhà giáo Việt Nam" in page.text and "Thứ Hai" in page.text
    ics = client.get("/calendar.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and b"BEGIN:VCALENDAR" in ics.content


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
def test_dashboard_in_headless_chromium(populated_db, tmp_path):
    if not CHROMIUM:
        pytest.fail("Debian chromium is required for the browser tests (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(populated_db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/?month=2026-11")
            assert page.locator("#card-education").inner_text() == "2"
            assert page.locator("#by-theme tr[data-theme='exemplary'] td.num").first.inner_text() == "1"
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            page.click("#by-theme tr[data-theme='exemplary'] a")
            page.wait_for_url("**/items?theme=exemplary**")
            assert page.locator("#items tr[data-id]").count() == 1
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
