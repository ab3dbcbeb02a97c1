"""The report: figures, outputs, and e-mail of an approved version, sent once per recipient (tests/test_report_versions.py\nhas the versions, approval, uncertain sends and retries)."""

from datetime import datetime, timezone

from openpyxl import load_workbook
from sqlalchemy import select

from mediaplan.crawler.store import Fetched, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import ReportDelivery, ReportVersion
from mediaplan.mailsink import free_port
from mediaplan.nlp.pipeline import classify_items
from mediaplan.reports.build import build_report, vi_date
from mediaplan.reports.mail import send_report
from mediaplan.reports.versions import approve
from mediaplan.settings import get_settings

STORY = ("Sở Giáo dục và Đào tạo quán triệt Nghị quyết số 71-NQ/TW cho cán bộ quản lý, giáo viên",
         "Hội nghị quán triệt, triển khai Nghị quyết 71 về đột phá phát triển giáo dục và đào tạo.",
         "Sáng 12/11, Sở Giáo dục và Đào tạo tổ chức hội nghị quán triệt Nghị quyết số 71-NQ/TW cho hơn 600 cán bộ quản lý, giáo viên các trường trên địa bàn tỉnh.")


def _store(source: str, url: str, title: str, sapo: str, body: str, when: datetime) -> None:
    with session_scope() as session:
        upsert_item(session, Fetched(source_key=source, kind="article", url=url, canonical_url=url, title=title,
                                     sapo=sapo, body=body, published_at=when))


def test_syndicated_story_counts_once_per_outlet(db, tmp_path):
    when = datetime(2026, 11, 12, 3, 0, tzinfo=timezone.utc)
    _store("baoquangngai-rss", "https://baoquangngai.vn/xa-hoi/202611/a-1a2b3c4/", *STORY, when)
    _store("baoquangngai-sitemap", "https://baoquangngai.vn/xa-hoi/202611/a-ban-sao-9f9f9f9/", STORY[0] + " (cập nhật)", STORY[1], STORY[2], when)
    _store("xa-son-ha-tin-tuc", "https://sonha.quangngai.gov.vn/tin-tuc/a-1.html", *STORY, when)
    with session_scope() as session:
        classify_items(session)
    with session_scope() as session:  # a re-run rebuilds the LSH index from stored signatures
        assert classify_items(session, everything=True)["items"] == 3
        _, figures = build_report(session, "2026-11", tmp_path / "out")
    assert figures["totals"]["education"] == 2  # one per outlet, though the outlet stored two copies
    assert figures["totals"]["clusters_merged"] == 1
    outlets = {o["key"]: o["education"] for o in figures["outlets"]}
    assert outlets["baoquangngai"] == 1 and outlets["xa-son-ha"] == 1
    sheet = load_workbook(tmp_path / "out" / "report.xlsx")["Tổng hợp"]
    assert sheet["B3"].value == 2


def test_send_retries_failures_and_never_resends(db, tmp_path, mail_sink):
    with session_scope() as session:
        version, _ = build_report(session, "2026-11", tmp_path / "out")
        approve(session, "2026-11", "Lan")
    recipients = ["a@example.vn", "b@example.vn"]
    down = get_settings().model_copy(update={"smtp_port": free_port()})  # nothing listens there
    with session_scope() as session:
        result = send_report(session, down, "2026-11", recipients)
    assert result["failed"] == recipients and mail_sink.messages == []
    up = get_settings().model_copy(update={"smtp_port": mail_sink.port})
    with session_scope() as session:
        assert send_report(session, up, "2026-11", recipients)["sent"] == recipients
    with session_scope() as session:
        assert send_report(session, up, "2026-11", recipients)["skipped"] == recipients
        rows = session.scalars(select(ReportDelivery).order_by(ReportDelivery.recipient)).all()
        assert session.get(ReportVersion, version.id).state == "sent"
    assert [(r.status, r.attempts, r.version_id) for r in rows] == [("sent", 2, version.id), ("sent", 2, version.id)]
    assert all(r.last_answer.startswith("250") and r.sent_at and r.next_attempt_at is None for r in rows)
    assert sorted(m["to"][0] for m in mail_sink.messages) == recipients
    msg = mail_sink.messages[0]["message"]
    assert msg["Subject"] == "Báo cáo truyền thông Nghị quyết 71-NQ/TW tháng 11/2026"
    assert [p.get_filename() for p in msg.iter_attachments()][0] == "bao-cao-nq71-2026-11.xlsx"


def test_official_date_format():
    assert vi_date(datetime(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert vi_date(datetime(2026, 11, 20)) == "ngày 20 tháng 11 năm 2026"
    assert vi_date(datetime(2026, 3, 9)) == "ngày 09 tháng 3 năm 2026"
