"""The role table of issue 12, tried on every route with every role and with no login.

| role | may |
|---|---|
| admin | users, sources, plan data, everything below |
| editor | calendar, stories and coverages, item labels, the review queue |
| analyst (the Department) | reports (edit, approve, send), plan indicators and registers, labels |
| viewer | read everything; change nothing |

EXPECTED below is that table written out per route, by hand, independently of the code's declarations; a new
route fails `test_every_route_is_in_the_table` until someone decides who may use it.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from accounts import signed_in
from mediaplan.web.app import create_app

READ, CALENDAR, LABELS, REVIEW, REPORTS, REGISTERS, SOURCES = "read", "calendar", "labels", "review", "reports", "registers", "sources"
OPEN = "open"

# Who may, per ability (the table).
MAY = {
    READ: {"admin", "editor", "analyst", "viewer"},
    CALENDAR: {"admin", "editor"},
    LABELS: {"admin", "editor", "analyst"},
    REVIEW: {"admin", "editor"},
    REPORTS: {"admin", "analyst"},
    REGISTERS: {"admin", "analyst"},
    SOURCES: {"admin"},
}

EXPECTED = {
    # open: signing in, health, and what a token alone opens (read-only by construction)
    ("GET", "/login"): OPEN, ("POST", "/login"): OPEN, ("POST", "/logout"): OPEN,
    ("GET", "/password-reset"): OPEN, ("POST", "/password-reset"): OPEN,
    ("GET", "/password-reset/{token}"): OPEN, ("POST", "/password-reset/{token}"): OPEN,
    ("GET", "/healthz"): OPEN, ("GET", "/calendar/share/{token}"): OPEN, ("GET", "/ical/{token}.ics"): OPEN,
    ("POST", "/language"): OPEN,  # the login page has the switch too
    # reading
    ("GET", "/"): READ, ("GET", "/items"): READ, ("GET", "/items/{item_id}"): READ,
    ("GET", "/calendar"): READ, ("GET", "/calendar/gaps"): READ, ("GET", "/calendar/budget"): READ,
    ("GET", "/calendar/export"): READ, ("GET", "/review"): READ, ("GET", "/units"): READ,
    ("GET", "/reports"): READ, ("GET", "/reports/{version_id}"): READ, ("GET", "/reports/{version_id}/files/{name}"): READ,
    ("GET", "/registers"): READ, ("GET", "/items/export"): READ, ("GET", "/charts/{name}.png"): READ,
    ("GET", "/api/v1/me"): READ, ("GET", "/api/v1/coverages"): READ, ("GET", "/api/v1/coverages/{coverage_id}"): READ,
    ("GET", "/api/v1/items"): READ, ("GET", "/api/v1/items/{item_id}"): READ,
    # changing
    ("POST", "/items/{item_id}/labels"): LABELS,
    ("POST", "/api/v1/coverages/{coverage_id}/move"): CALENDAR, ("POST", "/api/v1/coverages/{coverage_id}/status"): CALENDAR,
    ("POST", "/api/v1/coverages/{coverage_id}/deliveries/{item_id}"): CALENDAR, ("POST", "/api/v1/stories"): CALENDAR,
    ("POST", "/review/{item_id}"): REVIEW, ("POST", "/review/{item_id}/done"): REVIEW,
    ("POST", "/units/remind"): REPORTS,
    ("POST", "/reports/build"): REPORTS, ("POST", "/reports/{version_id}/narrative"): REPORTS,
    ("POST", "/reports/{version_id}/approve"): REPORTS, ("POST", "/reports/{version_id}/send"): REPORTS,
    ("POST", "/reports/{version_id}/resend"): REPORTS,
    ("GET", "/sources"): READ, ("POST", "/sources"): SOURCES,
    ("POST", "/sources/{key}/enable"): SOURCES, ("POST", "/sources/{key}/disable"): SOURCES,
}
# Register routes are matched by prefix: every change under /registers needs REGISTERS.
PREFIXES = {("POST", "/registers"): REGISTERS, ("GET", "/registers"): READ}
DOCS = {"/openapi.json", "/api/v1/openapi.json"}  # the API's description, no data


def routes(app):
    for rc in iter_route_contexts(app.routes):
        if rc.methods is None or rc.path in DOCS:
            continue
        for method in sorted(rc.methods - {"HEAD"}):
            yield method, rc.path, rc.original_route


def expected(method: str, path: str) -> str | None:
    if (method, path) in EXPECTED:
        return EXPECTED[(method, path)]
    for (m, prefix), ability in PREFIXES.items():
        if m == method and path.startswith(prefix):
            return ability
    return None


def declared(route) -> set[str]:
    """What a route's dependencies declare: abilities from security.allow, "open" from security.public."""
    found, stack = set(), [route.dependant]
    while stack:
        dep = stack.pop()
        call = dep.call
        if getattr(call, "ability", None):
            found.add(str(call.ability))
        if getattr(call, "public", False):
            found.add(OPEN)
        stack.extend(dep.dependencies)
    return found


def test_every_route_is_in_the_table_and_declares_it(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'x.db'}")
    for method, path, route in routes(app):
        want = expected(method, path)
        assert want is not None, f"{method} {path} is not in the role table"
        have = declared(route)
        assert have, f"{method} {path} declares no ability (security.allow) and is not public (security.public)"
        strongest = (have - {READ}) or have
        assert strongest == {want}, f"{method} {path} declares {have}, the table says {want}"


def _sample(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "1"), path)


@pytest.mark.slow
def test_each_role_gets_what_the_table_says(populated_db):
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Item

    with session_scope() as session:
        item = session.scalar(select(Item.id).order_by(Item.id))
    ids = {"item_id": str(item), "coverage_id": "1", "version_id": "1", "token": "khong-co", "name": "report.html",
           "key": "baoquangngai-sitemap"}
    clients = {role: signed_in(populated_db, role, raise_server_exceptions=False)
               for role in ("admin", "editor", "analyst", "viewer")}
    anonymous = TestClient(create_app(populated_db), raise_server_exceptions=False)
    app = create_app(populated_db)
    checked = 0
    for method, path, _ in routes(app):
        want = expected(method, path)
        if want == OPEN or path == "/logout":
            continue
        url = _sample(path, ids)
        answer = anonymous.request(method, url, follow_redirects=False)
        if path.startswith("/api/"):
            assert answer.status_code == 401, f"anonymous {method} {url}: {answer.status_code}"
        else:
            assert answer.status_code in (303, 401), f"anonymous {method} {url}: {answer.status_code}"
            if answer.status_code == 303:
                assert answer.headers["location"].startswith("/login")
        for role, client in clients.items():
            answer = client.request(method, url, follow_redirects=False)
            assert answer.status_code < 500, f"{role} {method} {url}: {answer.status_code}"
            if role in MAY[want]:
                assert answer.status_code not in (401, 403), f"{role} may {want} but {method} {url} gave {answer.status_code}"
            else:
                assert answer.status_code == 403, f"{role} may not {want} but {method} {url} gave {answer.status_code}"
                assert re.search(r"[ạảãáàâầấậẩẫăằắặẳẵđêềếệểễôồốộổỗơờớợởỡưừứựửữ]", answer.text), "a Vietnamese refusal"
            checked += 1
    assert checked > 40


def test_a_forged_change_without_the_csrf_token_is_refused(populated_db):
    client = signed_in(populated_db, "editor")
    token = client.headers.pop("X-CSRF-Token")
    answer = client.post("/api/v1/stories", json={"title": "Giả mạo", "date": "2026-11-20"})
    assert answer.status_code == 403 and "CSRF" in answer.json()["detail"]
    cross = client.post("/api/v1/stories", json={"title": "Giả mạo", "date": "2026-11-20"},
                        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert cross.status_code == 403


def test_a_viewer_sees_no_edit_controls(populated_db):
    """Every page a viewer opens carries no form that changes anything (only the logout button)."""
    viewer = signed_in(populated_db, "viewer")
    editor = signed_in(populated_db, "editor")
    with_forms = 0
    for path in ("/", "/items", "/items/1", "/calendar?month=2026-11", "/calendar/gaps?month=2026-11", "/review",
                 "/units", "/reports", "/registers", "/sources"):
        page = viewer.get(path)
        assert page.status_code in (200, 404), path
        actions = re.findall(r'<form\b[^>]*method="post"[^>]*action="([^"]+)"', page.text)
        assert actions == ["/language", "/logout"], f"{path}: {actions}"  # the language switch changes no data
        assert 'draggable="true"' not in page.text and 'id="quick-add"' not in page.text
        with_forms += len(re.findall(r'method="post"', editor.get(path).text)) > 2  # more than language and logout
    assert with_forms >= 2  # an editor does get forms (item labels, review), so the check can fail
