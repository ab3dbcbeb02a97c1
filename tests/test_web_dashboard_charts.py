"""The report's charts on the dashboard (issue 12: "Charts on the dashboard, from the same figures as the report").

`/charts/NAME.png?month=` draws `reports.charts.CHARTS[NAME]` from `web.dashboard.dashboard_figures`, the one
function the page prints its numbers from (`reports.metrics.compute`, the report's). The page's images carry the
version of the figures it printed, so they are drawn from those very numbers, computed once per view; the
tables under each chart give the same numbers as text. The browser test leaves
docs/screenshots/dashboard-charts.png."""

from __future__ import annotations

import random
import re
import uuid
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from accounts import signed_in
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, ItemTheme, Outlet, Theme
from mediaplan.reports import charts
from mediaplan.web.app import create_app
from mediaplan.web.dashboard import chart_version, dashboard_figures

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PNG = b"\x89PNG\r\n\x1a\n"
MONTH = "2026-11"
IMG = re.compile(r'<img src="(/charts/(\w+)\.png\?[^"]+)" alt="([^"]+)"')


def seed_months(months: int = 6, seed: int = 71) -> None:
    """Education items (some naming Resolution 71) over the months up to November 2026, on several outlets
    and channels, with themes: enough for every chart to draw bars and a trend."""
    rng = random.Random(seed)
    with session_scope() as session:
        outlets = session.scalars(select(Outlet).order_by(Outlet.id).limit(7)).all()
        themes = session.scalars(select(Theme.code).order_by(Theme.position)).all()
        channels = ["online", "online", "social", "tv", "portal", "radio"]
        for back in range(months):
            month_start = datetime(2026, 11 - back, 1, 1, 0, tzinfo=timezone.utc)
            for n in range(8 + 4 * (months - back) + rng.randrange(5)):
                outlet = outlets[min(int(rng.expovariate(0.6)), len(outlets) - 1)]
                url = f"https://example.vn/{uuid.uuid4().hex}.html"
                item = Item(outlet_id=outlet.id, kind="article", url=url, canonical_url=url,
                            content_hash=uuid.uuid4().hex, title=f"Tin giáo dục số {back}-{n}", sapo="", body="",
                            published_at=month_start + timedelta(days=rng.randrange(27), hours=rng.randrange(20)),
                            channel=rng.choice(channels), format="news", education=rng.random() < 0.85,
                            nq71=rng.random() < 0.35)
                session.add(item)
                session.flush()
                for code in rng.sample(themes, rng.choice([1, 1, 2])):
                    session.add(ItemTheme(item_id=item.id, theme_code=code, score=1.0, method="rule"))


def num(text: str) -> int:
    return int(text.replace(".", "").replace("\u202f", "").strip())


def printed(html: str) -> dict:
    """The numbers the dashboard prints, by table."""
    def rows(table: str, key: str) -> dict[str, list[int]]:
        body = re.search(rf'<table class="grid" id="{table}">(.*?)</table>', html, re.S).group(1)
        out = {}
        for m in re.finditer(rf'<tr data-{key}="([^"]+)">(.*?)</tr>', body, re.S):
            out[m.group(1)] = [num(n) for n in re.findall(r'<td class="num[^"]*">([\d.]+)(?:/[\d.]+)?</td>', m.group(2))]
        return out

    return {"cards": {k: num(re.search(rf'id="card-{k}">([\d.]+)<', html).group(1)) for k in ("items", "education", "nq71")},
            "themes": rows("by-theme", "theme"), "months": rows("by-month", "month"),
            "outlets": rows("by-outlet", "outlet"), "channels": rows("by-channel", "channel")}


def expected(figures: dict) -> dict:
    """What the page must print, read from the figures the charts are drawn from."""
    return {"cards": {k: figures["totals"][k] for k in ("items", "education", "nq71")},
            "themes": {t["code"]: [t["items"], t["previous"], t["delivered"]] for t in figures["themes"]},
            "months": {m["month"]: [m["education"], m["nq71"]] for m in figures["series"]},
            "outlets": {o["key"]: [o["education"], o["nq71"]] for o in figures["outlets"]},
            "channels": {c["code"]: [c["items"]] for c in figures["channels"]}}


def test_each_chart_is_a_png_for_a_viewer_and_bad_names_or_months_are_refused(populated_db):
    viewer = signed_in(populated_db, "viewer")
    for name in charts.CHARTS:
        answer = viewer.get(f"/charts/{name}.png?month={MONTH}")
        assert answer.status_code == 200, (name, answer.text[:200])
        assert answer.headers["content-type"] == "image/png" and answer.content.startswith(PNG)
        assert answer.headers["cache-control"] == "private, max-age=300"  # no version asked: a short while
    assert viewer.get("/charts/trend.png").status_code == 200  # no month: the dashboard's own default
    for unknown in ("pie", "render_charts", "TREND", "trend.svg"):
        answer = viewer.get(f"/charts/{unknown}.png?month={MONTH}")
        assert answer.status_code == 404 and "biểu đồ" in answer.text, unknown
    assert viewer.get(f"/charts/trend.svg?month={MONTH}").status_code == 404
    for month in ("2026-13", "11-2026", "tháng 11"):
        answer = viewer.get(f"/charts/trend.png?month={month}")
        assert answer.status_code == 400 and "tháng không hợp lệ" in answer.json()["detail"], month
    for query in ("month=" + "2" * 21, "month=2026-11&v=xyz", "month=2026-11&v=" + "a" * 65):
        assert viewer.get(f"/charts/themes.png?{query}").status_code == 422, query
    anonymous = TestClient(create_app(populated_db)).get(f"/charts/trend.png?month={MONTH}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_the_dashboard_prints_the_figures_its_charts_are_drawn_from(db):
    seed_months()
    with session_scope() as session:
        figures = dashboard_figures(session, MONTH)
    assert figures["totals"]["education"] > 10 and len(figures["series"]) >= 6  # data that can disagree
    client = signed_in(db, "viewer")
    page = client.get(f"/?month={MONTH}")
    assert page.status_code == 200
    assert printed(page.text) == expected(figures)
    images = IMG.findall(page.text)
    assert sorted(name for _, name, _ in images) == sorted(charts.CHARTS)
    for src, name, alt in images:
        src = unescape(src)
        assert f"v={chart_version(figures)}" in src and f"month={MONTH}" in src
        assert len(alt) > 60 and "Số liệu ở bảng" in alt, alt  # says what it shows and where the numbers are
        answer = client.get(src)
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        assert answer.content == charts.CHARTS[name](figures), name  # the very figures the page printed
        assert answer.headers["cache-control"] == "private, max-age=86400, immutable"
    assert 'id="chart-trend"' in page.text and "<figcaption>" in page.text


def test_a_pages_charts_keep_its_numbers_when_the_data_changes_after_it(db):
    """The images of a page are drawn from the figures that page computed (kept under their version), not
    recomputed: a change in the database after the page was shown does not make its charts disagree with it.
    Asked without the version, a chart is drawn from the figures as they are now."""
    seed_months()
    client = signed_in(db, "viewer")
    with session_scope() as session:
        before = dashboard_figures(session, MONTH)
    page = client.get(f"/?month={MONTH}")
    src = {name: unescape(s) for s, name, _ in IMG.findall(page.text)}
    with session_scope() as session:
        first = session.scalar(select(Item.id).where(Item.published_at >= datetime(2026, 11, 1, tzinfo=timezone.utc))
                               .order_by(Item.id))
        session.execute(update(Item).where(Item.id >= first).values(education=False))
    with session_scope() as session:
        after = dashboard_figures(session, MONTH)
    assert after["totals"]["education"] == 0 < before["totals"]["education"]
    for name in charts.CHARTS:
        kept = client.get(src[name]).content
        now = client.get(f"/charts/{name}.png?month={MONTH}").content
        assert kept == charts.CHARTS[name](before) and now == charts.CHARTS[name](after)
        assert kept != now, name
    assert printed(client.get(f"/?month={MONTH}").text) == expected(after)


def test_the_report_draws_the_same_charts(db):
    """One definition: the report's `render_charts` is the named charts the dashboard serves."""
    seed_months(3)
    with session_scope() as session:
        figures = dashboard_figures(session, MONTH)
    client = signed_in(db, "analyst")
    assert charts.render_charts(figures) == {name: client.get(f"/charts/{name}.png?month={MONTH}").content
                                             for name in charts.CHARTS}


@pytest.mark.browser
def test_the_dashboard_charts_in_chromium(sqlite_db):
    from test_web_browser import browser_page

    seed_months()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page(sqlite_db, 1280, 900, role="viewer") as page:
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{page.base}/?month={MONTH}")
        for name in charts.CHARTS:
            img = page.locator(f"#chart-{name} img")
            img.scroll_into_view_if_needed()
            page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())
            assert img.evaluate("el => el.naturalWidth") > 500
            box = img.bounding_box()
            column = img.locator("xpath=ancestor::section[1]").bounding_box()
            assert box["width"] <= column["width"] + 1  # the chart fits its column, no overflow
            assert len(img.get_attribute("alt")) > 60
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / "dashboard-charts.png"), full_page=True)
        assert not refused, refused
    assert (SHOTS / "dashboard-charts.png").stat().st_size > 50_000
