"""`mediaplan report …`: a period's report, built as versions, reviewed, approved, e-mailed and logged.

    report build --period P --out DIR       a draft version (report.html, .docx, .pdf, .xlsx in DIR)
    report narrative --period P --section KEY --text-file FILE|--text TEXT
    report approve --period P               approve the latest version
    report send --period P [--to ADDR …] [--resend-uncertain]
    report deliveries --period P            who received which version, when, what the server answered
    report remind-units --period P [--dry-run]
                                            e-mail the units that have not posted about NQ 71 (once per period)

`--month` is the same option as `--period`. A malformed period: one line, exit 2. Who builds, edits, approves,
sends or reminds is `--by USERNAME` (else MEDIAPLAN_USER): an enabled analyst's or admin's account, whose username
the version, the narrative and the reminders record (`cli._kit.acting_user`); anyone else: one line, exit 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediaplan.auth.roles import Ability
from mediaplan.cli._kit import By, acting_user, console, err, fail, needs_db, refusals

report_app = typer.Typer(help="Báo cáo theo kỳ: tạo phiên bản, sửa nhận định, duyệt, gửi e-mail, nhật ký gửi.",
                         no_args_is_help=True)

PERIOD_HELP = "Kỳ báo cáo: tháng 2026-11, quý 2026-Q4, nửa năm 2026-H2, năm 2026 hoặc since-start (--month là tên cũ)."
PeriodOption = Annotated[str, typer.Option("--period", "--month", help=PERIOD_HELP)]
VersionOption = Annotated[Optional[int], typer.Option("--version", min=1, help="Phiên bản (mặc định: mới nhất).")]


def _period(value: str):
    """The Period typed, or one Vietnamese line and exit 2 (a usage error)."""
    from mediaplan.periods import PeriodError, parse_period

    try:
        return parse_period(value)
    except PeriodError as exc:
        fail(str(exc), code=2)


def _when(dt) -> str:
    from mediaplan.localtime import to_local

    return to_local(dt).strftime("%d/%m/%Y %H:%M") if dt else "—"


@report_app.command("build")
@needs_db
def report_build(
    period: PeriodOption,
    out: Annotated[Path, typer.Option(help="Thư mục kết quả.")] = Path("out"),
    by: By = None,
):
    """Tạo báo cáo của kỳ (report.html, report.docx, report.pdf, report.xlsx) và lưu thành một phiên bản nháp."""
    from mediaplan.db import session_scope
    from mediaplan.i18n import number
    from mediaplan.services.reports import build_period_report

    p = _period(period)
    by = acting_user(by, Ability.REPORTS)
    with refusals(), session_scope() as session:
        version, figures, new = build_period_report(session, p, out, by=by)
    t = figures["totals"]
    files = ", ".join(str(out / name) for name in ("report.html", "report.docx", "report.pdf", "report.xlsx")
                      if (out / name).exists())
    state = version.state.label
    kept = "" if new else " — nội dung không đổi, giữ phiên bản này"
    console.print(f"Báo cáo {p.label}, phiên bản {version.version} ({state}){kept}: {number(t['education'])} tin, bài "
                  f"giáo dục, {number(t['nq71'])} nêu NQ 71 → {files}", highlight=False)
    from mediaplan.reports.metrics import no_data_statement

    if statement := no_data_statement(figures):
        console.print(f"Kỳ {p.label}: {statement}", highlight=False)
    if version.state == "draft":
        console.print(f"Duyệt: mediaplan report approve --period {p.key} --by TÊN_ĐĂNG_NHẬP", highlight=False)


@report_app.command("approve")
@needs_db
def report_approve(
    period: PeriodOption,
    version: VersionOption = None,
    by: By = None,
):
    """Duyệt phiên bản mới nhất (hoặc --version) của báo cáo: chỉ phiên bản đã duyệt mới được gửi."""
    from mediaplan.db import session_scope
    from mediaplan.services.reports import approve_report

    p = _period(period)
    by = acting_user(by, Ability.REPORTS)
    with refusals(), session_scope() as session:
        v, now = approve_report(session, p, by, version)
    if now:
        console.print(f"Đã duyệt phiên bản {v.version} báo cáo {p.label} (bởi {v.approved_by}, {_when(v.approved_at)}). "
                      f"Gửi: mediaplan report send --period {p.key}", highlight=False)
    else:
        console.print(f"Phiên bản {v.version} báo cáo {p.label} đã được duyệt trước đó (bởi {v.approved_by or '—'}, "
                      f"{_when(v.approved_at)}; hiện: {v.state.label}).", highlight=False)


@report_app.command("send")
@needs_db
def report_send(
    period: PeriodOption,
    to: Annotated[Optional[list[str]], typer.Option("--to", help="Người nhận (lặp lại được); mặc định MEDIAPLAN_REPORT_RECIPIENTS.")] = None,
    resend_uncertain: Annotated[bool, typer.Option("--resend-uncertain", help="Gửi lại các e-mail không chắc đã tới (máy chủ chưa trả lời sau DATA).")] = False,
    version: VersionOption = None,
    by: By = None,
):
    """Gửi e-mail phiên bản đã duyệt; không bao giờ gửi hai lần một phiên bản cho cùng người nhận."""
    from mediaplan.db import session_scope
    from mediaplan.services.reports import NoRecipients, delivery_log, send_period_report

    p = _period(period)
    acting_user(by, Ability.REPORTS)
    with refusals():
        try:
            with session_scope() as session:
                result = send_period_report(session, p, to, number=version, resend_uncertain=resend_uncertain)
                rows = {d.recipient: d for d in delivery_log(session, p) if d.version.version == result["version"]}
        except NoRecipients:
            fail("chưa có người nhận: dùng --to hoặc đặt MEDIAPLAN_REPORT_RECIPIENTS")
    console.print(f"Báo cáo {p.label}, phiên bản {result['version']}. Đã gửi: {len(result['sent'])}; "
                  f"bỏ qua (đã gửi trước đó): {len(result['skipped'])}; lỗi: {len(result['failed'])}; "
                  f"không chắc đã gửi: {len(result['uncertain'])}", highlight=False)
    for address in result["failed"]:
        row = rows.get(address)
        retry = f"; thử lại lúc {_when(row.next_attempt_at)}" if row and row.next_attempt_at else ""
        err.print(f"Lỗi gửi {address}: {row.last_answer if row else ''}{retry}", highlight=False)
    for address in result["uncertain"]:
        err.print(f"Không chắc đã gửi {address}: máy chủ chưa trả lời sau khi nhận nội dung; hỏi người nhận, "
                  f"gửi lại bằng --resend-uncertain nếu cần", highlight=False)
    for address in result["busy"]:
        console.print(f"{address}: đang được gửi ở nơi khác, bỏ qua", highlight=False)
    if result["failed"] or result["uncertain"]:
        raise typer.Exit(2)


@report_app.command("deliveries")
@needs_db
def report_deliveries(period: PeriodOption):
    """Nhật ký gửi: mỗi phiên bản, ai đã nhận, lúc nào, máy chủ trả lời gì."""
    from mediaplan.db import session_scope
    from mediaplan.services.reports import delivery_log, report_versions

    p = _period(period)
    with refusals(), session_scope() as session:
        found = report_versions(session, p)
        log = delivery_log(session, p)
    if not found:
        console.print(f"Chưa có báo cáo kỳ {p.label}: chạy `mediaplan report build --period {p.key}`.", highlight=False)
        return
    versions = Table(title=f"Các phiên bản báo cáo {p.label}")
    for column in ("Phiên bản", "Trạng thái", "Tạo lúc", "Người tạo", "Duyệt bởi", "Duyệt lúc", "Mã nội dung"):
        versions.add_column(column)
    for v in sorted(found, key=lambda v: v.version):
        versions.add_row(str(v.version), v.state.label, _when(v.built_at), v.built_by or "—", v.approved_by or "—",
                         _when(v.approved_at), v.content_hash[:12])
    console.print(versions)
    if not log:
        console.print("Chưa gửi cho ai.")
        return
    table = Table(title=f"Nhật ký gửi báo cáo {p.label}")
    for column in ("Phiên bản", "Người nhận", "Trạng thái", "Số lần", "Gửi lúc", "Máy chủ trả lời", "Thử lại lúc", "Message-ID"):
        table.add_column(column, overflow="fold")
    for d in log:
        table.add_row(str(d.version.version), d.recipient, d.status.label, str(d.attempts), _when(d.sent_at),
                      d.last_answer or "—", _when(d.next_attempt_at), d.message_id or "—")
    console.print(table)
    uncertain = [d.recipient for d in log if d.status == "uncertain"]
    if uncertain:
        err.print(f"Không chắc đã gửi: {', '.join(uncertain)} — gửi lại bằng "
                  f"`mediaplan report send --period {p.key} --resend-uncertain` nếu người nhận chưa có", highlight=False)


@report_app.command("narrative")
@needs_db
def report_narrative(
    period: PeriodOption,
    section: Annotated[Optional[str], typer.Option(help="Phần: uu_diem, ton_tai, nguyen_nhan, phuong_huong, de_xuat.")] = None,
    text: Annotated[Optional[str], typer.Option(help="Nội dung mới (rỗng: trở lại bản dự thảo).")] = None,
    text_file: Annotated[Optional[Path], typer.Option("--text-file", help="Tệp UTF-8 chứa nội dung mới.")] = None,
    by: By = None,
):
    """Sửa một phần nhận định của báo cáo (giữ qua các lần tạo lại); không có --text/--text-file: xem các phần đã sửa."""
    from mediaplan.db import session_scope
    from mediaplan.reports.versions import NARRATIVE_SECTIONS, narrative_rows
    from mediaplan.services.reports import edit_narrative

    p = _period(period)
    if text is not None and text_file is not None:
        fail("dùng --text hoặc --text-file, không dùng cả hai", code=2)
    if text is None and text_file is None:
        with refusals(), session_scope() as session:
            rows = narrative_rows(session, p)
        if not rows:
            console.print(f"Báo cáo {p.label}: chưa sửa phần nhận định nào (dùng bản dự thảo).", highlight=False)
        for r in rows:
            console.print(f"[bold]{NARRATIVE_SECTIONS.get(r.section, r.section)}[/] ({r.section}; {r.edited_by}, "
                          f"{_when(r.edited_at)}):\n{r.text}", highlight=False)
        return
    if section is None:
        fail("cần --section để sửa một phần nhận định", code=2)
    by = acting_user(by, Ability.REPORTS)
    if text_file is not None:
        try:
            text = text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"không đọc được {text_file}: {exc}")
    with refusals(), session_scope() as session:
        row = edit_narrative(session, p, section, text or "", by)
    name = NARRATIVE_SECTIONS[section]
    if row is None:
        console.print(f"Phần «{name}» của báo cáo {p.label} trở lại bản dự thảo.", highlight=False)
    else:
        console.print(f"Đã lưu phần «{name}» của báo cáo {p.label} (bởi {row.edited_by}).", highlight=False)
    console.print(f"Tạo phiên bản mới có nội dung này: mediaplan report build --period {p.key} --out THƯ_MỤC", highlight=False)


@report_app.command("remind-units")
@needs_db
def report_remind_units(
    period: PeriodOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ xem ai sẽ được nhắc; không gửi, không ghi.")] = False,
    by: By = None,
):
    """Gửi e-mail nhắc các đơn vị chưa đăng tin, bài về NQ 71 trong kỳ (mục V.1, V.6); mỗi đơn vị một lần mỗi kỳ.

    Exit 1 when some send failed (nothing was recorded for it: the next run tries again), 0 otherwise; a unit
    without an address or not monitored is listed, not an error.
    """
    from mediaplan.db import session_scope
    from mediaplan.services.units import remind_silent_units

    p = _period(period)
    by = acting_user(by, Ability.REPORTS)  # the sender the message and the reminders' log name
    with refusals(), session_scope() as session:
        result = remind_silent_units(session, p, by, dry_run=dry_run)
    for line in result.problems:
        err.print(f"[yellow]Cảnh báo:[/] {line}", highlight=False)
    table = Table(title=f"Nhắc nhở đơn vị chưa đăng tin, bài về NQ 71 — {p.label}" + (" (xem trước)" if dry_run else ""))
    for column in ("Đơn vị", "E-mail", "Kết quả"):
        table.add_column(column, overflow="fold")
    for u in result.sent:
        table.add_row(u["name"], u["email"], "sẽ gửi" if dry_run else "đã gửi")
    for u in result.already:
        table.add_row(u["name"], u["recipient"], f"đã nhắc trước đó ({_when(u['sent_at'])}, {u['sent_by'] or '—'})")
    for u in result.failed:
        table.add_row(u["name"], u["email"], f"lỗi: {u['answer']}")
    for u in result.without_address:
        table.add_row(u["name"], "—", "chưa có e-mail")
    if table.row_count:
        console.print(table)
    verb = "Sẽ gửi" if dry_run else "Đã gửi"
    console.print(f"Nhắc nhở {p.label} — {verb}: {len(result.sent)}; đã nhắc trước đó: {len(result.already)}; "
                  f"chưa có e-mail: {len(result.without_address)}; lỗi: {len(result.failed)}; "
                  f"chưa theo dõi (không nhắc): {len(result.unwatched)}.", highlight=False)
    if result.without_address:
        console.print("Chưa có e-mail: " + ", ".join(u["name"] for u in result.without_address)
                      + " — ghi địa chỉ do đơn vị cung cấp vào unit_contacts.yaml (xã, phường, đặc khu) "
                        "hoặc trường email: trong agencies.yaml (sở, ngành).", highlight=False)
    if result.unwatched:
        console.print("Chưa theo dõi, không nhắc (chưa biết đã đăng hay chưa): "
                      + ", ".join(u["name"] for u in result.unwatched), highlight=False)
    for u in result.failed:
        err.print(f"Lỗi gửi nhắc nhở {u['name']} <{u['email']}>: {u['answer']}", highlight=False)
    if result.failed:
        err.print("Chưa ghi nhận các đơn vị lỗi: chạy lại lệnh để gửi lại.", highlight=False)
        raise typer.Exit(1)
