"""Reminders to the units that have not posted about Resolution 71 (issue 11, plan V.1 "theo dõi, đôn đốc", V.6):
once per unit and period across runs, never to a unit without an address or whose portal is not monitored,
nothing recorded when the server refuses or cannot be reached (so the next run sends), addresses checked line by
line when the plan data loads. A real SMTP server (aiosmtpd) throughout."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from mediaplan.db import session_scope
from mediaplan.db.schema import Item, Outlet, ReminderSent
from mediaplan.mailsink import MailSink, _SaveHandler, free_port
from mediaplan.plans import PLANS_DIR, current_plan, load_plan
from mediaplan.services import ServiceError
from mediaplan.services.units import CONTACTS_FILE, remind_silent_units, silent_units, unit_contacts
from mediaplan.settings import get_settings
from mediaplan.web.app import create_app

SGDDT = "vanphong@sgddt.example.vn"  # example.vn: test addresses, never a real unit's
SON_HA = "ubnd@sonha.example.vn"
SA_THAY = "ubnd@sathay.example.vn"  # Xã Sa Thầy: its portal is not monitored


def _keys() -> dict[str, str]:
    return {c.name: c.agency_key for c in current_plan().communes}


@pytest.fixture
def plan_with_contacts(tmp_path, monkeypatch):
    """A copy of the bundled plan with addresses: the Department (agencies.yaml) and two communes (the contacts
    file); Phường Cẩm Thành, monitored like Xã Sơn Hà, is left without one."""
    folder = tmp_path / "plan"
    shutil.copytree(PLANS_DIR / "quang-ngai-nq71", folder)
    agencies = folder / "agencies.yaml"
    agencies.write_text(agencies.read_text(encoding="utf-8").replace(
        "    short: Sở GD&ĐT\n", f"    short: Sở GD&ĐT\n    email: {SGDDT}\n", 1), encoding="utf-8")
    keys = _keys()
    (folder / CONTACTS_FILE).write_text(f"# thử\n{keys['Xã Sơn Hà']}: {SON_HA}\nXã Sa Thầy: {SA_THAY}\n"
                                        f"{keys['Phường Cẩm Thành']}:\n", encoding="utf-8")
    monkeypatch.setenv("MEDIAPLAN_PLAN", str(folder))
    get_settings.cache_clear()
    current_plan.cache_clear()
    yield folder
    get_settings.cache_clear()
    current_plan.cache_clear()


@pytest.fixture
def smtp_at(monkeypatch):
    def point(port: int) -> None:
        monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(port))
        get_settings.cache_clear()
    return point


def _post(session, outlet: str, n: int, when: datetime, nq71: bool = True) -> None:
    outlet_id = session.scalar(select(Outlet.id).where(Outlet.key == outlet))
    url = f"https://example.vn/{outlet}/{n}"
    session.add(Item(outlet_id=outlet_id, kind="article", url=url, canonical_url=url, content_hash=f"{n:064d}",
                     title=f"Tin {n}", sapo="", body="", published_at=when, channel="portal", format="news",
                     education=True, nq71=nq71))


def _body(mail) -> str:
    return mail["message"].get_body(preferencelist=("plain",)).get_content()


def _rows() -> list[ReminderSent]:
    with session_scope() as session:
        return session.scalars(select(ReminderSent).order_by(ReminderSent.key)).all()


def test_each_silent_unit_is_reminded_once_per_period_across_runs(db, plan_with_contacts, mail_sink, smtp_at):
    smtp_at(mail_sink.port)
    with session_scope() as session:
        _post(session, "xa-son-ha", 1, datetime(2026, 10, 5, 3, tzinfo=timezone.utc))  # October: not this period
        _post(session, "xa-son-ha", 2, datetime(2026, 11, 5, 3, tzinfo=timezone.utc), nq71=False)  # not about NQ 71
    with session_scope() as session:
        first = remind_silent_units(session, "2026-11", "Lan")
    assert sorted(u["name"] for u in first.sent) == ["Sở Giáo dục và Đào tạo", "Xã Sơn Hà"]
    no_address = [u["name"] for u in first.without_address]  # named, not sent: Cẩm Thành and the other monitored
    assert "Phường Cẩm Thành" in no_address and "Sở Y tế" in no_address and len(no_address) == 16  # portals
    assert "Xã Sa Thầy" in {u["name"] for u in first.unwatched}  # has an address, but we cannot know it is silent
    assert not first.failed and not first.already and not first.problems
    assert sorted(m["to"][0] for m in mail_sink.messages) == sorted([SGDDT, SON_HA])

    mail = next(m for m in mail_sink.messages if m["to"] == [SON_HA])
    body = _body(mail)
    assert "tháng 11/2026" in mail["message"]["Subject"] and "Xã Sơn Hà" in mail["message"]["Subject"]
    assert body.startswith("Kính gửi: Ủy ban nhân dân xã Sơn Hà")
    assert "mục V.6" in body and "trang thông tin điện tử" in body and "Nghị quyết số 71-NQ/TW" in body
    assert "(02/04/2026) đến hết kỳ: 1 tin, bài; tin, bài gần nhất ngày 05/10/2026" in body  # the count since the start
    assert f"Liên hệ: Sở Giáo dục và Đào tạo, e-mail {SGDDT}" in body and "Người gửi: Lan." in body
    assert mail["message"]["Reply-To"].endswith(f"<{SGDDT}>")

    rows = _rows()
    assert [(r.key, r.recipient, r.kind, r.digest, r.sent_by) for r in rows if r.recipient == SON_HA] == [
        (f"unit_silent:2026-11:{_keys()['Xã Sơn Hà']}:{SON_HA}", SON_HA, "unit_silent", "period", "Lan")]

    # A second run, in a new process as after a restart: nothing is sent again, even to a corrected address.
    contacts = plan_with_contacts / CONTACTS_FILE
    contacts.write_text(contacts.read_text(encoding="utf-8").replace(SON_HA, "moi@sonha.example.vn"), encoding="utf-8")
    current_plan.cache_clear()
    with session_scope() as session:
        second = remind_silent_units(session, "2026-11", "Hùng")
    assert not second.sent and sorted(u["name"] for u in second.already) == ["Sở Giáo dục và Đào tạo", "Xã Sơn Hà"]
    assert {u["sent_by"] for u in second.already} == {"Lan"}
    assert len(mail_sink.messages) == 2 and len(_rows()) == 2

    # Another period is another reminder; Sơn Hà posted about NQ 71 in October, so it is not silent there.
    with session_scope() as session:
        october = remind_silent_units(session, "2026-10", "Lan")
    assert [u["name"] for u in october.sent] == ["Sở Giáo dục và Đào tạo"]
    assert len(mail_sink.messages) == 3


class _RefuseSome(_SaveHandler):
    """Refuses RCPT for the addresses in `refuse`, as a server with no such mailbox would."""

    def __init__(self, folder: Path, refuse: set[str]):
        super().__init__(folder)
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook)
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_send_records_nothing_and_the_next_run_sends_it(sqlite_db, plan_with_contacts, tmp_path, smtp_at):
    port = free_port()
    smtp_at(port)  # nothing listens there: the server is down
    with session_scope() as session:
        down = remind_silent_units(session, "2026-11", "Lan")
    assert not down.sent and len(down.failed) == 2 and _rows() == []
    assert "ConnectionRefusedError" in down.failed[0]["answer"]
    assert down.failed[1]["answer"].startswith("chưa thử: không kết nối được máy chủ thư")  # not waited on twice

    (tmp_path / "mail").mkdir()
    handler = _RefuseSome(tmp_path / "mail", {SON_HA})
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with session_scope() as session:
            refused = remind_silent_units(session, "2026-11", "Lan")
        assert [u["name"] for u in refused.sent] == ["Sở Giáo dục và Đào tạo"]
        assert [(u["name"], u["answer"]) for u in refused.failed] == [("Xã Sơn Hà", "550 5.1.1 mailbox unavailable")]
        assert [r.recipient for r in _rows()] == [SGDDT]
        handler.refuse.clear()
        with session_scope() as session:
            retried = remind_silent_units(session, "2026-11", "Lan")
        assert [u["name"] for u in retried.sent] == ["Xã Sơn Hà"] and len(retried.already) == 1
        assert sorted(m["to"][0] for m in handler.messages) == sorted([SGDDT, SON_HA])  # each once
    finally:
        controller.stop()


def test_a_dry_run_sends_and_records_nothing(sqlite_db, plan_with_contacts, mail_sink, smtp_at):
    smtp_at(mail_sink.port)
    with session_scope() as session:
        preview = remind_silent_units(session, "2026-11", "Lan", dry_run=True)
        silence = silent_units(session, "2026-11")
    assert sorted(u["name"] for u in preview.sent) == ["Sở Giáo dục và Đào tạo", "Xã Sơn Hà"]
    assert sorted(u["name"] for u in silence.to_remind) == sorted(u["name"] for u in preview.sent)
    assert {u["key"]: u["email"] for u in silence.silent}[_keys()["Phường Cẩm Thành"]] is None
    assert mail_sink.messages == [] and _rows() == []


def test_a_period_that_cannot_be_reminded_is_refused_in_one_line(sqlite_db, plan_with_contacts):
    with session_scope() as session:
        for period, words in (("since-start", "since-start"), ("2099-01", "chưa bắt đầu"), ("2025-01", "trước khi")):
            with pytest.raises(ServiceError) as refused:
                remind_silent_units(session, period, "Lan")
            assert words in str(refused.value) and "\n" not in str(refused.value)
        with pytest.raises(ServiceError):
            remind_silent_units(session, "2026-11", "  ")  # nobody named


def test_a_bad_address_line_is_one_error_naming_it_and_the_rest_loads(tmp_path):
    folder = tmp_path / "plan"
    shutil.copytree(PLANS_DIR / "quang-ngai-nq71", folder)
    agencies = folder / "agencies.yaml"
    source = agencies.read_text(encoding="utf-8")
    source = source.replace("    short: Sở GD&ĐT\n", "    short: Sở GD&ĐT\n    email: vanphong@sgddt.example.vn\n", 1)
    source = source.replace("    short: Sở Nội vụ\n", "    short: Sở Nội vụ\n    email: sonoivu at example.vn\n", 1)
    agencies.write_text(source, encoding="utf-8")
    bad_agency_line = source.splitlines().index("    email: sonoivu at example.vn") + 1
    keys = {c.name: c.agency_key for c in load_plan(str(PLANS_DIR / "quang-ngai-nq71")).communes}
    lines = [
        "# địa chỉ thử",
        f"{keys['Xã Sơn Hà']}: ubnd@sonha.example.vn",
        f"{keys['Phường Cẩm Thành']}: camthanh@@example.vn",  # 3: a bad address
        "ubnd-99999: ai@example.vn",  # 4: no such unit
        "Đặc khu Lý Sơn: lyson@example.vn",  # by its full name
        f"{keys['Xã Bình Sơn']}: [a@example.vn",  # 6: not YAML
        f"{keys['Xã Sơn Hà']}: khac@sonha.example.vn",  # 7: a second, different address
        f"{keys['Xã Trà Bồng']}:",  # not filled in: no address, no error
        "sonoivu: sonoivu@example.vn",  # a department may be given here too (its agencies.yaml one was refused)
    ]
    (folder / CONTACTS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")

    plan = load_plan(str(folder))  # a bad address never stops the plan (and its monitoring) from loading
    contacts = unit_contacts(plan)
    assert contacts.emails == {"sgddt": "vanphong@sgddt.example.vn", keys["Xã Sơn Hà"]: "ubnd@sonha.example.vn",
                               keys["Đặc khu Lý Sơn"]: "lyson@example.vn", "sonoivu": "sonoivu@example.vn"}
    path = folder / CONTACTS_FILE
    problems = list(contacts.problems)
    assert all("\n" not in p for p in problems) and len(problems) == 5
    assert problems[0].startswith(f"{agencies}:{bad_agency_line}: sonoivu: địa chỉ e-mail không hợp lệ")
    assert problems[1].startswith(f"{path}:3: ") and "camthanh@@example.vn" in problems[1]
    assert problems[2].startswith(f"{path}:4: 'ubnd-99999' không phải một đơn vị")
    assert problems[3].startswith(f"{path}:6: không đọc được dòng")
    assert problems[4].startswith(f"{path}:7: Xã Sơn Hà đã có địa chỉ ubnd@sonha.example.vn ({path}:2)")


def test_the_cli_previews_sends_once_and_fails_when_a_send_fails(sqlite_db, plan_with_contacts, mail_sink, smtp_at, cli,
                                                                 acting):
    smtp_at(mail_sink.port)
    acting("analyst", "lan")
    preview = cli("report", "remind-units", "--period", "2026-11", "--dry-run", "--by", "lan")
    assert "sẽ gửi" in preview.stdout and "Sẽ gửi: 2" in preview.stdout and "Phường Cẩm Thành" in preview.stdout
    assert mail_sink.messages == []
    sent = cli("report", "remind-units", "--period", "2026-11", "--by", "lan")
    assert "Đã gửi: 2" in sent.stdout and "chưa có e-mail: 1" in sent.stdout and "Xã Sa Thầy" in sent.stdout
    again = cli("report", "remind-units", "--period", "2026-11", "--by", "lan")
    assert "Đã gửi: 0; đã nhắc trước đó: 2" in again.stdout and len(mail_sink.messages) == 2
    with session_scope() as session:
        session.execute(text("DELETE FROM reminders_sent"))
    smtp_at(free_port())  # the server is gone
    failed = cli("report", "remind-units", "--period", "2026-11", "--by", "lan", code=1)
    assert "lỗi: 2" in failed.stdout and failed.stderr.count("Lỗi gửi nhắc nhở") == 2
    assert "không hợp lệ" in cli("report", "remind-units", "--period", "2026-13", code=2).stderr


def test_the_units_page_reminds_from_a_form(sqlite_db, plan_with_contacts, mail_sink, smtp_at):
    from accounts import signed_in

    smtp_at(mail_sink.port)
    client = signed_in(sqlite_db, "analyst", "hoa")
    page = client.get("/units?period=2026-11")
    assert page.status_code == 200 and 'action="/units/remind"' in page.text and 'name="csrf_token"' in page.text
    assert 'id="remind-count">2<' in page.text and "Gửi nhắc nhở các đơn vị chưa đăng bài" in page.text
    assert re.search(r'id="remind-no-address"[^>]*>[^<]*Phường Cẩm Thành', page.text)

    done = client.post("/units/remind", data={"period": "2026-11"})
    assert done.status_code == 200 and 'id="remind-result"' in done.text and "đã gửi 2" in done.text
    assert 'id="remind-count">0<' in done.text and "đã nhắc" in done.text
    assert len(mail_sink.messages) == 2 and {r.sent_by for r in _rows()} == {"hoa"}
    assert "đã gửi 0" in client.post("/units/remind", data={"period": "2026-11"}).text  # a repost sends nothing
    assert len(mail_sink.messages) == 2

    for bad in ("2026-13", "", "tháng mười"):
        refused = client.post("/units/remind", data={"period": bad})
        assert refused.status_code == 400 and "\n" not in refused.text.strip()
    assert client.post("/units/remind", data={"period": "since-start"}).status_code == 400
    unavailable = client.get("/units?period=since-start")
    assert unavailable.status_code == 200 and 'id="remind-unavailable"' in unavailable.text
    assert 'action="/units/remind"' not in unavailable.text

    viewer = signed_in(sqlite_db, "viewer", "xem")  # may read the page, not e-mail the units
    assert viewer.post("/units/remind", data={"period": "2026-10"}).status_code == 403
    anonymous = TestClient(create_app(sqlite_db), follow_redirects=False)
    assert anonymous.post("/units/remind", data={"period": "2026-10"}).status_code in (303, 403)
    assert len(mail_sink.messages) == 2


def test_downgrading_below_0007_drops_the_unit_reminders_only(sqlite_db):
    from mediaplan.db import downgrade, get_engine, migrate

    with get_engine().begin() as conn:
        conn.execute(text("INSERT INTO reminders_sent (key, recipient, kind, digest, sent_at, sent_by) VALUES "
                          "('unit_silent:2026-11:sgddt:a@example.vn', 'a@example.vn', 'unit_silent', 'period', "
                          "'2026-12-01 00:00:00', 'Lan'), ('due:1:x:b@example.vn', 'b@example.vn', 'due', 'daily', "
                          "'2026-12-01 00:00:00', NULL)"))
    downgrade("0006")
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT key FROM reminders_sent")).scalars().all() == ["due:1:x:b@example.vn"]
    migrate()
    with get_engine().begin() as conn:  # the new codes are accepted again, and only them
        conn.execute(text("INSERT INTO reminders_sent (key, recipient, kind, digest, sent_at) VALUES "
                          "('unit_silent:2026-10:sgddt:a@example.vn', 'a@example.vn', 'unit_silent', 'period', "
                          "'2026-12-01 00:00:00')"))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), get_engine().begin() as conn:
        conn.execute(text("INSERT INTO reminders_sent (key, recipient, kind, digest, sent_at) VALUES "
                          "('x', 'a@example.vn', 'unit_quiet', 'period', '2026-12-01 00:00:00')"))
