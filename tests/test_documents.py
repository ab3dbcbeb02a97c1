"""The documents of a period: report.docx in the official format (Decree 30), its charts, the drafted judgement
sections, and report.pdf printed from report.html."""

from __future__ import annotations

import re
import shutil
import unicodedata
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from mediaplan.db import session_scope
from mediaplan.plans.models import PlanMeta
from mediaplan.reports import narrative
from mediaplan.reports.charts import render_charts
from mediaplan.reports.docx import number_text, recipients, write_docx
from mediaplan.reports.metrics import compute
from mediaplan.reports.pdf import charts_html, closing_html, laid_out_text, pdf_text, write_pdf

SIGNED = date(2026, 1, 5)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def figures(populated_db) -> dict:
    with session_scope() as session:
        return compute(session, "2026-11")


@pytest.fixture
def charts(figures) -> dict[str, bytes]:
    return render_charts(figures)


def _paragraphs(doc) -> list[str]:
    """Every paragraph's text in document order, table cells included."""
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in doc.element.body.iter(qn("w:p"))]


def _table_with(doc, header: str):
    """The table whose second column (after "TT") is headed `header`."""
    return next(t for t in doc.tables if len(t.columns) > 1 and t.rows[0].cells[1].text == header)


def test_docx_follows_the_official_format(figures, charts, tmp_path):
    path = write_docx(figures, tmp_path / "report.docx", charts=charts, signed_on=SIGNED)
    doc = Document(str(path))
    texts = _paragraphs(doc)

    # Page: A4 portrait, 20/20/30/20 mm, page numbers in the header from page 2.
    section = doc.sections[0]
    for actual, expected in ((section.page_width, 210), (section.page_height, 297), (section.top_margin, 20),
                             (section.bottom_margin, 20), (section.left_margin, 30), (section.right_margin, 20)):
        assert abs(actual - Mm(expected)) < Mm(0.5)
    assert section.different_first_page_header_footer
    assert "PAGE" in "".join(section.header._element.itertext())
    assert "PAGE" not in "".join(section.first_page_header._element.itertext())

    # Header block: a borderless two-column table.
    header = doc.tables[0]
    assert len(header.columns) == 2
    assert header._tbl.tblPr.find(qn("w:tblBorders")).find(qn("w:top")).get(qn("w:val")) == "nil"
    left, right = header.rows[0].cells
    assert [p.text for p in left.paragraphs if p.text] == ["UBND TỈNH QUẢNG NGÃI", "SỞ GIÁO DỤC VÀ ĐÀO TẠO"]
    assert left.paragraphs[1].runs[0].bold
    assert [p.text for p in right.paragraphs if p.text] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                                             "Độc lập - Tự do - Hạnh phúc"]
    number, place = header.rows[1].cells
    assert re.fullmatch(r"Số:\s{3,}/BC-SGDĐT", number.text)  # a draft: the number is left blank
    assert place.text == "Quảng Ngãi, ngày 05 tháng 01 năm 2026"
    assert place.paragraphs[0].runs[0].italic

    # Title, addressee, opening, sections I–IV, closing sentence.
    assert "BÁO CÁO" in texts
    assert any(t.startswith("Kết quả công tác truyền thông thực hiện Nghị quyết số 71-NQ/TW tháng 11/2026") for t in texts)
    assert "Kính gửi: Ủy ban nhân dân tỉnh Quảng Ngãi." in texts
    assert any(t.startswith("Thực hiện Kế hoạch") and t.endswith("như sau:") for t in texts)
    for heading in ("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ THỰC HIỆN", "1. Công tác chỉ đạo, triển khai", "2. Kết quả",
                    "II. ĐÁNH GIÁ CHUNG", "1. Ưu điểm", "2. Tồn tại, hạn chế", "3. Nguyên nhân",
                    "III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI", "IV. ĐỀ XUẤT, KIẾN NGHỊ"):
        par = next(p for p in doc.paragraphs if p.text == heading)
        assert all(r.bold for r in par.runs), heading
    closing = next(t for t in texts if t.startswith("Trên đây là báo cáo"))
    assert closing.endswith("kính báo cáo Ủy ban nhân dân tỉnh Quảng Ngãi./.")

    # Tables: captioned, human names (no codes), total rows where they sum.
    captions = [t for t in texts if t.startswith("Bảng ")]
    assert [c.split(".")[0] for c in captions] == [f"Bảng {i}" for i in range(1, len(captions) + 1)]
    assert "Bảng 6. Tin, bài về gương điển hình, mô hình hay" in captions  # the fixture's one exemplary story
    themes = _table_with(doc, "Chủ đề")
    assert [c.text for c in themes.rows[-1].cells][1:3] == ["Tổng số tin, bài về giáo dục", "2"]
    assert "exemplary" not in "".join(c.text for row in themes.rows for c in row.cells)
    outlets = _table_with(doc, "Cơ quan, đơn vị")
    assert outlets.rows[-1].cells[1].text == "Tổng cộng"
    assert outlets.rows[-1].cells[2].text == str(sum(o["education"] for o in figures["outlets"]))
    for header_text in ("Kênh", "Định dạng"):
        assert _table_with(doc, header_text).rows[-1].cells[1].text == "Cộng"
    targets = _table_with(doc, "Chỉ tiêu")
    assert {r.cells[4].text.split("\n")[0] for r in targets.rows[1:]} <= {"Đạt", "Chưa đạt", "Chưa đủ dữ liệu"}
    units = _table_with(doc, "Đơn vị")  # the appendix: every unit of plan V.6, by its full name
    assert len(units.rows) == len(figures["units"]) + 2
    assert units.rows[-1].cells[1].text == "Tổng cộng"
    assert {"Sở Giáo dục và Đào tạo", "Xã Sơn Hà", "Phường Cẩm Thành"} <= {r.cells[1].text for r in units.rows}
    assert texts.index("PHỤ LỤC") > texts.index(closing)

    # The three charts, inline and captioned.
    assert len(doc.inline_shapes) == 3
    assert [t.split(".")[0] for t in texts if t.startswith("Biểu đồ ")] == ["Biểu đồ 1", "Biểu đồ 2", "Biểu đồ 3"]

    # Closing block: recipients and the signer, from the plan.
    closing_table = next(t for t in doc.tables if t.rows[0].cells[0].text.startswith("Nơi nhận:"))
    where, signer = closing_table.rows[0].cells
    label = where.paragraphs[0].runs[0]
    assert label.bold and label.italic and label.font.size == Pt(12)
    lines = [p.text for p in where.paragraphs[1:]]
    assert lines[0] == "- Như trên;" and lines[-1].startswith("- Lưu: VT") and lines[-1].endswith(".")
    assert all(p.runs[0].font.size == Pt(11) for p in where.paragraphs[1:])
    signed = [p.text for p in signer.paragraphs]
    assert signed[:2] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"] and signed[-1] == "(họ và tên)"
    assert signed[2:-1] == [""] * (len(signed) - 3) and len(signed) - 3 >= 4  # room for signature and seal

    # Times New Roman on every run, for every script.
    runs = [r for r in doc.element.body.iter(qn("w:r")) if r.find(qn("w:t")) is not None]
    assert runs
    for run in runs:
        fonts = run.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert {fonts.get(qn(f"w:{k}")) for k in ("ascii", "hAnsi", "eastAsia", "cs")} == {"Times New Roman"}


def test_a_numbered_report_and_the_plan_closing_block(figures, tmp_path):
    doc = Document(str(write_docx(figures, tmp_path / "r.docx", number=5, charts={}, signed_on=date(2026, 12, 15))))
    assert doc.tables[0].rows[1].cells[0].text == "Số: 05/BC-SGDĐT"
    assert doc.tables[0].rows[1].cells[1].text == "Quảng Ngãi, ngày 15 tháng 12 năm 2026"
    assert len(doc.inline_shapes) == 0
    assert any("Kèm theo Báo cáo số 05/BC-SGDĐT ngày 15 tháng 12 năm 2026" in t for t in _paragraphs(doc))
    assert number_text(12, "BC-SGDĐT") == "Số: 12/BC-SGDĐT"

    base = dict(key="k", name="n", province="Quảng Ngãi", province_code="51", issuer="UBND", lead_agency="sgddt",
                starts="2026-01-01", ends="2026-12-31", default_outlet="o", report_authority="A", report_unit="B")
    meta = PlanMeta.model_validate(base)
    assert meta.report_place == "Quảng Ngãi" and meta.signer_title == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert recipients(meta) == ["- Như trên;", "- Lưu: VT."]
    meta = PlanMeta.model_validate({**base, "report_recipients": ["Bộ GD&ĐT (b/c);", "Lưu: VT, VP"]})
    assert recipients(meta) == ["- Như trên;", "- Bộ GD&ĐT (b/c);", "- Lưu: VT, VP."]


def test_charts_are_deterministic_pngs(figures, charts):
    assert set(charts) == {"trend", "themes", "outlets"}
    for png in charts.values():
        assert png.startswith(PNG)
        assert b"Software" not in png and b"matplotlib" not in png.lower()
    assert render_charts(figures) == charts  # same figures, same bytes


def test_the_draft_names_silent_units_and_unmet_targets(figures, tmp_path):
    silent = [u["name"] for u in figures["units"] if u["status"] == "chưa đăng"]
    unmet = [t["name"] for t in figures["targets"] if t["met"] is False]
    unjudged = [t for t in figures["targets"] if t["met"] is None]
    assert silent and unmet and unjudged  # the fixture has all three
    text = narrative.draft(figures)
    assert set(text) == set(narrative.KEYS)
    assert silent[0] in text["ton_tai"] and silent[0] in text["de_xuat"]
    assert unmet[0] in text["ton_tai"]
    assert unjudged[0]["evaluation"].split(": ", 1)[1] in text["ton_tai"]
    unwatched = sum(1 for u in figures["units"] if not u["monitored"])
    assert f"{unwatched}/{len(figures['units'])}" in text["ton_tai"]
    assert "tháng 10/2026" in text["uu_diem"]

    edited = {"de_xuat": "Đề nghị Ủy ban nhân dân tỉnh xem xét."}
    assert narrative.sections(figures, edited)["de_xuat"] == edited["de_xuat"]
    assert narrative.sections(figures, edited)["ton_tai"] == text["ton_tai"]
    doc = Document(str(write_docx(figures, tmp_path / "r.docx", narrative=edited, charts={})))
    texts = _paragraphs(doc)
    assert edited["de_xuat"] in texts and not any(t.startswith("Đề nghị Ủy ban nhân dân tỉnh chỉ đạo") for t in texts)
    assert text["ton_tai"].splitlines()[0] in texts


def test_vietnamese_numbers():
    assert narrative.vi_number(1234) == "1.234"
    assert narrative.vi_number(1234567.25, 2) == "1.234.567,25"
    assert narrative.vi_number(2.0, 1) == "2"
    assert narrative.vi_percent(45.5) == "45,5%" and narrative.vi_percent(100.0) == "100%"
    assert narrative.vi_target(0.455, "ratio") == "45,5%" and narrative.vi_target(1234.0, "count") == "1.234"
    assert narrative.change(20, 18) == "tăng 2 tin, bài (+11,1%)"
    assert narrative.change(1, 4) == "giảm 3 tin, bài (-75%)" and narrative.change(3, 3) == "không đổi"


def test_pdf_from_the_report_html(figures, charts, tmp_path):
    from mediaplan.reports.build import render_html

    html = render_html(figures).replace("</body>", charts_html(charts) + closing_html() + "</body>")
    assert html.count("data:image/png;base64,") == 3
    path = write_pdf(html, tmp_path / "report.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    text = unicodedata.normalize("NFC", pdf_text(path) or laid_out_text(html))
    for phrase in ("BÁO CÁO", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                   "Biểu đồ 1. Tin, bài về giáo dục theo tháng", "Nơi nhận:", "KT. GIÁM ĐỐC"):
        assert phrase in text


def test_the_pdf_printed_in_the_other_process_is_the_one_printed_here(figures, tmp_path):
    """`Printer` prints in a second process what `write_pdf` prints here: the same pages and text."""
    from mediaplan.reports.build import render_html
    from mediaplan.reports.pdf import Printer

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) reads both PDFs back")
    html = render_html(figures)
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    printer = Printer.shared()
    sent = printer.start(tmp_path / "report.html", tmp_path / "there.pdf")
    assert sent  # this machine can start a process: the PDF really is printed over there
    seconds = printer.finish(sent, html, tmp_path / "there.pdf")
    assert seconds is not None and seconds > 0
    write_pdf(html, tmp_path / "here.pdf")
    there, here = (unicodedata.normalize("NFC", pdf_text(tmp_path / f"{w}.pdf")) for w in ("there", "here"))
    assert "BÁO CÁO" in there and there == here


def test_a_printer_that_died_leaves_the_pdf_to_this_process(figures, tmp_path):
    """A printing process that died (killed, out of memory) costs time, not the PDF: `finish` prints it here, and
    the next build starts a new process."""
    from mediaplan.reports.build import render_html
    from mediaplan.reports.pdf import Printer

    html = render_html(figures)
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    printer = Printer.shared()
    printer._proc.kill()  # as the OOM killer would
    printer._proc.wait()
    assert not printer.start(tmp_path / "report.html", tmp_path / "report.pdf")  # it sends nothing to the dead
    assert printer.finish(False, html, tmp_path / "report.pdf") is None  # printed here
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    again = Printer.shared()
    assert again is not printer and again.alive
    sent = again.start(tmp_path / "report.html", tmp_path / "again.pdf")
    assert sent and again.finish(sent, html, tmp_path / "again.pdf") is not None  # printed over there
    assert (tmp_path / "again.pdf").read_bytes().startswith(b"%PDF")


def test_a_printer_killed_while_printing_leaves_the_pdf_to_this_process(figures, tmp_path):
    from mediaplan.reports.build import render_html
    from mediaplan.reports.pdf import Printer

    html = render_html(figures)
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    printer = Printer.shared()
    sent = printer.start(tmp_path / "report.html", tmp_path / "report.pdf")
    assert sent
    printer._proc.kill()
    assert printer.finish(sent, html, tmp_path / "report.pdf") is None  # no answer: printed here
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF") and not printer.alive


def test_a_busy_printer_leaves_a_second_build_to_print_its_own(figures, tmp_path):
    from mediaplan.reports.build import render_html
    from mediaplan.reports.pdf import Printer

    html = render_html(figures)
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    printer = Printer.shared()
    first = printer.start(tmp_path / "report.html", tmp_path / "first.pdf")
    assert first and not printer.start(tmp_path / "report.html", tmp_path / "second.pdf")  # one at a time
    assert printer.finish(False, html, tmp_path / "second.pdf") is None  # the second, printed here
    assert printer.finish(first, html, tmp_path / "first.pdf") is not None
    assert all((tmp_path / f"{n}.pdf").read_bytes().startswith(b"%PDF") for n in ("first", "second"))

def test_the_reports_counts_are_written_in_vietnamese(figures):
    """Every count report.html prints (so the PDF and the e-mail too) groups thousands with a dot: 40.000, not
    40000, as the DOCX and the web pages do (`narrative.vi_number`)."""
    from mediaplan.reports.build import render_html

    big = {**figures, "totals": {**figures["totals"], "items": 40000, "education": 35811, "previous_education": 17970,
                                  "nq71": 7175, "previous_nq71": 3545, "clusters_merged": 1161},
           "themes": [{**t, "items": 2543, "previous": 1262} for t in figures["themes"]],
           "channels": [{**c, "items": 5130} for c in figures["channels"]]}
    html = render_html(big)
    assert 'id="total-items">40.000<' in html and 'id="total-education">35.811<' in html
    assert 'id="total-nq71">7.175<' in html and "17.970" in html and "1.161" in html
    assert ">2.543<" in html and ">1.262<" in html and ">5.130<" in html
    assert not re.search(r">\s*(40000|35811|2543|5130)\s*<", html)


def test_a_printer_that_answers_nonsense_leaves_the_pdf_to_this_process(figures, tmp_path):
    """A line that is not the printer's answer (something else wrote on its stdout) is treated as a dead printer."""
    import subprocess
    import sys

    from mediaplan.reports.build import render_html
    from mediaplan.reports.pdf import Printer

    html = render_html(figures)
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    printer = Printer()
    printer._proc.kill()
    printer._proc.wait()
    printer._proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline(); print('Fontconfig…')"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
    sent = printer.start(tmp_path / "report.html", tmp_path / "report.pdf")
    assert sent and printer.finish(sent, html, tmp_path / "report.pdf") is None  # printed here
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF") and not printer.alive
