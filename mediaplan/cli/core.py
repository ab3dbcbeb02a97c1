"""The top-level commands: set up, crawl, classify, and the long-running web app and scheduler."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediaplan.cli._kit import console, fail, needs_db, refusals
from mediaplan.vocab import AdhocKind, label

# The source kinds an ad-hoc crawl can fetch from a bare URL, as a choice for --kind.


def init(admin: Annotated[Optional[str], typer.Option("--admin", help="Tạo tài khoản quản trị đầu tiên với tên này (mật khẩu in một lần).")] = None,
         email: Annotated[Optional[str], typer.Option("--email", help="E-mail của tài khoản quản trị.")] = None):
    """Tạo/cập nhật cơ sở dữ liệu và nạp dữ liệu kế hoạch (chạy lại an toàn)."""
    from mediaplan.db import migrate, session_scope
    from mediaplan.plans import current_plan
    from mediaplan.plans.sync import sync_plan
    from mediaplan.services.users import ensure_admin
    from mediaplan.settings import get_settings

    with refusals():
        plan = current_plan()
    migrate()
    with session_scope() as session:
        counts = sync_plan(session, plan)
    console.print(f"Cơ sở dữ liệu: {get_settings().db_url}")
    console.print(f"Kế hoạch [bold]{plan.meta.key}[/]: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if admin:
        with refusals(), session_scope() as session:
            password = ensure_admin(session, admin, email)
        if password:
            console.print(f"Tài khoản quản trị [bold]{admin}[/], mật khẩu (chỉ hiện một lần): [bold]{password}[/]", highlight=False)
        else:
            console.print(f"Tài khoản quản trị [bold]{admin}[/] đã có; giữ nguyên mật khẩu.", highlight=False)


@needs_db
def crawl(
    source: Annotated[Optional[list[str]], typer.Option("--source", help="Mã nguồn hoặc mã cơ quan (lặp lại được); mặc định: mọi nguồn đang bật.")] = None,
    url: Annotated[Optional[str], typer.Option(help="Địa chỉ nguồn tạm thời.")] = None,
    kind: Annotated[Optional[AdhocKind], typer.Option(help="Loại nguồn tạm thời: rss, sitemap, page hoặc youtube.")] = None,
    outlet: Annotated[Optional[str], typer.Option(help="Mã cơ quan của nguồn tạm thời.")] = None,
    snapshot: Annotated[Optional[str], typer.Option(help="Chuyển mọi yêu cầu tới máy chủ bản chụp cục bộ này (dùng ngoại tuyến).")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Hiện thanh tiến trình.")] = True,
):
    """Thu thập một lượt; in số tin mới, cập nhật, không đổi và lỗi theo từng nguồn."""
    from mediaplan.crawler.run import adhoc_source, run_crawl
    from mediaplan.vocab import SourceKind

    keys = list(source or [])
    if url or kind or outlet:
        if not (url and kind and outlet):
            fail("--url, --kind và --outlet phải đi cùng nhau")
        try:
            keys.append(adhoc_source(url, SourceKind(kind), outlet))
        except KeyError as exc:
            fail(str(exc.args[0]))
    try:
        result = run_crawl(keys or None, snapshot_url=snapshot, show_progress=progress)
    except KeyError as exc:
        fail(str(exc.args[0]))
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


@needs_db
def classify(
    all_: Annotated[bool, typer.Option("--all", help="Phân loại lại mọi tin, bài (giữ nhãn do biên tập viên đặt).")] = False,
    since: Annotated[Optional[str], typer.Option(help="Chỉ tin, bài đăng từ ngày này (YYYY-MM-DD).")] = None,
):
    """Phân loại tin, bài đã lưu: chủ đề kèm bằng chứng, cờ giáo dục/NQ 71, định dạng, cơ quan, địa phương, tin trùng."""
    from mediaplan.db import session_scope
    from mediaplan.localtime import local_midnight_utc
    from mediaplan.nlp.pipeline import classify_items

    when = None
    if since:
        try:
            when = local_midnight_utc(date.fromisoformat(since))
        except ValueError:
            fail(f"--since {since!r}: dùng dạng YYYY-MM-DD")
    with session_scope() as session:
        counts = classify_items(session, everything=all_, since=when, show_progress=True)
    if counts["items"]:
        from mediaplan.reports.cache import refresh_after_changes

        refresh_after_changes()  # the dashboard's figures of this month and the last, made now
    from mediaplan.i18n import number

    console.print(f"Đã phân loại {number(counts['items'])} tin, bài: giáo dục {number(counts['education'])}, "
                  f"NQ 71 {number(counts['nq71'])}")
    for code, n in sorted(counts["themes"].items(), key=lambda x: -x[1]):
        console.print(f"  {code}: {number(n)}")


def _read_text(file: str | None) -> str:
    if file in (None, "-"):
        return sys.stdin.read()
    path = Path(file)
    if not path.exists():
        fail(f"không có tệp {file}")
    return path.read_text(encoding="utf-8")


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
            fail(f"không có tệp {jsonl}")
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


def serve(
    host: Annotated[Optional[str], typer.Option(help="Địa chỉ lắng nghe.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Cổng.")] = None,
    wait: Annotated[int, typer.Option(min=0, max=3600, help="Số giây chờ cơ sở dữ liệu sẵn sàng khi khởi động.")] = 60,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Số tiến trình uvicorn (phiên đăng nhập nằm trong cookie "
                                                             "có chữ ký, nên các tiến trình dùng chung).")] = 1,
):
    """Chạy ứng dụng web (tổng quan, tin bài, bằng chứng, lịch) tại 127.0.0.1:8000."""
    import uvicorn

    from mediaplan.settings import get_settings

    _wait_for_database(wait)
    s = get_settings()
    if workers > 1:
        from mediaplan.auth.sessions import secret_key

        secret_key(s)  # made once here, before the workers start, rather than raced for by each of them
    uvicorn.run("mediaplan.web.app:create_app", factory=True, host=host or s.web_host, port=port or s.web_port,
                workers=workers, server_header=False, timeout_graceful_shutdown=10)  # no "server: uvicorn" (ASVS V14.3.3)


def _wait_for_database(seconds: int) -> None:
    """At start-up a database may still be coming up (containers, a rebooted host): retry every 2 s for
    `seconds`, one line per try, then give up with the one-line reason (`mediaplan.cli.main`). A wrong URL or a
    missing folder is not waited for: no amount of waiting mends it."""
    import time

    from sqlalchemy.exc import InterfaceError, OperationalError

    from mediaplan.cli._kit import err, refusals
    from mediaplan.db import ensure_ready, get_engine
    from mediaplan.db.failures import explain
    from mediaplan.settings import get_settings

    deadline = time.monotonic() + seconds
    while True:
        try:
            with refusals():
                ensure_ready()
            return
        except (OperationalError, InterfaceError) as exc:
            if time.monotonic() >= deadline:
                raise
            err.print(f"[yellow]Chờ cơ sở dữ liệu:[/] {explain(exc, get_settings().db_url)}; thử lại sau 2 giây",
                      highlight=False)
            get_engine.cache_clear()
            time.sleep(2)


@needs_db
def scheduler(
    once: Annotated[bool, typer.Option("--once", help="Chạy một lần các việc đã đến hạn rồi thoát (dùng với cron).")] = False,
):
    """Lịch chạy tự động: thu thập theo chu kỳ từng nguồn, phân loại, gửi báo cáo lúc 08:00 ngày 1 hằng tháng."""
    from mediaplan.scheduler import run_forever, run_once

    if not once:
        run_forever()
        return
    done = run_once()
    if done is None:
        console.print("Một lịch chạy khác đang giữ quyền điều phối (khóa leader): nó chạy các việc; lần này không chạy gì.")
        return
    for key, said in (("ran", "Đã chạy"), ("failed", "Lỗi (xem nhật ký)"), ("missed", "Bỏ lỡ quá hạn cho phép, đã hẹn lần sau")):
        if done[key]:
            console.print(f"{said}: {', '.join(done[key])}", highlight=False)
    if not any(done.values()):
        console.print("Chưa có việc nào đến hạn.")
    if done["failed"]:
        raise typer.Exit(1)


def demo(
    out: Annotated[Path, typer.Option(help="Nơi ghi báo cáo.")] = Path("out"),
):
    """Chạy thử toàn bộ quy trình ngoại tuyến: bản chụp, thu thập, phân loại, lịch, báo cáo, e-mail."""
    from mediaplan.demo import run_demo

    run_demo(out)


def backup(
    out: Annotated[Path, typer.Option("--out", help="Tệp sao lưu sẽ ghi (ghi đè nếu đã có).")],
):
    """Sao lưu cơ sở dữ liệu và kho trang gốc vào một tệp, kèm số dòng và mã băm từng bảng để kiểm tra khi khôi phục."""
    from mediaplan.i18n import number
    from mediaplan.services.backup import BackupError
    from mediaplan.services.backup import backup as make_backup
    from mediaplan.settings import get_settings

    s = get_settings()
    try:
        manifest = make_backup(s.db_url, s.data_dir, out)
    except BackupError as exc:
        fail(str(exc))
    rows = sum(t["rows"] for t in manifest["tables"].values())
    console.print(f"Đã sao lưu {number(len(manifest['tables']))} bảng, {number(rows)} dòng, "
                  f"{number(len(manifest['raw']))} trang gốc (phiên bản lược đồ {manifest['revision']}) vào {out}")


def restore(
    file: Annotated[Path, typer.Argument(help="Tệp do mediaplan backup tạo ra.")],
):
    """Khôi phục một bản sao lưu vào cơ sở dữ liệu đang cấu hình (phải trống), kiểm tra từng bảng rồi nâng lược đồ."""
    from mediaplan.db import migrate
    from mediaplan.i18n import number
    from mediaplan.services.backup import BackupError
    from mediaplan.services.backup import restore as load_backup
    from mediaplan.settings import get_settings

    s = get_settings()
    if not file.is_file():
        fail(f"không có tệp {file}")
    try:
        done = load_backup(file, s.db_url, s.data_dir)
    except BackupError as exc:
        fail(str(exc))
    migrate()
    console.print(f"Đã khôi phục {number(done.tables)} bảng, {number(done.rows)} dòng, "
                  f"{number(done.raw_files)} trang gốc; số dòng và mã băm khớp bản sao lưu "
                  f"(lược đồ {done.revision}, đã nâng lên bản mới nhất)")


def register(app: typer.Typer) -> None:
    """The top-level commands, in the order `mediaplan --help` lists them."""
    app.command()(init)
    app.command()(crawl)
    app.command()(classify)
    app.command("classify-text")(classify_text)
    app.command()(serve)
    app.command()(scheduler)
    app.command()(demo)
    app.command()(backup)
    app.command()(restore)
