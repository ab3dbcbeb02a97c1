"""A month's plan as CSV or XLSX, and the printable story budget for a day or a week."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.calendar.month import coverages_between
from mediaplan.db.schema import Coverage, Delivery, Story, User
from mediaplan.localtime import local_midnight_utc, to_local
from mediaplan.periods import month_bounds
from mediaplan.tabular import Sheet, write_csv, write_xlsx
from mediaplan.vocab import CoverageStatus, LinkStatus, label

HEADERS = ["Ngày đăng", "Giờ", "Tin bài", "Phần thực hiện", "Chuyên mục", "Nền tảng", "Định dạng", "Chủ đề",
           "Phụ trách", "Hạn nộp", "Trạng thái", "Ưu tiên", "Đã đăng (URL)"]
WIDTHS = (12, 7, 50, 10, 25, 16, 16, 30, 18, 17, 15, 8, 50)


def assignee_name(username: str | None, full_name: str | None) -> str:
    """How a plan names its assignee: the full name, with the username in brackets when they differ."""
    if not username:
        return ""
    return f"{full_name} ({username})" if full_name and full_name != username else username


def plan_rows(session: Session, start: datetime, end: datetime) -> list[list]:
    """One row per coverage published in [start, end), in time order; the assignee's name comes with the same
    query (users joined on the username), not one look-up per row."""
    found = session.execute(
        select(Coverage, User.full_name).join(Story).outerjoin(User, User.username == Coverage.assignee)
        .options(selectinload(Coverage.deliveries).selectinload(Delivery.item),
                 selectinload(Coverage.story).selectinload(Story.column))
        .where(Coverage.publish_at >= start, Coverage.publish_at < end).order_by(Coverage.publish_at, Coverage.id)
    ).all()
    rows = []
    for c, full_name in found:
        s = c.story
        when = to_local(c.publish_at)
        published = ", ".join(d.item.url for d in c.deliveries if d.status == LinkStatus.CONFIRMED)
        rows.append([
            f"{when:%d/%m/%Y}", f"{when:%H:%M}", s.title, c.id,
            s.column.name if s.column else "", label("platform", c.platform), label("format", c.format),
            ", ".join(s.themes or []), assignee_name(c.assignee, full_name), f"{to_local(c.due_at):%d/%m/%Y %H:%M}" if c.due_at else "",
            label("status", c.status), s.priority, published,
        ])
    return rows


def write_plan(session: Session, period: str, out: Path | IO[bytes], fmt: str | None = None) -> int:
    """The month's coverages, one row each, as CSV or XLSX (by `fmt`, else the file's suffix); returns the row count.

    `out` may be a binary stream, so the web app answers a download without a temporary file.
    """
    rows = plan_rows(session, *month_bounds(period))
    fmt = fmt or (out.suffix.lower().lstrip(".") if isinstance(out, Path) else "xlsx")
    if fmt == "csv":
        if isinstance(out, Path):
            return write_csv(out, HEADERS, rows)
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        try:
            return write_csv(text, HEADERS, rows)
        finally:
            text.detach()  # leave the caller's stream open
    return write_xlsx(out, [Sheet(f"Kế hoạch {period}", HEADERS, rows, WIDTHS)])


def budget(session: Session, first: date, days: int) -> list[tuple[date, list]]:
    """The story budget: what runs each day, grouped by day, for printing."""
    coverages = coverages_between(session, local_midnight_utc(first), local_midnight_utc(first + timedelta(days=days)))
    out = []
    for n in range(days):
        d = first + timedelta(days=n)
        out.append((d, [c for c in coverages if to_local(c.publish_at).date() == d and c.status != CoverageStatus.CANCELLED]))
    return out
