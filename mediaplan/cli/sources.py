"""`mediaplan sources …`: what is collected from where, and whether it still works."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from mediaplan.auth.roles import Ability
from mediaplan.cli._kit import By, acting_user, console, err, fail, needs_db, refusals
from mediaplan.localtime import to_local
from mediaplan.vocab import Channel, Platform, SourceKind, label

sources_app = typer.Typer(help="Nguồn thu thập và tình trạng của chúng.", no_args_is_help=True)


@sources_app.command("list")
@needs_db
def sources_list():
    """Tình trạng từng nguồn: loại, chu kỳ, lần thành công gần nhất, lỗi, số lần lỗi liên tiếp, số tin 7/30 ngày."""
    from mediaplan.db import session_scope
    from mediaplan.services.sources import overview, silence_note

    table = Table(title="Nguồn thu thập")
    for col in ("nguồn", "loại", "chu kỳ", "thành công gần nhất", "lỗi liên tiếp", "7 ngày", "30 ngày", "lỗi gần nhất"):
        table.add_column(col)
    with session_scope() as session:
        rows = overview(session).rows  # the same rows, reasons and warnings as the web page /sources
        for row in rows:
            h, s = row.health, row.source
            table.add_row(s.key + ("" if s.enabled else " (tắt)"), label("source_kind", s.kind), f"{s.interval_minutes} phút",
                          to_local(s.last_success_at).strftime("%d/%m %H:%M") if s.last_success_at else "—",
                          str(s.consecutive_failures), str(h.last_7), str(h.last_30), (s.last_error or "")[:60])
        console.print(table)
        for row in rows:
            if row.idle:
                console.print(f"[dim]Không thu thập:[/] {escape(row.source.key)}: {escape('; '.join(row.idle))}", soft_wrap=True)
        for row in rows:
            if row.silent:
                console.print(f"[yellow]Cảnh báo:[/] {escape(silence_note(row.health))}")


@sources_app.command("add")
@needs_db
def sources_add(
    key: Annotated[str, typer.Argument(help="Mã nguồn mới.")],
    outlet: Annotated[str, typer.Option(help="Mã cơ quan.")],
    kind: Annotated[SourceKind, typer.Option(help="Loại nguồn: rss, sitemap, page, youtube, social_feed.")],
    url: Annotated[str, typer.Option(help="Địa chỉ nguồn.")],
    channel: Annotated[Channel, typer.Option(help=f"Mã kênh: {', '.join(Channel.codes())}.")],
    platform: Annotated[Optional[Platform], typer.Option(help="Nền tảng (facebook, tiktok, zalo, youtube…) cho nguồn mạng xã hội.")] = None,
    interval: Annotated[int, typer.Option(help="Chu kỳ thu thập (phút).")] = 60,
    article_pattern: Annotated[Optional[str], typer.Option(help="Biểu thức chính quy nhận diện đường dẫn bài (trang chuyên mục).")] = None,
    next_page: Annotated[Optional[str], typer.Option(help="Bộ chọn CSS của liên kết trang sau.")] = None,
    by: By = None,
):
    """Thêm nguồn mà không sửa YAML (giữ nguyên khi nạp lại kế hoạch)."""
    from mediaplan.db import session_scope
    from mediaplan.services import ServiceError
    from mediaplan.services.sources import add_source

    who = acting_user(by, Ability.SOURCES)
    with refusals(), session_scope() as session:
        try:
            add_source(session, key, outlet=outlet, kind=kind, url=url, channel=channel, platform=platform,
                       interval=interval, article_pattern=article_pattern, next_page=next_page, added_by=who)
        except ServiceError as exc:
            if exc.field != "key":
                raise
            fail(str(exc))  # the key is an argument, not an option: no "--key" before the reason
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
        fail(str(exc.args[0]))
    for item in items:
        when = to_local(item.published_at).strftime("%d/%m/%Y %H:%M") if item.published_at else "không rõ ngày"
        console.print(f"[bold]{item.title}[/]\n  {item.url}\n  {when} · {item.author or 'không rõ tác giả'} · "
                      f"{len(item.body.split())} từ · trích xuất: {(item.extra or {}).get('extractor', '—')}")
        if item.sapo:
            console.print(f"  sapo: {item.sapo[:160]}")
    for error in counts["errors"]:
        console.print(f"  [yellow]lỗi:[/] {error}")
    console.print(f"{len(items)} tin, bài xem trước; không có gì được lưu.")
    if not items and counts["errors"]:
        raise typer.Exit(2)


def _set_enabled(key: str, enabled: bool, by: str | None) -> None:
    from mediaplan.db import session_scope
    from mediaplan.services.sources import set_enabled

    who = acting_user(by, Ability.SOURCES)
    with refusals(), session_scope() as session:
        set_enabled(session, key, enabled, by=who)
    console.print(f"Nguồn {key}: {'bật' if enabled else 'tắt'}")


@sources_app.command("disable")
@needs_db
def sources_disable(key: Annotated[str, typer.Argument(help="Mã nguồn.")], by: By = None):
    """Tắt một nguồn (không thu thập nữa, giữ lại tin đã có)."""
    _set_enabled(key, False, by)


@sources_app.command("enable")
@needs_db
def sources_enable(key: Annotated[str, typer.Argument(help="Mã nguồn.")], by: By = None):
    """Bật lại một nguồn."""
    _set_enabled(key, True, by)


class DiscoverFormat(str, Enum):
    TABLE = "table"
    JSONL = "jsonl"


@sources_app.command("discover")
@needs_db
def sources_discover(
    units: Annotated[Optional[list[str]], typer.Argument(metavar="UNIT", show_default=False,
                                                         help="Mã đơn vị (cơ quan, xã, phường…) hoặc mã cơ quan báo chí.")] = None,
    all_units: Annotated[bool, typer.Option("--all", help="Mọi đơn vị có trang thông tin điện tử.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Thêm các nguồn đề xuất (mặc định chỉ đề xuất, không lưu nguồn nào).")] = False,
    snapshot: Annotated[Optional[str], typer.Option(help="Chuyển yêu cầu tới máy chủ bản chụp cục bộ này.")] = None,
    fmt: Annotated[DiscoverFormat, typer.Option("--format", help="table hoặc jsonl.")] = DiscoverFormat.TABLE,
    by: By = None,
):
    """Tìm RSS/Atom, sitemap và chuyên mục tin tức từ trang chủ của đơn vị; chỉ đề xuất, thêm nguồn khi có --apply.

    Mỗi lần chạy ghi tình trạng trang (lần đọc, lỗi nếu không đọc được) vào cơ quan của đơn vị."""
    from mediaplan.services.discovery import NO_PORTAL, PortalResult, discover, fetcher_for

    if bool(units) == all_units:
        fail("cần một hoặc nhiều mã đơn vị, hoặc --all (không dùng cả hai)")
    who = acting_user(by, Ability.SOURCES) if apply else "cli"
    jsonl = fmt == DiscoverFormat.JSONL

    def show(result) -> None:
        if not isinstance(result, PortalResult):
            if jsonl:
                print(json.dumps({"unit": result.key, "name": result.name, "error": NO_PORTAL}, ensure_ascii=False))
            elif not all_units:
                console.print(f"{escape(result.key)}: {NO_PORTAL}")
            return
        d = result.discovery
        if jsonl:
            print(json.dumps({"unit": result.unit.key, "outlet": result.portal.outlet, "homepage": result.portal.homepage,
                              "platform": d.platform, "error": d.error, "notes": d.notes, "skipped": result.skipped,
                              "sources": [{"key": p.key, **p.proposal.as_dict(), "applied": p.applied,
                                           "refused": p.refused} for p in result.proposed]}, ensure_ascii=False))
            return
        where = f"{escape(result.unit.key)} ({escape(result.portal.outlet)}, {escape(result.portal.homepage)})"
        if d.error:
            console.print(f"[yellow]{where}: không đọc được trang: {escape(d.error)}[/]", soft_wrap=True)
            return
        if result.proposed:
            table = Table(title=f"{escape(result.unit.key)}: {escape(result.portal.homepage)}", title_justify="left")
            for col in ("mã nguồn", "loại", "địa chỉ", "tìm thấy qua", "hồ sơ", ""):
                table.add_column(col)
            for p in result.proposed:
                state = "đã thêm" if p.applied else (f"không thêm: {p.refused}" if p.refused else "đề xuất")
                table.add_row(p.key, label("source_kind", p.proposal.kind), escape(p.proposal.url),
                              p.proposal.found, p.proposal.profile or "—", escape(state))
            console.print(table)
        else:
            console.print(f"{where}: không có nguồn mới" + (f" ({result.skipped} địa chỉ đã là nguồn)" if result.skipped else ""))
        if d.platform and result.portal.profile and result.portal.profile != d.platform:
            console.print(f"  [yellow]lưu ý:[/] trang chạy nền tảng của hồ sơ {d.platform}, kế hoạch ghi hồ sơ "
                          f"{escape(result.portal.profile)}", soft_wrap=True)
        elif d.platform and not result.portal.profile:
            console.print(f"  hồ sơ trích xuất: {d.platform}" + (" (đã gán cho cơ quan)" if result.profile_set else " (đề xuất)"))
        for note in d.notes:
            console.print(f"  [dim]bỏ qua:[/] {escape(note)}", soft_wrap=True)

    with refusals():
        summary = discover(None if all_units else units, apply_changes=apply, added_by=who,
                           fetcher=fetcher_for(snapshot_url=snapshot), each=show)
    line = (f"{len(summary.portals)} trang đã đọc, {summary.unreachable} không đọc được; "
            f"{summary.proposed} nguồn {'đã thêm' if apply else 'đề xuất'}"
            + (f" ({summary.applied} đã thêm)" if apply and summary.applied != summary.proposed else "")
            + (f"; {len(summary.no_portal)} đơn vị {NO_PORTAL}" if summary.no_portal else "")
            + ("" if apply or not summary.proposed else "; chưa lưu gì, thêm bằng --apply"))
    (err if jsonl else console).print(line, soft_wrap=True)
