"""`mediaplan nlp …`: train the theme model from editors' labels, evaluate it, show its state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediaplan.cli._kit import console, fail, month, needs_db, refusals

nlp_app = typer.Typer(help="Phân loại: huấn luyện mô hình từ nhãn của biên tập viên, đánh giá, trạng thái.",
                      no_args_is_help=True)


def _figures_table(title: str, rows: dict, compare: bool) -> Table:
    table = Table(title=title)
    table.add_column("chủ đề", no_wrap=True)
    table.add_column("số mẫu", justify="right")
    if compare:
        for name in ("quy tắc P", "R", "F1", "mô hình P", "R", "F1"):
            table.add_column(name, justify="right")
        table.add_column("dùng")
        for code, row in rows.items():
            r, m = row["rules"], row["model"]
            table.add_row(code, str(r["support"]), f"{r['precision']:.2f}", f"{r['recall']:.2f}", f"{r['f1']:.2f}",
                          f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}",
                          "[green]mô hình[/]" if row["use"] == "model" else "quy tắc")
    else:
        for name in ("P", "R", "F1"):
            table.add_column(name, justify="right")
        for code, r in rows.items():
            table.add_row(code, str(r["support"]), f"{r['precision']:.2f}", f"{r['recall']:.2f}", f"{r['f1']:.2f}")
    return table


@nlp_app.command("train")
@needs_db
def train(
    gold: Annotated[Optional[list[Path]], typer.Option(help="Thêm tệp tin có nhãn tay (định dạng bộ chuẩn YAML; lặp lại được).")] = None,
    epochs: Annotated[int, typer.Option(min=1, max=200, help="Số vòng huấn luyện.")] = 20,
):
    """Huấn luyện textcat_multilabel từ nhãn đã xác nhận; tách phần kiểm tra, so với quy tắc, in P/R/F1 từng chủ đề."""
    from mediaplan.db import session_scope
    from mediaplan.nlp.pipeline import model_dir
    from mediaplan.services.nlp import labelled_items, train_theme_model

    with refusals():
        with session_scope() as session:
            items = labelled_items(session, gold or [])
        console.print(f"Tin có nhãn xác nhận: {len(items)}")
        metrics = train_theme_model(items, epochs)
    console.print(_figures_table(f"Phần kiểm tra: {metrics['heldout']} tin (huấn luyện trên {metrics['train']})",
                                 metrics["themes"], compare=True))
    used = ", ".join(metrics["use_model"]) or "không chủ đề nào (quy tắc tốt hơn hoặc bằng)"
    console.print(f"Mô hình được dùng cho: {used}. Lưu ở {model_dir()}")


@nlp_app.command("evaluate")
@needs_db
def evaluate(
    gold: Annotated[Optional[Path], typer.Option(help="Đánh giá trên tệp tin có nhãn tay thay cho phần kiểm tra.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
):
    """Đánh giá bộ phân loại đang chạy (quy tắc + mô hình ở chủ đề nó thắng) trên phần kiểm tra hoặc một tệp."""
    from mediaplan.db import session_scope
    from mediaplan.services.nlp import evaluate_classifier

    with refusals(), session_scope() as session:
        rows, count, where = evaluate_classifier(session, gold)
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    console.print(_figures_table(f"{count} tin ({where})", rows, compare=False))


@nlp_app.command("status")
def status():
    """Mô hình hiện có: khi nào huấn luyện, trên bao nhiêu tin, chủ đề nào dùng mô hình và vì sao."""
    from mediaplan.services.nlp import model_metrics
    from mediaplan.settings import get_settings

    console.print(f"Bộ tách từ: {get_settings().tokenizer}")
    metrics = model_metrics()
    if metrics is None:
        console.print("Chưa có mô hình: mọi chủ đề theo quy tắc. Huấn luyện: mediaplan nlp train")
        return
    console.print(f"Huấn luyện lúc {metrics['trained_at']} trên {metrics['train']} tin, kiểm tra trên {metrics['heldout']} tin")
    console.print(_figures_table("Quy tắc và mô hình trên phần kiểm tra", metrics["themes"], compare=True))


@nlp_app.command("review")
@needs_db
def review(
    item_id: Annotated[Optional[int], typer.Argument(help="Tin cần quyết định; bỏ trống để xem hàng đợi.", min=1)] = None,
    keep: Annotated[Optional[list[str]], typer.Option("--keep", help="Nhãn đúng: `education` hoặc mã chủ đề (lặp lại được).")] = None,
    drop: Annotated[Optional[list[str]], typer.Option("--drop", help="Nhãn sai: `education` hoặc mã chủ đề (lặp lại được).")] = None,
    done: Annotated[bool, typer.Option("--done", help="Đã xem, không sửa gì: đưa tin ra khỏi hàng đợi.")] = False,
    by: Annotated[Optional[str], typer.Option(help="Người duyệt (bắt buộc khi quyết định).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Số tin mỗi trang.")] = 20,
    after: Annotated[Optional[str], typer.Option(help="Trang sau: vị trí in ở cuối trang trước.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON, mỗi tin một dòng.")] = False,
):
    """Hàng đợi duyệt: tin mà quy tắc và mô hình không thống nhất, hoặc mô hình kém chắc chắn nhất; quyết định từng nhãn."""
    from mediaplan.db import session_scope
    from mediaplan.services import review as svc

    if item_id is None:
        if keep or drop or done:
            fail("--keep/--drop/--done cần số tin, ví dụ: mediaplan nlp review 42 --keep education --by 'Tên'", code=2)
        with refusals(), session_scope() as session:
            items, cursor = svc.queue(session, limit, svc.Cursor.parse(after))
            size = svc.queue_size(session)
            rows = [_review_row(item, svc.reason(item)) for item in items]
        if as_json:
            for row in rows:
                console.print_json(json.dumps(row, ensure_ascii=False))
            return
        table = Table(title=f"Hàng đợi duyệt: {size} tin")
        for name in ("#", "tiêu đề", "giáo dục", "mô hình", "chủ đề", "lý do"):
            table.add_column(name)
        for row in rows:
            p = row["education_probability"]
            table.add_row(str(row["id"]), row["title"][:80], "có" if row["education"] else "không",
                          "" if p is None else f"{p:.2f}".replace(".", ","), ", ".join(row["themes"]), row["reason"])
        console.print(table)
        if cursor:
            console.print(f"Trang sau: mediaplan nlp review --after {cursor}")
        return
    if not (keep or drop or done):
        fail("cần --keep, --drop hoặc --done", code=2)
    with refusals(), session_scope() as session:
        for label in keep or []:
            svc.decide(session, item_id, label, True, by or "")
        for label in drop or []:
            svc.decide(session, item_id, label, False, by or "")
        if done:
            svc.done(session, item_id, by or "")
    console.print(f"Đã duyệt tin #{item_id}" + (f": đúng {', '.join(keep)}" if keep else "")
                  + (f"; sai {', '.join(drop)}" if drop else ""))


def _review_row(item, why: str) -> dict:
    return {"id": item.id, "title": item.title, "url": item.url, "outlet": item.outlet.key,
            "education": bool(item.education), "education_rules": item.education_rules,
            "education_probability": item.education_probability, "priority": item.review_priority,
            "themes": sorted(t.theme_code for t in item.themes if not t.removed), "reason": why}


@nlp_app.command("shortlist")
@needs_db
def shortlist(month_: Annotated[str, typer.Option("--month", help="Tháng, dạng YYYY-MM.")]):
    """Danh sách tin về gương điển hình, mô hình hay trong tháng: gợi ý cho đề xuất khen thưởng."""
    from mediaplan.db import session_scope
    from mediaplan.reports.metrics import exemplary_items

    month_ = month(month_)
    with session_scope() as session:
        rows = exemplary_items(session, month_)
    table = Table(title=f"Gương điển hình, mô hình hay — tháng {month_}")
    for name in ("ngày", "cơ quan", "tiêu đề", "bằng chứng", "địa bàn"):
        table.add_column(name)
    for r in rows:
        table.add_row(r["date"], r["outlet"], r["title"], r["evidence"], r["places"])
    console.print(table)
    console.print(f"{len(rows)} tin")
