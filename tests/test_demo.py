"""The whole path, as `mediaplan demo` runs it, checked against the database by independent counts."""

import re
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from conftest import run_cli
from mediaplan.db import session_scope
from mediaplan.db.schema import Coverage, Delivery, Item, ItemTheme, ReportDelivery, User

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # the whole demo path: `make test-fast` leaves it out

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def demo_run(db, tmp_path, snapshot_server):
    env = {"MEDIAPLAN_DATABASE_URL": db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    proc = run_cli("demo", "--out", str(tmp_path / "out"), env=env)
    return env, proc, tmp_path


def _education_units(period: str) -> tuple[int, int]:
    """Education items of a local month, one per (near-duplicate cluster, outlet), counted without mediaplan's metrics."""
    with session_scope() as session:
        rows = session.execute(select(Item.published_at, Item.cluster_id, Item.id, Item.outlet_id, Item.nq71)
                               .where(Item.education.is_(True))).all()
    units = {(c or i, o): nq for p, c, i, o, nq in rows if p and p.astimezone(TZ).strftime("%Y-%m") == period}
    return len(units), sum(1 for nq in units.values() if nq)


def test_demo_end_to_end(demo_run, snapshot_server, mail_sink):
    env, proc, tmp = demo_run
    assert "mediaplan demo" in proc.stdout
    assert "thanhhai" in proc.stdout and "minhchau" in proc.stdout  # the assignees' accounts, passwords shown once

    # Items are stored, with themes and evidence.
    with session_scope() as session:
        n_items = session.scalar(select(func.count(Item.id)))
        assert n_items >= 40
        labelled = session.scalars(select(ItemTheme)).all()
        assert len({t.item_id for t in labelled}) >= 20
        assert all(t.evidence and t.evidence[0]["text"] for t in labelled)
        assert len({t.theme_code for t in labelled}) >= 15
        assert session.scalar(select(func.count(Delivery.item_id))) >= 5
        latest = session.scalar(select(func.max(Item.published_at))).astimezone(TZ).strftime("%Y-%m")
        # Every channel of the plan is collected (issue 13): broadcasts, social posts, the e-paper, bulletins.
        channels = dict(session.execute(select(Item.channel, func.count(Item.id)).group_by(Item.channel)).all())
        assert set(channels) == {"online", "print", "radio", "tv", "social", "grassroots", "portal"}
        kinds = set(session.scalars(select(Item.kind).distinct()))
        assert kinds == {"article", "broadcast", "social_post", "video"}

    # A second crawl adds no duplicates.
    run_cli("crawl", "--snapshot", snapshot_server.url, "--no-progress", env=env)
    with session_scope() as session:
        assert session.scalar(select(func.count(Item.id))) == n_items

    # The report's HTML and XLSX agree with the database.
    education, nq71 = _education_units(latest)
    out = tmp / "out" / latest
    html = (out / "report.html").read_text(encoding="utf-8")
    assert int(re.search(r'id="total-education">(\d+)<', html).group(1)) == education
    assert int(re.search(r'id="total-nq71">(\d+)<', html).group(1)) == nq71
    sheet = load_workbook(out / "report.xlsx")["Tổng hợp"]
    assert sheet["B3"].value == education and sheet["B4"].value == nq71
    assert education > 0

    # The e-mail arrived at the demo's SMTP sink …
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted((tmp / "var" / "mail").glob("*.eml"))]
    assert len([m for m in mails if m["Subject"].startswith("Báo cáo")]) == 2
    # … with the assignees' reminders, each at the e-mail of the user it is assigned to (assignees are users).
    with session_scope() as session:
        addresses = dict(session.execute(select(User.email, User.username)).all())
        reminded = {addresses.get(str(m["To"])) for m in mails if m["Subject"].startswith("[Lịch biên tập]")}
        assignees = set(session.scalars(select(Coverage.assignee).where(Coverage.assignee.is_not(None))))
    assert reminded and None not in reminded and reminded <= assignees
    assert all(str(m["To"]).endswith("@toasoan.example.org") for m in mails if m["Subject"].startswith("[Lịch"))
    with session_scope() as session:
        rows = session.scalars(select(ReportDelivery).where(ReportDelivery.period == latest)).all()
        assert {r.status for r in rows} == {"sent"} and all(r.attempts == 1 for r in rows)
        recipients = [r.recipient for r in rows]

    # … and a second `report send` for the same month sends nothing.
    again = run_cli("report", "send", "--month", latest, *sum((["--to", r] for r in recipients), []), "--by", "phantich",
                    env={**env, "MEDIAPLAN_SMTP_PORT": str(mail_sink.port)})
    assert mail_sink.messages == []
    assert "bỏ qua (đã gửi trước đó): 2" in again.stdout


def test_demo_mail_is_a_real_report(demo_run):
    _, _, tmp = demo_run
    from email import message_from_bytes, policy

    msg = next(m for m in (message_from_bytes(p.read_bytes(), policy=policy.default)
                           for p in sorted((tmp / "var" / "mail").glob("*.eml"))) if not m["Subject"].startswith("[Lịch"))
    assert msg["Subject"].startswith("Báo cáo truyền thông Nghị quyết 71-NQ/TW tháng")
    html = msg.get_body(("html",)).get_content()
    assert "BÁO CÁO" in html and "Kính gửi: Ủy ban nhân dân tỉnh Quảng Ngãi." in html
    attachments = [p.get_filename() for p in msg.iter_attachments()]
    assert attachments and attachments[0].endswith(".xlsx")


def test_auto_linking_on_the_snapshot(demo_run):
    """Column slots are marked published by the items tagged with the column; one-off stories without a
    decisive sign are only suggested; education items that deliver nothing stay unplanned coverage."""
    from mediaplan.calendar.linking import link_deliveries, unplanned_items
    from mediaplan.periods import month_bounds
    from mediaplan.db.schema import Coverage, Story

    with session_scope() as session:
        tagged = [i for i in session.scalars(select(Item).where(Item.education.is_(True)))
                  if "Đột phá giáo dục" in (i.extra or {}).get("tags", [])]
        slots = session.scalars(select(Coverage).join(Story).where(Story.column_id.is_not(None))).all()
        confirmed = {d.item_id: c for c in slots for d in c.deliveries if d.status == "confirmed"}
        # Every tagged item delivered the slot of its own week, and each such slot is published.
        assert tagged and set(confirmed) == {i.id for i in tagged}
        for item in tagged:
            slot = confirmed[item.id]
            assert slot.status == "published"
            assert abs((item.published_at - slot.publish_at).total_seconds()) <= 3 * 86400
        # Slots with no tagged item in their window stay open.
        assert all(c.status != "published" for c in slots if not c.deliveries)
        # One-off stories: the TV talk show of 19/11 is delivered by the broadcast that aired it, and the TikTok
        # video by the TikTok post (each has its planned format, a decisive sign); the others have no decisive sign
        # in the snapshot, so at most a suggestion, never marked published.
        one_offs = session.scalars(select(Coverage).join(Story).where(Story.column_id.is_(None))).all()
        delivered = {(c.platform, c.format): session.get(Item, d.item_id) for c in one_offs for d in c.deliveries
                     if d.status == "confirmed"}
        assert set(delivered) == {("tv", "talk_show"), ("tiktok", "short_video")}
        talk = delivered["tv", "talk_show"]
        assert (talk.kind, talk.channel, talk.format) == ("broadcast", "tv", "talk_show")
        assert talk.published_at.astimezone(TZ).strftime("%d/%m %H:%M") == "19/11 20:00"
        assert delivered["tiktok", "short_video"].url.startswith("https://www.tiktok.com/@baoquangngai/video/")
        assert all(c.status == "published" for c in one_offs if (c.platform, c.format) in delivered)
        assert all(c.status != "published" for c in one_offs if (c.platform, c.format) not in delivered)
        assert any(d.status == "suggested" for c in one_offs for d in c.deliveries)
        # Unplanned coverage: every education item of November that delivers no coverage.
        start, end = month_bounds("2026-11")
        unplanned = unplanned_items(session, start, end)
        november = session.scalars(select(Item).where(Item.education.is_(True), Item.published_at >= start,
                                                      Item.published_at < end)).all()
        linked = set(confirmed) | {i.id for i in delivered.values()}
        assert {i.id for i in unplanned} == {i.id for i in november} - linked
        assert unplanned and len(unplanned) < len(november)
        # Linking again changes nothing.
        assert link_deliveries(session) == {"linked": 0, "suggested": 0}
