"""The web app as a whole: the dashboard, the health check, and bad input as one clear error.

Page groups have their own files: test_web_items.py, test_web_calendar.py, test_web_api.py,
and test_web_browser.py (real headless Chromium).
"""

from fastapi.testclient import TestClient

from mediaplan.web.app import create_app


def test_dashboard_counts_the_months_education_items(populated_db):
    home = TestClient(create_app(populated_db)).get("/?month=2026-11")
    assert home.status_code == 200 and "Tổng quan truyền thông Nghị quyết 71" in home.text
    assert 'id="card-education">2<' in home.text


def test_dashboard_defaults_to_the_latest_month_with_items(populated_db):
    home = TestClient(create_app(populated_db)).get("/")
    assert home.status_code == 200 and 'id="card-education">2<' in home.text


def test_healthz_counts_items(populated_db):
    assert TestClient(create_app(populated_db)).get("/healthz").json() == {"ok": True, "items": 3}


def test_a_bad_month_is_one_clear_400(populated_db):
    client = TestClient(create_app(populated_db))
    for url in ("/?month=2026-13", "/items?month=2026-13", "/calendar?month=11-2026", "/calendar/gaps?month=x"):
        bad = client.get(url)
        assert bad.status_code == 400, url
        assert "tháng không hợp lệ" in bad.json()["detail"], url
