"""Write a period's report: report.html (also the e-mail body, with its charts as inline images), report.xlsx,
report.docx (the document the Department signs) and report.pdf, and record the build as a version
(reports.versions).

Both read the same figures dict (`metrics.compute`), which is also stored on the
report row, so the outputs and the database agree by construction. A target's result is printed by one function
(`fmt_target`, the documents' `narrative.vi_target`) on every surface, so the HTML, the XLSX and the DOCX read
alike; the XLSX carries the shortlist as the sheet "Gương điển hình" and a period's data status on "Tổng hợp".
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from mediaplan.db.schema import ReportVersion
from mediaplan.localtime import local_now, to_local
from mediaplan.periods import Period
from mediaplan.plans import current_plan
from mediaplan.reports.charts import render_charts
from mediaplan.reports.docx import write_docx
from mediaplan.reports.metrics import DEFINITIONS, EXEMPLARY_SHOWN, compute, no_data_statement
from mediaplan.reports.narrative import vi_number, vi_target
from mediaplan.reports.pdf import Printer
from mediaplan.reports.versions import narrative_overrides, record_version
from mediaplan.tabular import Sheet, write_xlsx as write_sheets
from mediaplan.vocab import CHANNELS, AgencyKind

TEMPLATES = Path(__file__).with_name("templates")


def fmt_target(value, unit: str) -> str:
    """A target's threshold or result as every surface prints it (HTML, XLSX and, through the same
    `narrative.vi_target`, the DOCX): 45,5% and 1.234, so the signed document and its workbook read alike."""
    return vi_target(value, unit)


def vi_day(iso: str | None) -> str:
    """"2026-11-19" → "19/11/2026" (empty for no date)."""
    return "" if not iso else f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


def vi_date(d: datetime) -> str:
    """"ngày 05 tháng 01 năm 2026": a leading zero for days under 10 and months 1–2 (Decree 30)."""
    day = f"{d.day:02d}" if d.day < 10 else str(d.day)
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {day} tháng {month} năm {d.year}"


def env() -> Environment:
    e = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    e.filters["fmt_target"] = fmt_target
    e.filters["vi_channel"] = lambda c: CHANNELS.get(c, c)
    e.filters["vi_day"] = vi_day
    e.filters["vi_number"] = vi_number
    e.globals["definitions"] = DEFINITIONS
    e.globals["exemplary_shown"] = EXEMPLARY_SHOWN
    return e


def render_html(figures: dict, *, charts: dict[str, bytes] | None = None, narrative: dict[str, str] | None = None) -> str:
    """report.html: the figures, the charts (inline PNGs), the narrative (the analyst's edits over the first
    draft, section by section) and the closing blocks; also the e-mail body and the PDF's source."""
    from mediaplan.reports.narrative import to_html as narrative_html
    from mediaplan.reports.pdf import charts_html, closing_html

    full = current_plan()
    plan = full.meta
    lead = next((a.name for a in full.agencies.agencies if a.key == plan.lead_agency), plan.lead_agency)
    return env().get_template("report.html").render(
        f=figures, plan=plan, month_label=figures["period_label"], signed_date=vi_date(local_now()), lead=lead,
        charts_html=charts_html(charts), narrative_html=narrative_html(figures, narrative), closing_html=closing_html(),
        exemplary_none=exemplary_none(figures),
    )


def register_sheets(figures: dict) -> list[Sheet]:
    """The registers in the XLSX: "Sổ theo dõi" (each event of the period, one row per evidence file with its whole
    SHA-256, so a signed copy can be checked against it) and "Sổ theo dõi theo đơn vị" (both indicators per unit)."""
    reg = figures.get("registers") or {"events": [], "units": []}
    events = []
    for e in reg["events"]:
        head = [e["title"], e["id"], e["kind_label"], vi_day(e["date"]), e["organiser"], e["place"], e["units"], e["attendees"]]
        events += [head + [f["filename"], f["sha256"]] for f in e["evidence"]] or [head + ["", ""]]
    units = []
    for u in reg["units"]:
        c, t = u.get("conference") or {}, u.get("training") or {}
        units.append([u["name"], u["key"], c.get("headcount"), c.get("covered"), fmt_target(c.get("share"), "ratio"),
                      t.get("headcount"), t.get("covered"), fmt_target(t.get("share"), "ratio")])
    return [
        Sheet("Sổ theo dõi", ["Hội nghị, lớp đào tạo", "Mã", "Loại", "Ngày", "Đơn vị tổ chức", "Địa điểm", "Số đơn vị",
                              "Số người tham dự", "Tệp minh chứng", "SHA-256"], events,
              (48, 8, 22, 12, 24, 24, 10, 14, 30, 66)),
        Sheet("Sổ theo dõi theo đơn vị", ["Đơn vị", "Mã", "Biên chế", "Được quán triệt", "Tỷ lệ quán triệt",
                                          "Cán bộ truyền thông", "Được đào tạo, bồi dưỡng", "Tỷ lệ đào tạo, bồi dưỡng"],
              units, (36, 14, 12, 14, 14, 14, 16, 16)),
    ]


def no_data_line(figures: dict) -> str:
    """The period's data status in one sentence (`metrics.data_gaps`): the statement when a period has no item or
    no planned coverage, so that a workbook of zeros says why; otherwise that monitoring has data."""
    return no_data_statement(figures) or "Có dữ liệu theo dõi và lịch biên tập trong kỳ."


def exemplary_none(figures: dict) -> str:
    """The line the shortlist section prints when the period has no story for it."""
    names = (figures.get("exemplary") or {}).get("themes") or ["gương điển hình, mô hình hay"]
    return f"Trong kỳ không có tin, bài nào thuộc chủ đề {'; '.join(f'«{n}»' for n in names)}."


def exemplary_sheet(figures: dict) -> Sheet:
    """"Gương điển hình": every story of the commendation shortlist (`metrics.exemplary_items`), its item ID and the
    theme codes beside the names for joining; the link only when it is http(s); one line saying so when none."""
    ex = figures.get("exemplary") or {"stories": []}
    rows = [[s["title"], s["id"], s["outlet"], s["date"], s["theme_names"], ", ".join(s["themes"]), s["evidence"],
             s["places"], s["link"] or ""] for s in ex["stories"]]
    return Sheet("Gương điển hình", ["Tiêu đề", "ID", "Cơ quan", "Ngày đăng", "Chủ đề", "Mã chủ đề", "Cụm từ nhận diện",
                                     "Địa bàn", "URL"],
                 rows or [[exemplary_none(figures), None, None, None, None, None, None, None, None]],
                 (60, 8, 30, 12, 36, 14, 36, 24, 60))


def write_xlsx(figures: dict, path: Path) -> None:
    t = figures["totals"]
    widths = (48, 14, 14, 14, 18, 30, 30, 20, 20, 14)
    sheets = [
        Sheet("Tổng hợp", ["Chỉ số", "Trong kỳ", "Kỳ trước"], [
            ["Tổng số tin, bài thu thập", t["items"], None],
            ["Tin, bài về giáo dục (mỗi cụm tin trùng tính một lần cho mỗi cơ quan)", t["education"], t["previous_education"]],
            ["Tin, bài nêu Nghị quyết số 71-NQ/TW", t["nq71"], t["previous_nq71"]],
            ["Tin, bài theo kế hoạch đã đăng", figures["calendar"]["delivered"], None],
            ["Tin, bài đã lên kế hoạch", figures["calendar"]["planned"], None],
            ["Tình trạng dữ liệu", no_data_line(figures), None],
        ], widths),
        Sheet("Chủ đề", ["Chủ đề", "Mã", "Tin, bài", "Kỳ trước", "Kế hoạch", "Đã đăng theo kế hoạch"],
              [[r["name"], r["code"], r["items"], r["previous"], r["planned"], r["delivered"]] for r in figures["themes"]],
              widths),
        Sheet("Cơ quan", ["Cơ quan, đơn vị", "Mã", "Tin, bài giáo dục", "Nêu NQ 71", "Kênh"],
              [[o["name"], o["key"], o["education"], o["nq71"], ", ".join(CHANNELS.get(c, c) for c in o["channels"])]
               for o in figures["outlets"]], widths),
        Sheet("Kênh", ["Kênh", "Mã", "Tin, bài"], [[c["name"], c["code"], c["items"]] for c in figures["channels"]], widths),
        Sheet("Định dạng", ["Định dạng", "Mã", "Tin, bài"], [[x["name"], x["code"], x["items"]] for x in figures["formats"]],
              widths),
        Sheet("Chỉ tiêu", ["Chỉ tiêu", "Mã", "Yêu cầu", "Kết quả", "Đánh giá", "Chi tiết"],
              [[x["name"], x["key"], fmt_target(x["threshold"], x["unit"]), fmt_target(x["value"], x["unit"]),
                x["evaluation"], x["detail"]]
               for x in figures["targets"]], widths),
        Sheet("Đơn vị", ["Đơn vị", "Mã", "Loại", "Trang thông tin điện tử", "Theo dõi", "Tin, bài về NQ 71 trong tháng",
                         "Từ đầu kế hoạch", "Tin, bài gần nhất", "Tình trạng"],
              [[u["name"], u["key"], AgencyKind(u["kind"]).label, u["portal"] or "", "có" if u["monitored"] else "không",
                u["posts"], u["posts_since_start"], vi_day(u["last_post"]), u["status"]] for u in figures["units"]], widths),
        *register_sheets(figures),
        exemplary_sheet(figures),
        Sheet("Danh sách tin bài", ["Tiêu đề", "ID", "Cơ quan", "Ngày đăng", "Kênh", "Định dạng", "Chủ đề", "NQ 71", "Cụm", "URL"],
              [[i["title"], i["id"], i["outlet"],
                f"{to_local(datetime.fromisoformat(i['published_at'])):%d/%m/%Y %H:%M}" if i["published_at"] else "",
                i["channel"], i["format"], ", ".join(i["themes"]), "có" if i["nq71"] else "", i["cluster_id"], i["url"]]
               for i in figures["items"]], widths[:9] + (60,)),
    ]
    write_sheets(path, sheets)


def build_report(session: Session, period: str | Period, out_dir: Path, *, by: str | None = None,
                 timings: dict[str, float] | None = None) -> tuple[ReportVersion, dict]:
    """Write a period's report into `out_dir` and record it as a version (`reports.versions.record_version`).

    `timings`, when given, receives the seconds each step took ("figures", "charts", "html", "xlsx", "docx", "pdf",
    "version"; "pdf" runs beside "xlsx" and "docx" in another process, `reports.pdf.Printer`, and "pdf wait" is what
    it kept this one waiting): `make bench` times the real build this way rather than a copy of it that could drift."""
    clock = _Clock(timings)
    printer = Printer.shared()  # started now, so that it is warm when the HTML is ready
    with clock("figures"):
        figures = compute(session, period)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        overrides = narrative_overrides(session, figures["period"])
    with clock("charts"):
        charts = render_charts(figures)
    with clock("html"):
        html = render_html(figures, charts=charts, narrative=overrides)
        (out_dir / "report.html").write_text(html, encoding="utf-8")
    sent = printer.start(out_dir / "report.html", out_dir / "report.pdf")  # printed there while the rest is here
    try:
        with clock("xlsx"):
            write_xlsx(figures, out_dir / "report.xlsx")
        with clock("docx"):
            write_docx(figures, out_dir / "report.docx", narrative=overrides, number=None, charts=charts)
    finally:  # even when an office file failed: the printer's answer is read, and it is free for the next build
        with clock("pdf wait"):
            there = printer.finish(sent, html, out_dir / "report.pdf")
    if timings is not None:  # the PDF's own time, wherever it was printed
        timings["pdf"] = there if there is not None else timings["pdf wait"]
    with clock("version"):
        (out_dir / "figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
        version = record_version(session, figures["period"], out_dir, figures, overrides, by=by)
    return version, figures


class _Clock:
    """`with clock("step"):` adds the step's wall time to the dict (nothing when there is none)."""

    def __init__(self, into: dict[str, float] | None):
        self.into = into

    @contextmanager
    def __call__(self, step: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.into is not None:
                self.into[step] = self.into.get(step, 0.0) + time.perf_counter() - start
