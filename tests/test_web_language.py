"""The language switch in real headless Chromium (issue 12): the English pages keep no Vietnamese word of their
own, and the Vietnamese pages no English one. Screenshots go to docs/screenshots/language-*.png.

"Of their own": data stays Vietnamese in both languages (crawled titles, outlets, units, themes and the names of
the plan), and an English page marks each such element lang="vi", which is what the walk below skips.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from mediaplan import i18n
from mediaplan.db import session_scope
from mediaplan.db.schema import Item
from mediaplan.services.reports import build_period_report
from test_web_browser import browser_page
from test_web_calendar import plan_story

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
VIETNAMESE = "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"

# Every text node of the body outside scripts, styles and elements marked lang="vi" (hidden ones too: a closed
# dialog is part of the page), the ones with a Vietnamese letter.
LEFTOVERS = """([letters, skip]) => {
  const vietnamese = new RegExp('[' + letters + ']', 'i');
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest(skip)) continue;
    const text = node.textContent.trim();
    if (text && vietnamese.test(text)) found.push(element.tagName.toLowerCase() + ': ' + text.slice(0, 120));
  }
  return found;
}"""

SKIP = 'script, style, [lang="vi"]'

PAGES = ["/?month=2026-11", "/items?month=2026-11", "/items/{item}", "/calendar?month=2026-11",
         "/calendar?view=week&day=2026-11-16", "/calendar/gaps?month=2026-11", "/calendar/budget?day=2026-11-16&days=7",
         "/units?period=2026-11", "/registers?period=2026-11", "/sources", "/reports", "/reports/{version}", "/review"]


def english_phrases() -> list[re.Pattern]:
    """The catalogue's English of two words or more that differs from its Vietnamese, as whole phrases: what a
    Vietnamese page must never show. A translation with placeholders contributes its longest literal part."""
    with i18n.po_path("en").open("rb") as po:
        catalog = read_po(po, locale="en")
    phrases = set()
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, (list, tuple)) else [m.id]
        for text in (m.string if isinstance(m.string, (list, tuple)) else [m.string]):
            if text in ids:
                continue
            parts = [p.strip(" .,:;()—–-«»“”") for p in re.split(r"%\(\w+\)[sdr]|\{\w+\}", text)]
            part = max(parts, key=lambda p: len(p.split()))
            if len(part.split()) >= 2:
                phrases.add(part)
    return [re.compile(r"(?<!\w)" + re.escape(p) + r"(?!\w)") for p in sorted(phrases)]


def switch(page, to: str) -> None:
    """Press the top bar's switch (a real form post) and wait for the page to come back in `to`."""
    label = {"en": "English", "vi": "Tiếng Việt"}[to]
    button = page.locator("#language-switch")
    assert button.inner_text() == label
    button.click()
    page.wait_for_selector(f"html[lang='{to}']")


def open_page(page, path: str, lang: str) -> None:
    answer = page.goto(page.base + path)
    assert answer.status == 200, f"{path}: {answer.status}"
    assert page.evaluate("document.documentElement.lang") == lang, path


@pytest.fixture
def planned(populated_db, tmp_path):
    """A story in the calendar, a report version, and the ids the pages need."""
    with session_scope() as session:
        plan_story(session)
        version = build_period_report(session, "2026-11", tmp_path / "out", by="lịch tự động").version.id
        item = session.scalar(select(Item.id).where(Item.education.is_(True)).order_by(Item.id))
    return {"item": item, "version": version}


def test_english_pages_keep_no_vietnamese_and_vietnamese_pages_no_english(populated_db, planned):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = [p.format(**planned) for p in PAGES]
    phrases = english_phrases()
    assert len(phrases) > 200
    with browser_page(populated_db, 1400, 1000) as page:
        open_page(page, pages[0], "vi")
        page.screenshot(path=str(SHOTS / "language-vi-dashboard.png"), full_page=True)
        switch(page, "en")
        assert page.url.endswith(pages[0])  # back on the page it was switched on
        leftovers = {}
        for path in pages:
            open_page(page, path, "en")
            found = page.evaluate(LEFTOVERS, [VIETNAMESE, SKIP])
            if found:
                leftovers[path] = found
            if path == pages[0]:
                page.screenshot(path=str(SHOTS / "language-en-dashboard.png"), full_page=True)
                # the walk does see the page's Vietnamese data: only the lang="vi" marks keep it out
                assert len(page.evaluate(LEFTOVERS, [VIETNAMESE, "script, style"])) > 20
                # and the phrase check of the way back does find English on an English page
                shown = page.evaluate("document.body.innerText")
                assert sum(1 for p in phrases if p.search(shown)) > 5
            if path.startswith("/calendar?month"):
                page.screenshot(path=str(SHOTS / "language-en-calendar.png"), full_page=True)
        assert not leftovers, leftovers
        assert page.locator("h1").first.inner_text().startswith("Label review")  # the last page, in English

        switch(page, "vi")
        english = {}
        for path in pages:
            open_page(page, path, "vi")
            text = page.evaluate("document.body.innerText")
            hits = [p.pattern for p in phrases if p.search(text)]
            if hits:
                english[path] = hits
            assert re.search(f"[{VIETNAMESE}]", text), path  # the check can fail: this is Vietnamese
        assert not english, english


def test_the_login_page_switches_before_signing_in(populated_db):
    with browser_page(populated_db, role=None) as page:
        open_page(page, "/login", "vi")
        assert page.locator("label[for=username]").inner_text() == "Tên đăng nhập"
        switch(page, "en")
        assert page.locator("label[for=username]").inner_text() == "Username"
        assert page.evaluate(LEFTOVERS, [VIETNAMESE, SKIP]) == []
        page.click("a[href='/password-reset']")
        page.wait_for_selector("h1")
        assert page.locator("h1").inner_text() == "Reset password" and page.evaluate(LEFTOVERS, [VIETNAMESE, SKIP]) == []
        open_page(page, "/login", "en")
        switch(page, "vi")
        assert page.locator("section.login h1").inner_text() == "Đăng nhập"
