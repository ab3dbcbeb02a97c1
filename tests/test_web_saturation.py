"""Under load (issue 14), on PostgreSQL: a request that finds every pooled connection in use, or whose query runs
past the web's statement timeout, answers 503 with Retry-After, never a 500; the app serves again afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from accounts import signed_in

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_db(db, backend):
    if backend != "postgresql":
        pytest.skip("the pool and the statement timeout are PostgreSQL's")
    return db


def _tight(monkeypatch, **values) -> None:
    from mediaplan.db import get_engine
    from mediaplan.settings import get_settings

    for key, value in values.items():
        monkeypatch.setenv(f"MEDIAPLAN_{key.upper()}", str(value))
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_an_exhausted_pool_is_503_with_retry_after_then_serves_again(pg_db, monkeypatch):
    from fastapi.testclient import TestClient

    signed = signed_in(pg_db, "viewer")
    _tight(monkeypatch, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.5)
    from mediaplan.db import get_engine
    from mediaplan.web.app import create_app

    client = TestClient(create_app(pg_db))  # an app whose pool has one connection
    client.cookies = signed.cookies  # the same signed-in viewer
    held = get_engine(pg_db).connect()  # another request holds the only connection
    try:
        busy = client.get("/items", headers={"Accept": "text/html"})
        api = client.get("/api/v1/items")
    finally:
        held.close()
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0 and "thử lại sau" in busy.text
    assert api.status_code == 503 and api.json()["detail"].startswith("Cơ sở dữ liệu tạm thời không sẵn sàng")
    assert client.get("/items").status_code == 200  # the connection is back: served again


def test_web_connections_carry_the_statement_timeout_and_a_slow_query_is_503(pg_db, monkeypatch):
    _tight(monkeypatch, web_statement_timeout_ms=200)
    from mediaplan.web.app import create_app

    app = create_app(pg_db)
    with app.state.sessions() as session:
        assert session.scalar(text("SHOW statement_timeout")) == "200ms"
        with pytest.raises(Exception) as slow:
            session.execute(text("SELECT pg_sleep(2)"))
    from sqlalchemy.exc import OperationalError

    assert isinstance(slow.value, OperationalError) and "statement timeout" in str(slow.value)

    from starlette.requests import Request

    from mediaplan.web import errors

    answer = errors.busy(Request({"type": "http", "method": "GET", "path": "/items", "headers": [], "query_string": b""}),
                         slow.value)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"


def test_a_request_past_its_budget_is_503_and_the_next_one_serves(db):
    # Any backend: a page whose time is used starts no further query (web/budget.py), and says so as a busy database.
    client = signed_in(db, "viewer")
    client.app.state.request_budget_ms = 1e-6  # used before its first query
    late = client.get("/items", headers={"Accept": "text/html"})
    assert late.status_code == 503 and int(late.headers["Retry-After"]) > 0 and "thử lại sau" in late.text
    client.app.state.request_budget_ms = 20_000
    assert client.get("/items").status_code == 200


def test_the_budget_lowers_the_statement_timeout_to_what_is_left(pg_db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from mediaplan.web import budget
    from mediaplan.web.app import create_app

    app = create_app(pg_db)
    token = budget.DEADLINE.set(budget._Deadline(__import__("time").monotonic() + 0.3))
    try:
        with app.state.sessions() as session:
            with pytest.raises(OperationalError) as slow:  # 15 s of statement timeout, 0.3 s of budget left
                session.execute(text("SELECT pg_sleep(3)"))
            assert "statement timeout" in str(slow.value)
        budget.lift()  # a build or an export: the statement timeout alone
        with app.state.sessions() as session:
            assert session.scalar(text("SHOW statement_timeout")) == "15s"
            assert session.scalar(text("SELECT 1")) == 1
    finally:
        budget.DEADLINE.reset(token)


def test_a_lowered_statement_timeout_does_not_outlive_its_request(pg_db, monkeypatch):
    # With no web statement timeout (0), nothing else resets a pooled connection: the budget's checkout does.
    import time

    from mediaplan.web import budget
    from mediaplan.web.app import create_app

    _tight(monkeypatch, web_statement_timeout_ms=0, db_pool_size=1, db_max_overflow=0)
    app = create_app(pg_db)
    token = budget.DEADLINE.set(budget._Deadline(time.monotonic() + 5))
    try:
        with app.state.sessions() as session:
            session.scalar(text("SELECT 1"))
            lowered = session.scalar(text("SHOW statement_timeout"))
            session.commit()  # a request that writes: its SET is committed with it (a rollback would undo it)
    finally:
        budget.DEADLINE.reset(token)
    assert lowered not in ("0", "15s")  # at most the 5 s left
    with app.state.sessions() as session:  # the next request, on the same (only) connection
        assert session.scalar(text("SHOW statement_timeout")) == "0"


def test_a_rollback_that_undid_the_lowered_timeout_does_not_leave_the_full_one(pg_db, monkeypatch):
    # PostgreSQL undoes a SET with the transaction it ran in; a connection kept past its rollback (a Session hands
    # its connection back, and the checkout sets it again) has the next query lower it again.
    import time

    from mediaplan.db import get_engine
    from mediaplan.web import budget
    from mediaplan.web.app import create_app

    create_app(pg_db)  # installs the budget on the engine
    token = budget.DEADLINE.set(budget._Deadline(time.monotonic() + 5))
    try:
        with get_engine(pg_db).connect() as conn:
            conn.execute(text("SELECT 1"))
            assert conn.scalar(text("SHOW statement_timeout")) != "15s"  # lowered to the 5 s left
            conn.rollback()  # a failed write: the SET goes with it
            after = conn.scalar(text("SHOW statement_timeout"))
    finally:
        budget.DEADLINE.reset(token)
    assert after.endswith("ms") and int(after[:-2]) <= 5000, after
