"""Every query parameter, path id and body field of the web pages and the JSON API, tried with out-of-range
and malformed values (issue 12, "Input ranges"): none may answer a 500, refusals speak Vietnamese, and the
app still serves every page afterwards, the iCal feed in particular.

The table below lists each route's inputs with a value that works, so each bad value is tried alone, with
everything else valid: a refusal then is the bad value's, not a missing field's. A route or a field added to
these page groups without a row here fails `test_the_table_covers_every_route_and_field`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaplan.calendar import stories as planning
from mediaplan.calendar.ical import feed_token
from mediaplan.db import session_scope
from mediaplan.localtime import local_tz
from mediaplan.periods import FIRST_DAY, LAST_DAY
from mediaplan.settings import get_settings
from mediaplan.web import api, calendar, dashboard, ical, items, review, units
from accounts import signed_in
from calendar_helpers import person, talk_show

LONG = "x" * 10_000
BIG = 10**20
# What the security test tried: dates near year 1 and 9999 (as days, months and times), ids and counts
# past any column, text past any column, not a number, nothing at all.
BAD_TEXT = ["0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59", "0001-01", "9999-12", "-1", "0",
            str(BIG), "9999999999", "abc", LONG, str(10**9), "", " ", "\x00", "2026-11-31", "2026-13", f"1_{BIG}",
            "nan_1", "25:00"]
BAD_JSON = [*BAD_TEXT, -1, 0, BIG, -BIG, 10**9, 1.5, None, True, [], {}, [LONG], ["0001-01-01"]]

# (method, path with {placeholders}, where the fields go, {field: a value that works}, {placeholder: value}).
# Placeholders in the path are fuzzed too; `ids` are filled in once the database is seeded, "{fresh}" with a new
# coverage for each request (a move or a state change done once is not done again: its fields would go unread).
ROUTES = [
    ("get", "/healthz", "query", {}, {}),
    ("get", "/", "query", {"month": "2026-11"}, {}),
    ("get", "/items", "query", {"theme": "teachers", "outlet": "baoquangngai", "month": "2026-11", "q": "giáo",
                                "education": "1", "page": "1", "after": "{item}"}, {}),
    ("get", "/items/{item_id}", "query", {}, {"item_id": "{item}"}),
    ("get", "/items/export", "query", {"format": "csv", "theme": "teachers", "outlet": "baoquangngai",
                                       "month": "2026-11", "q": "giáo", "education": "1"}, {}),
    ("get", "/items/export", "query", {"format": "xlsx", "month": "2026-11", "q": "son ha"}, {}),
    ("get", "/charts/{name}.png", "query", {"month": "2026-11", "v": "0a1b"}, {"name": "trend"}),
    ("post", "/items/{item_id}/labels", "form", {"theme": "exemplary", "action": "add", "by": "Trần Minh"},
     {"item_id": "{item}"}),
    ("get", "/calendar", "query", {"month": "2026-11", "view": "month", "day": "2026-11-19",
                                   "outlet": "baoquangngai", "platform": "tv", "theme": "teachers", "assignee": "Châu",
                                   "status": "assigned"}, {}),
    ("get", "/calendar", "query", {"view": "week", "day": "2026-11-19"}, {}),
    ("get", "/calendar/share/{token}", "query", {"month": "2026-11", "view": "month", "day": "2026-11-19"},
     {"token": "{share}"}),
    ("get", "/calendar/share/{token}", "query", {"view": "week", "day": "2026-11-19"}, {"token": "{share}"}),
    ("get", "/calendar/gaps", "query", {"month": "2026-11", "weeks": "4"}, {}),
    ("get", "/calendar/budget", "query", {"day": "2026-11-16", "days": "7"}, {}),
    ("get", "/calendar/export", "query", {"month": "2026-11", "format": "xlsx"}, {}),
    ("get", "/calendar/export", "query", {"month": "2026-11", "format": "csv"}, {}),
    ("post", "/api/v1/coverages/{coverage_id}/move", "json", {"date": "2026-11-20"}, {"coverage_id": "{fresh}"}),
    ("post", "/api/v1/coverages/{coverage_id}/move", "json", {"publish_at": "2026-11-21T09:30:00"},
     {"coverage_id": "{fresh}"}),
    ("post", "/api/v1/coverages/{coverage_id}/status", "json", {"status": "assigned", "note": "giao việc"},
     {"coverage_id": "{fresh}"}),
    ("post", "/api/v1/coverages/{coverage_id}/deliveries/{item_id}", "json", {"accept": False},
     {"coverage_id": "{fresh}", "item_id": "{item}"}),
    ("post", "/api/v1/stories", "json", {"title": "Video: học sinh Lý Sơn học STEM {unique}", "date": "2026-11-27",
                                         "time": "18:00", "platform": "facebook", "format": "short_video",
                                         "themes": ["teachers"], "assignee": "Châu", "outlet": "baoquangngai",
                                         "brief": "ghi hình ở trường", "priority": 2}, {}),
    ("get", "/api/v1/me", "query", {}, {}),
    ("get", "/api/v1/coverages", "query", {"month": "2026-11", "outlet": "baoquangngai", "platform": "tv",
                                           "theme": "teachers", "assignee": "Châu", "status": "assigned"}, {}),
    ("get", "/api/v1/coverages/{coverage_id}", "query", {}, {"coverage_id": "{coverage}"}),
    ("get", "/api/v1/items", "query", {"theme": "teachers", "outlet": "baoquangngai", "month": "2026-11", "q": "giáo",
                                       "education": "true", "after": "{item}", "limit": "50"}, {}),
    ("get", "/api/v1/items/{item_id}", "query", {}, {"item_id": "{item}"}),
    ("get", "/ical/{token}.ics", "query", {"due": "true"}, {"token": "{ical}"}),
    ("get", "/review", "query", {"after": "", "by": "Lan", "saved": "{item}"}, {}),
    ("post", "/review/{item_id}", "form", {"label": "education", "decision": "keep", "by": "Lan", "after": ""},
     {"item_id": "{item}"}),
    ("post", "/review/{item_id}/done", "form", {"by": "Lan", "after": ""}, {"item_id": "{item}"}),
    ("get", "/units", "query", {"period": "2026-11", "status": "đã đăng"}, {}),
    ("post", "/units/remind", "form", {"period": "2026-11", "status": "chưa đăng"}, {}),
]
PAGE_GROUPS = (api, calendar, dashboard, ical, items, review, units)


def open_app(url: str) -> TestClient:
    """The app as an admin uses it, signed in (every route is then open to the fuzzing, none answers 401 or
    403 instead of reading its input), with server errors as answers rather than exceptions."""
    return signed_in(url, "admin", raise_server_exceptions=False)


def seed() -> dict[str, str]:
    """A story with a coverage, a weekly column (a series in the feed), and the tokens of a share and a feed."""
    with session_scope() as session:
        person(session, "Châu", "Minh Châu")  # assignees are users
        story = planning.add_story(session, "Tọa đàm: Ngày Nhà giáo", "Lan", themes=["teachers"], coverages=[
            dict(platform="tv", fmt="talk_show", outlet="baoquangngai", publish_at=datetime(2026, 11, 19, 20, 0),
                 assignee="Châu")])
        talk_show(session)
        return {"coverage": str(story.coverages[0].id), "item": "1", "share": feed_token(session, "all", purpose="share"),
                "ical_all": feed_token(session, "all"),
                "ical": feed_token(session, "user", "Châu")}


def fill(value, ids: dict[str, str]):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    return value


CALLS = iter(range(10**9))


def fresh_coverage() -> str:
    with session_scope() as session:
        story = planning.add_story(session, f"Phóng sự {next(CALLS)}", "Lan", coverages=[
            dict(platform="online", fmt="news", publish_at=datetime(2026, 11, 18, 9, 0))])
        return str(story.coverages[0].id)


def call(client: TestClient, method: str, path: str, where: str, fields: dict, params: dict):
    """One request; a "{unique}" in a value is made unique, so an idempotent add really adds each time."""
    url = path.format(**{k: fresh_coverage() if v == "{fresh}" else v for k, v in params.items()})
    fields = {k: v.replace("{unique}", f"#{next(CALLS)}") if isinstance(v, str) else v for k, v in fields.items()}
    if method == "get":
        return client.get(url, params=fields)
    if where == "form":
        return client.post(url, data=fields)
    return client.post(url, json=fields)


def cases(ids: dict[str, str]):
    """Each route's valid call with one input replaced by one bad value (or left out), one case at a time."""
    for method, path, where, fields, params in ROUTES:
        fields = {k: fill(v, ids) for k, v in fields.items()}
        params = {k: fill(v, ids) for k, v in params.items()}
        for name in params:
            for bad in BAD_TEXT:
                if bad.strip() and "/" not in bad and bad.isprintable():  # else another route, or no URL at all
                    yield method, path, where, fields, {**params, name: bad}, f"{path} {name}={bad[:30]!r}"
        for name in fields:
            for bad in (BAD_JSON if where == "json" else BAD_TEXT):
                yield method, path, where, {**fields, name: bad}, params, f"{path} {name}={str(bad)[:30]!r}"
            yield method, path, where, {k: v for k, v in fields.items() if k != name}, params, f"{path} without {name}"


def pages(ids: dict[str, str], month: str = "2026-11", day: str = "2026-11-19") -> list[str]:
    """Every page a user or a calendar app opens, for a month and a day."""
    return ["/healthz", "/", f"/?month={month}", "/items", f"/items?month={month}", f"/items/{ids['item']}",
            "/calendar", f"/calendar?month={month}", f"/calendar?view=week&day={day}", f"/calendar/gaps?month={month}",
            f"/calendar/budget?day={day}&days=7", f"/calendar/export?month={month}&format=xlsx",
            f"/calendar/export?month={month}&format=csv", f"/calendar/share/{ids['share']}?month={month}",
            f"/calendar/share/{ids['share']}?view=week&day={day}", f"/ical/{ids['ical']}.ics",
            f"/ical/{ids['ical']}.ics?due=true", f"/ical/{ids['ical_all']}.ics?due=true",  # the "all" scope's feed
            "/review", "/units", f"/units?period={month}"]


def assert_pages_serve(client: TestClient, ids: dict[str, str], **where) -> None:
    broken = [(url, r.status_code) for url in pages(ids, **where)
              if (r := client.get(url, follow_redirects=False)).status_code != 200]
    assert broken == [], broken


def is_vietnamese(detail) -> bool:
    """A refusal's message is for users: Vietnamese words, not pydantic's English ("Input should be …")."""
    text = str(detail)
    return "Input should" not in text and "Field required" not in text and any(ord(c) > 127 for c in text)


def test_no_input_gives_a_500_and_every_page_serves_afterwards(populated_db, mail_sink, monkeypatch):
    monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(mail_sink.port))  # the units' reminders go to a real SMTP sink
    get_settings.cache_clear()
    client = open_app(populated_db)
    ids = seed()
    assert_pages_serve(client, ids)
    failures, english = [], []
    for method, path, where, fields, params, name in cases(ids):
        answer = call(client, method, path, where, fields, params)
        if answer.status_code >= 500:
            failures.append((name, answer.status_code))
        elif answer.status_code >= 400 and answer.headers.get("content-type", "").startswith("application/json"):
            if not is_vietnamese(answer.json().get("detail")):
                english.append((name, answer.json().get("detail")))
    assert failures == [], "\n".join(map(repr, failures))
    assert english == [], english[:5]
    assert_pages_serve(client, ids)


@pytest.mark.parametrize("edge", ["first", "last"])
def test_a_move_to_the_edge_of_the_range_is_accepted_and_breaks_no_page(populated_db, edge):
    """The iCal overflow: a coverage moved as far as the API allows must still render in every page and feed,
    with its deadline before it and its end after it."""
    client = open_app(populated_db)
    ids = seed()
    day = FIRST_DAY if edge == "first" else LAST_DAY
    when = datetime.combine(day, time(0, 0) if edge == "first" else time(23, 59))
    moved = client.post(f"/api/v1/coverages/{ids['coverage']}/move", json={"publish_at": when.isoformat()})
    assert moved.status_code == 200, moved.text
    made = client.post("/api/v1/stories", json={"title": "Ở mép khoảng lập kế hoạch", "date": day.isoformat(),
                                             "time": "23:59" if edge == "last" else "00:00"})
    assert made.status_code == 200, made.text
    assert_pages_serve(client, ids, month=f"{day:%Y-%m}", day=day.isoformat())
    feed = client.get(f"/ical/{ids['ical_all']}.ics?due=true").text
    assert f"DTSTART;TZID={local_tz().key}:{when:%Y%m%dT%H%M}" in feed


def test_a_slot_stored_out_of_range_by_another_path_leaves_the_feed_working(populated_db):
    """The web API refuses a move to 9999-12-31 23:59, but a command or an old row may have stored one: the feed
    leaves that event out (its end would overflow) and keeps serving every other event to every subscriber."""
    client = open_app(populated_db)
    ids = seed()
    with session_scope() as session:
        far = planning.add_story(session, "Dời quá xa", "Lan", coverages=[
            dict(platform="online", fmt="news", publish_at=datetime(2026, 11, 20, 8, 0))]).coverages[0]
        planning.move(session, far, datetime(9999, 12, 31, 23, 59, tzinfo=local_tz()), "Lan")
        slot = planning.get_coverage(session, int(ids["coverage"]))
        slot.duration_minutes = 10**9  # a length no event can have either
        far_id = far.id
    for url in (f"/ical/{ids['ical_all']}.ics", f"/ical/{ids['ical_all']}.ics?due=true", f"/ical/{ids['ical']}.ics"):
        feed = client.get(url)
        assert feed.status_code == 200, url
        assert f"coverage-{far_id}@" not in feed.text and f"coverage-{ids['coverage']}@" in feed.text
    assert "RRULE:FREQ=WEEKLY" in client.get(f"/ical/{ids['ical_all']}.ics").text  # the talk show's series stays
    assert_pages_serve(client, ids)
    assert datetime(9999, 12, 31, 16, 59, tzinfo=timezone.utc) == far.publish_at  # it is stored, as the CLI allows


def test_out_of_the_planning_range_is_a_400_or_422_in_vietnamese(sqlite_db):
    client = open_app(sqlite_db)
    ids = seed()
    after = LAST_DAY + timedelta(days=1)
    before = FIRST_DAY - timedelta(days=1)
    for body in ({"date": after.isoformat()}, {"publish_at": f"{before}T23:00:00"}, {"publish_at": f"{after}T00:00"}):
        answer = client.post(f"/api/v1/coverages/{ids['coverage']}/move", json=body)
        assert answer.status_code == 422 and is_vietnamese(answer.json()["detail"]), (body, answer.text)
        assert str(FIRST_DAY.year) in answer.text and str(LAST_DAY.year) in answer.text
    for url in (f"/calendar?month={after:%Y-%m}", f"/calendar?view=week&day={before}", f"/calendar/budget?day={after}",
                f"/?month={before:%Y-%m}", f"/calendar/gaps?month={after:%Y-%m}",
                f"/calendar/export?month={after:%Y-%m}"):
        answer = client.get(url)
        assert answer.status_code == 400 and is_vietnamese(answer.json()["detail"]), (url, answer.text)


def test_the_table_covers_every_route_and_field():
    """A route or field added to these page groups without a row above would escape the fuzzing: this names it.
    (Reports, registers, sources and accounts are other page groups, with tests of their own.)"""
    app = FastAPI()
    for module in PAGE_GROUPS:
        app.include_router(module.router)
    spec = app.openapi()
    merged: dict = {}
    for method, path, _, fields, params in ROUTES:
        merged.setdefault((method, path), set()).update(fields, params)
    missing = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            names = {p["name"] for p in op.get("parameters", [])}
            for content in op.get("requestBody", {}).get("content", {}).values():
                ref = content["schema"].get("$ref", "").rsplit("/", 1)[-1]
                names |= set(spec["components"]["schemas"].get(ref, {}).get("properties", {}))
            if (method, path) not in merged:
                missing.append((method, path))
            elif names - merged[(method, path)]:
                missing.append((method, path, sorted(names - merged[(method, path)])))
    assert missing == [], missing
