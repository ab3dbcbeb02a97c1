"""The report's sections that issue 11 asked for last: the commendation shortlist ("Gương điển hình") in every format
and on the command line from one function, a period with no data saying so in every format, and the figures'
queries staying a fixed number however many stories and outlets a month has."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

import lxml.html
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import event, select, update

from mediaplan.db import get_engine, session_scope
from mediaplan.db.schema import CrawlRun, Item, ItemEntity, ItemTheme, Outlet, Source
from mediaplan.periods import parse_period
from mediaplan.reports.build import build_report
from mediaplan.reports.metrics import NO_DATA_LEAD, compute, data_gaps, exemplary_items
from mediaplan.reports.pdf import pdf_text

NOV = datetime(2026, 11, 12, 18, 30, tzinfo=timezone.utc)  # 01:30 on 13/11 in Quảng Ngãi


def _item(session, outlet: str, n: int, title: str, themes=(), *, when=NOV, url=None, cluster=None, removed=(),
          communes=()) -> Item:
    outlet_id = session.scalar(select(Outlet.id).where(Outlet.key == outlet))
    url = url or f"https://example.vn/{outlet}/{n}"
    item = Item(outlet_id=outlet_id, kind="article", url=url, canonical_url=f"https://example.vn/canonical/{n}",
                content_hash=f"{n:064d}", title=title, sapo="", body="", published_at=when, channel="online",
                format="news", education=True, nq71=False, cluster_id=cluster)
    session.add(item)
    session.flush()
    for code in themes:
        session.add(ItemTheme(item_id=item.id, theme_code=code, score=3.0, method="rule", removed=code in removed,
                              evidence=[{"text": "tuyên dương", "field": "title", "start": 0, "end": 11},
                                        {"text": "Tuyên dương", "field": "body", "start": 0, "end": 11}]))
    for key in communes:
        session.add(ItemEntity(item_id=item.id, kind="commune", key=key, text=key, field="body", start=0, end=1))
    return item


def _shortlist_month(session) -> dict[str, Item]:
    """One story printed by two outlets, one with an unsafe address, one an editor took off the theme, one not on
    the theme, and one of October."""
    first = _item(session, "baoquangngai", 1, "Tuyên dương 46 nhà giáo tiêu biểu", ["exemplary", "teachers"],
                  communes=["ubnd-21025"])
    first.cluster_id = first.id
    copy = _item(session, "sgddt", 2, "Tuyên dương 46 nhà giáo tiêu biểu (đăng lại)", ["exemplary"],
                 when=NOV + timedelta(hours=5), cluster=first.id)
    unsafe = _item(session, "xa-son-ha", 3, "Gương học sinh vượt khó ở Sơn Hà", ["exemplary"],
                   when=NOV + timedelta(days=2), url="javascript:alert(1)")
    _item(session, "baoquangngai", 4, "Mô hình hay bị biên tập viên gỡ nhãn", ["exemplary"], removed=["exemplary"])
    _item(session, "baoquangngai", 5, "Tin về nhà giáo, không phải gương điển hình", ["teachers"])
    _item(session, "baoquangngai", 6, "Tuyên dương tháng 10", ["exemplary"], when=NOV - timedelta(days=30))
    session.flush()
    return {"first": first, "copy": copy, "unsafe": unsafe}


def _statements() -> list[str]:
    """The SQL statements sent through the engine `session_scope()` uses, from now on."""
    seen: list[str] = []
    event.listen(get_engine(None), "before_cursor_execute", lambda *args: seen.append(args[2]))  # as session_scope asks
    return seen


def test_the_shortlist_is_its_own_section_in_every_format_and_on_the_command_line(db, tmp_path, cli):
    with session_scope() as session:
        made = _shortlist_month(session)
        ids = {k: v.id for k, v in made.items()}
        _, figures = build_report(session, "2026-11", tmp_path)
        rows = exemplary_items(session, "2026-11")
    # One row per story (the first copy stands for the reprint), the editor's removal and other themes left out.
    assert [r["id"] for r in rows] == [ids["first"], ids["unsafe"]]
    first, unsafe = rows
    assert first["date"] == "13/11/2026" and first["outlet"] == "Báo và Phát thanh, Truyền hình Quảng Ngãi"
    assert first["themes"] == ["exemplary"] and first["theme_names"] == "Biểu dương, tôn vinh mô hình hay, gương điển hình"
    assert first["evidence"] == "tuyên dương" and first["places"] == "Phường Cẩm Thành"
    assert first["link"] == "https://example.vn/baoquangngai/1" and unsafe["link"] is None
    assert figures["exemplary"]["stories"] == rows and figures["exemplary"]["total"] == 2

    # HTML (and so the PDF): a row per story, a link only for the http(s) one.
    page = lxml.html.fromstring((tmp_path / "report.html").read_text(encoding="utf-8"))
    stories = page.xpath('//table[@id="exemplary-stories"]//tr[@data-story]')
    assert [int(r.get("data-story")) for r in stories] == [ids["first"], ids["unsafe"]]
    assert stories[0].xpath(".//a/@href") == ["https://example.vn/baoquangngai/1"] and not stories[1].xpath(".//a")
    assert "javascript:" not in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "13/11/2026" in stories[0].text_content() and "Biểu dương, tôn vinh" in stories[0].text_content()
    pdf = " ".join(unicodedata.normalize("NFC", pdf_text(tmp_path / "report.pdf")).split())
    if pdf:  # pdftotext is installed (poppler-utils; CI has it)
        assert "e) Gương điển hình, mô hình hay" in pdf and "Tổng cộng: 2 tin, bài" in pdf

    # DOCX: its own captioned table, with the address as a live link to an external target.
    doc = Document(str(tmp_path / "report.docx"))
    texts = [p.text for p in doc.paragraphs]
    assert "e) Gương điển hình, mô hình hay (làm căn cứ đề xuất khen thưởng)" in texts
    assert any(t.startswith("Bảng ") and t.endswith("Tin, bài về gương điển hình, mô hình hay") for t in texts)
    table = next(t for t in doc.tables if len(t.columns) == 5 and t.rows[0].cells[1].text == "Tin, bài")
    assert [r.cells[1].paragraphs[0].text for r in table.rows[1:-1]] == [first["title"], unsafe["title"]]
    assert [r.cells[3].text for r in table.rows[1:-1]] == ["13/11/2026", "15/11/2026"]
    assert table.rows[-1].cells[1].text == "Tổng cộng: 2 tin, bài"
    links = [r for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert [r.target_ref for r in links] == ["https://example.vn/baoquangngai/1"] and all(r.is_external for r in links)
    assert table.rows[1].cells[1]._tc.xpath(".//w:hyperlink//w:t")[0].text == "https://example.vn/baoquangngai/1"
    assert any("biểu dương, khen thưởng" in t and "2 tin, bài về gương điển hình" in t for t in texts)  # section IV

    # XLSX: the sheet "Gương điển hình", codes beside the names.
    sheet = list(load_workbook(tmp_path / "report.xlsx")["Gương điển hình"].values)
    assert sheet[0][:6] == ("Tiêu đề", "ID", "Cơ quan", "Ngày đăng", "Chủ đề", "Mã chủ đề")
    assert [(r[1], r[3], r[5], r[8]) for r in sheet[1:]] == [(ids["first"], "13/11/2026", "exemplary",
                                                              "https://example.vn/baoquangngai/1"),
                                                             (ids["unsafe"], "15/11/2026", "exemplary", None)]

    # The command line prints the same stories, from the same function; any period; a bad one in one line.
    out = cli("nlp", "shortlist", "--month", "2026-11").stdout
    assert first["title"] in out and unsafe["title"] in out and "2 tin" in out and "đăng lại" not in out
    assert "Mô hình hay bị biên tập viên gỡ nhãn" not in out
    assert "Tuyên dương tháng 10" in cli("nlp", "shortlist", "--period", "2026-Q4").stdout
    assert "không có tin, bài nào" in cli("nlp", "shortlist", "--month", "2026-09").stdout
    bad = cli("nlp", "shortlist", "--month", "2026-13", code=2)
    assert "kỳ báo cáo không hợp lệ" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_a_period_without_a_shortlist_says_so(populated_db, tmp_path):
    with session_scope() as session:
        _, figures = build_report(session, "2026-10", tmp_path)
    line = "Trong kỳ không có tin, bài nào thuộc chủ đề «Biểu dương, tôn vinh mô hình hay, gương điển hình»."
    assert figures["exemplary"]["stories"] == []
    assert line in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert line in [p.text for p in Document(str(tmp_path / "report.docx")).paragraphs]
    assert list(load_workbook(tmp_path / "report.xlsx")["Gương điển hình"].values)[1][0] == line


def test_the_shortlist_costs_a_fixed_number_of_queries(db):
    seen = _statements()
    with session_scope() as session:
        _shortlist_month(session)
        seen.clear()
        assert len(exemplary_items(session, "2026-11")) == 2
        few = len(seen)
        for n in range(40):
            _item(session, "xa-son-ha", 100 + n, f"Gương sáng {n}", ["exemplary"], communes=["ubnd-21025"])
        session.flush()
        seen.clear()
        assert len(exemplary_items(session, "2026-11")) == 42
    assert len(seen) == few == 3  # the stories, their themes, their communes


def test_the_figures_cost_no_queries_per_outlet(db):
    """`compute` used to ask each outlet with items for its channels and formats (two queries an outlet)."""
    seen = _statements()
    with session_scope() as session:
        _item(session, "baoquangngai", 1, "Tin giáo dục", ["teachers"])
        session.flush()
        compute(session, "2026-11")  # warm up what a first call loads once
        seen.clear()
        one = compute(session, "2026-11")
        cost = len(seen)
        for n, outlet in enumerate(("sgddt", "quangngai-portal", "xa-son-ha", "phuong-cam-thanh"), 2):
            _item(session, outlet, n, f"Tin giáo dục {n}", ["teachers"])
        session.flush()
        seen.clear()
        every = compute(session, "2026-11")
    assert len(seen) == cost > 0
    assert sum(1 for o in one["outlets"] if o["channels"]) == 1
    posted = {"baoquangngai", "sgddt", "quangngai-portal", "xa-son-ha", "phuong-cam-thanh"}
    rows = [o for o in every["outlets"] if o["key"] in posted]
    assert len(rows) == 5 and all(o["channels"] == ["online"] and o["formats"] == ["news"] for o in rows)
    assert all(o["channels"] == [] for o in every["outlets"] if o["key"] not in posted)


def test_a_period_with_no_data_says_so_in_every_format(db, tmp_path):
    with session_scope() as session:
        _, figures = build_report(session, "2026-11", tmp_path)
    gaps = figures["no_data"]
    assert gaps["items"] == "chưa thu thập được tin, bài nào đăng trong kỳ do các nguồn tin chưa chạy lần thu thập nào"
    assert gaps["plan"] == "lịch biên tập chưa có tin, bài nào được lên kế hoạch trong kỳ"
    statement = gaps["statement"]
    assert statement.startswith(f"{NO_DATA_LEAD}: {gaps['items']}; {gaps['plan']}.")
    assert statement == unicodedata.normalize("NFC", statement)

    # Targets counted from items are not judged; the rest keep their own reason.
    counted = [t for t in figures["targets"] if t["metric"] in ("outlet_column", "outlet_multiplatform",
                                                                 "portal_posts", "theme_items")]
    assert counted and all(t["met"] is None and t["evaluation"] == f"chưa đủ dữ liệu: {gaps['items']}" for t in counted)

    # HTML: the statement in a frame right after the opening sentence; the page still parses.
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    box = lxml.html.fromstring(html).xpath('//p[@id="no-data"]')
    assert [b.text_content() for b in box] == [statement] and "border:2px solid" in box[0].get("style")
    assert html.index('id="no-data"') < html.index("I. TÌNH HÌNH TRIỂN KHAI")
    # PDF: printed from that HTML.
    pdf = " ".join(unicodedata.normalize("NFC", pdf_text(tmp_path / "report.pdf")).split())
    if pdf:
        assert statement[:120] in pdf
    # DOCX: a framed bold paragraph before section I; the targets read "Chưa đủ dữ liệu"; the draft says why.
    doc = Document(str(tmp_path / "report.docx"))
    paragraphs = doc.paragraphs
    texts = [p.text for p in paragraphs]
    framed = paragraphs[texts.index(statement)]
    assert framed._p.pPr.find(qn("w:pBdr")) is not None and all(r.bold for r in framed.runs)
    assert texts.index(statement) < texts.index("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ THỰC HIỆN")
    targets = next(t for t in doc.tables if len(t.columns) > 1 and t.rows[0].cells[1].text == "Chỉ tiêu")
    keys = [t["key"] for t in figures["targets"]]
    for row, target in zip(targets.rows[1:], figures["targets"]):
        if target in counted:
            assert row.cells[4].text.startswith("Chưa đủ dữ liệu"), keys
    draft = "\n".join(texts[texts.index("II. ĐÁNH GIÁ CHUNG"):])
    assert f"Trong kỳ báo cáo chưa có dữ liệu theo dõi: {gaps['items']}" in draft
    assert "chưa đăng tin, bài về Nghị quyết" not in draft  # no unit is called silent for want of data
    # XLSX: the statement on the summary sheet, after the figures (whose cells keep their places).
    summary = list(load_workbook(tmp_path / "report.xlsx")["Tổng hợp"].values)
    assert summary[-1][:2] == ("Tình trạng dữ liệu", statement) and summary[2][1] == 0


def test_no_data_names_why(sqlite_db):
    november = parse_period("2026-11")
    start = november.bounds[0]
    with session_scope() as session:
        assert "chưa chạy lần thu thập nào" in data_gaps(session, november, 0, 1)["items"]
        session.add(CrawlRun(started_at=start - timedelta(days=3), status="done"))
        session.flush()
        assert data_gaps(session, november, 0, 1)["items"].endswith("do các nguồn tin ngừng chạy từ ngày 29/10/2026, "
                                                                     "trước kỳ báo cáo")
        session.add(CrawlRun(started_at=start + timedelta(days=3), status="done"))
        session.flush()
        assert data_gaps(session, november, 0, 1)["items"].endswith("trong kỳ dù các nguồn tin vẫn chạy")
        assert "bắt đầu từ ngày 29/10/2026, sau kỳ báo cáo" in data_gaps(session, parse_period("2026-09"), 0, 1)["items"]
        session.execute(update(Source).values(enabled=False))
        assert "đều đã tắt" in data_gaps(session, november, 0, 1)["items"]
        assert data_gaps(session, november, 5, 1) == {"items": None, "plan": None, "statement": ""}
        only_plan = data_gaps(session, november, 5, 0)
        assert only_plan["items"] is None and only_plan["statement"].startswith("Trong kỳ báo cáo chưa có dữ liệu lịch biên tập")
        future = data_gaps(session, parse_period(f"{datetime.now().year + 1}-01"), 0, 1)
        assert "kỳ báo cáo chưa bắt đầu" in future["items"]


def test_the_cli_says_why_a_period_has_no_data_from_the_same_statement(db, tmp_path, acting):
    """`report build` prints figures["no_data"]'s statement, not a sentence of its own from a count."""
    from typer.testing import CliRunner

    from mediaplan.cli import app

    acting("analyst")
    result = CliRunner().invoke(app, ["report", "build", "--period", "2026-11", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with session_scope() as session:
        statement = compute(session, "2026-11")["no_data"]["statement"]
    assert statement and " ".join(statement.split()) in " ".join(result.output.split())
