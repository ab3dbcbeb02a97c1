"""`mediaplan registers …`: the registers of dissemination conferences and courses (plan II.1, III.4), their
evidence files and the units' headcounts, from which the staff targets are counted (services.registers).

Bad input (an unknown kind, a malformed date, a file that is not an XLSX, an unknown unit) is one Vietnamese line
and exit status 2, like a usage error, because the command was given something it cannot take; an import whose
file is read but some rows are refused imports the rest, prints one line per refused row and exits 1. Who enters
it (--by, else MEDIAPLAN_USER) is an enabled analyst's or admin's account, else one line and exit 1, nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mediaplan.auth.roles import Ability
from mediaplan.cli._kit import By, acting_user, console, err, fail, needs_db
from mediaplan.vocab import RegisterKind

registers_app = typer.Typer(help="Sổ theo dõi hội nghị quán triệt, lớp đào tạo, bồi dưỡng và biên chế của đơn vị.",
                            no_args_is_help=True)
BAD_INPUT = 2


def _who(by: str | None) -> str:
    """The analyst (or admin) entering it: the username every register row records."""
    return acting_user(by, Ability.REGISTERS)


def _read(path: Path) -> bytes:
    """A file's bytes, or one line saying why not (missing, a folder, too big to be evidence)."""
    from mediaplan.services.registers import MAX_FILE_BYTES

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            fail(f"{path}: tệp lớn hơn {MAX_FILE_BYTES // (1024 * 1024)} MB", BAD_INPUT)
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError):
        fail(f"không đọc được tệp {path}", BAD_INPUT)


def _refused(exc: ValueError):
    field = getattr(exc, "field", None)
    fail(f"--{field.replace('_', '-')} {exc}" if field and field != "by" else str(exc), BAD_INPUT)


@registers_app.command("add")
@needs_db
def add(
    kind: Annotated[RegisterKind, typer.Option(help="training (lớp đào tạo, bồi dưỡng) | conference (hội nghị quán triệt).")],
    title: Annotated[str, typer.Option(help="Tên hội nghị, lớp đào tạo.")],
    date: Annotated[str, typer.Option(help="Ngày tổ chức, YYYY-MM-DD.")],
    organiser: Annotated[str, typer.Option(help="Đơn vị tổ chức.")] = "",
    place: Annotated[str, typer.Option(help="Địa điểm.")] = "",
    evidence: Annotated[Optional[list[Path]], typer.Option(help="Tệp minh chứng (biên bản, danh sách…); lặp lại được.")] = None,
    by: By = None,
):
    """Ghi một hội nghị quán triệt hoặc lớp đào tạo, bồi dưỡng vào sổ theo dõi, kèm tệp minh chứng."""
    from mediaplan.db import session_scope
    from mediaplan.services.registers import add_event, attach_evidence

    files = [(p.name, _read(p)) for p in evidence or []]
    who = _who(by)
    try:
        with session_scope() as session:
            event = add_event(session, kind, title, date, organiser=organiser, place=place, by=who)
            stored = [attach_evidence(session, event.id, name, data, by=who) for name, data in files]
            event_id, shown = event.id, [(e.filename, e.sha256) for e in stored]
    except ValueError as exc:
        _refused(exc)
    console.print(f"Đã ghi sự kiện #{event_id} ({kind.label}): {title}")
    for name, digest in shown:
        console.print(f"  minh chứng {name}: sha256 {digest}")


@registers_app.command("attach")
@needs_db
def attach(
    file: Annotated[Path, typer.Argument(help="Tệp minh chứng.")],
    event: Annotated[int, typer.Option(help="Mã sự kiện (xem registers list).")],
    by: By = None,
):
    """Đính kèm một tệp minh chứng vào sự kiện (cùng một tệp chỉ lưu một lần)."""
    from mediaplan.db import session_scope
    from mediaplan.services.registers import attach_evidence

    data = _read(file)
    who = _who(by)
    try:
        with session_scope() as session:
            row = attach_evidence(session, event, file.name, data, by=who)
            digest = row.sha256
    except ValueError as exc:
        _refused(exc)
    console.print(f"Đã đính kèm {file.name} vào sự kiện #{event}: sha256 {digest}")


@registers_app.command("import")
@needs_db
def import_file(
    file: Annotated[Path, typer.Argument(help="Tệp .xlsx: trang «Đơn vị | Số người tham dự», có thể thêm trang "
                                              "«Đơn vị | Biên chế | Cán bộ truyền thông».")],
    event: Annotated[Optional[int], typer.Option(help="Mã sự kiện nhận danh sách; bỏ trống: chỉ nhập biên chế.")] = None,
    as_of: Annotated[Optional[str], typer.Option(help="Ngày của số biên chế, YYYY-MM-DD (mặc định: ngày của sự kiện, hoặc hôm nay).")] = None,
    by: By = None,
):
    """Nhập danh sách tham dự (và biên chế) từ tệp Excel; nhập lại cùng tệp không làm tăng số liệu."""
    from mediaplan.db import session_scope
    from mediaplan.services.registers import import_workbook

    data = _read(file)
    who = _who(by)
    try:
        with session_scope() as session:
            result = import_workbook(session, data, file.name, event_id=event, by=who, as_of=as_of)
    except ValueError as exc:
        _refused(exc)
    if result.event_id is not None:
        console.print(f"Sự kiện #{result.event_id}: {result.participants} đơn vị, {result.attendees} người tham dự "
                      f"(tệp {result.filename}, sha256 {result.sha256})")
    if result.headcounts:
        console.print(f"Đã ghi {result.headcounts} số biên chế")
    for line in result.errors:
        err.print(f"[red]Lỗi:[/] {line}", highlight=False)
    if result.errors:
        raise typer.Exit(1)


@registers_app.command("headcount")
@needs_db
def headcount(
    unit: Annotated[str, typer.Argument(help="Đơn vị: tên đầy đủ (Xã Sơn Hà, Sở Nội vụ) hoặc mã.")],
    staff: Annotated[Optional[int], typer.Option(help="Số cán bộ, công chức, viên chức (biên chế).")] = None,
    comms_staff: Annotated[Optional[int], typer.Option(help="Số cán bộ làm công tác thông tin, truyền thông.")] = None,
    as_of: Annotated[Optional[str], typer.Option(help="Ngày của số liệu, YYYY-MM-DD (mặc định hôm nay).")] = None,
    source: Annotated[str, typer.Option(help="Nguồn (số văn bản, báo cáo của đơn vị).")] = "",
    by: By = None,
):
    """Ghi biên chế và số cán bộ làm công tác truyền thông của một đơn vị: mẫu số của các chỉ tiêu."""
    from mediaplan.db import session_scope
    from mediaplan.services.registers import UnitMatcher, set_headcount

    if staff is None and comms_staff is None:
        fail("cần --staff hoặc --comms-staff", BAD_INPUT)
    who = _who(by)
    try:
        with session_scope() as session:
            for kind, value in (("staff", staff), ("comms_staff", comms_staff)):
                if value is not None:
                    set_headcount(session, unit, kind, value, by=who, as_of=as_of, source=source)
            matcher = UnitMatcher(session)
            name = matcher.names[matcher.match(unit)]
    except ValueError as exc:
        _refused(exc)
    parts = [f"biên chế {staff}" if staff is not None else "", f"cán bộ truyền thông {comms_staff}" if comms_staff is not None else ""]
    console.print(f"Đã ghi {name}: {', '.join(p for p in parts if p)}")


@registers_app.command("list")
@needs_db
def list_events(
    period: Annotated[Optional[str], typer.Option(help="Kỳ: 2026-11, 2026-Q4, 2026-H2, 2026 hoặc since-start (mặc định: tháng này).")] = None,
):
    """Các hội nghị, lớp đào tạo trong kỳ, tệp minh chứng và hai chỉ tiêu tính đến hết kỳ."""
    from rich.table import Table

    from mediaplan.db import session_scope
    from mediaplan.periods import current_month, parse_period
    from mediaplan.reports.build import fmt_target, vi_day
    from mediaplan.services.registers import register_figures

    try:
        chosen = parse_period(period or current_month())
    except ValueError as exc:
        fail(str(exc), BAD_INPUT)
    with session_scope() as session:
        figures = register_figures(session, chosen)
    table = Table(title=f"Sổ theo dõi {chosen.label}")
    for name in ("Mã", "Ngày", "Loại", "Tên", "Đơn vị", "Người", "Minh chứng"):
        table.add_column(name)
    for e in figures["events"]:
        files = "\n".join(f"{f['filename']} {f['short']}" for f in e["evidence"]) or "—"
        table.add_row(str(e["id"]), vi_day(e["date"]), e["kind_label"], e["title"], str(e["units"]), str(e["attendees"]), files)
    if figures["events"]:
        console.print(table)
    else:
        console.print(f"Không có hội nghị, lớp đào tạo nào trong {chosen.label}.")
    for x in figures["indicators"]:
        value = f"chưa đủ dữ liệu: {x['reason']}" if x["value"] is None else fmt_target(x["value"], "ratio")
        console.print(f"{x['label']}: {value} ({x['detail']})", highlight=False)
