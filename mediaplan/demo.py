"""`mediaplan demo`: the whole path on this machine, offline, into the configured database.

1. serve the bundled snapshot over HTTP; 2. crawl it with Scrapy; 3. classify;
4. plan a recurring column and stories with their coverages, link what was published;
5. build the latest month's report; 6. e-mail it, and the assignees' deadline reminders (to their users'
addresses), to a local SMTP sink; 7. say where everything is, and the demo accounts' passwords, once.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from mediaplan.db import migrate, session_scope
from mediaplan.db.schema import Item, ItemTheme
from mediaplan.localtime import local_tz
from mediaplan.periods import current_month, month_of
from mediaplan.plans import current_plan
from mediaplan.plans.sync import sync_plan
from mediaplan.settings import get_settings

TZ = local_tz()  # the scenario below is written in the newsroom's wall time
console = Console()
DEMO_RECIPIENTS = ["vanphong@ubnd.quangngai.example", "giamdoc@sgddt.quangngai.example"]
# One account per role, so each page can be tried as each kind of user, then the newsroom's reporters, the
# assignees of the plan below (assignees are users: their reminders go to these addresses). Addresses are on a
# domain reserved for examples (RFC 2606); passwords are generated and shown once.
MAIL_DOMAIN = "toasoan.example.org"
DEMO_USERS = [("quantri", "admin", "Quản trị hệ thống"), ("bientap", "editor", "Biên tập viên trực ban"),
              ("phantich", "analyst", "Chuyên viên Sở GD&ĐT"), ("xem", "viewer", "Người xem"),
              ("thanhhai", "editor", "Thanh Hải"), ("minhchau", "editor", "Minh Châu"),
              ("ngocanh", "editor", "Ngọc Anh (mạng xã hội)"), ("quocbao", "editor", "Quốc Bảo (đồ họa)")]
DEMO_EDITOR, DEMO_ANALYST = "bientap", "phantich"  # who the audit log and the report's approval name (people are users)

# The newsroom's plan for the snapshot's months: a weekly column and one-off stories around key dates.
# The scenario is written for the bundled snapshot, whose press outlet is the plan's default outlet.
COLUMN = dict(name="Đột phá giáo dục", outlet_key=current_plan().meta.default_outlet, platform="online", fmt="article",
              rrule="FREQ=WEEKLY;BYDAY=TH", dtstart=datetime(2026, 8, 27, 7, 0, tzinfo=TZ),
              themes=["dissemination"], assignee="thanhhai", lead_days=3)
def _cov(platform, fmt, when, assignee):
    return dict(platform=platform, fmt=fmt, outlet=current_plan().meta.default_outlet, publish_at=when, assignee=assignee)


# Stories with their coverages: one story may run on several platforms in several formats.
STORIES = [
    dict(title="Tọa đàm truyền hình: Ngày Nhà giáo Việt Nam 20/11", themes=["teachers"], key_date="teachers_day", priority=1,
         desk="Thời sự", coverages=[_cov("tv", "talk_show", datetime(2026, 11, 19, 20, 0, tzinfo=TZ), "minhchau"),
                                   _cov("tiktok", "short_video", datetime(2026, 11, 20, 12, 0, tzinfo=TZ), "ngocanh")]),
    dict(title="Infographic: kết quả năm học 2025-2026", themes=["general_education"], desk="Điện tử",
         coverages=[_cov("online", "infographic", datetime(2026, 9, 4, 9, 0, tzinfo=TZ), "quocbao")]),
    dict(title="Bộ hỏi–đáp về Nghị quyết 71 (kỳ 1)", themes=["dissemination"], desk="Điện tử",
         coverages=[_cov("online", "qa", datetime(2026, 10, 15, 8, 0, tzinfo=TZ), "thanhhai")]),
    dict(title="Phóng sự: trường nội trú liên cấp ở xã biên giới", themes=["facilities", "ethnic_remote"], desk="Thời sự",
         coverages=[_cov("tv", "reportage", datetime(2026, 12, 10, 19, 30, tzinfo=TZ), "minhchau")]),
    dict(title="Gương cô giáo cắm bản ở Tu Mơ Rông", themes=["exemplary", "ethnic_remote"], desk="Điện tử", priority=1),
]


def _step(name: str, timings: dict):
    class _Timer:
        def __enter__(self):
            console.print(f"[bold cyan]▶ {name}[/]")
            self.t = time.perf_counter()

        def __exit__(self, *exc):
            timings[name] = time.perf_counter() - self.t

    return _Timer()


def _demo_users(session) -> list[tuple[str, str, str | None]]:
    """The demo's accounts: created on the first run with a generated password (returned once), kept afterwards.

    A demo name that an older demo database already holds as a placeholder (the disabled, password-less user
    migration 0010 made from a free-text assignee) becomes the demo's account: enabled, with its address and a
    new password.
    """
    from mediaplan.services.users import add_user, enable, find, set_password

    made = []
    for username, role, full_name in DEMO_USERS:
        password = None
        user = find(session, username)
        if user is None:
            password = add_user(session, username, role, email=f"{username}@{MAIL_DOMAIN}", full_name=full_name)[1]
        elif user.disabled and user.password_hash is None:
            enable(session, username)
            user.email, user.full_name = user.email or f"{username}@{MAIL_DOMAIN}", user.full_name or full_name
            user.role = role
            password = set_password(session, username)
        made.append((username, role, password))
    return made


def run_demo(out: Path) -> dict:
    from mediaplan.calendar.linking import link_deliveries
    from mediaplan.calendar.reminders import send_reminders
    from mediaplan.calendar.series import add_column, ensure_stories
    from mediaplan.calendar.stories import add_story
    from mediaplan.crawler.run import run_crawl
    from mediaplan.mailsink import MailSink
    from mediaplan.nlp.pipeline import classify_items
    from mediaplan.reports.build import build_report
    from mediaplan.reports.mail import send_report
    from mediaplan.reports.versions import approve
    from mediaplan.snapshot.server import SnapshotServer

    settings = get_settings()
    timings: dict[str, float] = {}
    console.print("[bold]mediaplan demo[/]: thu thập bản chụp ngoại tuyến qua HTTP, phân loại, lập lịch, báo cáo, gửi e-mail")
    with _step("Khởi tạo", timings):
        migrate()
        with session_scope() as session:
            sync_plan(session, current_plan())
            accounts = _demo_users(session)

    server = SnapshotServer()
    snapshot_url = server.start()
    console.print(f"  Bản chụp ngoại tuyến: {snapshot_url}")
    try:
        with _step("Thu thập", timings):
            crawl = run_crawl(None, snapshot_url=snapshot_url)
    finally:
        server.stop()
    for key, c in crawl["sources"].items():
        console.print(f"  {key}: mới {c['new']}, cập nhật {c['updated']}, không đổi {c['unchanged']}, lỗi {c['failed']}")

    with _step("Phân loại", timings):
        with session_scope() as session:
            counts = classify_items(session, show_progress=True)

    with _step("Lịch biên tập", timings):
        with session_scope() as session:
            add_column(session, **COLUMN)
            ensure_stories(session, date(2026, 8, 25), date(2026, 12, 31))
            for story in STORIES:
                first = story.get("coverages", [{}])[0].get("publish_at")
                add_story(session, by=DEMO_EDITOR, planned_on=first.date() if first else None, **story)
            linked = link_deliveries(session)["linked"]

    with session_scope() as session:  # totals from the database, so a second demo run reports the same
        latest = session.scalar(select(func.max(Item.published_at)))
        total_items = session.scalar(select(func.count(Item.id)))
        education = session.scalar(select(func.count(Item.id)).where(Item.education.is_(True)))
        nq71 = session.scalar(select(func.count(Item.id)).where(Item.nq71.is_(True)))
        themes = dict(session.execute(select(ItemTheme.theme_code, func.count(ItemTheme.item_id))
                                      .where(ItemTheme.removed.is_(False)).group_by(ItemTheme.theme_code)).all())
    period = month_of(latest) if latest else current_month()
    report_dir = out / period
    with _step("Báo cáo", timings):
        with session_scope() as session:
            _, figures = build_report(session, period, report_dir, by=DEMO_ANALYST)
            approve(session, period, DEMO_ANALYST)  # the demo plays the analyst: only an approved version is sent

    mail_dir = settings.data_dir / "mail"
    with _step("Gửi e-mail", timings):
        with MailSink(mail_dir) as sink:
            mail_settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port})
            with session_scope() as session:
                sent = send_report(session, mail_settings, period, settings.report_recipients or DEMO_RECIPIENTS)
            with session_scope() as session:  # the assignees' reminders, at their users' addresses (once each)
                reminded = send_reminders(session, "daily", settings=mail_settings)

    table = Table(title="mediaplan demo")
    table.add_column("")
    table.add_column("")
    table.add_row("Cơ sở dữ liệu", settings.db_url)
    table.add_row("Tin, bài đã lưu", str(total_items))
    table.add_row("Giáo dục / NQ 71", f"{education} / {nq71} (lần này phân loại {counts['items']} tin, bài)")
    table.add_row("Chủ đề", ", ".join(f"{k} {v}" for k, v in sorted(themes.items(), key=lambda x: -x[1])))
    table.add_row("Tin, bài kế hoạch đã liên kết", str(linked))
    table.add_row("Báo cáo", ", ".join(f"{report_dir}/report.{ext}" for ext in ("html", "docx", "pdf", "xlsx")))
    table.add_row(f"Tháng {period}", f"{figures['totals']['education']} tin, bài giáo dục; {figures['totals']['nq71']} nêu NQ 71")
    table.add_row("E-mail", f"đã gửi {len(sent['sent'])}, bỏ qua {len(sent['skipped'])}, lỗi {len(sent['failed'])} → {mail_dir}")
    table.add_row("Nhắc việc", f"{reminded['sent']} e-mail tới người phụ trách ({reminded['reminders']} lời nhắc, "
                  f"bỏ qua {reminded['skipped']} đã gửi trước đó)" + "".join(f"; {p}" for p in reminded["problems"]))
    table.add_row("Thời gian", ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    table.add_row("Tiếp theo", "mediaplan serve → http://127.0.0.1:8000/login")
    console.print(table)
    users = Table(title="Tài khoản thử (mật khẩu chỉ hiện một lần)")
    for column in ("Tên đăng nhập", "Vai trò", "Mật khẩu"):
        users.add_column(column)
    for username, role, password in accounts:
        users.add_row(username, role, password or "đã có từ lần chạy trước (đặt lại: mediaplan users passwd " + username + ")")
    console.print(users)
    return {"crawl": crawl, "counts": counts, "period": period, "figures": figures, "sent": sent, "timings": timings,
            "linked": linked, "users": accounts, "reminded": reminded}
