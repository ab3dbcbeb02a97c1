"""Write a period's report: report.html (also the e-mail body, with its charts as inline images), report.xlsx,
report.docx (the document the Department signs) and report.pdf, and record the build as a version
(reports.versions).

Both read the same figures dict (`metrics.compute`), which is also stored on the
report row, so the outputs and the database agree by construction.
"""

from __future__ import annotations

import json
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
from mediaplan.reports.metrics import DEFINITIONS, compute
from mediaplan.reports.pdf import write_pdf
from mediaplan.reports.versions import narrative_overrides, record_version
from mediaplan.tabular import Sheet, write_xlsx as write_sheets
from mediaplan.vocab import CHANNELS, AgencyKind

TEMPLATES = Path(__file__).with_name("templates")


def fmt_target(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value * 100:.0f}%"
    return f"{value:g}"


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
    e.globals["definitions"] = DEFINITIONS
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
    )


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
        Sheet("Danh sách tin bài", ["Tiêu đề", "ID", "Cơ quan", "Ngày đăng", "Kênh", "Định dạng", "Chủ đề", "NQ 71", "Cụm", "URL"],
              [[i["title"], i["id"], i["outlet"],
                f"{to_local(datetime.fromisoformat(i['published_at'])):%d/%m/%Y %H:%M}" if i["published_at"] else "",
                i["channel"], i["format"], ", ".join(i["themes"]), "có" if i["nq71"] else "", i["cluster_id"], i["url"]]
               for i in figures["items"]], widths[:9] + (60,)),
    ]
    write_sheets(path, sheets)


def build_report(session: Session, period: str | Period, out_dir: Path, *, by: str | None = None) -> tuple[ReportVersion, dict]:
    """Write a period's report into `out_dir` and record it as a version (`reports.versions.record_version`)."""
    figures = compute(session, period)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    overrides = narrative_overrides(session, figures["period"])
    charts = render_charts(figures)
    html = render_html(figures, charts=charts, narrative=overrides)
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    write_xlsx(figures, out_dir / "report.xlsx")
    write_docx(figures, out_dir / "report.docx", narrative=overrides, number=None, charts=charts)
    write_pdf(html, out_dir / "report.pdf")
    (out_dir / "figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return record_version(session, figures["period"], out_dir, figures, overrides, by=by), figures
