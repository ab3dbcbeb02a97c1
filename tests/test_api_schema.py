"""schemathesis over the JSON API: every operation of /api/v1/openapi.json, called in-process (ASGI) with
generated valid and invalid input, must answer no 5xx, only documented status codes and content types, and
bodies that match their documented models, refusals included.

Twice: as an admin with a live session (the cookie and the X-CSRF-Token header on every call), so every call gets
past the role and CSRF checks and reaches its input; and without a session (schemathesis then makes up the
`session` and `csrf` security parameters the document declares), where every answer must be the documented 401
(or the 422 of a body that is not JSON, or the 400 of one that is not even UTF-8 text, which FastAPI refuses
before anything else runs).

The document is loaded at collection time from a bare FastAPI app holding the API's router (no database, no
settings), which yields the same document the real app serves at /api/v1/openapi.json (checked below); each
call goes to the real app of the test's database (`app=`), with its middleware and exception handlers.
(`schemathesis.pytest.from_fixture` would load it from a fixture, but schemathesis 4.32.5 sets
`request.node._nodeid` there, which pytest 9 no longer has.)

The database is `populated_db` (three classified items) plus a planned story with its coverage, so generated
ids 1–3 name real rows and the examples the document gives (coverage 1, item 1, month 2026-11) reach the 200s.
Bounded and repeatable for CI: a fixed seed, derandomized generation, no example database, `MAX_EXAMPLES` per
operation in the fuzzing phase (plus schemathesis' examples and coverage phases, which are deterministic).
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error, response_headers_conformance
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from accounts import ensure_user, login
from mediaplan.auth.sessions import COOKIE
from mediaplan.db import session_scope
from mediaplan.web import api
from mediaplan.web.app import create_app
from test_web_calendar import plan_story

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]  # e.g. the documented WWW-Authenticate of a 401
MAX_EXAMPLES = 30
SEED = 71

CONFIG = {
    "seed": SEED,
    "base-url": "http://testserver",
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
}


# The app and its database are made once per operation, not per example: the examples of one operation share them
# (a move done stays done), as calls of one client would.
RUN = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _document() -> dict:
    bare = FastAPI()
    bare.include_router(api.router)
    return api.api_schema(bare)


schema = schemathesis.openapi.from_dict(_document(), config=SchemathesisConfig.from_dict(CONFIG))


@pytest.fixture
def api_app(populated_db):
    """The app on a populated database, an admin signed in on it: (app, session cookie, CSRF token)."""
    with session_scope() as session:
        plan_story(session)  # coverage 1, assigned to the user `Châu`, and an idea in the backlog
    app = create_app(populated_db)
    ensure_user(populated_db, "quantri-api", "admin")
    client = TestClient(app)
    login(client, "quantri-api")
    return app, client.cookies[COOKIE], client.headers["X-CSRF-Token"]


@pytest.fixture
def answers(request):
    """The status codes one operation answered in one run; printed (`-s`) and checked when the run is over.

    Signed in, each operation must have answered a 2xx at least once (its success model was then checked too);
    without a session, a 401 at least once."""
    seen: Counter = Counter()
    yield seen
    print(f"\n{request.node.nodeid}: {sum(seen.values())} calls, {dict(sorted(seen.items()))}")
    if "admin" in request.node.name:
        assert any(200 <= code < 300 for code in seen), f"never a 2xx as an admin: {dict(seen)}"
    else:
        assert seen[401], f"never a 401 without a session: {dict(seen)}"


def test_the_document_tested_is_the_one_served(db):
    served = TestClient(create_app(db)).get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.json() == _document()
    assert sum(len(ops) for ops in schema.raw_schema["paths"].values()) == 9  # the operations run below


def _other_method(case, response) -> bool:
    """schemathesis also tries each path with a method it does not have: that is a 405 naming the allowed ones."""
    if case.method.upper() == case.operation.method.upper():
        return False
    assert response.status_code == 405 and case.operation.method.upper() in response.headers["allow"][0], response.text
    return True


@pytest.mark.slow  # some 850 calls per backend; both runs on both backends take about a minute and a half
@schema.parametrize()
@RUN
def test_every_answer_as_an_admin_is_documented(case, api_app, answers):
    app, cookie, token = api_app
    response = case.call_and_validate(app=app, cookies={COOKIE: cookie}, headers={"X-CSRF-Token": token}, checks=CHECKS)
    answers[response.status_code] += 1
    if _other_method(case, response):
        return
    sent = response.request.headers
    if f"{COOKIE}={cookie}" not in sent.get("cookie", ""):  # schemathesis left the session out, on purpose
        assert response.status_code in (400, 401, 422), response.text[:300]  # (or the body was refused first)
    elif case.method.upper() == "POST" and sent.get("x-csrf-token") != token:  # or the CSRF token
        refused = response.status_code == 403 and "CSRF" in response.json()["detail"]
        assert refused or response.status_code in (400, 422), response.text[:300]  # (or the body was refused first)
    else:  # with both, no refusal of who is asking, only of what they sent
        assert response.status_code not in (401, 403), (case.operation.label, response.status_code, response.text[:300])


@pytest.mark.slow  # some 850 calls per backend; both runs on both backends take about a minute and a half
@schema.parametrize()
@RUN
def test_every_answer_without_a_session_is_a_documented_401(case, api_app, answers):
    app, _, _ = api_app
    response = case.call_and_validate(app=app, checks=CHECKS)
    answers[response.status_code] += 1
    if _other_method(case, response):
        return
    assert response.status_code in (400, 401, 422), (case.operation.label, response.status_code, response.text[:300])
    if response.status_code == 422:  # a body that is no JSON at all is refused before the session is asked for…
        assert response.json()["detail"][0]["type"] == "json_invalid", response.text[:300]
    if response.status_code == 400:  # …and one that is not even text (not UTF-8)
        assert response.json() == {"detail": "JSON không hợp lệ"}, response.text[:300]
