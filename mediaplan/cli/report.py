"""`mediaplan report …`: the monthly report, built and e-mailed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mediaplan.cli._kit import console, fail, month as valid_month, needs_db, refusals

report_app = typer.Typer(help="Báo cáo tháng: tạo và gửi e-mail.", no_args_is_help=True)


@report_app.command("build")
@needs_db
def report_build(
    month: Annotated[str, typer.Option(help="Tháng, dạng YYYY-MM.")],
    out: Annotated[Path, typer.Option(help="Thư mục kết quả.")] = Path("out"),
):
    """Tạo báo cáo tháng: report.html và report.xlsx."""
    from mediaplan.db import session_scope
    from mediaplan.services.reports import build_month_report

    month = valid_month(month)
    with refusals(), session_scope() as session:
        figures = build_month_report(session, month, out)
    t = figures["totals"]
    console.print(f"Báo cáo tháng {month}: {t['education']} tin, bài giáo dục, {t['nq71']} nêu NQ 71 → {out}/report.html, {out}/report.xlsx")


@report_app.command("send")
@needs_db
def report_send(
    month: Annotated[str, typer.Option(help="Tháng, dạng YYYY-MM.")],
    to: Annotated[Optional[list[str]], typer.Option("--to", help="Người nhận (lặp lại được); mặc định MEDIAPLAN_REPORT_RECIPIENTS.")] = None,
    out: Annotated[Path, typer.Option(help="Nơi tạo báo cáo nếu chưa có.")] = Path("out"),
):
    """Gửi e-mail báo cáo tháng; không bao giờ gửi hai lần cho cùng người nhận trong cùng tháng."""
    from mediaplan.db import session_scope
    from mediaplan.services.reports import NoRecipients, send_month_report

    month = valid_month(month)
    with refusals():
        try:
            with session_scope() as session:
                result = send_month_report(session, month, to, out_dir=out / month)
        except NoRecipients:
            fail("chưa có người nhận: dùng --to hoặc đặt MEDIAPLAN_REPORT_RECIPIENTS")
    console.print(f"Đã gửi: {len(result['sent'])}; bỏ qua (đã gửi trước đó): {len(result['skipped'])}; lỗi: {len(result['failed'])}")
    if result["failed"]:
        raise typer.Exit(2)
