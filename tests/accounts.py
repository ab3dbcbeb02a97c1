"""Signing in from tests the way a browser does: a user in the database, GET /login for the CSRF token, POST it.

`signed_in(url, role)` returns a TestClient with a live session for a user of that role, and the session's
CSRF token preset as the X-CSRF-Token header (what the calendar's script sends), so a test that posts a form
or calls the JSON API acts as that user. Tests of CSRF itself clear the header.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from mediaplan.db import session_scope
from mediaplan.services.users import add_user, find

PASSWORD = "mật-khẩu-thử-nghiệm-1"
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def ensure_user(url: str, username: str, role: str, email: str | None = None) -> None:
    with session_scope(url) as session:
        if find(session, username) is None:
            add_user(session, username, role, email=email or f"{username}@example.org", password=PASSWORD,
                     full_name=f"Người dùng {username}")


def csrf_of(client: TestClient) -> str:
    return FIELD.search(client.get("/login").text).group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, expect: int = 303):
    token = csrf_of(client)
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                         follow_redirects=False)
    assert answer.status_code == expect, answer.text[:500]
    if expect == 303:
        client.headers["X-CSRF-Token"] = csrf_of(client)
    return answer


def signed_in(url: str, role: str = "admin", username: str | None = None, **client_kw) -> TestClient:
    from mediaplan.web.app import create_app

    username = username or f"{role}-test"
    ensure_user(url, username, role)
    client = TestClient(create_app(url), **client_kw)
    login(client, username)
    return client
