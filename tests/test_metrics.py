"""The metrics layer (issue 11): targets counted as the plan data defines them, checked against counts taken
independently from the items table; the V.6 compliance table over every unit; the same figure on the report,
the gaps page and the dashboard; and a target evaluated only when its figure is complete."""

from datetime import datetime, timezone

from openpyxl import load_workbook
from sqlalchemy import select, text, update

from fastapi.testclient import TestClient
from accounts import signed_in
from mediaplan.calendar.gaps import compute_gaps
from mediaplan.db import session_scope
from mediaplan.db.schema import Agency, Item, ItemTheme, Outlet, Source
from mediaplan.reports.build import build_report
from mediaplan.reports.metrics import compute
from mediaplan.web.app import create_app

WHEN = datetime(2026, 11, 12, 3, 0, tzinfo=timezone.utc)


def _item(session, outlet: str, n: int, channel: str, fmt: str, themes=(), nq71=False, cluster=None, education=True):
    outlet_id = session.scalar(select(Outlet.id).where(Outlet.key == outlet))
    url = f"https://example.vn/{outlet}/{n}"
    item = Item(outlet_id=outlet_id, kind="video" if channel == "tv" else "article", url=url, canonical_url=url,
                content_hash=f"{n:064d}", title=f"Tin {n}", sapo="", body="", published_at=WHEN, channel=channel,
                format=fmt, education=education, nq71=nq71, cluster_id=cluster)
    session.add(item)
    session.flush()
    for code in themes:
        session.add(ItemTheme(item_id=item.id, theme_code=code, score=1.0, method="rule", evidence=[]))
    return item


def _month(session):
    """TV talk shows, an online talk show, other TV items of the theme, a syndicated copy, portal posts."""
    _item(session, "baoquangngai", 1, "tv", "talk_show", ["press_products"])
    first = _item(session, "baoquangngai", 2, "tv", "talk_show", ["press_products"])
    _item(session, "baoquangngai", 3, "tv", "talk_show", ["press_products"], cluster=first.id)  # the same show twice
    first.cluster_id = first.id
    _item(session, "baoquangngai", 4, "online", "talk_show", ["press_products"])
    _item(session, "baoquangngai", 5, "tv", "reportage", ["press_products"])
    _item(session, "baoquangngai", 6, "tv", "talk_show", ["teachers"])
    _item(session, "baoquangngai", 7, "tv", "talk_show", ["press_products"], education=False)
    _item(session, "sgddt", 8, "portal", "news", ["dissemination"], nq71=True)
    _item(session, "xa-son-ha", 9, "portal", "news", ["teachers"])  # education, but not about Resolution 71
    session.flush()


def _independent_tv_talk_shows(session) -> int:
    """By hand, in plain SQL: education TV talk shows of the theme in November, once per cluster and outlet."""
    return session.execute(text(
        "SELECT COUNT(*) FROM (SELECT DISTINCT COALESCE(i.cluster_id, i.id), i.outlet_id FROM items i "
        "JOIN item_themes t ON t.item_id = i.id AND t.theme_code = 'press_products' AND t.removed = :no "
        "WHERE i.channel = 'tv' AND i.format = 'talk_show' AND i.education = :yes "
        "AND i.published_at >= :start AND i.published_at < :end) AS shows"),
        {"no": False, "yes": True, "start": datetime(2026, 10, 31, 17, tzinfo=timezone.utc),
         "end": datetime(2026, 11, 30, 17, tzinfo=timezone.utc)}).scalar()


def test_a_tv_talk_show_target_counts_only_tv_talk_shows(db):
    with session_scope() as session:
        _month(session)
        session.execute(update(Source).values(enabled=True))  # every source collecting: the figure is complete
        target = {t["key"]: t for t in compute(session, "2026-11")["targets"]}["talk_show_tv_monthly"]
        assert target["value"] == _independent_tv_talk_shows(session) == 2
        assert (target["met"], target["evaluation"]) == (True, "Đạt")
        gaps = {r["target_key"]: r for r in compute_gaps(session, "2026-11")["rows"] if r["target_key"]}
        assert gaps["talk_show_tv_monthly"]["delivered"] == 2  # the gaps page counts the same


def test_a_target_on_a_channel_not_collected_is_not_judged(db):
    with session_scope() as session:
        _month(session)
        session.execute(update(Source).where(Source.key == "baoquangngai-truyen-hinh").values(enabled=False))
        target = {t["key"]: t for t in compute(session, "2026-11")["targets"]}["talk_show_tv_monthly"]
    assert target["value"] == 2 and target["met"] is None
    assert target["evaluation"].startswith("chưa đủ dữ liệu") and "baoquangngai-truyen-hinh" in target["evaluation"]


def test_v6_counts_every_unit_and_only_posts_about_resolution_71(db, tmp_path):
    with session_scope() as session:
        _month(session)
        units = session.scalar(select(text("COUNT(*)")).select_from(Agency).where(Agency.kind.in_(("department", "commune"))))
        _, figures = build_report(session, "2026-11", tmp_path)
    rows = {u["key"]: u for u in figures["units"]}
    assert len(rows) == units == 14 + 96  # the departments agencies.yaml lists, and vietnamadminunits' 96
    names = {u["name"] for u in figures["units"]}
    assert {"Xã Sơn Hà", "Phường Cẩm Thành", "Đặc khu Lý Sơn", "Sở Nội vụ"} <= names
    assert rows["sgddt"]["posts"] == 1 and rows["sgddt"]["status"] == "đã đăng"
    sonha = next(u for u in figures["units"] if u["name"] == "Xã Sơn Hà")
    assert sonha["monitored"] and sonha["posts"] == 0 and sonha["status"] == "chưa đăng"  # an education post, not NQ 71
    assert sum(1 for u in figures["units"] if u["status"] == "chưa theo dõi") == 110 - 18  # 18 units have an enabled source
    v6 = {t["key"]: t for t in figures["targets"]}["portal_posts"]
    assert v6["value"] == 1 / 110 and v6["met"] is None and "92/110" in v6["evaluation"]
    sheet = load_workbook(tmp_path / "report.xlsx")["Đơn vị"]
    listed = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(listed) == 110 and "Đặc khu Lý Sơn" in listed
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("data-unit=") == 110 and "chưa theo dõi" in html


def test_every_surface_shows_the_same_figures(db, tmp_path):
    with session_scope() as session:
        _month(session)
        _, figures = build_report(session, "2026-11", tmp_path)
        gaps = compute_gaps(session, "2026-11")
    client = signed_in(db)
    dashboard = client.get("/?month=2026-11").text
    assert f'id="card-education">{figures["totals"]["education"]}</div>' in dashboard
    by_theme = {t["code"]: t["items"] for t in figures["themes"]}
    for row in gaps["rows"]:
        if row["platform"] is None and row["format"] is None:
            assert row["delivered"] == by_theme[row["theme"]], row["theme"]
    sheet = load_workbook(tmp_path / "report.xlsx")["Chủ đề"]
    assert {r[1]: r[2] for r in sheet.iter_rows(min_row=2, values_only=True)} == by_theme
    targets = load_workbook(tmp_path / "report.xlsx")["Chỉ tiêu"]
    assert [c.value for c in targets[1]][:4] == ["Chỉ tiêu", "Mã", "Yêu cầu", "Kết quả"]

    # The same figures in the HTML, the XLSX and the DOCX text, each read back from its own file: targets' "Kết quả"
    # and evaluation, counts by theme, channel and format, the V.6 compliance totals.
    html, xlsx, docx = _report_html(tmp_path), _report_xlsx(tmp_path), _report_docx(tmp_path)
    expected = _expected(figures)
    assert expected["themes"] == by_theme and any(expected["themes"].values())
    assert any(expected["channels"].values()) and any(expected["formats"].values())
    for what in ("themes", "channels", "formats", "results", "evaluations", "units"):
        assert html[what] == expected[what], ("HTML", what)
        assert xlsx[what] == expected[what], ("XLSX", what)
        assert docx[what] == expected[what], ("DOCX", what)
    assert docx["education"] == figures["totals"]["education"] == xlsx["education"]

    # The dashboard's figures are the report's, less the two lists only documents print
    from mediaplan.web.dashboard import dashboard_figures

    with session_scope() as session:
        shown = dashboard_figures(session, "2026-11")
    assert figures["items"] and shown["items"] == [] and not shown["lists"]
    assert shown["exemplary"] == {**figures["exemplary"], "stories": []}
    lists = ("items", "exemplary", "lists", "generated_on")
    assert {k: v for k, v in shown.items() if k not in lists} == {k: v for k, v in figures.items() if k not in lists}


def _verdict_word(met) -> str:
    return "Chưa đủ dữ liệu" if met is None else "Đạt" if met else "Chưa đạt"


def _expected(figures: dict) -> dict:
    """What every surface must show, from the figures dict: a target's result as the documents print it."""
    from mediaplan.reports.narrative import vi_target

    posted = sum(1 for u in figures["units"] if u["status"] == "đã đăng")
    return {"themes": {t["code"]: t["items"] for t in figures["themes"]},
            "channels": {c["code"]: c["items"] for c in figures["channels"]},
            "formats": {x["code"]: x["items"] for x in figures["formats"]},
            "results": {t["key"]: vi_target(t["value"], t["unit"]) for t in figures["targets"]},
            "evaluations": {t["key"]: _verdict_word(t["met"]) for t in figures["targets"]},
            "units": (posted, len(figures["units"]))}


def _verdict_of(text: str) -> str:
    text = text.strip()
    return "Chưa đủ dữ liệu" if text.lower().startswith("chưa đủ dữ liệu") else text


def _report_html(folder) -> dict:
    """The figures as report.html prints them, read from its tables (the data-* attributes carry the codes)."""
    import lxml.html

    page = lxml.html.fromstring((folder / "report.html").read_text(encoding="utf-8"))
    cells = lambda row: [c.text_content().strip() for c in row.xpath("./td")]  # noqa: E731
    targets = {r.get("data-target"): cells(r) for r in page.xpath("//tr[@data-target]")}
    units = page.xpath("//tr[@data-unit]")
    total = cells(units[-1].getnext())
    return {"themes": {r.get("data-theme"): int(cells(r)[1]) for r in page.xpath("//tr[@data-theme]")},
            "channels": {c.get("data-channel"): int(c.text_content()) for c in page.xpath("//td[@data-channel]")},
            "formats": {c.get("data-format"): int(c.text_content()) for c in page.xpath("//td[@data-format]")},
            "results": {k: v[2] for k, v in targets.items()},
            "evaluations": {k: _verdict_of(v[3]) for k, v in targets.items()},
            "units": tuple(int(x) for x in total[2].split("/")) if len(units) else None}


def _report_xlsx(folder) -> dict:
    book = load_workbook(folder / "report.xlsx")
    rows = lambda name: list(book[name].iter_rows(min_row=2, values_only=True))  # noqa: E731
    units = rows("Đơn vị")
    return {"themes": {r[1]: r[2] for r in rows("Chủ đề")},
            "channels": {r[1]: r[2] for r in rows("Kênh")},
            "formats": {r[1]: r[2] for r in rows("Định dạng")},
            "results": {r[1]: r[3] for r in rows("Chỉ tiêu")},
            "evaluations": {r[1]: _verdict_of(r[4]) for r in rows("Chỉ tiêu")},
            "units": (sum(1 for r in units if r[8] == "đã đăng"), len(units)),
            "education": book["Tổng hợp"]["B3"].value}


def _report_docx(folder) -> dict:
    """The figures as report.docx prints them: its tables' text (python-docx), names mapped back to codes by the
    plan's vocabularies, numbers read in the Vietnamese format (1.234)."""
    from docx import Document

    from mediaplan.db.schema import Target, Theme
    from mediaplan.vocab import CHANNELS, FORMATS

    doc = Document(str(folder / "report.docx"))
    table = lambda header: next(t for t in doc.tables if len(t.columns) > 1 and t.rows[0].cells[1].text == header)  # noqa: E731
    number = lambda text: int(text.replace(".", ""))  # noqa: E731
    capital = lambda name: name[:1].upper() + name[1:]  # noqa: E731
    with session_scope() as session:
        themes = {t.name: t.code for t in session.scalars(select(Theme))}
        target_keys = {t.name: t.key for t in session.scalars(select(Target))}
    body = lambda t: [[c.text for c in r.cells] for r in t.rows[1:]]  # noqa: E731
    rows = body(table("Chủ đề"))
    targets = {target_keys[r[1].split("\n")[0]]: r for r in body(table("Chỉ tiêu"))}
    units = table("Đơn vị").rows[-1].cells[5].text.split()[0]
    return {"themes": {themes[r[1]]: number(r[2]) for r in rows[:-1]},
            "channels": {code: number(r[2]) for r in body(table("Kênh"))[:-1]
                         for code, name in CHANNELS.items() if capital(name) == r[1]},
            "formats": {code: number(r[2]) for r in body(table("Định dạng"))[:-1]
                        for code, name in FORMATS.items() if capital(name) == r[1]},
            "results": {k: r[3] for k, r in targets.items()},
            "evaluations": {k: _verdict_of(r[4].split("\n")[0]) for k, r in targets.items()},
            "units": tuple(number(x) for x in units.split("/")),
            "education": number(rows[-1][2])}


def test_every_definition_shown_is_in_the_metrics_doc():
    """The tooltips and the report's notes come from one dict; docs/metrics.md names each of its figures."""
    from pathlib import Path

    from mediaplan.reports.metrics import DEFINITIONS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "metrics.md").read_text(encoding="utf-8")
    keys = {"items": "totals.items", "education": "totals.education", "nq71": "totals.nq71", "theme_items": "themes[].items",
            "planned": "calendar.planned", "delivered": "calendar.delivered", "unplanned": "calendar.unplanned",
            "units": "units", "evaluation": "Evaluation", "disseminated": "registers.indicators[conference]",
            "trained": "registers.indicators[training]", "headcount": "registers.units[].conference.headcount"}
    assert set(DEFINITIONS) == set(keys)
    for key, name in keys.items():
        assert name in doc, key


def test_periods_of_any_length_build_and_compare(db, tmp_path):
    from datetime import date

    import pytest

    from mediaplan.periods import PeriodError, parse_period

    assert parse_period("2026-Q4").previous().key == "2026-Q3"
    assert parse_period("2026-H2").label == "6 tháng cuối năm 2026"
    assert parse_period("since-start", date(2026, 4, 2), date(2026, 12, 2)).first == "2026-04"
    for bad in ("2026-13", "2026-Q5", "2026-H3", "26", "tháng 11"):
        with pytest.raises(PeriodError, match="kỳ báo cáo không hợp lệ"):
            parse_period(bad)
    with session_scope() as session:
        _month(session)
        quarter = compute(session, "2026-Q4")
        year = compute(session, "2026")
        november = compute(session, "2026-11")
        empty = compute(session, "2025-Q1")
    assert quarter["totals"]["education"] == year["totals"]["education"] == november["totals"]["education"]
    assert quarter["previous_period"] == "2026-Q3" and quarter["period_label"] == "quý IV năm 2026"
    assert len(year["series"]) == 12 and sum(m["education"] for m in year["series"]) == year["totals"]["education"]
    assert empty["totals"]["education"] == 0


def test_the_units_page_lists_every_unit_as_the_report_does(db):
    with session_scope() as session:
        _month(session)
        figures = compute(session, "2026-11")
    client = signed_in(db)
    page = client.get("/units?period=2026-11")
    assert page.status_code == 200 and page.text.count("data-unit=") == len(figures["units"]) == 110
    assert "Đặc khu Lý Sơn" in page.text and "Sở Nội vụ" in page.text
    silent = client.get("/units?period=2026-11&status=chưa đăng")
    assert silent.text.count("data-unit=") == sum(1 for u in figures["units"] if u["status"] == "chưa đăng")
    assert client.get("/units?period=2026-Q9").status_code == 400
    assert client.get("/units?period=since-start").status_code == 200
