"""`mediaplan calendar …`: the editorial calendar from the command line."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediaplan.auth.roles import Ability
from mediaplan.cli._kit import By, acting_user, console, fail, month as valid_month, needs_db, refusals
from mediaplan.localtime import local_today, to_local
from mediaplan.vocab import Digest, EditScope, FeedScope, Format, LinkStatus, Platform, StoryStatus, label

WEEKDAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
calendar_app = typer.Typer(help="Lịch biên tập: chuyên mục định kỳ, tin bài, phần thực hiện, giao việc, iCal.",
                           no_args_is_help=True)


def _who(by: str | None) -> str:
    """The editor acting (calendar/stories and calendar/workflow record the username in the audit log)."""
    return acting_user(by, Ability.CALENDAR)


def _when(value: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r}: dùng dạng 2026-11-20T19:30 (giờ Việt Nam)")


@calendar_app.command("add-column")
@needs_db
def add_column_cmd(
    name: Annotated[str, typer.Argument(help="Tên chuyên mục.")],
    outlet: Annotated[str, typer.Option(help="Mã cơ quan.")],
    platform: Annotated[Platform, typer.Option(help=f"Nền tảng: {', '.join(Platform.codes())}.")],
    fmt: Annotated[Format, typer.Option("--format", help=f"Mã định dạng: {', '.join(Format.codes())}.")],
    dtstart: Annotated[str, typer.Option(help="Kỳ đầu tiên, giờ Việt Nam, ví dụ 2026-09-03T07:00.")],
    rrule: Annotated[Optional[str], typer.Option(help="Quy tắc lặp RRULE (RFC 5545), ví dụ FREQ=WEEKLY;BYDAY=TH.")] = None,
    weekly: Annotated[Optional[str], typer.Option(help="Viết tắt: hằng tuần vào các thứ này, ví dụ TH hoặc MO,TH.")] = None,
    at: Annotated[Optional[str], typer.Option(help="Giờ phát, ví dụ 19:30 (thay giờ trong --dtstart).")] = None,
    theme: Annotated[Optional[list[str]], typer.Option("--theme", help="Mã chủ đề mặc định (lặp lại được).")] = None,
    assignee: Annotated[Optional[str], typer.Option(help="Người phụ trách mặc định: tên đăng nhập của một tài khoản đang hoạt động.")] = None,
    desk: Annotated[Optional[str], typer.Option(help="Ban biên tập phụ trách.")] = None,
    duration: Annotated[int, typer.Option(help="Thời lượng mỗi kỳ (phút).")] = 60,
    lead_days: Annotated[int, typer.Option(help="Hạn nộp = ngày đăng trừ số ngày này.")] = 2,
    horizon: Annotated[int, typer.Option(help="Tạo tin bài kế hoạch cho bấy nhiêu ngày tới.")] = 120,
    by: By = None,
):
    """Thêm (hoặc sửa) chuyên mục định kỳ và tạo các kỳ trong khoảng thời gian tới."""
    from mediaplan.db import session_scope
    from mediaplan.services.calendar import add_recurring_column

    if weekly:
        days = [d.strip().upper() for d in weekly.split(",")]
        if not set(days) <= WEEKDAYS:
            fail(f"--weekly {weekly!r}: dùng MO, TU, WE, TH, FR, SA, SU")
        rrule = f"FREQ=WEEKLY;BYDAY={','.join(days)}"
    if not rrule:
        fail("cần --rrule hoặc --weekly")
    start = _when(dtstart, "--dtstart")
    if at:
        try:
            hour, minute = (int(x) for x in at.split(":"))
            start = start.replace(hour=hour, minute=minute)
        except ValueError:
            fail(f"--at {at!r}: dùng dạng 19:30")
    _who(by)  # a calendar change: only an editor or an admin (the slots it makes are the system's, workflow.SYSTEM)
    with refusals(), session_scope() as session:
        column, created = add_recurring_column(session, name, outlet=outlet, platform=platform, fmt=fmt, rrule=rrule,
                                               dtstart=start, themes=theme, assignee=assignee, duration=duration,
                                               lead_days=lead_days, desk=desk, horizon_days=horizon)
        cid = column.id
    console.print(f"Chuyên mục #{cid} “{name}”: {rrule}; đã tạo {created} kỳ")


@calendar_app.command("edit-column")
@needs_db
def edit_column_cmd(
    name: Annotated[str, typer.Argument(help="Tên chuyên mục.")],
    scope: Annotated[EditScope, typer.Option(help="one: một kỳ; future: kỳ này và các kỳ sau; all: cả chuỗi.")],
    occurrence: Annotated[Optional[str], typer.Option(help="Kỳ cần sửa (giờ Việt Nam, ví dụ 2026-12-03T19:30); cần cho one và future.")] = None,
    new_name: Annotated[Optional[str], typer.Option("--name", help="Tên mới.")] = None,
    assignee: Annotated[Optional[str], typer.Option(help="Người phụ trách mới (tên đăng nhập).")] = None,
    at: Annotated[Optional[str], typer.Option(help="Giờ phát mới, ví dụ 20:00.")] = None,
    fmt: Annotated[Optional[Format], typer.Option("--format", help="Định dạng mới.")] = None,
    theme: Annotated[Optional[list[str]], typer.Option("--theme", help="Chủ đề mới (lặp lại được).")] = None,
    by: By = None,
):
    """Sửa một kỳ, các kỳ từ một kỳ trở đi, hoặc cả chuỗi của một chuyên mục."""
    from mediaplan.calendar.series import edit_series
    from mediaplan.db import session_scope
    from mediaplan.services.calendar import column_named

    changes = {k: v for k, v in (("name", new_name), ("assignee", assignee), ("time", at), ("format", fmt),
                                 ("themes", list(theme) if theme else None)) if v}
    if not changes:
        fail("không có gì để sửa: dùng --name, --assignee, --at, --format hoặc --theme")
    when = _when(occurrence, "--occurrence") if occurrence else None
    who = _who(by)
    with refusals(), session_scope() as session:
        edit_series(session, column_named(session, name), when, scope, who, **changes)
    console.print(f"Đã sửa “{name}” ({ {'one': 'một kỳ', 'future': 'từ kỳ này trở đi', 'all': 'cả chuỗi'}.get(scope, scope) })")


@calendar_app.command("add-story")
@needs_db
def add_story_cmd(
    title: Annotated[str, typer.Argument(help="Tiêu đề (dự kiến).")],
    on: Annotated[Optional[str], typer.Option(help="Ngày đăng, giờ Việt Nam, ví dụ 2026-12-03T08:00; bỏ trống: vào kho ý tưởng.")] = None,
    platform: Annotated[Optional[list[Platform]], typer.Option("--platform", help="Nền tảng (lặp lại: mỗi nền tảng một phần thực hiện).")] = None,
    fmt: Annotated[Optional[list[Format]], typer.Option("--format", help="Định dạng, theo thứ tự của --platform.")] = None,
    outlet: Annotated[Optional[str], typer.Option(help="Mã cơ quan (mặc định: cơ quan báo chí của kế hoạch, default_outlet trong plan.yaml).")] = None,
    theme: Annotated[Optional[list[str]], typer.Option("--theme", help="Mã chủ đề (lặp lại được).")] = None,
    brief: Annotated[str, typer.Option(help="Góc độ, nội dung chính.")] = "",
    assignee: Annotated[Optional[str], typer.Option(help="Giao cho: tên đăng nhập của một tài khoản đang hoạt động (mediaplan users list).")] = None,
    priority: Annotated[int, typer.Option(min=1, max=3, help="Ưu tiên 1 (cao) – 3.")] = 2,
    key_date: Annotated[Optional[str], typer.Option(help="Mã mốc thời gian liên quan.")] = None,
    desk: Annotated[Optional[str], typer.Option(help="Ban biên tập.")] = None,
    by: By = None,
):
    """Thêm một tin bài kế hoạch với một hay nhiều phần thực hiện (báo in, điện tử, truyền hình, Facebook…)."""
    from mediaplan.calendar.stories import add_story
    from mediaplan.db import session_scope
    from mediaplan.services.plan_defaults import press_outlet

    publish = _when(on, "--on") if on else None
    outlet = outlet or press_outlet()
    platforms, formats = list(platform or []), list(fmt or [])
    if len(formats) not in (0, 1, len(platforms)):
        fail("số --format phải bằng số --platform (hoặc chỉ một --format cho tất cả)")
    coverages = [{"platform": p, "fmt": (formats[i] if len(formats) > 1 else (formats[0] if formats else None)),
                  "outlet": outlet, "publish_at": publish, "assignee": assignee} for i, p in enumerate(platforms)]
    who = _who(by)
    with refusals(), session_scope() as session:
        story = add_story(session, title, who, brief=brief, themes=list(theme or []),
                          planned_on=publish.date() if publish else None, priority=priority, key_date=key_date,
                          desk=desk, coverages=coverages)
        sid, cids = story.id, [c.id for c in story.coverages]
    where = f"ngày {publish:%d/%m/%Y %H:%M}" if publish else "kho ý tưởng"
    console.print(f"Tin bài #{sid} “{title}” ({where}); phần thực hiện: {', '.join(f'#{c}' for c in cids) or 'chưa có'}")


@calendar_app.command("assign")
@needs_db
def assign_cmd(
    coverage: Annotated[int, typer.Argument(help="Số phần thực hiện.")],
    to: Annotated[str, typer.Option("--to", help="Người được giao: tên đăng nhập của một tài khoản đang hoạt động.")],
    by: By = None,
):
    """Giao một phần thực hiện cho phóng viên, biên tập viên (ghi vào lịch sử giao việc)."""
    from mediaplan.calendar.stories import assign, get_coverage
    from mediaplan.db import session_scope

    who = _who(by)
    with refusals(), session_scope() as session:
        assign(session, get_coverage(session, coverage), to, who)
    console.print(f"Đã giao phần thực hiện #{coverage} cho {to}")


@calendar_app.command("move")
@needs_db
def move_cmd(
    coverage: Annotated[int, typer.Argument(help="Số phần thực hiện.")],
    to: Annotated[str, typer.Option("--to", help="Thời điểm mới, giờ Việt Nam, ví dụ 2026-12-04T19:30.")],
    by: By = None,
):
    """Dời lịch một phần thực hiện; hạn nộp dời theo."""
    from mediaplan.calendar.stories import get_coverage, move
    from mediaplan.db import session_scope

    when = _when(to, "--to")
    who = _who(by)
    with refusals(), session_scope() as session:
        move(session, get_coverage(session, coverage), when, who)
    console.print(f"Đã dời phần thực hiện #{coverage} sang {when:%d/%m/%Y %H:%M}")


@calendar_app.command("status")
@needs_db
def status_cmd(
    number: Annotated[int, typer.Argument(help="Số phần thực hiện (hoặc số tin bài với --story).")],
    to: Annotated[StoryStatus, typer.Argument(help=f"Trạng thái mới: {', '.join(StoryStatus.codes())}.")],
    story: Annotated[bool, typer.Option("--story", help="Đổi trạng thái của cả tin bài.")] = False,
    note: Annotated[str, typer.Option(help="Ghi chú vào nhật ký.")] = "",
    by: By = None,
):
    """Chuyển trạng thái (ý tưởng → đã giao → đang thực hiện → đang duyệt → đã đăng, hoặc hủy, hoãn…)."""
    from mediaplan.calendar.stories import get_coverage, get_story, set_status
    from mediaplan.db import session_scope

    who = _who(by)
    with refusals(), session_scope() as session:
        obj = get_story(session, number) if story else get_coverage(session, number)
        set_status(session, obj, to, who, note)
    console.print(f"{'Tin bài' if story else 'Phần thực hiện'} #{number}: {label('status', to)}")


@calendar_app.command("log")
@needs_db
def log_cmd(limit: Annotated[int, typer.Option(help="Số dòng gần nhất.")] = 30):
    """Nhật ký: mọi lần chuyển trạng thái, dời lịch, giao việc, liên kết."""
    from mediaplan.db import session_scope
    from mediaplan.services.calendar import audit_log

    with session_scope() as session:
        rows = audit_log(session, limit)
        table = Table(title="Nhật ký lịch biên tập")
        for col in ("lúc", "đối tượng", "thao tác", "từ", "sang", "người", "ghi chú"):
            table.add_column(col)
        for e in rows:
            table.add_row(f"{to_local(e.at):%d/%m %H:%M}", f"{e.entity} #{e.entity_id}", e.action, e.from_value or "",
                          e.to_value or "", e.by, e.note)
        console.print(table)


@calendar_app.command("list")
@needs_db
def list_cmd(month: Annotated[str, typer.Option(help="Tháng, dạng YYYY-MM.")]):
    """Tin bài kế hoạch và các mốc của một tháng, kèm những gì đã đăng."""
    from sqlalchemy import select

    from mediaplan.calendar.month import month_view
    from mediaplan.db import session_scope
    from mediaplan.db.schema import User

    month = valid_month(month)
    with session_scope() as session:
        days = month_view(session, month)
        held = {c.assignee for d in days for c in d.coverages if c.assignee}
        people = {u: f"{n} ({u})" if n and n != u else u for u, n in session.execute(
            select(User.username, User.full_name).where(User.username.in_(held)))} if held else {}
        table = Table(title=f"Lịch biên tập tháng {month}")
        for col in ("ngày", "giờ", "tin bài", "#", "định dạng", "nền tảng", "phụ trách", "trạng thái", "đã đăng"):
            table.add_column(col)
        for d in days:
            for kd in d.key_dates:
                table.add_row(f"{d.day:%d/%m}", "", f"[magenta]★ {kd.name}[/]", "", "", "", "", "", "")
            for c in d.coverages:
                delivered = ", ".join(f"#{x.item_id}" + ("?" if x.status == LinkStatus.SUGGESTED else "")
                                      for x in c.deliveries if x.status != LinkStatus.REJECTED)
                table.add_row(f"{d.day:%d/%m}", f"{to_local(c.publish_at):%H:%M}", c.story.title, str(c.id),
                              label("format", c.format), label("platform", c.platform), people.get(c.assignee, c.assignee) or "—",
                              label("status", c.status), delivered)
        console.print(table)


@calendar_app.command("backlog")
@needs_db
def backlog_cmd():
    """Kho ý tưởng: tin bài chưa có ngày đăng, theo mức ưu tiên."""
    from mediaplan.calendar.stories import backlog
    from mediaplan.db import session_scope

    with session_scope() as session:
        for s in backlog(session):
            console.print(f"#{s.id} [{s.priority}] {s.title} — {', '.join(s.themes or []) or 'chưa gắn chủ đề'}")


@calendar_app.command("link")
@needs_db
def link_cmd():
    """Liên kết tin, bài đã đăng với phần thực hiện đã lên kế hoạch (chắc chắn: đánh dấu đã đăng; chưa chắc: gợi ý)."""
    from mediaplan.calendar.linking import link_deliveries
    from mediaplan.db import session_scope

    with session_scope() as session:
        counts = link_deliveries(session)
    if counts["linked"]:
        from mediaplan.reports.cache import refresh_after_changes

        refresh_after_changes()  # the dashboard's figures of this month and the last, made now
    console.print(f"Đã liên kết {counts['linked']} phần thực hiện; {counts['suggested']} gợi ý chờ biên tập viên xác nhận")


@calendar_app.command("confirm-link")
@needs_db
def confirm_link_cmd(
    coverage: Annotated[int, typer.Argument(help="Số phần thực hiện.")],
    item: Annotated[int, typer.Argument(help="Số tin, bài đã đăng.")],
    reject: Annotated[bool, typer.Option("--reject", help="Bác bỏ gợi ý thay vì xác nhận.")] = False,
    by: By = None,
):
    """Xác nhận (hoặc bác bỏ) một gợi ý liên kết, hoặc tự liên kết một tin, bài."""
    from mediaplan.calendar.linking import confirm
    from mediaplan.calendar.stories import get_coverage
    from mediaplan.db import session_scope

    who = _who(by)
    with refusals(), session_scope() as session:
        confirm(session, get_coverage(session, coverage), item, who, accept=not reject)
    console.print(f"Phần thực hiện #{coverage} ↔ tin #{item}: {'bác bỏ' if reject else 'đã xác nhận'}")


@calendar_app.command("gaps")
@needs_db
def gaps_cmd(
    month: Annotated[str, typer.Option(help="Tháng, dạng YYYY-MM.")],
    weeks: Annotated[int, typer.Option(help="Cảnh báo chủ đề không có gì trong bấy nhiêu tuần tới.")] = 4,
):
    """Chỉ tiêu, kế hoạch và đã đăng theo chủ đề × nền tảng × định dạng; chủ đề thiếu và gợi ý."""
    from mediaplan.calendar.gaps import compute_gaps
    from mediaplan.db import session_scope

    month = valid_month(month)
    with session_scope() as session:
        g = compute_gaps(session, month, weeks=weeks)
    table = Table(title=f"Khoảng trống tháng {month}")
    for col in ("chủ đề", "nền tảng", "định dạng", "chỉ tiêu", "kế hoạch", "đã đăng", "trong đó ngoài kế hoạch"):
        table.add_column(col)
    for row in g["rows"]:
        table.add_row(row["theme_name"], label("platform", row["platform"]) if row["platform"] else "mọi nền tảng",
                      label("format", row["format"]) if row["format"] else "mọi định dạng",
                      "—" if row["target"] is None else str(row["target"]), str(row["planned"]), str(row["delivered"]),
                      str(row["unplanned"]))
    console.print(table)
    for flag in g["flags"]:
        console.print(f"[yellow]⚠ {flag['message']}[/]")
    for s in g["suggestions"]:
        console.print(f"→ {s}")


@calendar_app.command("conflicts")
@needs_db
def conflicts_cmd(
    start: Annotated[Optional[str], typer.Option(help="Từ ngày (YYYY-MM-DD), mặc định hôm nay.")] = None,
    days: Annotated[int, typer.Option(help="Trong bấy nhiêu ngày.")] = 28,
):
    """Trùng khung giờ trên cùng nền tảng, người phụ trách quá tải hay trùng hạn, mốc chưa có kế hoạch."""
    from mediaplan.calendar.conflicts import find_conflicts
    from mediaplan.db import session_scope

    try:
        first = date.fromisoformat(start) if start else local_today()
    except ValueError:
        fail(f"--start {start!r}: dùng dạng YYYY-MM-DD")
    with session_scope() as session:
        found = find_conflicts(session, first, first + timedelta(days=days))
    for c in found:
        console.print(f"[yellow]⚠[/] {c['message']}")
    console.print(f"{len(found)} xung đột")


@calendar_app.command("remind")
@needs_db
def remind_cmd(
    digest: Annotated[Digest, typer.Option(help="daily: mỗi người phụ trách; weekly: mỗi ban biên tập.")] = Digest.DAILY,
    days: Annotated[int, typer.Option(help="Nhắc phần thực hiện đến hạn trong bấy nhiêu ngày.")] = 2,
):
    """Gửi e-mail nhắc việc (mỗi lời nhắc chỉ gửi một lần, kể cả khi chạy lại)."""
    from mediaplan.calendar.reminders import send_reminders
    from mediaplan.db import session_scope

    with session_scope() as session:
        result = send_reminders(session, digest=digest, due_within_days=days)
    console.print(f"Đã gửi {result['sent']} e-mail ({result['reminders']} lời nhắc); bỏ qua {result['skipped']} đã gửi trước đó")
    for problem in result["problems"]:
        console.print(f"[yellow]⚠ {problem}[/]")


@calendar_app.command("import-ics")
@needs_db
def import_ics_cmd(
    file: Annotated[Path, typer.Argument(help="Tệp .ics (lịch họp, lịch thi của Sở…).")],
    months: Annotated[int, typer.Option(help="Mở rộng sự kiện lặp trong bấy nhiêu tháng tới.")] = 12,
):
    """Nhập sự kiện từ lịch ngoài thành mốc thời gian (chạy lại không nhân đôi)."""
    from mediaplan.calendar.importer import import_ics
    from mediaplan.db import session_scope

    if not file.exists():
        fail(f"không có tệp {file}")
    with refusals(), session_scope() as session:
        counts = import_ics(session, file.read_bytes(), months=months)
    console.print(f"Mốc thời gian: {counts['added']} mới, {counts['updated']} cập nhật, {counts['skipped']} bỏ qua")
    for problem in counts["problems"]:
        console.print(f"[yellow]⚠ {problem}[/]")


@calendar_app.command("ical")
@needs_db
def ical_cmd(
    out: Annotated[Path, typer.Option(help="Tệp .ics kết quả.")],
    user: Annotated[Optional[str], typer.Option(help="Chỉ việc giao cho tài khoản này (tên đăng nhập).")] = None,
    desk: Annotated[Optional[str], typer.Option(help="Chỉ ban biên tập này.")] = None,
    outlet: Annotated[Optional[str], typer.Option(help="Chỉ cơ quan này.")] = None,
    theme: Annotated[Optional[str], typer.Option(help="Chỉ chủ đề này.")] = None,
    due: Annotated[bool, typer.Option("--due", help="Thêm một sự kiện cho mỗi hạn nộp.")] = False,
):
    """Ghi lịch ra tệp iCal: đúng nội dung của đường dẫn đăng ký tương ứng."""
    from mediaplan.calendar.ical import build_feed
    from mediaplan.db import session_scope

    scope, key = _scope(user, desk, outlet, theme)
    with refusals(), session_scope() as session:
        cal = build_feed(session, scope, key, include_due=due)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(cal.to_ical())
    console.print(f"Đã ghi {out}")


@calendar_app.command("feed-url")
@needs_db
def feed_url_cmd(
    user: Annotated[Optional[str], typer.Option(help="Lịch việc giao cho tài khoản này (tên đăng nhập).")] = None,
    desk: Annotated[Optional[str], typer.Option(help="Lịch của ban biên tập này.")] = None,
    outlet: Annotated[Optional[str], typer.Option(help="Lịch của cơ quan này.")] = None,
    theme: Annotated[Optional[str], typer.Option(help="Lịch theo chủ đề này.")] = None,
    regenerate: Annotated[bool, typer.Option("--regenerate", help="Tạo mã mới; đường dẫn cũ hết hiệu lực.")] = False,
    share: Annotated[bool, typer.Option("--share", help="Đường dẫn xem chung lịch (chỉ đọc, trên trình duyệt) thay vì iCal.")] = False,
    days: Annotated[Optional[int], typer.Option("--days", help="Đường dẫn hết hạn sau số ngày này (1–3650); mặc định không hết hạn.")] = None,
):
    """Đường dẫn đăng ký iCal (hoặc xem chung, --share) có mã bí mật; mã chỉ hiện một lần, khi được tạo."""
    from mediaplan.calendar.ical import feed_token
    from mediaplan.db import session_scope
    from mediaplan.settings import get_settings
    from mediaplan.vocab import TokenPurpose

    scope, key = _scope(user, desk, outlet, theme)
    purpose = TokenPurpose.SHARE if share else TokenPurpose.ICAL
    with refusals(), session_scope() as session:
        token = feed_token(session, scope, key, regenerate=regenerate, purpose=purpose, days=days)
    if token is None:
        fail("đường dẫn này đã được tạo trước đây; mã chỉ được lưu dạng băm nên không hiện lại được — "
             "dùng --regenerate để tạo đường dẫn mới (đường dẫn cũ hết hiệu lực)")
    base = get_settings().public_url.rstrip("/")
    console.print(f"{base}/calendar/share/{token}" if share else f"{base}/ical/{token}.ics", soft_wrap=True)


@calendar_app.command("export")
@needs_db
def export_cmd(
    month: Annotated[str, typer.Option(help="Tháng, dạng YYYY-MM.")],
    out: Annotated[Path, typer.Option(help="Tệp kết quả: .csv hoặc .xlsx.")],
):
    """Xuất kế hoạch tháng ra CSV hoặc XLSX."""
    from mediaplan.calendar.exports import write_plan
    from mediaplan.db import session_scope

    if out.suffix.lower() not in (".csv", ".xlsx"):
        fail("--out phải là tệp .csv hoặc .xlsx")
    month = valid_month(month)
    with session_scope() as session:
        n = write_plan(session, month, out)
    console.print(f"Đã ghi {n} phần thực hiện vào {out}")


def _scope(user, desk, outlet, theme) -> tuple[str, str]:
    given = [(s, k) for s, k in ((FeedScope.USER, user), (FeedScope.DESK, desk), (FeedScope.OUTLET, outlet),
                                 (FeedScope.THEME, theme)) if k]
    if len(given) > 1:
        fail("chỉ chọn một trong --user, --desk, --outlet, --theme")
    if not given:
        return FeedScope.ALL, ""
    scope, key = given[0]
    return scope, (_feed_user(key) if scope == FeedScope.USER else key)


def _feed_user(name: str) -> str:
    """The username of the account --user names (by username or e-mail; a disabled one keeps its old work), or
    one line saying there is no such user: a feed of a name nobody holds would be empty, silently."""
    import unicodedata

    from rich.markup import escape
    from sqlalchemy import func, select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import User

    name = unicodedata.normalize("NFC", name.strip())
    with session_scope() as session:
        found = session.scalar(select(User.username).where(User.username == name))
        if found is None and "@" in name:
            found = session.scalars(select(User.username).where(func.lower(User.email) == name.lower())
                                    .order_by(User.disabled, User.username)).first()
    if found is None:
        fail(f"--user {escape(repr(name[:80]))}: không có tài khoản này (tên đăng nhập, xem mediaplan users list)")
    return found
