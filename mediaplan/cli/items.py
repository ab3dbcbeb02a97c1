"""`mediaplan items …`: export the collected items with their labels, and correct an item's themes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from mediaplan.auth.roles import Ability
from mediaplan.cli._kit import By, acting_user, console, err, fail, month as valid_month, needs_db, refusals
from mediaplan.vocab import ExportFormat

items_app = typer.Typer(help="Tin, bài đã thu thập.", no_args_is_help=True)


@items_app.command("export")
@needs_db
def items_export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl, csv hoặc xlsx.")] = ExportFormat.JSONL,
    month: Annotated[Optional[str], typer.Option(help="Chỉ tin, bài đăng trong tháng này (YYYY-MM).")] = None,
    theme: Annotated[Optional[str], typer.Option(help="Chỉ tin, bài có mã chủ đề này.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Tệp kết quả (mặc định: đầu ra chuẩn; bắt buộc với xlsx).")] = None,
):
    """Xuất tin, bài kèm nhãn (jsonl, csv, xlsx)."""
    from mediaplan.db import session_scope
    from mediaplan.services.items import export_items

    if fmt == ExportFormat.XLSX and out is None:
        fail("xlsx cần --out FILE")
    month = valid_month(month) if month else None
    with refusals(), session_scope() as session:
        count = export_items(session, fmt, out or sys.stdout, month=month, theme=theme)
    if out:
        from mediaplan.i18n import number

        err.print(f"{number(count)} tin, bài → {out}")


@items_app.command("label")
@needs_db
def items_label(
    item_id: Annotated[int, typer.Argument(help="Số hiệu tin, bài.")],
    add: Annotated[Optional[list[str]], typer.Option("--add", help="Thêm chủ đề (lặp lại được).")] = None,
    remove: Annotated[Optional[list[str]], typer.Option("--remove", help="Bỏ chủ đề (lặp lại được).")] = None,
    confirm: Annotated[Optional[list[str]], typer.Option("--confirm", help="Xác nhận chủ đề (lặp lại được).")] = None,
    by: By = None,
):
    """Biên tập viên xác nhận, thêm hoặc bỏ chủ đề; nhãn thủ công không bị phân loại lại ghi đè."""
    from mediaplan.db import session_scope
    from mediaplan.services.items import label_item

    changes = [("add", t) for t in add or []] + [("remove", t) for t in remove or []] + [("confirm", t) for t in confirm or []]
    if not changes:
        fail("cần ít nhất một --add, --remove hoặc --confirm")
    by = acting_user(by, Ability.LABELS)
    with refusals(), session_scope() as session:
        label_item(session, item_id, changes, by)
    console.print(f"Tin, bài #{item_id}: " + ", ".join(f"{a} {t}" for a, t in changes) + f" (bởi {by})")


@items_app.command("transcribe")
@needs_db
def items_transcribe(
    limit: Annotated[Optional[int], typer.Option(min=1, help="Chuyển nhiều nhất chừng này chương trình.")] = None,
    retry: Annotated[bool, typer.Option("--retry", help="Thử lại cả những chương trình lần trước bị lỗi.")] = False,
):
    """Chuyển lời nói thành chữ cho chương trình phát thanh, truyền hình chưa có phụ đề (cần MEDIAPLAN_TRANSCRIBER)."""
    from mediaplan.crawler.transcribe import TranscribeError, load_transcriber, transcribe_items
    from mediaplan.db import session_scope
    from mediaplan.settings import get_settings

    s = get_settings()
    try:
        transcriber = load_transcriber(s.transcriber)
    except TranscribeError as exc:
        fail(str(exc))
    with session_scope() as session:
        done = transcribe_items(session, transcriber, limit=limit, retry=retry, max_bytes=s.transcribe_max_bytes,
                                timeout=s.download_timeout)
    for note in done["notes"]:
        err.print(f"lỗi: {note}", highlight=False)
    console.print(f"Đã chuyển thành chữ {done['transcribed']} chương trình ({transcriber.name}); "
                  f"{done['silent']} không có lời nói, {done['failed']} lỗi, {done['no_media']} không có tệp. "
                  "Chạy mediaplan classify để phân loại lại.", highlight=False)
