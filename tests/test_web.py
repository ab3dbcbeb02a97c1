"""The web app, feature by feature (HTTP), and the dashboard in real headless Chromium."""

import shutil
import threading
import time
from datetime import datetime, timezone

import pytest
import uvicorn
from fastapi.testclient import TestClient

from mediaplan.crawler.store import Fetched, upsert_item
from mediaplan.db import session_scope
from mediaplan.mailsink import free_port
from mediaplan.nlp.pipeline import classify_items
from mediaplan.web.app import create_app

ITEMS = [
    ("baoquangngai-rss", "https://baoquangngai.vn/xa-hoi/202611/tuyen-duong-nha-giao-1a2b3c4/",
     "Tuyên dương 46 nhà giáo tiêu biểu nhân Ngày Nhà giáo Việt Nam",
     "Ngành giáo dục tỉnh tuyên dương các thầy cô giáo có thành tích xuất sắc, gương điển hình trong dạy học.",
     "Sáng 20/11, Sở Giáo dục và Đào tạo tổ chức lễ tuyên dương nhà giáo tiêu biểu tại xã Sơn Hà.", 20),
    ("xa-son-ha-tin-tuc", "https://sonha.quangngai.gov.vn/tin-tuc/hoc-bong-1.html",
     "Hội Khuyến học xã Sơn Hạ trao học bổng cho học sinh có hoàn cảnh khó khăn",
     "Hội Khuyến học xã Sơn Hạ trao 50 suất học bổng khuyến học cho học sinh có hoàn cảnh khó khăn.",
     "Học bổng được trao tại Trường Tiểu học Sơn Hạ, góp phần xây dựng xã hội học tập.", 10),
    ("baoquangngai-rss", "https://baoquangngai.vn/kinh-te/202611/gia-lua-tang-7d7d7d7/",
     "Giá lúa tăng, nông dân phấn khởi", "Giá lúa vụ mùa tăng mạnh.", "Thương lái thu mua lúa tại các xã đồng bằng.", 5),
]


@pytest.fixture
def app_db(db):
    for source, url, title, sapo, body, day in ITEMS:
        with session_scope() as session:
            upsert_item(session, Fetched(source_key=source, kind="article", url=url, canonical_url=url, title=title,
                                         sapo=sapo, body=body, published_at=datetime(2026, 11, day, 2, 0, tzinfo=timezone.utc)))
    with session_scope() as session:
        classify_items(session)
    return db


def test_pages_in_vietnamese(app_db):
    client = TestClient(create_app(app_db))
    home = client.get("/?month=2026-11")
    assert home.status_code == 200 and "Tổng quan truyền thông Nghị quyết 71" in home.text
    assert 'id="card-education">2<' in home.text
    items = client.get("/items?month=2026-11&education=1")
    assert items.status_code == 200 and items.text.count('<tr data-id=') == 2
    assert client.get("/items?month=2026-13").status_code == 400  # a bad date in a form is a clear error


def test_accented_search_first_then_folded(app_db):
    client = TestClient(create_app(app_db))
    exact = client.get("/items", params={"q": "Sơn Hạ"}).text
    assert exact.count("<tr data-id=") == 1 and "Sơn Hạ" in exact
    loose = client.get("/items", params={"q": "son ha"}).text
    assert loose.count("<tr data-id=") == 2


def test_item_page_shows_evidence(app_db):
    client = TestClient(create_app(app_db))
    page = client.get("/items/1")
    assert page.status_code == 200
    assert "<mark" in page.text and 'data-theme="exemplary"' in page.text and "gương điển hình" in page.text
    assert client.get("/items/999").status_code == 404


def test_calendar_and_ics(app_db):
    client = TestClient(create_app(app_db))
    page = client.get("/calendar?month=2026-11")
    assert page.status_code == 200 and "Ngày Nhà giáo Việt Nam" in page.text and "Thứ Hai" in page.text
    ics = client.get("/calendar.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and b"BEGIN:VCALENDAR" in ics.content


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
def test_dashboard_in_headless_chromium(app_db, tmp_path):
    if not CHROMIUM:
        pytest.fail("Debian chromium is required for the browser tests (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(app_db), host="127.0.0.1", port=port, log_level="warning"))
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
