"""Report versions (issue 11): draft → approved → sent, narrative edits kept across rebuilds, e-mail that is never
sent twice silently nor lost silently (a real SMTP server throughout; a slow one to kill a sender after DATA),
the delivery log, any period, and migration 0006 both ways."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from conftest import ITEMS, run_cli
from accounts import signed_in
from mediaplan.db import session_scope
from mediaplan.db.schema import ReportDelivery, ReportNarrative, ReportVersion, utcnow
from mediaplan.mailsink import MailSink, _SaveHandler, free_port
from mediaplan.reports.mail import backoff, message_id_for
from mediaplan.reports.versions import approve, narrative_overrides
from mediaplan.services.reports import build_period_report, send_period_report
from mediaplan.settings import get_settings


@pytest.fixture
def smtp_at(monkeypatch):
    """Point the settings (of this process and of `mediaplan` children) at an SMTP port."""
    def point(port: int) -> dict:
        monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(port))
        get_settings.cache_clear()
        return {"MEDIAPLAN_SMTP_PORT": str(port)}

    return point


def _build(tmp_path: Path, period: str = "2026-11", by: str | None = None):
    with session_scope() as session:
        return build_period_report(session, period, tmp_path / "out" / period, by=by)


def _approve(period: str = "2026-11", by: str = "Lan") -> ReportVersion:
    with session_scope() as session:
        return approve(session, period, by)[0]


def _rows(period: str = "2026-11") -> list[ReportDelivery]:
    with session_scope() as session:
        return session.scalars(select(ReportDelivery).where(ReportDelivery.period == period)
                               .order_by(ReportDelivery.version_id, ReportDelivery.recipient)).all()


# --- approval -----------------------------------------------------------------------------------------------------


def test_sending_a_draft_is_refused_and_sends_nothing(populated_db, tmp_path, mail_sink, smtp_at, cli, monkeypatch):
    from accounts import ensure_user

    smtp_at(mail_sink.port)
    ensure_user(populated_db, "lan", "analyst")
    monkeypatch.setenv("MEDIAPLAN_USER", "lan")
    built = cli("report", "build", "--period", "2026-11", "--out", str(tmp_path / "out"))
    assert "phiên bản 1 (bản nháp)" in built.stdout
    for name in ("report.html", "report.xlsx", "figures.json"):
        assert (tmp_path / "out" / name).exists()
    refused = cli("report", "send", "--period", "2026-11", "--to", "so@example.vn", code=1)
    assert "bản nháp, chưa được duyệt" in refused.stderr and "report approve --period 2026-11" in refused.stderr
    assert mail_sink.messages == [] and _rows() == []
    monkeypatch.delenv("MEDIAPLAN_USER")
    said = run_cli("report", "approve", "--period", "2026-11", check=False)  # nobody named: nobody approves
    assert said.returncode == 1 and "--by TÊN_ĐĂNG_NHẬP" in said.stderr and "MEDIAPLAN_USER" in said.stderr


def test_an_approved_version_goes_to_each_recipient_once(populated_db, tmp_path, mail_sink, smtp_at, cli, acting):
    smtp_at(mail_sink.port)
    acting("analyst", "minh")
    acting("analyst", "lan")  # MEDIAPLAN_USER, for the commands without --by
    cli("report", "build", "--month", "2026-11", "--out", str(tmp_path / "out"))  # --month: the old name
    approved = cli("report", "approve", "--period", "2026-11", "--by", "lan")
    assert "Đã duyệt phiên bản 1" in approved.stdout and "bởi lan" in approved.stdout
    assert "đã được duyệt trước đó (bởi lan" in cli("report", "approve", "--period", "2026-11", "--by", "minh").stdout
    to = ["--to", "a@example.vn", "--to", "b@example.vn"]
    first = cli("report", "send", "--period", "2026-11", *to)
    assert "Đã gửi: 2; bỏ qua (đã gửi trước đó): 0; lỗi: 0" in first.stdout
    again = cli("report", "send", "--period", "2026-11", *to, "--to", "a@example.vn")
    assert "Đã gửi: 0; bỏ qua (đã gửi trước đó): 2" in again.stdout
    assert sorted(m["to"][0] for m in mail_sink.messages) == ["a@example.vn", "b@example.vn"]
    with session_scope() as session:
        version = session.scalars(select(ReportVersion)).one()
        assert (version.state, version.approved_by, version.version) == ("sent", "lan", 1)
    log = cli("report", "deliveries", "--period", "2026-11").stdout
    assert "a@example.vn" in log and "b@example.vn" in log and "đã gửi" in log and "250" in log


def test_message_id_is_stable_per_version_and_recipient(populated_db, tmp_path, mail_sink, smtp_at):
    smtp_at(mail_sink.port)
    _build(tmp_path)
    _approve()
    with session_scope() as session:
        send_period_report(session, "2026-11", ["a@example.vn"])
        v1 = session.scalars(select(ReportVersion)).one()
        ids = {message_id_for(v1, "a@example.vn"), message_id_for(v1, " A@example.vn ")}
        assert len(ids) == 1 and message_id_for(v1, "b@example.vn") not in ids
    assert mail_sink.messages[0]["message"]["Message-ID"] in ids and _rows()[0].message_id in ids
    _store_item(21)  # new figures: a new version, another Message-ID for the same recipient
    _build(tmp_path)
    with session_scope() as session:
        v2 = session.scalar(select(ReportVersion).where(ReportVersion.version == 2))
        assert message_id_for(v2, "a@example.vn") not in ids


def _store_item(day: int) -> None:
    from mediaplan.crawler.store import Fetched, upsert_item
    from mediaplan.nlp.pipeline import classify_items

    source, url, title, sapo, body, _ = ITEMS[0]
    with session_scope() as session:
        upsert_item(session, Fetched(source_key=source, kind="article", url=f"{url}?ngay={day}", canonical_url=f"{url}?ngay={day}",
                                     title=f"{title} (ngày {day})", sapo=sapo, body=body + f" Ngày {day}.",
                                     published_at=datetime(2026, 11, day, 2, 0, tzinfo=timezone.utc)))
    with session_scope() as session:
        classify_items(session)


def test_a_rebuild_after_approval_is_a_new_draft_and_the_approved_files_stay(populated_db, tmp_path, mail_sink, smtp_at, cli,
                                                                             acting):
    smtp_at(mail_sink.port)
    acting("analyst")
    first = _build(tmp_path)
    assert first.new and _build(tmp_path).version.id == first.version.id  # the same content: the same version
    v1 = _approve()
    approved_html = (Path(v1.out_dir) / "report.html").read_bytes()
    unchanged = cli("report", "build", "--period", "2026-11", "--out", str(tmp_path / "again"))
    assert "phiên bản 1 (đã duyệt) — nội dung không đổi" in unchanged.stdout
    _store_item(22)
    second = _build(tmp_path)
    assert second.new and (second.version.version, second.version.state) == (2, "draft")
    assert (Path(v1.out_dir) / "report.html").read_bytes() == approved_html  # v1's own copy, untouched
    assert Path(v1.out_dir) != Path(second.version.out_dir)
    refused = cli("report", "send", "--period", "2026-11", "--to", "a@example.vn", code=1)
    assert "phiên bản 2" in refused.stderr and "--version 1" in refused.stderr
    cli("report", "send", "--period", "2026-11", "--to", "a@example.vn", "--version", "1")
    assert len(mail_sink.messages) == 1 and mail_sink.messages[0]["message"]["X-Mediaplan-Report"] == "2026-11 v1"
    assert "không có phiên bản 9" in cli("report", "send", "--period", "2026-11", "--to", "a@example.vn",
                                         "--version", "9", code=1).stderr


# --- never twice silently, never lost silently ----------------------------------------------------------------------


class _SlowAnswer(_SaveHandler):
    """Keeps the first message (it is delivered) and then holds back its answer until released."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.in_data = threading.Event()
        self.release = threading.Event()
        self.slow = True

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        if self.slow:
            self.slow = False
            self.in_data.set()
            deadline = time.monotonic() + 120
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        return answer


def test_a_sender_killed_after_data_is_uncertain_and_resent_only_on_request(populated_db, tmp_path, smtp_at, acting):
    acting("analyst")  # MEDIAPLAN_USER: who sends, for the commands below
    handler = _SlowAnswer(tmp_path / "slow-mail")
    (tmp_path / "slow-mail").mkdir()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = smtp_at(port)
        _build(tmp_path)
        _approve()
        args = [sys.executable, "-m", "mediaplan", "report", "send", "--period", "2026-11", "--to", "so@example.vn"]
        sender = subprocess.Popen(args, env={**os.environ, **env, "PYTHONIOENCODING": "utf-8"},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert handler.in_data.wait(180), "the sender never reached DATA"
            sender.send_signal(signal.SIGKILL)  # killed while the server holds its answer to the message
            sender.wait(30)
        finally:
            if sender.poll() is None:
                sender.kill()
        handler.release.set()
        (row,) = _rows()
        assert (row.status, row.attempts, row.sent_at) == ("uncertain", 1, None)
        assert len(handler.messages) == 1  # it did arrive: that is why nobody may send it again on their own

        restart = run_cli("report", "send", "--period", "2026-11", "--to", "so@example.vn", env=env, check=False)
        assert restart.returncode == 2 and "Không chắc đã gửi so@example.vn" in restart.stderr
        assert "không chắc đã gửi: 1" in restart.stdout and len(handler.messages) == 1
        log = run_cli("report", "deliveries", "--period", "2026-11", env=env)
        assert "không chắc đã gửi" in log.stdout and "--resend-uncertain" in log.stderr

        run_cli("report", "send", "--period", "2026-11", "--resend-uncertain", env=env)
        assert len(handler.messages) == 2
        first, second = (m["message"]["Message-ID"] for m in handler.messages)
        assert first == second == row.message_id  # the same message: a client can tell
        (row,) = _rows()
        assert (row.status, row.attempts) == ("sent", 2) and row.last_answer.startswith("250")
        run_cli("report", "send", "--period", "2026-11", "--to", "so@example.vn", "--resend-uncertain", env=env)
        assert len(handler.messages) == 2
    finally:
        handler.release.set()
        controller.stop()


class _Answers(_SaveHandler):
    """Answers the message as told: a 4xx, a 5xx, or by dropping the connection (after keeping it)."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.answer = "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.answer == "drop":
            await super().handle_DATA(server, session, envelope)
            server.transport.close()
            return "250 OK"
        return self.answer


def test_the_answer_after_data_decides_failed_or_uncertain(populated_db, tmp_path, smtp_at):
    handler = _Answers(tmp_path / "mail")
    (tmp_path / "mail").mkdir()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp_at(port)
        _build(tmp_path)
        _approve()
        for recipient, answer in (("tam@example.vn", "451 4.3.0 thử lại sau"), ("sai@example.vn", "554 5.6.0 không nhận"),
                                  ("rot@example.vn", "drop")):
            handler.answer = answer
            with session_scope() as session:
                send_period_report(session, "2026-11", [recipient])
        rows = {r.recipient: r for r in _rows()}
        assert (rows["tam@example.vn"].status, rows["tam@example.vn"].last_answer[:3]) == ("failed", "451")
        assert rows["tam@example.vn"].next_attempt_at is not None  # transient: retried later
        assert (rows["sai@example.vn"].status, rows["sai@example.vn"].next_attempt_at) == ("failed", None)  # permanent
        assert rows["rot@example.vn"].status == "uncertain" and "SMTPServerDisconnected" in rows["rot@example.vn"].last_answer
        assert len(handler.messages) == 1  # the dropped one arrived
    finally:
        controller.stop()


def test_a_refused_connection_is_retried_with_backoff_and_delivered_once(populated_db, tmp_path, smtp_at):
    from mediaplan.scheduler import retry_report_deliveries

    port = free_port()
    smtp_at(port)  # nothing listens there yet
    _build(tmp_path)
    _approve()
    before = utcnow()
    with session_scope() as session:
        result = send_period_report(session, "2026-11", ["so@example.vn"])
    assert result["failed"] == ["so@example.vn"]
    (row,) = _rows()
    assert row.status == "failed" and "ConnectionRefusedError" in row.last_answer
    assert timedelta(minutes=4) < row.next_attempt_at - before < timedelta(minutes=6)

    retry_report_deliveries()  # not yet due: nothing is attempted
    assert _rows()[0].attempts == 1
    with MailSink(tmp_path / "mail", port=port) as sink:
        with session_scope() as session:  # the time has come
            session.execute(update(ReportDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        retry_report_deliveries()
        retry_report_deliveries()
        assert [m["to"] for m in sink.messages] == [["so@example.vn"]]
    (row,) = _rows()
    assert (row.status, row.attempts, row.next_attempt_at) == ("sent", 2, None)


def test_backoff_doubles_and_gives_up():
    settings = get_settings().model_copy(update={"report_retry_minutes": 5, "report_retry_max": 4})
    assert [backoff(settings, n) for n in (1, 2, 3, 4)] == [timedelta(minutes=5), timedelta(minutes=10),
                                                           timedelta(minutes=20), None]


def test_a_sender_that_died_before_the_message_is_retried_after_its_lease(populated_db, tmp_path, mail_sink, smtp_at):
    """A `sending` row means the message never left: after the lease it is sent (once), before it left alone."""
    from mediaplan.services.reports import retry_deliveries

    smtp_at(mail_sink.port)
    _build(tmp_path)
    version = _approve()
    with session_scope() as session:
        session.add(ReportDelivery(version_id=version.id, period="2026-11", recipient="so@example.vn", status="sending",
                                   attempts=1, started_at=utcnow() - timedelta(minutes=1),
                                   message_id=message_id_for(version, "so@example.vn")))
    with session_scope() as session:
        assert send_period_report(session, "2026-11", ["so@example.vn"])["busy"] == ["so@example.vn"]
        assert retry_deliveries(session)["sent"] == []
        assert retry_deliveries(session, now=utcnow() + timedelta(minutes=20))["sent"] == ["so@example.vn (2026-11 v1)"]
    assert len(mail_sink.messages) == 1 and _rows()[0].status == "sent"


# --- periods ------------------------------------------------------------------------------------------------------


def test_a_quarter_and_a_year_build_and_a_malformed_period_is_one_line(populated_db, tmp_path, cli, acting):
    import json

    acting("analyst")

    for period, label in (("2026-Q4", "quý IV năm 2026"), ("2026", "năm 2026")):
        out = tmp_path / period
        done = cli("report", "build", "--period", period, "--out", str(out))
        assert f"Báo cáo {label}, phiên bản 1" in done.stdout
        assert json.loads((out / "figures.json").read_text(encoding="utf-8"))["period"] == period
    with session_scope() as session:
        assert sorted(v.period for v in session.scalars(select(ReportVersion))) == ["2026", "2026-Q4"]
    for bad in ("2026-Q5", "2026-13", "quy-4"):
        said = cli("report", "build", "--period", bad, "--out", str(tmp_path / "x"), code=2).stderr
        assert "kỳ báo cáo không hợp lệ" in said and len(said.strip().splitlines()) == 1
    said = run_cli("report", "send", "--month", "2026-13", "--to", "a@example.vn", check=False)
    assert said.returncode == 2 and len(said.stderr.strip().splitlines()) == 1
    empty = cli("report", "build", "--period", "2030-01", "--out", str(tmp_path / "empty"))
    assert "chưa có tin, bài nào" in empty.stdout


# --- narrative ----------------------------------------------------------------------------------------------------


def test_a_narrative_edit_is_kept_across_rebuilds(populated_db, tmp_path, cli, acting):
    acting("analyst", "minh")
    acting("analyst", "lan")
    out = str(tmp_path / "out")
    cli("report", "build", "--period", "2026-11", "--out", out)
    note = tmp_path / "uu-diem.txt"
    note.write_text("Các cơ quan báo chí đã chủ động mở chuyên mục về Nghị quyết 71.\n", encoding="utf-8")
    cli("report", "narrative", "--period", "2026-11", "--section", "uu_diem", "--text-file", str(note), "--by", "lan")
    cli("report", "narrative", "--period", "2026-11", "--section", "de_xuat", "--text", "Bổ sung kinh phí.", "--by", "minh")
    said = cli("report", "approve", "--period", "2026-11", "--by", "lan", code=1).stderr  # v1 lacks the edits
    assert "đã được sửa sau khi tạo phiên bản 1" in said
    assert "--section 'khong-co' không hợp lệ" in cli("report", "narrative", "--period", "2026-11", "--section",
                                                      "khong-co", "--text", "x", "--by", "lan", code=1).stderr
    expected = {"uu_diem": "Các cơ quan báo chí đã chủ động mở chuyên mục về Nghị quyết 71.", "de_xuat": "Bổ sung kinh phí."}
    cli("report", "build", "--period", "2026-11", "--out", out)  # v2 carries them
    _store_item(23)
    cli("report", "build", "--period", "2026-11", "--out", out)  # new figures, v3: still carries them
    with session_scope() as session:
        assert narrative_overrides(session, "2026-11") == expected
        rows = {r.section: r for r in session.scalars(select(ReportNarrative))}
        assert (rows["uu_diem"].edited_by, rows["de_xuat"].edited_by) == ("lan", "minh") and rows["uu_diem"].edited_at
        assert [(v.version, v.narrative) for v in session.scalars(select(ReportVersion).order_by(ReportVersion.version))] == [
            (1, {}), (2, expected), (3, expected)]
    assert "Đã duyệt phiên bản 3" in cli("report", "approve", "--period", "2026-11", "--by", "lan").stdout
    if (tmp_path / "out" / "report.docx").exists():  # the DOCX writer takes the edits (when it is there)
        from docx import Document

        assert expected["uu_diem"] in "\n".join(p.text for p in Document(tmp_path / "out" / "report.docx").paragraphs)
    shown = cli("report", "narrative", "--period", "2026-11").stdout
    assert "Ưu điểm" in shown and "uu_diem; lan," in shown
    cli("report", "narrative", "--period", "2026-11", "--section", "de_xuat", "--text", "", "--by", "minh")
    with session_scope() as session:
        assert narrative_overrides(session, "2026-11") == {"uu_diem": expected["uu_diem"]}


# --- the web page -------------------------------------------------------------------------------------------------


def test_the_reports_page_lists_versions_and_deliveries(populated_db, tmp_path, mail_sink, smtp_at):
    from mediaplan.web.app import create_app

    smtp_at(mail_sink.port)
    _build(tmp_path)
    _approve()
    with session_scope() as session:
        send_period_report(session, "2026-11", ["a@example.vn"])
    client = signed_in(populated_db)
    page = client.get("/reports?period=2026-11")
    assert page.status_code == 200
    assert 'data-version="1" data-state="sent"' in page.text and 'data-recipient="a@example.vn" data-status="sent"' in page.text
    assert "Lan" in page.text and "250" in page.text
    assert 'id="no-reports"' in client.get("/reports?period=2026-Q1").text
    assert client.get("/reports?period=2026-13").status_code == 400


# --- migration 0006 -----------------------------------------------------------------------------------------------


def test_migration_0006_keeps_reports_and_deliveries_both_ways(db):
    from sqlalchemy import inspect

    from mediaplan.db import downgrade, get_engine, migrate

    downgrade("0005")
    engine = get_engine()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO reports (id, period, built_at, out_dir, figures) VALUES "
                          "(1, '2026-10', '2026-11-01 01:00:00+00', '/tmp/r', '{\"totals\": {\"items\": 3}}'), "
                          "(2, '2026-11', '2026-12-01 01:00:00+00', '/tmp/s', '{}')"))
        conn.execute(text("INSERT INTO report_deliveries (period, recipient, status, attempts, last_error, message_id, sent_at) VALUES "
                          "('2026-10', 'a@x.vn', 'sent', 1, NULL, '<m1@x>', '2026-11-01 02:00:00+00'), "
                          "('2026-10', 'b@x.vn', 'failed', 2, 'ConnectionRefusedError', NULL, NULL)"))
    migrate()
    with session_scope() as session:
        versions = {v.period: v for v in session.scalars(select(ReportVersion))}
        assert (versions["2026-10"].version, versions["2026-10"].state) == (1, "sent")  # someone got it already
        assert (versions["2026-11"].version, versions["2026-11"].state) == (1, "draft")
        assert versions["2026-10"].figures == {"totals": {"items": 3}}
        rows = {d.recipient: d for d in session.scalars(select(ReportDelivery))}
        assert (rows["a@x.vn"].status, rows["a@x.vn"].message_id, rows["a@x.vn"].version_id) == ("sent", "<m1@x>", versions["2026-10"].id)
        assert (rows["b@x.vn"].status, rows["b@x.vn"].attempts, rows["b@x.vn"].last_answer) == ("failed", 2, "ConnectionRefusedError")
        v2 = ReportVersion(period="2026-10", version=2, state="approved", figures={}, out_dir="/tmp/v2", content_hash="h")
        session.add(v2)
        session.flush()
        session.add(ReportDelivery(version_id=v2.id, period="2026-10", recipient="a@x.vn", status="uncertain", attempts=1))
        session.add(ReportDelivery(version_id=v2.id, period="2026-10", recipient="c@x.vn", status="uncertain", attempts=1))
    downgrade("0005")
    with engine.connect() as conn:
        assert "report_versions" not in inspect(conn).get_table_names()
        reports = dict(conn.execute(text("SELECT period, out_dir FROM reports")).all())
        assert reports == {"2026-10": "/tmp/v2", "2026-11": "/tmp/s"}  # each month's latest version
        kept = {r[0]: r[1:] for r in conn.execute(text("SELECT recipient, status, message_id FROM report_deliveries"))}
        assert kept == {"a@x.vn": ("sent", "<m1@x>"), "b@x.vn": ("failed", None), "c@x.vn": ("sent", None)}
    migrate()
    with get_engine().connect() as conn:
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        from mediaplan.db.schema import Base
        from mediaplan.db.search_index import include_object

        assert compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), Base.metadata) == []


def test_the_email_carries_its_charts_inline(tmp_path):
    """Mail clients block data: URIs: each chart becomes a cid: image inside the message."""
    import base64

    from mediaplan.reports.mail import inline_images

    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    html = f'<p>x</p><img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="a">'
    out, images = inline_images(html)
    assert "data:" not in out and out.count('src="cid:') == 1
    assert images[0][1] == png and images[0][0] in out
