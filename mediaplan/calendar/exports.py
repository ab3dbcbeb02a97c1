"""A month's plan as CSV or XLSX, and the printable story budget for a day or a week."""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from mediaplan.calendar.month import coverages_between, month_bounds
from mediaplan.vocab import label

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HEADERS = ["Ngày đăng", "Giờ", "Tin bài", "Phần thực hiện", "Chuyên mục", "Nền tảng", "Định dạng", "Chủ đề",
           "Phụ trách", "Hạn nộp", "Trạng thái", "Ưu tiên", "Đã đăng (URL)"]


def plan_rows(session: Session, start: datetime, end: datetime) -> list[list]:
    rows = []
    for c in coverages_between(session, start, end):
        s = c.story
        published = ", ".join(d.item.url for d in c.deliveries if d.status == "confirmed")
        rows.append([
            f"{c.publish_at.astimezone(TZ):%d/%m/%Y}", f"{c.publish_at.astimezone(TZ):%H:%M}", s.title, c.id,
            s.column.name if s.column else "", label("platform", c.platform), label("format", c.format),
            ", ".join(s.themes or []), c.assignee or "", f"{c.due_at.astimezone(TZ):%d/%m/%Y %H:%M}" if c.due_at else "",
            label("status", c.status), s.priority, published,
        ])
    return rows


def write_plan(session: Session, period: str, out: Path) -> int:
    start, end = month_bounds(period)
    rows = plan_rows(session, start, end)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        with out.open("w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel opens Vietnamese correctly
            writer = csv.writer(fh)
            writer.writerow(HEADERS)
            writer.writerows(rows)
    else:
        wb = Workbook()
        ws = wb.active
        ws.title = f"Kế hoạch {period}"
        ws.append(HEADERS)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        ws.freeze_panes = "A2"
        for col, width in zip("ABCDEFGHIJKLM", (12, 7, 50, 10, 25, 16, 16, 30, 18, 17, 15, 8, 50)):
            ws.column_dimensions[col].width = width
        wb.save(out)
    return len(rows)


def budget(session: Session, first: date, days: int) -> list[tuple[date, list]]:
    """The story budget: what runs each day, grouped by day, for printing."""
    start = datetime.combine(first, time(), TZ)
    coverages = coverages_between(session, start, start + timedelta(days=days))
    out = []
    for n in range(days):
        d = first + timedelta(days=n)
        out.append((d, [c for c in coverages if c.publish_at.astimezone(TZ).date() == d and c.status != "cancelled"]))
    return out
