"""The web app as a whole: the dashboard, the health check, and bad input as one clear error.

Page groups have their own files: test_web_items.py, test_web_calendar.py, test_web_api.py,
and test_web_browser.py (real headless Chromium).
"""

from datetime import datetime, timezone

from fastapi.testclient import TestClient

from accounts import signed_in
from mediaplan.web.app import create_app


def test_dashboard_counts_the_months_education_items(populated_db):
    home = signed_in(populated_db).get("/?month=2026-11")
    assert home.status_code == 200 and "Tổng quan truyền thông Nghị quyết 71" in home.text
    assert 'id="card-education">2<' in home.text


def test_dashboard_defaults_to_the_latest_month_with_items(populated_db):
    home = signed_in(populated_db).get("/")
    assert home.status_code == 200 and 'id="card-education">2<' in home.text


def test_healthz_counts_items(populated_db):
    assert signed_in(populated_db).get("/healthz").json() == {"ok": True, "database": "ok", "items": 3,
                                                              "last_crawl": None}


def test_healthz_says_when_the_last_crawl_finished(populated_db):
    from mediaplan.db import session_scope
    from mediaplan.db.schema import CrawlRun

    with session_scope(populated_db) as session:
        session.add(CrawlRun(started_at=datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc),
                             finished_at=datetime(2026, 11, 30, 1, 5, tzinfo=timezone.utc),
                             status="done"))
    assert signed_in(populated_db).get("/healthz").json()["last_crawl"] == "2026-11-30T01:05:00+00:00"


def test_healthz_is_503_when_the_database_is_down():
    """A stopped PostgreSQL (a port nobody listens on): 503 with Retry-After, so a balancer drains this worker."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = TestClient(create_app(f"postgresql+psycopg://127.0.0.1:{port}/mediaplan"), raise_server_exceptions=False)
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
    assert answer.json() == {"ok": False, "database": "unavailable"}


def test_a_bad_month_is_one_clear_400(populated_db):
    client = signed_in(populated_db)
    for url in ("/?month=2026-13", "/items?month=2026-13", "/calendar?month=11-2026", "/calendar/gaps?month=x"):
        bad = client.get(url)
        assert bad.status_code == 400, url
        assert "tháng không hợp lệ" in bad.json()["detail"], url


BIG = 10**20  # past PostgreSQL's integer: once a 500 ("integer out of range") for every id in a URL
OUT_OF_RANGE = [
    ("get", f"/items/{BIG}", None), ("get", f"/items?after={BIG}", None), ("get", f"/items?page={BIG}", None),
    ("get", "/items?after=0", None), ("get", "/calendar/gaps?weeks=1000000000", None),
    ("get", "/calendar/budget?day=9999-12-31&days=7", None), ("get", "/calendar?view=week&day=0001-01-01", None),
    ("get", "/calendar?month=9999-12", None),
    ("post", f"/api/v1/coverages/{BIG}/move", {"date": "2026-11-20"}),
    ("post", "/api/v1/coverages/1/move", {"date": "9999-12-31"}),
    ("post", "/api/v1/coverages/1/move", {"publish_at": "0001-01-01T00:00:00"}),
    ("post", f"/api/v1/coverages/{BIG}/status", {"status": "assigned"}),
    ("post", f"/api/v1/coverages/1/deliveries/{BIG}", {"accept": True}),
    ("post", "/api/v1/stories", {"title": "x", "date": "9999-12-31"}),
]


def test_out_of_range_input_is_a_4xx_never_a_500(populated_db):
    """Ids past the database's integer, dates near year 1 or 9999, huge counts: refused before any query."""
    client = signed_in(populated_db, raise_server_exceptions=False)
    for method, url, body in OUT_OF_RANGE:
        answer = client.get(url) if method == "get" else client.post(url, json=body)
        assert 400 <= answer.status_code < 500, (url, body, answer.status_code)
