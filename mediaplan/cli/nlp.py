"""`mediaplan nlp …`: retrain the learned models, evaluate the running classifier, show what is in use, review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediaplan.auth.roles import Ability
from mediaplan.cli._kit import BY_HELP, acting_user, console, fail, needs_db, refusals

nlp_app = typer.Typer(help="Phân loại: huấn luyện lại mô hình học (dữ liệu huấn luyện, tập gán nhãn, nhãn của biên tập viên), "
                           "đánh giá, trạng thái, hàng đợi duyệt.", no_args_is_help=True)

HOW = {"rules": "quy tắc", "model": "mô hình", "or": "quy tắc HOẶC mô hình", "and": "quy tắc VÀ mô hình"}
SOURCES = {"editors": "nhãn của biên tập viên"}


def _dec(value: float | None, places: int = 2) -> str:
    """A figure as Vietnamese writes it: 0,93 ("—" for none)."""
    return "—" if value is None else f"{value:.{places}f}".replace(".", ",")


def _int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", ".")


def _sources(sources: dict) -> str:
    return "; ".join(f"{SOURCES.get(name, name)} {_int(c['items'])} tin ({_int(c['education'])} giáo dục)"
                     for name, c in sources.items())


def _combination(combine: dict, thresholds: dict) -> str:
    parts = []
    for view, name in (("full", "bài đầy đủ"), ("short", "mục ngắn (không thân bài, ≤ 80 từ)")):
        how = combine.get(view, "rules")
        parts.append(f"{name}: " + ("quy tắc quyết định" if how == "rules" else f"{HOW[how]} ≥ {_dec(thresholds.get(view))}"))
    return "; ".join(parts)


def _figures_table(title: str, rows: dict) -> Table:
    table = Table(title=title)
    table.add_column("nhãn", no_wrap=True)
    table.add_column("số mẫu", justify="right")
    for name in ("P", "R", "F1"):
        table.add_column(name, justify="right")
    for code, r in rows.items():
        table.add_row(code, str(r["support"]), _dec(r["precision"]), _dec(r["recall"]), _dec(r["f1"]))
    return table


@nlp_app.command("train")
@needs_db
def train(
    out: Annotated[Optional[Path], typer.Option(
        "--out", file_okay=False,
        help="Thư mục ghi mô hình (mặc định: <MEDIAPLAN_DATA_DIR>/models); `--out mediaplan/nlp/models` dựng lại "
             "bản đóng gói trong kho mã.")] = None,
):
    """Huấn luyện lại mô hình cờ giáo dục và đo lại mô hình chủ đề từ ../shared/data/training/ (hoặc MEDIAPLAN_TRAINING_DIR), tập gán nhãn themes-v1 và nhãn của biên tập viên; ghi thẻ mô hình, đưa bản mới vào dùng."""  # noqa: E501
    from mediaplan.db import session_scope
    from mediaplan.services import nlp as svc

    with refusals():
        svc.require_corpus()
        with session_scope() as session:
            editors = svc.editor_examples(session)
        console.print(f"Nhãn của biên tập viên: {_int(len(editors['education']))} tin có quyết định về cờ giáo dục, "
                      f"{_int(len(editors['themes']))} tin có quyết định về chủ đề")
        try:
            result = svc.train_models(editors, out)
        except OSError as exc:
            fail(f"không ghi được mô hình vào {exc.filename or out}: {exc.strerror or exc}")
    edu = result["education"]
    console.print(f"Cờ giáo dục: {_int(edu['features'])} đặc trưng, {_dec(edu['size'] / 1e6, 1)} MB → {edu['folder']}")
    console.print(f"  Nguồn: {_sources(edu['sources'])}")
    console.print(f"  Kết hợp với quy tắc: {_combination(edu['combine'], edu['thresholds'])}")
    themes = result["themes"]
    if themes is None:
        console.print("Chủ đề: không có tập gán nhãn themes-v1 hoặc không ghép được với dữ liệu huấn luyện; giữ nguyên số đo cũ")
    else:
        state = "đã bật" if themes["enabled"] else "chưa bật: mọi chủ đề theo quy tắc"
        console.print(f"Chủ đề: đo lại trên {_int(themes['items'])} tin ({_int(themes['annotated'])} của tập gán nhãn "
                      f"{themes['set']}, {_int(themes['editors_labels'])} tin biên tập viên đã quyết định); mô hình {state} "
                      f"→ {themes['folder']}")
    console.print(f"Xong trong {_dec(result['seconds'], 1)} s. Thẻ mô hình: {Path(edu['folder']) / 'MODEL_CARD.md'}")


@nlp_app.command("evaluate")
def evaluate(
    gold: Annotated[Optional[Path], typer.Option(help="Tệp tin có nhãn tay, định dạng bộ chuẩn YAML (như tests/fixtures/gold/).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
):
    """Đánh giá bộ phân loại đang chạy (quy tắc và mô hình cờ giáo dục đang dùng) trên một tệp tin có nhãn tay: P/R/F1 từng nhãn."""
    from mediaplan.services.nlp import evaluate_gold

    if gold is None:
        fail("cần --gold TỆP (tin có nhãn tay, định dạng bộ chuẩn YAML); độ chính xác trên tin biên tập viên đã duyệt: "
             "mediaplan nlp status", code=2)
    with refusals():
        rows, count = evaluate_gold(gold)
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    console.print(_figures_table(f"{count} tin ({gold})", rows))


@nlp_app.command("status")
@needs_db
def status(as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON (cho máy đọc).")] = False):
    """Mô hình đang dùng: cờ giáo dục (huấn luyện khi nào, trên nguồn nào, ngưỡng, cách kết hợp) và từng chủ đề: số đo trên phần giữ lại (quy tắc, mô hình, bên nào quyết định) bên cạnh độ chính xác trên tin biên tập viên đã duyệt 90 ngày qua."""  # noqa: E501
    from mediaplan.db import session_scope
    from mediaplan.services.nlp import status as read_status

    with refusals(), session_scope() as session:
        data = read_status(session)
    if as_json:
        console.print_json(json.dumps(data, ensure_ascii=False))
        return
    console.print(f"Bộ tách từ: {data['tokenizer']}")
    edu, themes, days = data["education"], data["themes"], data["window_days"]
    table = Table(title=f"Số đo trên phần giữ lại và trên tin biên tập viên đã duyệt ({days} ngày qua)")
    for name, right in (("nhãn", False), ("dương", True), ("quy tắc P", True), ("R", True), ("F1", True),
                        ("mô hình P", True), ("R", True), ("F1", True), ("dùng", False),
                        ("đã duyệt", True), ("giữ", True), ("P duyệt", True), ("BTV thêm", True)):
        table.add_column(name, justify="right" if right else "left", no_wrap=not right)

    def reviewed_cells(r):
        return [_int(r["reviewed"]), _int(r["kept"]), _dec(r["precision"]), _int(r["added"])] if r else ["0", "—", "—", "—"]

    if edu is None:
        console.print("Cờ giáo dục: không có mô hình học; quy tắc quyết định")
    else:
        where = "bản đóng gói" if edu["packaged"] else "bản huấn luyện lại"
        console.print(f"Cờ giáo dục: mô hình học ({edu.get('kind', '?')}), huấn luyện ngày {edu.get('trained', '?')}; "
                      f"{where}: {edu['folder']}")
        console.print(f"  Nguồn: {_sources(edu.get('sources', {}))}")
        console.print(f"  Kết hợp với quy tắc: {_combination(edu['combine'], edu['thresholds'])}")
        short = next((r for name, r in edu["heldout"].items() if r["view"] == "short"), None)
        if short:
            m = short["model"] or short["rules"]
            table.add_row("education (mục ngắn)", _int(short["rules"]["positives"]), _dec(short["rules"]["precision"]),
                          _dec(short["rules"]["recall"]), _dec(short["rules"]["f1"]), _dec(m["precision"]),
                          _dec(m["recall"]), _dec(m["f1"]), HOW[short["use"]], *reviewed_cells(edu["reviewed"]))
        else:
            table.add_row("education", *["—"] * 8, *reviewed_cells(edu["reviewed"]))
    state = "đã bật" if themes.get("enabled") else "chưa bật, mọi chủ đề theo quy tắc"
    where = "bản đóng gói" if themes["packaged"] else "bản huấn luyện lại"
    console.print(f"Chủ đề: đo ngày {themes.get('trained') or '?'} trên tập gán nhãn {themes.get('set') or 'themes-v1'}"
                  + (f" ({_int(themes['items'])} tin, {_int(themes.get('editors_labels') or 0)} của biên tập viên)"
                     if themes.get("items") else "")
                  + f", 5-fold lồng nhau; mô hình chủ đề {state}; {where}: {themes['folder']}")
    waiting = set(themes.get("would_decide") or []) if not themes.get("enabled") else set()
    for code, row in themes["themes"].items():
        held = row["heldout"]
        if held:
            r, m = held["rules"], held["model"]
            cells = [_int(r["positives"]), _dec(r["precision"]), _dec(r["recall"]), _dec(r["f1"]),
                     _dec(m["precision"]), _dec(m["recall"]), _dec(m["f1"]),
                     HOW.get(held["use"], held["use"]) + ("*" if code in waiting else "")]
        else:
            cells = ["—"] * 7 + ["quy tắc"]
        table.add_row(code, *cells, *reviewed_cells(row["reviewed"]))
    console.print(table)
    if waiting:
        console.print("* mô hình thắng rõ quy tắc trên phần giữ lại nhưng chưa bật: trên tin của tỉnh nó sai nhiều hơn đúng "
                      "(xem MODEL_CARD.md của mô hình chủ đề).")
    console.print("Phần giữ lại: tin mô hình không thấy khi học (education: tiêu đề + 40 từ của bài VnExpress nhóm kiểm "
                  "tra; chủ đề: tập gán nhãn, 5-fold). Đã duyệt: đề xuất của bộ phân loại mà biên tập viên đã quyết "
                  "định; P duyệt = giữ / đã duyệt, con số có thể trích dẫn; BTV thêm: nhãn biên tập viên thêm mà bộ "
                  "phân loại bỏ sót.")


@nlp_app.command("review")
@needs_db
def review(
    item_id: Annotated[Optional[int], typer.Argument(help="Tin cần quyết định; bỏ trống để xem hàng đợi.", min=1)] = None,
    keep: Annotated[Optional[list[str]], typer.Option("--keep", help="Nhãn đúng: `education` hoặc mã chủ đề (lặp lại được).")] = None,
    drop: Annotated[Optional[list[str]], typer.Option("--drop", help="Nhãn sai: `education` hoặc mã chủ đề (lặp lại được).")] = None,
    done: Annotated[bool, typer.Option("--done", help="Đã xem, không sửa gì: đưa tin ra khỏi hàng đợi.")] = False,
    by: Annotated[Optional[str], typer.Option("--by", help=BY_HELP + " Cần khi quyết định.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Số tin mỗi trang.")] = 20,
    after: Annotated[Optional[str], typer.Option(help="Trang sau: vị trí in ở cuối trang trước.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON, mỗi tin một dòng.")] = False,
):
    """Hàng đợi duyệt: tin mà quy tắc và mô hình không thống nhất, hoặc mô hình kém chắc chắn nhất; quyết định từng nhãn."""
    from mediaplan.db import session_scope
    from mediaplan.services import review as svc

    if item_id is None:
        if keep or drop or done:
            fail("--keep/--drop/--done cần số tin, ví dụ: mediaplan nlp review 42 --keep education --by TÊN_ĐĂNG_NHẬP", code=2)
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
    by = acting_user(by, Ability.REVIEW)
    with refusals(), session_scope() as session:
        for label in keep or []:
            svc.decide(session, item_id, label, True, by)
        for label in drop or []:
            svc.decide(session, item_id, label, False, by)
        if done:
            svc.done(session, item_id, by)
    console.print(f"Đã duyệt tin #{item_id}" + (f": đúng {', '.join(keep)}" if keep else "")
                  + (f"; sai {', '.join(drop)}" if drop else ""))


def _review_row(item, why: str) -> dict:
    return {"id": item.id, "title": item.title, "url": item.url, "outlet": item.outlet.key,
            "education": bool(item.education), "education_rules": item.education_rules,
            "education_probability": item.education_probability, "priority": item.review_priority,
            "themes": sorted(t.theme_code for t in item.themes if not t.removed), "reason": why}


@nlp_app.command("shortlist")
@needs_db
def shortlist(period: Annotated[str, typer.Option(
        "--month", "--period",
        help="Tháng YYYY-MM, hoặc kỳ báo cáo: quý 2026-Q4, nửa năm 2026-H2, năm 2026, since-start.")]):
    """Danh sách tin về gương điển hình, mô hình hay trong kỳ: gợi ý cho đề xuất khen thưởng (cùng danh sách với mục «Gương điển hình» của báo cáo)."""  # noqa: E501
    from mediaplan.db import session_scope
    from mediaplan.periods import PeriodError, parse_period
    from mediaplan.reports.metrics import exemplary_items

    try:
        p = parse_period(period)
    except PeriodError as exc:
        fail(str(exc), code=2)
    with session_scope() as session:
        rows = exemplary_items(session, p, cap=None)
    table = Table(title=f"Gương điển hình, mô hình hay — {p.label}")
    for name in ("ngày", "cơ quan", "tiêu đề", "chủ đề", "bằng chứng", "địa bàn"):
        table.add_column(name)
    table.add_column("liên kết", overflow="fold")  # whole, to be copied: never cut with an ellipsis
    for r in rows:
        table.add_row(r["date"], r["outlet"], r["title"], r["theme_names"], r["evidence"], r["places"], r["link"] or "—")
    console.print(table)
    console.print(f"{_int(len(rows))} tin" if rows else f"Trong {p.label} không có tin, bài nào về gương điển hình, mô hình hay.")
