"""Drag and drop without a mouse: each card an editor may drag has a "Dời lịch" button that opens the move dialog,
in real headless Chromium, driven by the keyboard only (Tab, Enter, typing, Escape). A viewer has no such button."""

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mediaplan.calendar import stories as planning
from mediaplan.db import session_scope
from mediaplan.db.schema import Coverage, Story, WorkflowEvent
from mediaplan.localtime import to_local
from test_web_browser import browser_page
from test_web_calendar import plan_story

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ACTIVE = "(sel) => !!document.activeElement && document.activeElement.matches(sel)"
# The digits of 24/11/2026 in the order this browser's date field takes them (mm dd yyyy in en-US, dd mm yyyy in vi).
DATE_DIGITS = ("() => new Intl.DateTimeFormat(undefined, {year: 'numeric', month: '2-digit', day: '2-digit'})"
               ".formatToParts(new Date(2026, 10, 24)).filter(p => p.type !== 'literal').map(p => p.value).join('')")
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map(el => el.outerHTML)"""
COLOURS = """(sel) => { const s = getComputedStyle(document.querySelector(sel));
    return [s.color, s.backgroundColor]; }"""


def tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until the focus is on `selector`, as someone without a mouse does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE, selector):
            return
    pytest.fail(f"{selector} is not reachable with Tab")


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two computed CSS colours "rgb(r, g, b)"."""
    def luminance(css: str) -> float:
        r, g, b = (int(float(x)) / 255 for x in css[css.index("(") + 1:css.index(")")].split(",")[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_an_editor_moves_a_coverage_to_another_day_with_the_keyboard_only(db):
    with session_scope() as session:
        coverage = plan_story(session)  # Tọa đàm: Ngày Nhà giáo, 19/11/2026 20:00
        gone = planning.add_story(session, "Tin sẽ bị xóa", "Lan", coverages=[dict(
            platform="online", fmt="news", outlet="baoquangngai", publish_at=datetime(2026, 11, 10, 8, 0))])
        gone_id = gone.coverages[0].id
    opener = f"#coverage-{coverage} button.move-open"
    with browser_page(db, 1400, 1000, role="editor") as page:
        page.goto(f"{page.base}/calendar?month=2026-11")
        assert page.get_attribute(opener, "aria-label") == "Dời lịch “Tọa đàm: Ngày Nhà giáo” (truyền hình)"
        assert page.evaluate(UNLABELLED) == []  # every control of the page has a label
        assert contrast(*page.evaluate(COLOURS, opener)) >= 4.5

        tab_to(page, opener)
        page.keyboard.press("Enter")
        page.wait_for_selector("#move-dialog[open]")
        assert page.evaluate(ACTIVE, "#move-dialog input[name=date]")  # the focus moved into the dialog
        assert page.input_value("#move-dialog input[name=date]") == "2026-11-19"  # prefilled with its day
        assert page.input_value("#move-dialog input[name=time]") == "20:00"
        assert "Tọa đàm: Ngày Nhà giáo" in page.inner_text("#mv-what")
        page.keyboard.press("Escape")  # Escape closes, nothing moves, the focus is back on the button
        page.wait_for_selector("#move-dialog:not([open])", state="attached")
        assert page.evaluate(ACTIVE, opener)

        page.keyboard.press("Enter")
        page.wait_for_selector("#move-dialog[open]")
        page.keyboard.type(page.evaluate(DATE_DIGITS))
        assert page.input_value("#move-dialog input[name=date]") == "2026-11-24"
        assert page.evaluate(UNLABELLED) == []
        for sel in ("#mv-save", "#mv-cancel"):
            assert contrast(*page.evaluate(COLOURS, sel)) >= 4.5
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "calendar-move-dialog.png"))
        tab_to(page, "#mv-save")
        page.keyboard.press("Enter")
        page.wait_for_selector(f'td[data-date="2026-11-24"] #coverage-{coverage}')
        page.wait_for_selector("#move-dialog:not([open])", state="attached")
        # back on the button, in the card's new day (the page moves the focus once it has re-drawn the card: on a
        # loaded machine that is a moment after the dialog closes, so the test waits for it, up to 5 s)
        page.wait_for_function(ACTIVE, arg=opener, timeout=5000)
        assert page.inner_text("#cal-status") == "Đã dời “Tọa đàm: Ngày Nhà giáo” sang ngày 24/11/2026 20:00"
        assert page.get_attribute("#cal-status", "role") == "status"  # announced (a polite live region)
        assert page.inner_text(f"#coverage-{coverage} .time") == "20:00"

        # A refusal is the server's one line, in the dialog and in the live region, and the card stays.
        with session_scope() as session:
            session.delete(session.get(Story, session.get(Coverage, gone_id).story_id))
        tab_to(page, f"#coverage-{gone_id} button.move-open")
        page.keyboard.press("Enter")
        page.wait_for_selector("#move-dialog[open]")
        page.keyboard.type(page.evaluate(DATE_DIGITS))
        page.keyboard.press("Enter")  # Enter in the field saves: "Lưu" is the form's one submit button
        page.wait_for_selector("#mv-error:not(:empty)")
        assert page.inner_text("#mv-error") == f"không có phần thực hiện #{gone_id}"
        assert page.inner_text("#cal-status") == f"Không dời được: không có phần thực hiện #{gone_id}"
        assert page.locator(f'td[data-date="2026-11-10"] #coverage-{gone_id}').count() == 1
        page.keyboard.press("Escape")
        page.wait_for_selector("#move-dialog:not([open])", state="attached")

    with session_scope() as session:
        moved = session.get(Coverage, coverage)
        assert to_local(moved.publish_at).strftime("%Y-%m-%d %H:%M") == "2026-11-24 20:00"
        moves = session.scalars(select(WorkflowEvent).where(WorkflowEvent.action == "move")).all()
        assert [(m.entity_id, m.to_value[:16], m.by) for m in moves] == [(coverage, "2026-11-24T20:00", "editor-test")]


def test_a_viewer_has_no_move_button(db):
    with session_scope() as session:
        coverage = plan_story(session)
    with browser_page(db, role="viewer") as page:
        page.goto(f"{page.base}/calendar?month=2026-11")
        assert page.locator(f"#coverage-{coverage}").count() == 1
        assert page.locator("button.move-open").count() == 0
        assert page.locator("#move-dialog").count() == 0
        assert page.get_attribute(f"#coverage-{coverage}", "draggable") is None
