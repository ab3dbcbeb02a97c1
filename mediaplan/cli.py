"""The `mediaplan` command: a stable contract for users, cron jobs and outside checks."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from mediaplan import clikit
from mediaplan.calendar.commands import calendar_app
from mediaplan.nlp.commands import nlp_app
from mediaplan.vocab import CHANNELS, label

app = typer.Typer(help="mediaplan: theo dõi và lập kế hoạch truyền thông Nghị quyết 71-NQ/TW.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
report_app = typer.Typer(help="Báo cáo tháng: tạo và gửi e-mail.", no_args_is_help=True)
items_app = typer.Typer(help="Tin, bài đã thu thập.", no_args_is_help=True)
sources_app = typer.Typer(help="Nguồn thu thập và tình trạng của chúng.", no_args_is_help=True)
targets_app = typer.Typer(help="Chỉ tiêu của Kế hoạch (số liệu nhập tay).", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(report_app, name="report")
app.add_typer(items_app, name="items")
app.add_typer(sources_app, name="sources")
app.add_typer(targets_app, name="targets")
app.add_typer(nlp_app, name="nlp")

console, err = clikit.console, clikit.err
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_fail, needs_db, _month = clikit.fail, clikit.needs_db, clikit.month


@app.command()
def init():
    """Tạo/cập nhật cơ sở dữ liệu và nạp dữ liệu kế hoạch (chạy lại an toàn)."""
    from mediaplan.db import migrate, session_scope
    from mediaplan.plans import PlanError, current_plan
    from mediaplan.plans.sync import sync_plan
    from mediaplan.settings import get_settings

    try:
        plan = current_plan()
    except PlanError as exc:
        _fail(str(exc))
    migrate()
    with session_scope() as session:
        counts = sync_plan(session, plan)
    console.print(f"Cơ sở dữ liệu: {get_settings().db_url}")
    console.print(f"Kế hoạch [bold]{plan.meta.key}[/]: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command()
@needs_db
def crawl(
    source: Annotated[Optional[list[str]], typer.Option("--source", help="Mã nguồn hoặc mã cơ quan (lặp lại được); mặc định: mọi nguồn đang bật.")] = None,
    url: Annotated[Optional[str], typer.Option(help="Địa chỉ nguồn tạm thời.")] = None,
    kind: Annotated[Optional[str], typer.Option(help="Loại nguồn tạm thời: rss, sitemap, page hoặc youtube.")] = None,
    outlet: Annotated[Optional[str], typer.Option(help="Mã cơ quan của nguồn tạm thời.")] = None,
    snapshot: Annotated[Optional[str], typer.Option(help="Chuyển mọi yêu cầu tới máy chủ bản chụp cục bộ này (dùng ngoại tuyến).")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Hiện thanh tiến trình.")] = True,
):
    """Thu thập một lượt; in số tin mới, cập nhật, không đổi và lỗi theo từng nguồn."""
    from mediaplan.crawler.run import adhoc_source, run_crawl

    keys = list(source or [])
    if url or kind or outlet:
        if not (url and kind and outlet):
            _fail("--url, --kind và --outlet phải đi cùng nhau")
        if kind not in ("rss", "sitemap", "page", "youtube"):
            _fail(f"--kind {kind!r}: chọn rss, sitemap, page hoặc youtube")
        try:
            keys.append(adhoc_source(url, kind, outlet))
        except KeyError as exc:
            _fail(str(exc.args[0]))
    try:
        result = run_crawl(keys or None, snapshot_url=snapshot, show_progress=progress)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    table = Table(title=f"Lượt thu thập #{result['run_id']}")
    for col in ("nguồn", "mới", "cập nhật", "không đổi", "lỗi"):
        table.add_column(col, justify="left" if col == "nguồn" else "right")
    for key, c in result["sources"].items():
        table.add_row(key, str(c["new"]), str(c["updated"]), str(c["unchanged"]), str(c["failed"]))
    console.print(table)
    for key, c in result["sources"].items():
        for e in c["errors"][:3]:
            console.print(f"  [yellow]{key}[/]: {e}")
    for note in result["notes"]:
        console.print(f"  [dim]{note}[/]")


@app.command()
@needs_db
def classify(
    all_: Annotated[bool, typer.Option("--all", help="Phân loại lại mọi tin, bài (giữ nhãn do biên tập viên đặt).")] = False,
    since: Annotated[Optional[str], typer.Option(help="Chỉ tin, bài đăng từ ngày này (YYYY-MM-DD).")] = None,
):
    """Phân loại tin, bài đã lưu: chủ đề kèm bằng chứng, cờ giáo dục/NQ 71, định dạng, cơ quan, địa phương, tin trùng."""
    from mediaplan.db import session_scope
    from mediaplan.nlp.pipeline import classify_items

    when = None
    if since:
        try:
            when = datetime.combine(date.fromisoformat(since), datetime.min.time(), TZ).astimezone(timezone.utc)
        except ValueError:
            _fail(f"--since {since!r}: dùng dạng YYYY-MM-DD")
    with session_scope() as session:
        counts = classify_items(session, everything=all_, since=when, show_progress=True)
    console.print(f"Đã phân loại {counts['items']} tin, bài: giáo dục {counts['education']}, NQ 71 {counts['nq71']}")
    for code, n in sorted(counts["themes"].items(), key=lambda x: -x[1]):
        console.print(f"  {code}: {n}")


def _read_text(file: str | None) -> str:
    if file in (None, "-"):
        return sys.stdin.read()
    path = Path(file)
    if not path.exists():
        _fail(f"không có tệp {file}")
    return path.read_text(encoding="utf-8")


@app.command("classify-text")
def classify_text(
    file: Annotated[Optional[str], typer.Argument(help="Tệp văn bản (dòng đầu là tiêu đề), hoặc - để đọc từ đầu vào chuẩn.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
    jsonl: Annotated[Optional[Path], typer.Option("--jsonl", help='Chạy hàng loạt: mỗi dòng một {"id","title","text"} (thêm "url" nếu có).')] = None,
    url: Annotated[Optional[str], typer.Option(help="Địa chỉ của văn bản, nếu có (giúp nhận định dạng và kênh).")] = None,
):
    """Phân loại một văn bản (dòng đầu là tiêu đề) mà không lưu, cùng quy trình với tin đã lưu."""
    from mediaplan.nlp.pipeline import get_classifier

    clf = get_classifier()
    if jsonl is not None:
        if not jsonl.exists():
            _fail(f"không có tệp {jsonl}")
        with jsonl.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    result = clf.classify(row.get("title", ""), "", row.get("text", ""), url=row.get("url")).to_json()
                    out = {"id": row.get("id"), **result}
                except (json.JSONDecodeError, AttributeError) as exc:
                    out = {"id": None, "error": f"dòng {n}: {exc}"}
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return
    text = _read_text(file)
    title, _, body = text.strip("\ufeff").partition("\n")
    result = clf.classify(title.strip(), "", body.strip(), url=url).to_json()
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        return
    console.print(f"giáo dục: {result['education']}  NQ 71: {result['nq71']}  định dạng: {label('format', result['format'])}")
    for t in result["themes"]:
        console.print(f"  [bold]{t['code']}[/] {t['score']}: " + ", ".join(e["text"] for e in t["evidence"][:6]))


EXPORT_FIELDS = ["id", "url", "outlet", "source", "kind", "channel", "format", "title", "sapo", "body", "author",
                 "published_at", "themes", "education", "nq71", "cluster_id"]


@items_app.command("export")
@needs_db
def items_export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl, csv hoặc xlsx.")] = "jsonl",
    month: Annotated[Optional[str], typer.Option(help="Chỉ tin, bài đăng trong tháng này (YYYY-MM).")] = None,
    theme: Annotated[Optional[str], typer.Option(help="Chỉ tin, bài có mã chủ đề này.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Tệp kết quả (mặc định: đầu ra chuẩn; bắt buộc với xlsx).")] = None,
):
    """Xuất tin, bài kèm nhãn (jsonl, csv, xlsx)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from mediaplan.calendar.month import month_bounds
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Item

    if fmt not in ("jsonl", "csv", "xlsx"):
        _fail("--format: jsonl, csv hoặc xlsx")
    if fmt == "xlsx" and out is None:
        _fail("xlsx cần --out FILE")
    with session_scope() as session:
        query = select(Item).options(selectinload(Item.themes), selectinload(Item.outlet), selectinload(Item.source)).order_by(Item.published_at, Item.id)
        if month:
            start, end = month_bounds(_month(month))
            query = query.where(Item.published_at >= start, Item.published_at < end)
        rows = []
        for i in session.scalars(query):
            codes = sorted(t.theme_code for t in i.themes if not t.removed)
            if theme and theme not in codes:
                continue
            rows.append({"id": i.id, "url": i.url, "outlet": i.outlet.key, "source": i.source.key if i.source else None,
                         "kind": i.kind, "channel": i.channel, "format": i.format, "title": i.title, "sapo": i.sapo,
                         "body": i.body, "author": i.author,
                         "published_at": i.published_at.astimezone(TZ).isoformat() if i.published_at else None,
                         "themes": codes, "education": bool(i.education), "nq71": bool(i.nq71), "cluster_id": i.cluster_id})
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "themes": ";".join(r["themes"])})
        text = buf.getvalue()
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "items"
        ws.append(EXPORT_FIELDS)
        for r in rows:
            ws.append([";".join(r[f]) if f == "themes" else r[f] for f in EXPORT_FIELDS])
        out.parent.mkdir(parents=True, exist_ok=True)
        wb.save(out)
        err.print(f"{len(rows)} tin, bài → {out}")
        return
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        err.print(f"{len(rows)} tin, bài → {out}")
    else:
        sys.stdout.write(text)


@items_app.command("label")
@needs_db
def items_label(
    item_id: Annotated[int, typer.Argument(help="Số hiệu tin, bài.")],
    by: Annotated[str, typer.Option(help="Người sửa nhãn (được ghi lại).")],
    add: Annotated[Optional[list[str]], typer.Option("--add", help="Thêm chủ đề (lặp lại được).")] = None,
    remove: Annotated[Optional[list[str]], typer.Option("--remove", help="Bỏ chủ đề (lặp lại được).")] = None,
    confirm: Annotated[Optional[list[str]], typer.Option("--confirm", help="Xác nhận chủ đề (lặp lại được).")] = None,
):
    """Biên tập viên xác nhận, thêm hoặc bỏ chủ đề; nhãn thủ công không bị phân loại lại ghi đè."""
    from mediaplan.db import session_scope
    from mediaplan.nlp.labels import LabelError, set_label

    changes = [("add", t) for t in add or []] + [("remove", t) for t in remove or []] + [("confirm", t) for t in confirm or []]
    if not changes:
        _fail("cần ít nhất một --add, --remove hoặc --confirm")
    try:
        with session_scope() as session:
            for action, theme in changes:
                set_label(session, item_id, theme, action, by)
    except LabelError as exc:
        _fail(str(exc))
    console.print(f"Tin, bài #{item_id}: " + ", ".join(f"{a} {t}" for a, t in changes) + f" (bởi {by})")


@sources_app.command("list")
@needs_db
def sources_list():
    """Tình trạng từng nguồn: loại, chu kỳ, lần thành công gần nhất, lỗi, số lần lỗi liên tiếp, số tin 7/30 ngày."""
    from mediaplan.crawler.health import source_health
    from mediaplan.db import session_scope

    table = Table(title="Nguồn thu thập")
    for col in ("nguồn", "loại", "chu kỳ", "thành công gần nhất", "lỗi liên tiếp", "7 ngày", "30 ngày", "lỗi gần nhất"):
        table.add_column(col)
    with session_scope() as session:
        rows = source_health(session)
        for h in rows:
            s = h.source
            table.add_row(s.key + ("" if s.enabled else " (tắt)"), label("source_kind", s.kind), f"{s.interval_minutes} phút",
                          s.last_success_at.astimezone(TZ).strftime("%d/%m %H:%M") if s.last_success_at else "—",
                          str(s.consecutive_failures), str(h.last_7), str(h.last_30), (s.last_error or "")[:60])
        console.print(table)
        for h in rows:
            if h.silent:
                console.print(f"[yellow]Cảnh báo:[/] {h.source.key} không có tin, bài nào trong 7 ngày, "
                              f"trong khi thường có {h.usual_per_week:.1f} tin, bài mỗi tuần")


@sources_app.command("add")
@needs_db
def sources_add(
    key: Annotated[str, typer.Argument(help="Mã nguồn mới.")],
    outlet: Annotated[str, typer.Option(help="Mã cơ quan.")],
    kind: Annotated[str, typer.Option(help="Loại nguồn: rss, sitemap, page, youtube, social_feed.")],
    url: Annotated[str, typer.Option(help="Địa chỉ nguồn.")],
    channel: Annotated[str, typer.Option(help=f"Mã kênh: {', '.join(CHANNELS)}.")],
    platform: Annotated[Optional[str], typer.Option(help="Nền tảng (facebook, tiktok, zalo, youtube…) cho nguồn mạng xã hội.")] = None,
    interval: Annotated[int, typer.Option(help="Chu kỳ thu thập (phút).")] = 60,
    article_pattern: Annotated[Optional[str], typer.Option(help="Biểu thức chính quy nhận diện đường dẫn bài (trang chuyên mục).")] = None,
    next_page: Annotated[Optional[str], typer.Option(help="Bộ chọn CSS của liên kết trang sau.")] = None,
):
    """Thêm nguồn mà không sửa YAML (giữ nguyên khi nạp lại kế hoạch)."""
    import re

    from sqlalchemy import select

    from mediaplan.crawler.spider import SUPPORTED_KINDS
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Outlet, Source

    if kind not in SUPPORTED_KINDS:
        _fail(f"--kind {kind!r}: chọn một trong {', '.join(SUPPORTED_KINDS)}")
    if channel not in CHANNELS:
        _fail(f"--channel {channel!r}: chọn một trong {', '.join(CHANNELS)}")
    if not url.startswith(("http://", "https://")):
        _fail(f"--url {url!r}: cần địa chỉ http(s)")
    if article_pattern:
        try:
            re.compile(article_pattern)
        except re.error as exc:
            _fail(f"--article-pattern không hợp lệ: {exc}")
    with session_scope() as session:
        owner = session.scalar(select(Outlet).where(Outlet.key == outlet))
        if owner is None:
            _fail(f"không có cơ quan {outlet!r}")
        if session.scalar(select(Source).where(Source.key == key)):
            _fail(f"đã có nguồn {key!r}")
        config = {k: v for k, v in {"article_pattern": article_pattern, "next_page": next_page, "added_by": "cli"}.items() if v}
        session.add(Source(key=key, outlet_id=owner.id, kind=kind, url=url, channel=channel, platform=platform,
                           interval_minutes=interval, config=config))
    console.print(f"Đã thêm nguồn {key}")


@sources_app.command("check")
@needs_db
def sources_check(
    key: Annotated[str, typer.Argument(help="Mã nguồn.")],
    limit: Annotated[int, typer.Option(help="Số tin, bài xem trước tối đa.")] = 5,
    snapshot: Annotated[Optional[str], typer.Option(help="Chuyển yêu cầu tới máy chủ bản chụp cục bộ này.")] = None,
):
    """Lấy thử một nguồn và in những gì sẽ trích xuất, không lưu gì (để chỉnh bộ chọn)."""
    from mediaplan.crawler.run import preview_source

    try:
        items, counts = preview_source(key, snapshot_url=snapshot, limit=limit)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    for item in items:
        when = item.published_at.astimezone(TZ).strftime("%d/%m/%Y %H:%M") if item.published_at else "không rõ ngày"
        console.print(f"[bold]{item.title}[/]\n  {item.url}\n  {when} · {item.author or 'không rõ tác giả'} · "
                      f"{len(item.body.split())} từ · trích xuất: {(item.extra or {}).get('extractor', '—')}")
        if item.sapo:
            console.print(f"  sapo: {item.sapo[:160]}")
    for error in counts["errors"]:
        console.print(f"  [yellow]lỗi:[/] {error}")
    console.print(f"{len(items)} tin, bài xem trước; không có gì được lưu.")
    if not items and counts["errors"]:
        raise typer.Exit(2)


def _set_enabled(key: str, enabled: bool) -> None:
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Source

    with session_scope() as session:
        source = session.scalar(select(Source).where(Source.key == key))
        if source is None:
            _fail(f"không có nguồn {key!r}")
        source.enabled = enabled
        # Remembered across plan refreshes: `init` does not turn back on what an admin turned off.
        source.config = {**(source.config or {}), "disabled_manually": not enabled}
    console.print(f"Nguồn {key}: {'bật' if enabled else 'tắt'}")


@sources_app.command("disable")
@needs_db
def sources_disable(key: Annotated[str, typer.Argument(help="Mã nguồn.")]):
    """Tắt một nguồn (không thu thập nữa, giữ lại tin đã có)."""
    _set_enabled(key, False)


@sources_app.command("enable")
@needs_db
def sources_enable(key: Annotated[str, typer.Argument(help="Mã nguồn.")]):
    """Bật lại một nguồn."""
    _set_enabled(key, True)


@targets_app.command("set")
@needs_db
def targets_set(
    key: Annotated[str, typer.Argument(help="Mã chỉ tiêu, ví dụ staff_trained_2030.")],
    value: Annotated[float, typer.Option(help="Số liệu (tỷ lệ 0–1 cho phần trăm).")],
    evidence: Annotated[str, typer.Option(help="Nguồn của số liệu (số văn bản, danh sách).")],
    as_of: Annotated[Optional[str], typer.Option(help="Ngày của số liệu, YYYY-MM-DD (mặc định hôm nay).")] = None,
    by: Annotated[str, typer.Option(help="Người nhập.")] = "sgddt",
):
    """Nhập số liệu chỉ tiêu đếm tay, kèm chứng cứ."""
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Target, TargetValue

    try:
        when = date.fromisoformat(as_of) if as_of else datetime.now(TZ).date()
    except ValueError:
        _fail(f"--as-of {as_of!r}: dùng dạng YYYY-MM-DD")
    with session_scope() as session:
        target = session.scalar(select(Target).where(Target.key == key))
        if target is None:
            _fail(f"không có chỉ tiêu {key!r}")
        if target.unit == "ratio" and not 0 <= value <= 1:
            _fail("tỷ lệ phải trong khoảng 0–1 (ví dụ 0.45 cho 45%)")
        session.add(TargetValue(target_key=key, as_of=when, value=value, evidence=evidence, entered_by=by))
    console.print(f"Đã ghi {key} = {value} ({when})")


# --- reports ----------------------------------------------------------------------------------


@report_app.command("build")
@needs_db
def report_build(
    month: Annotated[str, typer.Option(help="Tháng, dạng YYYY-MM.")],
    out: Annotated[Path, typer.Option(help="Thư mục kết quả.")] = Path("out"),
):
    """Tạo báo cáo tháng: report.html và report.xlsx."""
    from mediaplan.db import session_scope
    from mediaplan.reports.build import build_report

    with session_scope() as session:
        _, figures = build_report(session, _month(month), out)
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
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Report
    from mediaplan.reports.build import build_report
    from mediaplan.reports.mail import send_report
    from mediaplan.settings import get_settings

    settings = get_settings()
    recipients = list(to or settings.report_recipients)
    if not recipients:
        _fail("chưa có người nhận: dùng --to hoặc đặt MEDIAPLAN_REPORT_RECIPIENTS")
    with session_scope() as session:
        if session.scalar(select(Report).where(Report.period == _month(month))) is None:
            build_report(session, month, out / month)
            session.commit()
        result = send_report(session, settings, month, recipients)
    console.print(f"Đã gửi: {len(result['sent'])}; bỏ qua (đã gửi trước đó): {len(result['skipped'])}; lỗi: {len(result['failed'])}")
    if result["failed"]:
        raise typer.Exit(2)


# --- long-running -----------------------------------------------------------------------------


@app.command()
@needs_db
def serve(
    host: Annotated[Optional[str], typer.Option(help="Địa chỉ lắng nghe.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Cổng.")] = None,
):
    """Chạy ứng dụng web (tổng quan, tin bài, bằng chứng, lịch) tại 127.0.0.1:8000."""
    import uvicorn

    from mediaplan.settings import get_settings

    s = get_settings()
    uvicorn.run("mediaplan.web.app:create_app", factory=True, host=host or s.web_host, port=port or s.web_port)


@app.command()
@needs_db
def scheduler():
    """Lịch chạy tự động: thu thập theo chu kỳ từng nguồn, phân loại, gửi báo cáo lúc 08:00 ngày 1 hằng tháng."""
    from mediaplan.scheduler import run_forever

    run_forever()


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Nơi ghi báo cáo.")] = Path("out"),
):
    """Chạy thử toàn bộ quy trình ngoại tuyến: bản chụp, thu thập, phân loại, lịch, báo cáo, e-mail."""
    from mediaplan.demo import run_demo

    run_demo(out)


if __name__ == "__main__":
    app()
