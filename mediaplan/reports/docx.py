"""report.docx: the period's report as the administrative document the Department signs (Decree 30/2020/NĐ-CP).

It follows ../shared/docs/report-format.md: A4 portrait, margins 20/20/30/20 mm, Times New Roman (east-Asian and
complex-script fonts too), page numbers centred in the header from page 2, the borderless two-column header (the
parent and issuing bodies, "Số:      /BC-SGDĐT" left blank on a draft, the national title and motto, the place
and date), "BÁO CÁO" and its summary line, "Kính gửi", sections I to IV with the figures' tables and charts, the
closing sentence ending "./.", the closing block (Nơi nhận, the signer), and the V.6 units table as the appendix.

Every number is in the Vietnamese format (1.234; 45,5%), every date dd/mm/yyyy. Sections II to IV print the
analyst's edited text (`narrative`) where there is one and the draft of `reports.narrative` otherwise.

Section I.2 ends with e), the commendation shortlist (`metrics.exemplary_items`, the list `nlp shortlist` prints),
whose addresses are live links. A period with no data (`metrics.data_gaps`) gets its statement framed under the
opening sentence, before any figure, so a page of zeros is never read as a month in which nothing was published.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from mediaplan.reports import narrative as narr
from mediaplan.reports.narrative import vi_number, vi_percent, vi_target

FONT = "Times New Roman"
BODY = 14  # pt: body, title, headings
PAGE = {"width": Mm(210), "height": Mm(297), "top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(20)}
TEXT_WIDTH_CM = 16.0  # 210 − 30 − 20 mm
HEADER_COLUMNS_CM = (6.8, 9.2)
CLOSING_COLUMNS_CM = (7.5, 8.5)
TABLE_SIZE = 12
INDENT = Cm(1.27)
CHART_HEIGHT_CM = 12.0
SIGNATURE_LINES = 5  # blank lines for the signature and seal
# A metric twin of Times New Roman, to measure the lines under the header texts (Decree 30 sizes them to the text):
# Liberation Serif 2 (fonts-liberation2, which has the Vietnamese letters; 1.07 of fonts-liberation has not).
_FONTS = Path("/usr/share/fonts/truetype")
_MEASURE = {bold: [_FONTS / d / f"LiberationSerif-{'Bold' if bold else 'Regular'}.ttf" for d in ("liberation2", "liberation")]
            for bold in (True, False)}


# --- low-level helpers -------------------------------------------------------------------------------------

def _fonts(rpr, name: str = FONT) -> None:
    """w:rFonts with every script set and no theme font (a theme attribute would win over the name)."""
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _run(par, text: str, *, bold: bool = False, italic: bool = False, size: float | None = None,
         underline: bool = False):
    run = par.add_run(text)
    run.font.name = FONT
    _fonts(run._element.get_or_add_rPr())
    run.bold = bold or None
    run.italic = italic or None
    run.underline = underline or None
    if size:
        run.font.size = Pt(size)
    return run


def _par(container, text: str = "", *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False, before: float = 0,
         after: float = 6, size: float | None = None, bold: bool = False, italic: bool = False, keep: bool = False):
    par = container.add_paragraph()
    fmt = par.paragraph_format
    fmt.alignment = align
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent:
        fmt.first_line_indent = INDENT
    if keep:
        fmt.keep_with_next = True
    if text:
        _run(par, text, bold=bold, italic=italic, size=size)
    return par


def _cell_par(cell, text: str = "", **kw):
    """The cell's first (empty) paragraph for the first text, a new one after."""
    first = cell.paragraphs[0]
    if len(cell.paragraphs) == 1 and not first.runs and first.paragraph_format.alignment is None:  # untouched
        par = first
        fmt = par.paragraph_format
        fmt.alignment = kw.pop("align", WD_ALIGN_PARAGRAPH.CENTER)
        fmt.space_before, fmt.space_after = Pt(kw.pop("before", 0)), Pt(kw.pop("after", 0))
        if text:
            _run(par, text, **kw)
        return par
    kw.setdefault("align", WD_ALIGN_PARAGRAPH.CENTER)
    kw.setdefault("after", 0)
    return _par(cell, text, **kw)


@lru_cache(maxsize=64)
def _text_cm(text: str, size: float, bold: bool) -> float:
    """The printed width of `text` in Times New Roman (measured on its metric twin, Liberation Serif)."""
    try:
        from PIL import ImageFont

        face = next(p for p in _MEASURE[bold] if p.exists())
        return ImageFont.truetype(str(face), 1000).getlength(text) / 1000 * size / 72 * 2.54
    except (StopIteration, OSError, ImportError):
        return len(text) * size * (0.55 if bold else 0.5) / 72 * 2.54


_PPR_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                   "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                   "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                   "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                   "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
_TBLPR_AFTER_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription",
                        "w:tblPrChange")


def _rule(cell_or_doc, width_cm: float, column_cm: float, after: float = 0) -> None:
    """A centred horizontal line `width_cm` long: an empty 2 pt paragraph's top border between indents."""
    par = _par(cell_or_doc, align=WD_ALIGN_PARAGRAPH.CENTER, after=after)
    side = max((column_cm - width_cm) / 2, 0)
    par.paragraph_format.left_indent = par.paragraph_format.right_indent = Cm(side)
    par.paragraph_format.line_spacing = Pt(2)
    ppr = par._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(k), v)
    borders.append(top)
    ppr.insert_element_before(borders, *_PPR_AFTER_PBDR)
    mark = OxmlElement("w:rPr")  # the paragraph mark's size: an empty paragraph still has its height
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), "4")
    mark.append(sz)
    ppr.insert_element_before(mark, "w:sectPr", "w:pPrChange")


def _boxed(doc, text: str) -> None:
    """A bold paragraph framed on four sides: the statement that a period has no data, which must not be read past
    (a report of zeros is otherwise taken for a month in which nothing was published)."""
    par = _par(doc, text, before=6, after=12, bold=True)
    ppr = par._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for edge in ("top", "left", "bottom", "right"):
        line = OxmlElement(f"w:{edge}")
        for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", "000000")):
            line.set(qn(k), v)
        borders.append(line)
    ppr.insert_element_before(borders, *_PPR_AFTER_PBDR)


def _hyperlink(par, url: str, size: float) -> None:
    """`url` as an external link (w:hyperlink to a relationship) whose text is the address itself, in Times New Roman
    like every run; the caller passes only http(s) addresses (`crawler.store.http_url`, applied in `metrics`)."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), par.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True))
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    _fonts(rpr)
    for tag, value in (("w:color", "000000"), ("w:sz", str(int(size * 2))), ("w:u", "single")):  # black (Decree 30)
        el = OxmlElement(tag)
        el.set(qn("w:val"), value)
        rpr.append(el)
    text = OxmlElement("w:t")
    text.set(qn("xml:space"), "preserve")
    text.text = url
    run.append(rpr)
    run.append(text)
    link.append(run)
    par._p.append(link)


def _no_borders(table, padding_cm: float = 0.0) -> None:
    """No borders, and (for the header and closing blocks) no side padding, so a line fits its column."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "nil")
        borders.append(e)
    tbl_pr.insert_element_before(borders, *_TBLPR_AFTER_BORDERS)
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:w"), str(int(Cm(padding_cm).twips)))
        e.set(qn("w:type"), "dxa")
        margins.append(e)
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def _fixed(table, widths_cm) -> None:
    """Fixed layout and column widths (Word and LibreOffice both keep them)."""
    table.autofit = False  # w:tblLayout type="fixed"
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_cm):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm):
            cell.width = Cm(w)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _cant_split(row) -> None:
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _page_field(par) -> None:
    run = _run(par, "", size=13)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "2"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)


# --- document set-up ---------------------------------------------------------------------------------------

def _setup(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE["width"], PAGE["height"]
    section.top_margin, section.bottom_margin = PAGE["top"], PAGE["bottom"]
    section.left_margin, section.right_margin = PAGE["left"], PAGE["right"]
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False  # an explicit, empty first-page header: no number
    header = section.header.paragraphs[0]
    header.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(header)

    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr_default)
    lang = rpr_default.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:val"), "vi-VN")
    ppr_default = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr_default.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "120")  # 6 pt
    spacing.set(qn("w:line"), "264")  # 1.1 lines
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY)
    _fonts(normal.element.get_or_add_rPr())
    for name in ("Table Grid", "Header", "Footer"):
        if name in [s.name for s in doc.styles]:
            _fonts(doc.styles[name].element.get_or_add_rPr())


# --- the parts of the report -------------------------------------------------------------------------------

def _plan():
    from mediaplan.plans import current_plan

    full = current_plan()
    meta = full.meta
    lead = next((a.name for a in full.agencies.agencies if a.key == meta.lead_agency), meta.lead_agency)
    return meta, lead


def number_text(number: int | str | None, symbol: str) -> str:
    """"Số: 05/BC-SGDĐT"; a draft (no number) leaves room to write it in: "Số:      /BC-SGDĐT"."""
    if number is None or str(number).strip() == "":
        return f"Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/{symbol}"
    n = str(number).strip()
    return f"Số: {int(n):02d}/{symbol}" if n.isdigit() else f"Số: {n}/{symbol}"


def summary_line(meta, figures: dict) -> str:
    """The trích yếu: the plan's report title without the leading "Báo cáo", and the period."""
    title = (meta.report_title or "Báo cáo kết quả công tác truyền thông").strip()
    if title.lower().startswith("báo cáo "):
        title = title[len("báo cáo "):]
    return f"{title[:1].upper()}{title[1:]} {figures['period_label']}"


def _header(doc, meta, figures: dict, number, signed_on) -> None:
    from mediaplan.reports.build import vi_date

    left_w, right_w = HEADER_COLUMNS_CM
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _fixed(table, HEADER_COLUMNS_CM)
    (a, b), (c, d) = table.rows[0].cells, table.rows[1].cells
    _cell_par(a, meta.report_authority.upper(), size=12)
    _cell_par(a, meta.report_unit.upper(), size=12, bold=True)
    _rule(a, _text_cm(meta.report_unit.upper(), 12, True) * 0.4, left_w)
    _cell_par(b, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    motto = "Độc lập - Tự do - Hạnh phúc"
    _cell_par(b, motto, size=13, bold=True)
    _rule(b, _text_cm(motto, 13, True), right_w)
    _cell_par(c, number_text(number, meta.report_symbol), size=13, before=6)
    place = getattr(meta, "report_place", "") or meta.province
    _cell_par(d, f"{place}, {vi_date(signed_on)}", size=13, italic=True, before=6)


def _title(doc, meta, figures: dict, lead: str) -> None:
    _par(doc, "BÁO CÁO", align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=0, size=BODY, bold=True)
    line = summary_line(meta, figures)
    _par(doc, line, align=WD_ALIGN_PARAGRAPH.CENTER, after=0, size=BODY, bold=True)
    _rule(doc, min(_text_cm(line, BODY, True), TEXT_WIDTH_CM) * 0.3, TEXT_WIDTH_CM, after=6)
    _par(doc, f"Kính gửi: {meta.issuer}.", align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=12, size=BODY)
    document = f"Thực hiện {meta.document.strip()}, " if meta.document.strip() else ""
    opening = (f"{document}{lead} báo cáo kết quả công tác truyền thông {figures['period_label']} như sau:")
    _par(doc, opening[:1].upper() + opening[1:], indent=True)
    statement = (figures.get("no_data") or {}).get("statement")
    if statement:
        _boxed(doc, statement)


def _heading(doc, text: str) -> None:
    _par(doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, before=6, bold=True, keep=True)


class _Counter:
    def __init__(self):
        self.tables = 0
        self.charts = 0


def _caption(doc, text: str, *, above: bool) -> None:
    """A table's caption goes above it, bold; a chart's below it, italic."""
    _par(doc, text, align=WD_ALIGN_PARAGRAPH.CENTER, before=6 if above else 0, after=3 if above else 9,
         size=13, bold=above, italic=not above, keep=above)


def _table(doc, n: _Counter, caption: str, headers: list[str], rows: list[list], widths: tuple[float, ...], *,
           total: list | None = None, left: tuple[int, ...] = (1,), note: str = "",
           unit: str = "Đơn vị tính: tin, bài") -> None:
    """A numbered, captioned, bordered table; numbers formatted, an optional total row in bold."""
    n.tables += 1
    _caption(doc, f"Bảng {n.tables}. {caption}", above=True)
    if unit:
        _par(doc, unit, align=WD_ALIGN_PARAGRAPH.RIGHT, after=2, size=11, italic=True, keep=True)
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed(table, widths)

    def fill(cells, values, bold=False):
        for i, (cell, value) in enumerate(zip(cells, values)):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            lines = value if isinstance(value, tuple) else (value,)
            for j, line in enumerate(lines):
                text = vi_number(line) if isinstance(line, (int, float)) and not isinstance(line, bool) else str(line or "")
                align = WD_ALIGN_PARAGRAPH.LEFT if i in left else WD_ALIGN_PARAGRAPH.CENTER
                _cell_par(cell, text, size=TABLE_SIZE if j == 0 else TABLE_SIZE - 1, bold=bold, align=align,
                          italic=j > 0, before=1, after=1)

    fill(table.rows[0].cells, headers, bold=True)
    _repeat_header(table.rows[0])
    for values in rows:
        row = table.add_row()
        _cant_split(row)
        fill(row.cells, values)
    if total:
        row = table.add_row()
        _cant_split(row)
        fill(row.cells, total, bold=True)
    _fixed(table, widths)
    if note:
        _par(doc, note, after=6, size=11, italic=True)
    else:
        _par(doc, after=0, size=6)
    return table


def _chart(doc, n: _Counter, charts: dict, key: str, max_height_cm: float = CHART_HEIGHT_CM) -> None:
    """The chart at the text width, or narrower when it would be taller than `max_height_cm` (so that it shares
    a page with the text around it instead of leaving half a page blank)."""
    from mediaplan.reports.charts import TITLES

    png = (charts or {}).get(key)
    if not png:
        return
    n.charts += 1
    w_px, h_px = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the IHDR chunk
    width = min(TEXT_WIDTH_CM, max_height_cm * w_px / h_px) if h_px else TEXT_WIDTH_CM
    par = _par(doc, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=0, keep=True)
    par.add_run().add_picture(io.BytesIO(png), width=Cm(width))
    _caption(doc, f"Biểu đồ {n.charts}. {TITLES[key]}", above=False)


def _channel_names(codes) -> str:
    from mediaplan.vocab import CHANNELS

    return ", ".join(CHANNELS.get(c, str(c)) for c in codes) or "—"


def _results(doc, figures: dict, meta, charts: dict, n: _Counter) -> None:
    f, t, cal, com = figures, figures["totals"], figures["calendar"], figures["communes"]
    previous = narr.previous_names(f["previous_label"])[0]
    _heading(doc, "I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ THỰC HIỆN")
    _heading(doc, "1. Công tác chỉ đạo, triển khai")
    watched = sum(1 for u in f["units"] if u["monitored"])
    _par(doc, f"{narr.during(f['period_label'])}, hệ thống theo dõi tin, bài của {vi_number(len(f['outlets']))} cơ quan báo "
              f"chí, trang thông tin điện tử (trong đó trang thông tin điện tử của {vi_number(watched)}/"
              f"{vi_number(len(f['units']))} sở, ngành, xã, phường, đặc khu). Lịch biên tập có "
              f"{vi_number(cal['planned'])} tin, bài được lên kế hoạch trong kỳ, trong đó {vi_number(cal['delivered'])} "
              f"đã đăng" + (f", {vi_number(cal['cancelled'])} đã hủy" if cal.get("cancelled") else "")
              + f"; {vi_number(cal['unplanned'])} tin, bài của cơ quan báo chí đăng ngoài kế hoạch.", indent=True)

    _heading(doc, "2. Kết quả")
    merged = (f" Tin, bài đăng lại (trùng lặp) chỉ tính một lần cho mỗi cơ quan: đã gộp "
              f"{vi_number(t['clusters_merged'])} tin." if t.get("clusters_merged") else "")
    _par(doc, f"Tổng số tin, bài thu thập được: {vi_number(t['items'])}; trong đó về giáo dục và đào tạo: "
              f"{vi_number(t['education'])} ({previous}: {vi_number(t['previous_education'])}, "
              f"{narr.change(t['education'], t['previous_education'])}); nêu rõ Nghị quyết số 71-NQ/TW: "
              f"{vi_number(t['nq71'])} ({previous}: {vi_number(t['previous_nq71'])}, "
              f"{narr.change(t['nq71'], t['previous_nq71'])}).{merged}", indent=True)
    _chart(doc, n, charts, "trend")

    _par(doc, "a) Theo chủ đề của Kế hoạch", keep=True)
    rows = [[i, r["name"], r["items"], r.get("previous", 0), _delta(r["items"], r.get("previous", 0)), r["planned"],
             r["delivered"]] for i, r in enumerate(f["themes"], 1)]
    _table(doc, n, "Tin, bài theo chủ đề của Kế hoạch",
           ["TT", "Chủ đề", "Trong kỳ", "Kỳ trước", "Tăng, giảm", "Kế hoạch", "Đã đăng theo kế hoạch"], rows,
           (1.0, 6.6, 1.6, 1.6, 1.7, 1.6, 1.9),
           total=["", "Tổng số tin, bài về giáo dục", t["education"], t["previous_education"],
                  _delta(t["education"], t["previous_education"]), cal["planned"], cal["delivered"]],
           note="Ghi chú: một tin, bài có thể thuộc nhiều chủ đề nên dòng tổng là số tin, bài về giáo dục và số mục "
                "của lịch biên tập, không phải tổng các dòng.")
    _chart(doc, n, charts, "themes", max_height_cm=18.5)  # twenty labelled rows: legible only near full width

    _par(doc, "b) Theo cơ quan, đơn vị", keep=True)
    active = [o for o in f["outlets"] if o["education"] or o["nq71"]]
    idle = len(f["outlets"]) - len(active)
    rows = [[i, o["name"], o["education"], o["nq71"], _channel_names(o["channels"])] for i, o in enumerate(active, 1)]
    if idle:
        rows.append(["", f"Các cơ quan, đơn vị khác chưa có tin, bài ({vi_number(idle)})", 0, 0, "—"])
    _table(doc, n, "Tin, bài theo cơ quan, đơn vị", ["TT", "Cơ quan, đơn vị", "Về giáo dục", "Nêu NQ 71", "Kênh"],
           rows, (1.0, 7.0, 2.0, 2.0, 4.0), left=(1, 4),
           total=["", "Tổng cộng", sum(o["education"] for o in f["outlets"]), sum(o["nq71"] for o in f["outlets"]), ""])

    _par(doc, "c) Theo kênh và định dạng", keep=True)
    rows = [[i, c["name"][:1].upper() + c["name"][1:], c["items"]] for i, c in enumerate(f["channels"], 1)]
    _table(doc, n, "Tin, bài theo kênh", ["TT", "Kênh", "Tin, bài về giáo dục"], rows, (1.0, 10.0, 5.0),
           total=["", "Cộng", sum(c["items"] for c in f["channels"])],
           note="Ghi chú: một tin, bài một cơ quan đăng trên hai kênh được tính ở cả hai kênh.")
    _chart(doc, n, charts, "outlets")
    rows = [[i, x["name"][:1].upper() + x["name"][1:], x["items"]] for i, x in enumerate(f["formats"], 1)]
    _table(doc, n, "Tin, bài theo định dạng", ["TT", "Định dạng", "Tin, bài về giáo dục"], rows, (1.0, 10.0, 5.0),
           total=["", "Cộng", sum(x["items"] for x in f["formats"])])

    _par(doc, "d) Kết quả thực hiện chỉ tiêu của Kế hoạch", keep=True)
    rows = [[i, (x["name"], x["detail"]) if x.get("detail") else x["name"], vi_target(x["threshold"], x["unit"]),
             vi_target(x["value"], x["unit"]), _evaluation(x)] for i, x in enumerate(f["targets"], 1)]
    _table(doc, n, "Kết quả thực hiện chỉ tiêu", ["TT", "Chỉ tiêu", "Yêu cầu", "Kết quả", "Đánh giá"], rows,
           (1.0, 7.4, 1.8, 1.8, 4.0), left=(1, 4), unit="",
           note="Ghi chú: chỉ đánh giá Đạt / Chưa đạt khi số liệu đủ; nếu không, ghi rõ vì sao chưa đủ dữ liệu.")

    _par(doc, "đ) Đăng tin, bài trên trang thông tin điện tử của các sở, ngành, xã, phường, đặc khu", keep=True)
    units = f["units"]
    posted = sum(1 for u in units if u["status"] == "đã đăng")
    silent = sum(1 for u in units if u["status"] == "chưa đăng")
    unwatched = sum(1 for u in units if u["status"] == "chưa theo dõi")
    share = f" ({vi_percent(posted / len(units) * 100)})" if units else ""
    _par(doc, f"Trong {vi_number(len(units))} sở, ngành, xã, phường, đặc khu của Kế hoạch (mục V.6), "
              f"{vi_number(posted)} đơn vị có tin, bài về Nghị quyết số 71-NQ/TW trong kỳ{share}; {vi_number(silent)} "
              f"đơn vị được theo dõi chưa đăng; {vi_number(unwatched)} đơn vị chưa được theo dõi (không tính là đã "
              f"đăng, vẫn nằm trong tổng số). Trang thông tin điện tử cấp xã được theo dõi: "
              f"{vi_number(com['portals_monitored'])}/{vi_number(com['total'])}, trong đó {vi_number(com['portals_posting'])} "
              f"có tin, bài về Nghị quyết số 71-NQ/TW; số xã, phường, đặc khu được nhắc đến trong tin, bài về giáo dục: "
              f"{vi_number(com['mentioned'])}/{vi_number(com['total'])}. Chi tiết tại Phụ lục kèm theo.", indent=True)
    _exemplary(doc, f, n)


def _exemplary(doc, figures: dict, n: _Counter) -> None:
    """e) the commendation shortlist (`metrics.exemplary_items`), for the proposal of section IV: each story with
    its outlet, local date, the shortlist theme(s) that put it there and its address as a live link (http(s)
    only; a signed copy is also read on paper, so the address is printed); one line when the period has none."""
    from mediaplan.reports.build import exemplary_none
    from mediaplan.reports.metrics import EXEMPLARY_SHOWN

    ex = figures.get("exemplary") or {"total": 0, "stories": [], "themes": []}
    _par(doc, "e) Gương điển hình, mô hình hay (làm căn cứ đề xuất khen thưởng)", keep=True)
    if not ex["stories"]:
        _par(doc, exemplary_none(figures), indent=True)
        return
    themes = "; ".join(ex["themes"])
    _par(doc, f"Trong kỳ có {vi_number(ex['total'])} tin, bài về gương điển hình, mô hình hay (chủ đề {themes}); mỗi "
              "tin đăng lại trên nhiều trang chỉ tính một lần.", indent=True, keep=True)
    shown = ex["stories"][:EXEMPLARY_SHOWN]
    rows = []
    for i, s in enumerate(shown, 1):
        found = "; ".join(x for x in (f"Cụm từ nhận diện: {s['evidence']}" if s["evidence"] else "",
                                      f"địa bàn: {s['places']}" if s["places"] else "") if x)
        rows.append([i, (s["title"], found) if found else s["title"], s["outlet"], s["date"], s["theme_names"]])
    more = (f"Ghi chú: bảng nêu {vi_number(len(shown))} tin, bài đầu tiên; danh sách đầy đủ {vi_number(ex['total'])} "
            "tin, bài trong tệp report.xlsx (trang «Gương điển hình»)." if ex["total"] > len(shown) else "")
    table = _table(doc, n, "Tin, bài về gương điển hình, mô hình hay", ["TT", "Tin, bài", "Cơ quan", "Ngày đăng", "Chủ đề"],
                   rows, (1.0, 6.2, 3.4, 2.4, 3.0), left=(1, 2, 4), unit="",
                   total=["", f"Tổng cộng: {vi_number(ex['total'])} tin, bài", "", "", ""], note=more)
    for row, s in zip(table.rows[1:], shown):
        if s.get("link"):
            par = _cell_par(row.cells[1], align=WD_ALIGN_PARAGRAPH.LEFT, before=0, after=1)
            _hyperlink(par, s["link"], TABLE_SIZE - 1)


def _delta(now: int, before: int) -> str:
    if now == before:
        return "0"
    return f"{'+' if now > before else '−'}{vi_number(abs(now - before))}"


def _evaluation(target: dict) -> str | tuple:
    if target["met"] is None:
        return ("Chưa đủ dữ liệu", narr.reason(target))
    return "Đạt" if target["met"] else "Chưa đạt"


def _judgement(doc, texts: dict[str, str]) -> None:
    def paragraphs(key):
        for line in (x.strip() for x in texts[key].splitlines()):
            if line:
                _par(doc, line, indent=True)

    _heading(doc, "II. ĐÁNH GIÁ CHUNG")
    for i, key in enumerate(("uu_diem", "ton_tai", "nguyen_nhan"), 1):
        _heading(doc, f"{i}. {narr.TITLES[key]}")
        paragraphs(key)
    _heading(doc, "III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI")
    paragraphs("phuong_huong")
    _heading(doc, "IV. ĐỀ XUẤT, KIẾN NGHỊ")
    paragraphs("de_xuat")


def recipients(meta) -> list[str]:
    """The "Nơi nhận" lines: "- Như trên;" first, "- Lưu: VT, …." last, "- …;" between."""
    names = [r.strip().rstrip(";.").strip() for r in (getattr(meta, "report_recipients", None) or []) if r.strip()]
    if not names or names[0].lower() != "như trên":
        names.insert(0, "Như trên")
    if not names[-1].startswith("Lưu"):
        names.append("Lưu: VT")
    return [f"- {name}{'.' if i == len(names) - 1 else ';'}" for i, name in enumerate(names)]


def _closing(doc, meta, figures: dict, lead: str) -> None:
    _par(doc, f"Trên đây là báo cáo kết quả công tác truyền thông thực hiện Nghị quyết số 71-NQ/TW "
              f"{figures['period_label']}, {lead} kính báo cáo {meta.issuer}./.", indent=True, after=12)
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _fixed(table, CLOSING_COLUMNS_CM)
    _cant_split(table.rows[0])
    left, right = table.rows[0].cells
    _cell_par(left, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in recipients(meta):
        _cell_par(left, line, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    titles = [x.upper() for x in (getattr(meta, "signer_title", None) or ["GIÁM ĐỐC"])]
    for line in titles:
        _cell_par(right, line, size=BODY, bold=True)
    for _ in range(SIGNATURE_LINES):
        _cell_par(right, "", size=BODY)
    _cell_par(right, getattr(meta, "signer_name", "") or "(họ và tên)", size=BODY, bold=True)


def _appendix(doc, meta, figures: dict, number, signed_on, lead: str, n: _Counter) -> None:
    from mediaplan.reports.build import vi_date, vi_day

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _par(doc, "PHỤ LỤC", align=WD_ALIGN_PARAGRAPH.CENTER, after=0, bold=True)
    _par(doc, "Tình hình đăng tin, bài về Nghị quyết số 71-NQ/TW trên trang thông tin điện tử của các sở, ngành, "
              "xã, phường, đặc khu (mục V.6 của Kế hoạch)", align=WD_ALIGN_PARAGRAPH.CENTER, after=0, bold=True)
    numbered = number_text(number, meta.report_symbol).removeprefix("Số:").strip()
    _par(doc, f"(Kèm theo Báo cáo số {numbered} {vi_date(signed_on)} của {lead})",
         align=WD_ALIGN_PARAGRAPH.CENTER, after=6, size=13, italic=True)
    units = figures["units"]
    rows = []
    for i, u in enumerate(units, 1):
        watched = u["monitored"]
        rows.append([i, u["name"], u["posts"] if watched else "—", u["posts_since_start"] if watched else "—",
                     vi_day(u["last_post"]) or "—", u["status"]])
    posted = sum(1 for u in units if u["status"] == "đã đăng")
    _table(doc, n, "Tin, bài về Nghị quyết số 71-NQ/TW của từng đơn vị",
           ["TT", "Đơn vị", "Trong kỳ", "Từ đầu kế hoạch", "Tin, bài gần nhất", "Tình trạng"], rows,
           (1.1, 6.1, 1.7, 2.1, 2.4, 2.6), left=(1,),
           total=["", "Tổng cộng", sum(u["posts"] for u in units if u["monitored"]),
                  sum(u["posts_since_start"] for u in units if u["monitored"]), "",
                  f"{vi_number(posted)}/{vi_number(len(units))} đã đăng"],
           note="Ghi chú: “chưa theo dõi”: trang thông tin điện tử của đơn vị chưa được thu thập; đơn vị vẫn tính trong "
                "tổng số, không tính là đã đăng. " + " ".join(f"({k}) {v}" for k, v in _definitions()))


def _registers(doc, figures: dict, n: _Counter) -> None:
    """The registers of the period (plan II.1, III.4): both indicators as the targets table computed them, then
    each conference and course with its attendees and the short SHA-256 of each evidence file, so a reader can
    match the signed report with the files the Department keeps."""
    from mediaplan.reports.build import vi_day
    from mediaplan.reports.metrics import DEFINITIONS

    reg = figures.get("registers")
    if not reg:
        return
    _par(doc, "Sổ theo dõi hội nghị quán triệt, lớp đào tạo, bồi dưỡng (mục II.1, III.4 của Kế hoạch)",
         align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=6, bold=True, keep=True)
    for x in reg["indicators"]:
        figure = f"chưa đủ dữ liệu: {x['reason']}" if x["value"] is None else vi_target(x["value"], "ratio")
        _par(doc, f"{x['label'][:1].upper()}{x['label'][1:]} (trên {x['headcount_label']}): {figure} ({x['detail']}).",
             indent=True)
    events = reg["events"]
    if not events:
        _par(doc, "Trong kỳ không có hội nghị quán triệt, lớp đào tạo, bồi dưỡng nào được ghi vào sổ theo dõi.", indent=True)
    else:
        rows = []
        for i, e in enumerate(events, 1):
            place = ", ".join(x for x in (e["kind_label"], e["organiser"], e["place"]) if x)
            files = "; ".join(f"{f['filename']} ({f['short']})" for f in e["evidence"]) or "chưa có"
            rows.append([i, vi_day(e["date"]), (e["title"], place), e["units"], e["attendees"], files])
        _table(doc, n, "Hội nghị quán triệt, lớp đào tạo, bồi dưỡng trong kỳ",
               ["TT", "Ngày", "Hội nghị, lớp đào tạo", "Số đơn vị", "Số người tham dự", "Minh chứng (SHA-256)"], rows,
               (1.0, 2.2, 5.6, 1.6, 1.8, 3.8), left=(2, 5), unit="",
               total=["", "", "Cộng (lượt người)", "", sum(e["attendees"] for e in events), ""])
    _par(doc, "Ghi chú: " + " ".join(DEFINITIONS[k] for k in ("disseminated", "trained", "headcount"))
         + " Mã SHA-256 đầy đủ của từng tệp minh chứng và số liệu từng đơn vị trong tệp report.xlsx (trang «Sổ theo dõi»).",
         after=6, size=11, italic=True)


def _definitions():
    from mediaplan.reports.metrics import DEFINITIONS

    return [(i, DEFINITIONS[k]) for i, k in enumerate(("education", "nq71", "units", "evaluation"), 1)]


# --- entry point -------------------------------------------------------------------------------------------

def write_docx(figures: dict, path: Path | str, *, narrative: dict[str, str] | None = None,
               number: int | str | None = None, charts: dict[str, bytes] | None = None,
               signed_on: date | datetime | None = None) -> Path:
    """Write the report as a DOCX at `path`. `number` is the official number (None: a draft, left blank),
    `charts` the PNGs of `charts.render_charts` (drawn here when None; {} for none), `signed_on` the date on the
    place line (today, local time, when None), `narrative` the analyst's sections II–IV over the draft."""
    from mediaplan.localtime import local_now
    from mediaplan.reports.charts import render_charts

    meta, lead = _plan()
    signed_on = signed_on or local_now()
    charts = render_charts(figures) if charts is None else charts
    texts = narr.sections(figures, narrative)
    doc = Document()
    _setup(doc)
    props = doc.core_properties
    props.title = summary_line(meta, figures)
    props.author = props.last_modified_by = lead
    props.language = "vi-VN"
    props.created = props.modified = datetime(signed_on.year, signed_on.month, signed_on.day)
    props.revision = 1
    # the template's empty first paragraph would push the header table down a line
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    n = _Counter()
    _header(doc, meta, figures, number, signed_on)
    _title(doc, meta, figures, lead)
    _results(doc, figures, meta, charts, n)
    _judgement(doc, texts)
    _closing(doc, meta, figures, lead)
    _appendix(doc, meta, figures, number, signed_on, lead, n)
    _registers(doc, figures, n)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path
