"""Issue 12 in a real browser: roles, CSRF and crawled links as Debian's Chromium meets them, against uvicorn
and the real database (SQLite and PostgreSQL), each test leaving a screenshot in docs/screenshots/.

1. An editor signs in, drags a coverage to another day and labels an item: the database has the move, the
   audit row and the label in the editor's name.
2. A viewer sees no edit control on any page, and a request forged from the viewer's own page, with the real
   CSRF token, is refused (403) by the role alone; the same request from an editor's page goes through.
3. A form on another site (same host, another port: same-site, so the SameSite=Lax session cookie IS sent)
   that posts a label is refused, with or without a forged token, with or without an Origin header.
4. Crawled `javascript:` / `data:` / `vbscript:` links never become a clickable href, and the store refuses them.

The calendar's JSON API is found in the app's routes, never spelled here (it moves from /api to /api/v1).
"""

from __future__ import annotations

import html
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from accounts import PASSWORD, ensure_user
from mediaplan.auth.roles import REFUSALS, Ability
from mediaplan.crawler.store import REFUSED, Fetched, http_url, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import Coverage, Item, ItemTheme, Outlet, Source, Theme, WorkflowEvent
from mediaplan.localtime import to_local
from mediaplan.web.app import create_app
from test_web_browser import browser_page
from test_web_calendar import plan_story

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
EDITOR, VIEWER = "bientap-an", "xem-binh"
ORIGIN_REFUSED = "Yêu cầu gửi từ một trang khác bị từ chối."
CSRF_REFUSED = "thiếu mã CSRF"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    assert (SHOTS / name).stat().st_size > 10_000


def sign_in(page, database_url: str, username: str, role: str) -> None:
    """Sign in through the login form (after signing out whoever was signed in)."""
    ensure_user(database_url, username, role)
    if page.locator("form.logout").count():
        page.click("form.logout button[type=submit]")
        page.wait_for_url("**/login")
    page.goto(f"{page.base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("section.login button[type=submit]")
    page.wait_for_selector("form.logout")


def first_item() -> int:
    with session_scope() as session:
        return session.scalar(select(Item.id).order_by(Item.id))


def labels_of(item_id: int) -> list[tuple]:
    with session_scope() as session:
        rows = session.execute(select(ItemTheme.theme_code, ItemTheme.method, ItemTheme.set_by, ItemTheme.removed)
                               .where(ItemTheme.item_id == item_id).order_by(ItemTheme.theme_code)).all()
        return [tuple(r) for r in rows]


def a_theme_not_on(item_id: int) -> str:
    """A theme the item does not carry yet, so adding it is a visible change."""
    own = {code for code, _, _, removed in labels_of(item_id) if not removed}
    with session_scope() as session:
        return next(code for code in session.scalars(select(Theme.code).order_by(Theme.code)) if code not in own)


def coverage_state(coverage_id: int) -> tuple:
    with session_scope() as session:
        at = session.get(Coverage, coverage_id).publish_at
        events = session.scalar(select(func.count()).select_from(WorkflowEvent))
        return to_local(at).replace(tzinfo=None), events


def move_routes(database_url: str) -> list[str]:
    """The calendar's move endpoint(s) as the app declares them today (/api/…, /api/v1/…, or both for a while)."""
    found = [rc.path for rc in iter_route_contexts(create_app(database_url).routes)
             if rc.path.endswith("/move") and "{coverage_id}" in rc.path and "POST" in (rc.methods or ())]
    assert found, "no POST …/coverages/{coverage_id}/move route in the app"
    return found


# --- 1. an editor ---------------------------------------------------------------------------------------


def test_an_editor_drags_a_coverage_and_labels_an_item(populated_db):
    with session_scope() as session:
        coverage = plan_story(session)  # a talk show on Thursday 19/11/2026 at 20:00
    item = first_item()
    theme = a_theme_not_on(item)
    assert coverage_state(coverage)[0] == datetime(2026, 11, 19, 20, 0)
    with browser_page(populated_db, 1400, 1000, role="editor", username=EDITOR) as page:
        page.goto(f"{page.base}/calendar?month=2026-11")
        card = f"#coverage-{coverage}"
        assert page.locator(card).get_attribute("draggable") == "true"
        assert page.locator(card).locator("xpath=ancestor::td").get_attribute("data-date") == "2026-11-19"
        page.drag_and_drop(card, 'td[data-date="2026-11-24"]')
        # The page says how the move went (#cal-status) once the server has answered; then the card has moved.
        page.wait_for_function("() => (document.getElementById('cal-status') || {}).textContent")
        said = page.locator("#cal-status").inner_text()
        assert "Đã dời" in said, said
        page.wait_for_selector(f'td[data-date="2026-11-24"] {card}')
        shot(page, "editor-calendar-after-drag.png")

        page.goto(f"{page.base}/items/{item}")
        assert page.locator(f'#themes li[data-theme="{theme}"]').count() == 0
        page.select_option("#label-form select[name=theme]", theme)
        page.select_option("#label-form select[name=action]", "add")
        with page.expect_navigation():
            page.click("#label-form button[type=submit]")
        added = page.locator(f'#themes li[data-theme="{theme}"]')
        assert added.get_attribute("data-method") == "manual"
        assert EDITOR in added.inner_text()
        shot(page, "editor-item-labelled.png")

    publish_at, _ = coverage_state(coverage)
    assert publish_at == datetime(2026, 11, 24, 20, 0)  # the day changed, the time of day was kept
    with session_scope() as session:
        moves = session.scalars(select(WorkflowEvent).where(WorkflowEvent.action == "move",
                                                            WorkflowEvent.entity_id == coverage)).all()
        assert [(m.entity, m.by, m.to_value[:16]) for m in moves] == [("coverage", EDITOR, "2026-11-24T20:00")]
    assert (theme, "manual", EDITOR, False) in labels_of(item)


# --- 2. a viewer ----------------------------------------------------------------------------------------

# What a page offers to change: every form but the logout and language ones and plain GET filters (method="dialog"
# is the calendar's quick-add), every button, field or draggable card outside those, anything contenteditable.
EDIT_CONTROLS = """() => {
  const allowed = (f) => {
    const action = new URL(f.getAttribute("action") || location.href, location.href).pathname;
    const method = (f.getAttribute("method") || "get").toLowerCase();
    return action === "/logout" || action === "/language" || f.classList.contains("lang") || method === "get";
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.getAttribute("action") ? "[action=" + el.getAttribute("action") + "]" : "") +
    (el.getAttribute("method") ? "[method=" + el.getAttribute("method") + "]" : "") +
    (el.textContent.trim() ? " " + JSON.stringify(el.textContent.trim().slice(0, 40)) : "");
  const found = [];
  for (const f of document.querySelectorAll("form")) if (!allowed(f)) found.push(name(f));
  for (const el of document.querySelectorAll("button, input:not([type=hidden]), select, textarea")) {
    const form = el.form || el.closest("form");
    if (!form || !allowed(form)) found.push(name(el));
  }
  for (const el of document.querySelectorAll('[draggable="true"], [contenteditable]:not([contenteditable="false"])'))
    found.push(name(el) + " draggable/editable");
  return found;
}"""

VIEWER_PAGES = ("/", "/items", "/items/{item}", "/calendar?month=2026-11", "/review", "/reports", "/registers",
                "/units", "/sources")

FORGE_LABEL = """async ([url, theme]) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const r = await fetch(url, {method: "POST", body: new URLSearchParams({csrf_token: token, theme, action: "add"})});
  return {status: r.status, text: await r.text(), token};
}"""
FORGE_MOVE = """async ([url, day]) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
                              body: JSON.stringify({date: day})});
  return {status: r.status, text: await r.text(), token};
}"""


def test_a_viewer_sees_no_edit_controls_and_a_forged_request_answers_403(populated_db):
    with session_scope() as session:
        coverage = plan_story(session)
    item = first_item()
    theme = a_theme_not_on(item)
    moves = [path.replace("{coverage_id}", str(coverage)) for path in move_routes(populated_db)]
    before_labels, before_coverage = labels_of(item), coverage_state(coverage)
    with browser_page(populated_db, 1400, 1000, role="viewer", username=VIEWER) as page:
        for path in VIEWER_PAGES:
            answer = page.goto(page.base + path.format(item=item))
            assert answer.status == 200, path
            assert page.evaluate(EDIT_CONTROLS) == [], path
        page.goto(f"{page.base}/calendar?month=2026-11")
        card = page.locator(f"#coverage-{coverage}")
        assert card.count() == 1 and card.get_attribute("draggable") is None  # the card is there, not movable
        shot(page, "viewer-calendar.png")

        # Forged from the viewer's own page, with the session's real token: only the role can stop it.
        page.goto(f"{page.base}/items/{item}")
        forged = page.evaluate(FORGE_LABEL, [f"/items/{item}/labels", theme])
        assert forged["status"] == 403 and REFUSALS[Ability.LABELS] in html.unescape(forged["text"]), forged
        page.goto(f"{page.base}/calendar?month=2026-11")
        for move in moves:
            forged = page.evaluate(FORGE_MOVE, [move, "2026-11-24"])
            assert forged["status"] == 403 and REFUSALS[Ability.CALENDAR] in forged["text"], (move, forged)
            assert CSRF_REFUSED not in forged["text"]
        assert labels_of(item) == before_labels and coverage_state(coverage) == before_coverage

        # The control: the same requests from an editor's page go through, and the same checks find controls.
        sign_in(page, populated_db, EDITOR, "editor")
        page.goto(f"{page.base}/items/{item}")
        assert any("label-form" in c for c in page.evaluate(EDIT_CONTROLS))
        page.goto(f"{page.base}/calendar?month=2026-11")
        assert any(f"coverage-{coverage}" in c for c in page.evaluate(EDIT_CONTROLS))
        page.goto(f"{page.base}/items/{item}")
        assert page.evaluate(FORGE_LABEL, [f"/items/{item}/labels", theme])["status"] == 200  # after its 303
        for move in moves:
            assert page.evaluate(FORGE_MOVE, [move, "2026-11-24"])["status"] == 200, move
    assert (theme, "manual", EDITOR, False) in labels_of(item)
    assert coverage_state(coverage)[0] == datetime(2026, 11, 24, 20, 0)


# --- 3. another site's form -----------------------------------------------------------------------------


@contextmanager
def attacker_site(pages: dict[str, str]):
    """Another web server on 127.0.0.1 (its own free port), serving `pages` (filled in after it starts)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def attack_page(action: str, theme: str, token: str | None, no_referrer: bool = False) -> str:
    """A page that posts a label to the app as soon as it loads; with no-referrer, the POST's Origin is "null"."""
    meta = '<meta name="referrer" content="no-referrer">' if no_referrer else ""
    field = f'<input type="hidden" name="csrf_token" value="{html.escape(token)}">' if token is not None else ""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8">{meta}<title>Quà tặng</title></head><body>'
            f'<h1>Nhận quà tri ân thầy cô</h1><form id="f" method="post" action="{html.escape(action)}">'
            f'<input type="hidden" name="theme" value="{theme}"><input type="hidden" name="action" value="add">'
            f'{field}</form><script>document.getElementById("f").submit()</script></body></html>')


def test_a_cross_site_form_post_is_refused(populated_db):
    item = first_item()
    theme = a_theme_not_on(item)
    before = labels_of(item)
    pages: dict[str, str] = {}
    with browser_page(populated_db, 1280, 800, role="editor", username=EDITOR) as page, attacker_site(pages) as evil:
        action = f"{page.base}/items/{item}/labels"
        assert evil.split(":")[1] == page.base.split(":")[1] and evil != page.base  # same host, another port
        page.goto(f"{page.base}/items/{item}")
        real = page.locator('meta[name="csrf-token"]').get_attribute("content")
        forged = uuid.uuid4().hex
        pages.update({
            "/plain": attack_page(action, theme, None),
            "/forged": attack_page(action, theme, forged),
            "/plain-no-referrer": attack_page(action, theme, None, no_referrer=True),
            "/forged-no-referrer": attack_page(action, theme, forged, no_referrer=True),
            "/real-token-no-referrer": attack_page(action, theme, real, no_referrer=True),
        })
        cases = [("/plain", evil, ORIGIN_REFUSED), ("/forged", evil, ORIGIN_REFUSED),
                 ("/plain-no-referrer", "null", CSRF_REFUSED), ("/forged-no-referrer", "null", CSRF_REFUSED)]
        for path, origin, message in cases:
            with page.expect_response(lambda r: r.request.method == "POST" and r.url == action) as posted:
                page.goto(evil + path)
            answer = posted.value
            assert answer.status == 403, (path, answer.status)
            sent = answer.request.all_headers()
            assert sent.get("origin") == origin, (path, sent.get("origin"))
            assert "mediaplan_session=" in sent.get("cookie", ""), path  # same-site: the Lax cookie went along
            page.wait_for_url(action)  # the browser shows the app's refusal
            assert page.locator("h1").inner_text() == "Không có quyền"
            assert message in page.locator("[role=alert]").inner_text(), path
            assert page.locator("form.logout").count() == 1  # the app knew who it was, and still refused
            if path == "/plain":
                shot(page, "cross-site-post-refused.png")
            assert labels_of(item) == before, path
        # The control: the same page with the session's real token (which another site cannot read) goes through,
        # so it was the token, not a broken form, that stopped the ones above.
        with page.expect_response(lambda r: r.request.method == "POST" and r.url == action) as posted:
            page.goto(evil + "/real-token-no-referrer")
        assert posted.value.status == 303
        page.wait_for_selector(f'#themes li[data-theme="{theme}"]')
    assert (theme, "manual", EDITOR, False) in labels_of(item)


# --- 4. crawled links -----------------------------------------------------------------------------------

BAD_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(2)",
    "  javascript:alert(3)",
    "java\tscript:alert(4)",
    "javascript://baoquangngai.vn/%0Aalert(5)",
    "data:text/html,<script>alert(6)</script>",
    "vbscript:msgbox(7)",
]
BODY_HTML = ('Bấm <a href="javascript:alert(8)">vào đây</a> để nhận học bổng.\n\n'
             '<img src="x" onerror="alert(9)"> <a href="data:text/html,<script>alert(10)</script>">Xem ảnh</a>\n\n'
             '<a href="JaVaScRiPt:alert(11)" onclick="alert(12)">Đăng ký</a>')

HREFS = """() => [...document.querySelectorAll("a[href]")].map((a) => {
  let scheme;
  try { scheme = new URL(a.getAttribute("href"), location.href).protocol; } catch (e) { scheme = "invalid"; }
  return [a.getAttribute("href"), scheme];
}).filter(([href, scheme]) => scheme !== "http:" && scheme !== "https:")"""
HANDLERS = """() => [...document.querySelectorAll("*")].flatMap((el) =>
  [...el.attributes].filter((a) => a.name.startsWith("on")).map((a) => el.tagName + " " + a.name))"""


def test_the_store_refuses_a_javascript_link(populated_db):
    with session_scope() as session:
        for n, link in enumerate(BAD_LINKS):
            fetched = Fetched(source_key="baoquangngai-rss", kind="article", url=link, canonical_url=link,
                              title=f"Tin có liên kết lạ {n}", body="Học sinh được nhận học bổng.")
            assert http_url(link) is None, link
            assert upsert_item(session, fetched) == REFUSED, link
        good = "https://baoquangngai.vn/giao-duc/202611/hoc-bong-9f9f9f9/"
        assert upsert_item(session, Fetched(source_key="baoquangngai-rss", kind="article", url=good, canonical_url=good,
                                            title="Tin có liên kết thường")) == "new"
        mixed = "https://baoquangngai.vn/giao-duc/202611/khac-8e8e8e8/"
        assert upsert_item(session, Fetched(source_key="baoquangngai-rss", kind="article", url="javascript:alert(1)",
                                            canonical_url=mixed, title="Liên kết gốc lạ")) == REFUSED
    with session_scope() as session:
        stored = set(session.scalars(select(Item.url)))
        assert good in stored and not stored & set(BAD_LINKS)
        assert "http(s)" in session.scalar(select(Source.last_error).where(Source.key == "baoquangngai-rss"))


def add_bad_items() -> list[int]:
    """Rows as written before the store's rule (or by hand, by SQL): the store would refuse these links."""
    with session_scope() as session:
        outlet = session.scalar(select(Outlet).where(Outlet.key == "baoquangngai"))
        rows = []
        for n, link in enumerate(BAD_LINKS):
            social = n % 2 == 1
            rows.append(Item(outlet_id=outlet.id, kind="social_post" if social else "article", url=link,
                             canonical_url=f"{link}#{n}", content_hash=f"{n + 100:064d}",
                             title=f"Tin có liên kết lạ số {n}", sapo=f"Liên kết gốc: {link}", body=BODY_HTML,
                             published_at=datetime(2026, 11, 25, n, 0, tzinfo=timezone.utc),
                             channel="social" if social else "online", format="news", review_priority=2.0 + n))
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def test_a_crawled_javascript_link_is_not_clickable(populated_db):
    bad = add_bad_items()
    dialogs: list[str] = []
    with browser_page(populated_db, 1280, 900) as page:
        def on_dialog(dialog):
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.evaluate("alert('kiểm tra')")  # the handler does see a dialog when one opens
        assert dialogs == ["kiểm tra"]
        dialogs.clear()

        for path in ("/items", "/review"):
            page.goto(page.base + path)
            assert page.locator("a", has_text="Tin có liên kết lạ số 1").count() == 1, path
            assert page.evaluate(HREFS) == [], path
            assert page.evaluate(HANDLERS) == [], path
        # The check itself: a page with such links would be caught.
        page.set_content('<a href="javascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(1)">y</a>'
                         '<a href="data:text/html,hi">z</a><a href="https://example.vn/">ok</a>')
        assert len(page.evaluate(HREFS)) == 3

        for item_id, link in zip(bad, BAD_LINKS):
            url = f"{page.base}/items/{item_id}"
            page.goto(url)
            assert page.evaluate(HREFS) == [], link
            assert page.evaluate(HANDLERS) == [], link
            content = page.locator("article.item")
            assert content.locator("a").count() == 0, link  # neither the link nor the body's HTML is an <a>
            assert content.locator("img").count() == 0, link
            text = content.inner_text()
            assert "Địa chỉ gốc (không mở được)" in text and '<a href="javascript:alert(8)">' in text, link
            assert link.strip().split("\t")[0] in text, link
            clickable = content.locator("h1, p, span, mark, div, a")
            for n in range(clickable.count()):
                clickable.nth(n).click()
                assert page.url == url, (link, n)  # nothing navigated anywhere
            if link == "JaVaScRiPt:alert(2)":
                shot(page, "javascript-link-inert.png")
        assert dialogs == []
