"""The report pages in the web app (issue 11, "Review, approval, sending"): build a draft from a form, preview and
download every format, edit the narrative, rebuild, approve, send to each recipient once over a real local SMTP
server (aiosmtpd), re-send uncertain deliveries only when confirmed, and bad input as a 4xx, never a 500; plus one
run in headless Chromium that leaves a screenshot in docs/screenshots/."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from mediaplan.db import session_scope
from mediaplan.db.schema import ReportDelivery, ReportNarrative, ReportVersion
from mediaplan.reports.mail import message_id_for
from mediaplan.services.reports import build_period_report
from mediaplan.settings import get_settings
from accounts import PASSWORD, ensure_user, signed_in

ROOT = Path(__file__).resolve().parent.parent
RECIPIENTS = ["so-gddt@example.vn", "vp-ubnd@example.vn"]
NEW_TEXT = "Các cơ quan báo chí đã chủ động mở chuyên mục riêng về Nghị quyết 71, đăng đều đặn mỗi tuần."
BIG = 10**20
ANALYST = "lan-phan-tich"
TYPES = {
    "report.html": "text/html; charset=utf-8",
    "report.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "report.pdf": "application/pdf",
    "report.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@pytest.fixture
def mail_to(monkeypatch, mail_sink):
    """The app's SMTP settings pointed at the real local sink, with the plan's recipients set."""
    monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(mail_sink.port))
    monkeypatch.setenv("MEDIAPLAN_REPORT_RECIPIENTS", ",".join(RECIPIENTS))
    get_settings.cache_clear()
    yield mail_sink
    get_settings.cache_clear()


@pytest.fixture
def client(populated_db):
    """An analyst signed in the way a browser is (tests/accounts.py): the pages' acting person is that user."""
    return signed_in(populated_db, "analyst", ANALYST, raise_server_exceptions=False)


def build(client, period: str = "2026-11", **extra) -> int:
    """POST the build form; the id of the version it redirected to."""
    answer = client.post("/reports/build", data={"period": period, **extra}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    m = re.fullmatch(r"/reports/(\d+)\?done=(built|kept)", answer.headers["location"])
    assert m, answer.headers["location"]
    return int(m.group(1))


def textarea(html: str, key: str) -> str:
    m = re.search(rf'<textarea id="n-{key}" name="{key}"[^>]*>(.*?)</textarea>', html, re.S)
    assert m, f"no textarea for {key}"
    return unescape(m.group(1))


def version_row(version_id: int) -> ReportVersion:
    with session_scope() as session:
        return session.get(ReportVersion, version_id)


def test_build_edit_rebuild_approve_and_send_each_recipient_once(client, mail_to):
    v1 = build(client)
    page = client.get(f"/reports/{v1}")
    assert page.status_code == 200 and 'data-state="draft"' in page.text and 'id="approve"' in page.text
    assert "Đã dựng phiên bản 1 (bản nháp)." in client.get(f"/reports/{v1}?done=built").text
    drafted = textarea(page.text, "uu_diem")
    assert "tin, bài về giáo dục" in drafted  # the draft written from the figures
    assert 'sandbox' in page.text and f'src="/reports/{v1}/files/report.html"' in page.text

    # Sending a draft is refused, and nothing is sent.
    refused = client.post(f"/reports/{v1}/send", follow_redirects=False)
    assert refused.status_code == 409 and "bản nháp, chưa được duyệt" in refused.text
    assert mail_to.messages == []

    # Edit one section: only it is stored (the others keep following the figures); CRLF and NFD from a browser
    # are the same words.
    typed = unicodedata.normalize("NFD", NEW_TEXT.replace(" mỗi tuần", "\r\nmỗi tuần"))
    saved = client.post(f"/reports/{v1}/narrative", data={"uu_diem": typed, "ton_tai": textarea(page.text, "ton_tai")},
                        follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/reports/{v1}?done=saved"
    with session_scope() as session:
        rows = session.scalars(select(ReportNarrative)).all()
        assert [(r.section, r.text, r.edited_by) for r in rows] == [
            ("uu_diem", NEW_TEXT.replace(" mỗi tuần", "\nmỗi tuần"), ANALYST)]
    page = client.get(f"/reports/{v1}?done=saved")
    assert 'id="stale"' in page.text and "Dựng lại bản nháp" in page.text
    assert textarea(page.text, "uu_diem") == NEW_TEXT.replace(" mỗi tuần", "\nmỗi tuần")
    again = client.post(f"/reports/{v1}/narrative", data={"uu_diem": NEW_TEXT.replace(" mỗi tuần", "\r\nmỗi tuần")},
                        follow_redirects=False)
    assert again.headers["location"].endswith("done=unchanged")
    stale = client.post(f"/reports/{v1}/approve", follow_redirects=False)  # v1 lacks the edit
    assert stale.status_code == 409 and "Dựng lại bản nháp" in stale.text and version_row(v1).state == "draft"

    # "Dựng lại bản nháp": a new draft whose HTML, DOCX carry the edit.
    v2 = build(client, back=str(v1))
    assert v2 != v1 and version_row(v2).version == 2
    html = client.get(f"/reports/{v2}/files/report.html")
    assert NEW_TEXT.split(",")[0] in html.text and "mỗi tuần" in html.text
    from docx import Document

    docx = client.get(f"/reports/{v2}/files/report.docx").content
    assert NEW_TEXT.split(",")[0] in "\n".join(p.text for p in Document(BytesIO(docx)).paragraphs)
    page = client.get(f"/reports/{v2}")
    assert 'id="stale"' not in page.text and f"đã sửa bởi {ANALYST}" in page.text
    assert 'id="newer"' in client.get(f"/reports/{v1}").text

    # Approve v2; approving again, or editing the approved text, is refused.
    approved = client.post(f"/reports/{v2}/approve", follow_redirects=False)
    assert approved.status_code == 303 and approved.headers["location"] == f"/reports/{v2}?done=approved"
    row = version_row(v2)
    assert (row.state, row.approved_by) == ("approved", ANALYST)
    page = client.get(f"/reports/{v2}")
    assert f"bởi {ANALYST}" in page.text and 'id="send"' in page.text and "<textarea" not in page.text
    twice = client.post(f"/reports/{v2}/approve", follow_redirects=False)
    assert twice.status_code == 409 and "không duyệt lại" in twice.text and version_row(v2).approved_by == ANALYST
    frozen = client.post(f"/reports/{v2}/narrative", data={"uu_diem": "Sửa sau khi duyệt."}, follow_redirects=False)
    assert frozen.status_code == 409 and "không sửa được" in frozen.text
    with session_scope() as session:
        assert session.scalars(select(ReportNarrative.text)).all() == [NEW_TEXT.replace(" mỗi tuần", "\nmỗi tuần")]

    # Send: once to each recipient; the second press sends nothing new.
    sent = client.post(f"/reports/{v2}/send", follow_redirects=False)
    assert sent.status_code == 303 and "done=sent" in sent.headers["location"] and "sent=2" in sent.headers["location"]
    page = client.get(sent.headers["location"])
    assert "Gửi phiên bản 2: đã gửi: 2; bỏ qua (đã gửi trước đó): 0; lỗi: 0; không chắc đã gửi: 0." in page.text
    assert sorted(m["to"][0] for m in mail_to.messages) == RECIPIENTS
    assert {m["message"]["X-Mediaplan-Report"] for m in mail_to.messages} == {"2026-11 v2"}
    second = client.post(f"/reports/{v2}/send")
    assert second.status_code == 200 and "đã gửi: 0; bỏ qua (đã gửi trước đó): 2" in second.text
    assert len(mail_to.messages) == 2
    assert version_row(v2).state == "sent" and 'data-state="sent"' in second.text

    # The delivery log: recipient, status in Vietnamese, attempts, local time, the server's answer, Message-ID.
    with session_scope() as session:
        rows = session.scalars(select(ReportDelivery).order_by(ReportDelivery.recipient)).all()
        from mediaplan.web.deps import local

        expected = [(r.recipient, local(r.sent_at), r.message_id) for r in rows]
    log = second.text[second.text.index('id="deliveries"'):]
    for recipient, when, message_id in expected:
        row = re.search(rf'<tr class="delivery status-sent" data-recipient="{re.escape(recipient)}" data-status="sent">(.*?)</tr>',
                        log, re.S)
        assert row, recipient
        cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
        assert cells[:4] == [recipient, "đã gửi", "1", when] and cells[4].startswith("250") and cells[5] == message_id
    # The list page links to the versions and keeps the log.
    listing = client.get("/reports?period=2026-11").text
    assert f'href="/reports/{v2}"' in listing and 'data-recipient="so-gddt@example.vn" data-status="sent"' in listing


def test_every_format_downloads_with_its_type_and_name(client):
    v1 = build(client)
    for name, content_type in TYPES.items():
        got = client.get(f"/reports/{v1}/files/{name}?download=1")
        assert got.status_code == 200, name
        assert got.headers["content-type"] == content_type, name
        ext = name.rsplit(".", 1)[1]
        assert got.headers["content-disposition"] == f'attachment; filename="bao-cao-2026-11-v1.{ext}"', name
        assert len(got.content) > 1000, name
        assert got.headers["x-content-type-options"] == "nosniff"
    assert zipfile.is_zipfile(BytesIO(client.get(f"/reports/{v1}/files/report.docx").content))
    assert zipfile.is_zipfile(BytesIO(client.get(f"/reports/{v1}/files/report.xlsx").content))
    assert client.get(f"/reports/{v1}/files/report.pdf").content.startswith(b"%PDF")
    preview = client.get(f"/reports/{v1}/files/report.html")
    assert preview.headers["content-disposition"].startswith("inline")
    csp = preview.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp and "script" not in csp
    assert "BÁO CÁO" in preview.text
    page = client.get(f"/reports/{v1}").text
    for name in TYPES:
        assert f'data-file="{name}"' in page
    assert "bao-cao-2026-11-v1.docx" in page


def test_the_file_route_serves_only_the_four_names(client):
    v1 = build(client)
    (Path(version_row(v1).out_dir) / "report.exe").write_bytes(b"MZ")  # even a file that is there
    for name in ("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "report.exe",
                 "figures.json", "REPORT.HTML", "report.html%00", "%2e%2e", "%2e", "report.docx.bak", "report.html "):
        got = client.get(f"/reports/{v1}/files/{name}")
        assert got.status_code == 404, (name, got.status_code)
    (Path(version_row(v1).out_dir) / "report.pdf").unlink()  # a file gone from the archive: 404, and no link
    assert client.get(f"/reports/{v1}/files/report.pdf").status_code == 404
    assert 'data-file="report.pdf"' not in client.get(f"/reports/{v1}").text


def test_a_bad_period_is_a_400_with_the_form_again(client):
    for bad in ("2026-13", "2026-Q5", "quy-4", "", "x" * 5000):
        got = client.post("/reports/build", data={"period": bad})
        assert got.status_code == 400, bad
        error = re.search(r'<p class="rp-notice rp-error" id="error" role="alert">(.*?)</p>', got.text, re.S)
        assert error and "kỳ báo cáo không hợp lệ" in unescape(error.group(1)) and "\n" not in error.group(1), bad
        assert 'id="build-form"' in got.text
    assert 'value="2026-13"' in client.post("/reports/build", data={"period": "2026-13"}).text
    assert client.get("/reports?period=2026-13").status_code == 400
    with session_scope() as session:
        assert session.scalars(select(ReportVersion)).all() == []


@pytest.mark.slow
def test_every_period_form_builds(client):
    for period, label in (("2026-11", "tháng 11/2026"), ("2026-Q4", "quý IV năm 2026"), ("2026-H2", "6 tháng cuối năm 2026"),
                          ("2026", "năm 2026"), ("since-start", "từ ")):
        page = client.get(f"/reports/{build(client, f' {period} ')}")
        assert page.status_code == 200 and f"Báo cáo {label}" in page.text, period


def test_ids_out_of_range_or_unknown_are_4xx_never_500(client):
    v1 = build(client)
    for method, url in (("get", "/reports/{}"), ("get", "/reports/{}/files/report.html"), ("post", "/reports/{}/approve"),
                        ("post", "/reports/{}/send"), ("post", "/reports/{}/resend"), ("post", "/reports/{}/narrative")):
        for bad, codes in ((BIG, (422,)), (-1, (422,)), (0, (422,)), ("abc", (422,)), (v1 + 1000, (404,))):
            got = getattr(client, method)(url.format(bad), data={"confirm": "yes"} if method == "post" else None) \
                if method == "post" else client.get(url.format(bad))
            assert got.status_code in codes, (method, url, bad, got.status_code)
    page = client.get(f"/reports/{v1 + 1000}")
    assert "không có phiên bản báo cáo số" in page.text
    huge = client.post(f"/reports/{v1}/narrative", data={"de_xuat": "a" * 20_001})
    assert huge.status_code == 400 and "dài quá" in huge.text
    assert client.get(f"/reports/{v1}?done=sent&sent={BIG}&failed=-1&busy=x").status_code == 200


# What the fuzzing of every other page tries (tests/test_web_fuzz.py leaves these pages to this file).
BAD = ["0001-01-01", "9999-12-31", "0001-01", "9999-12", "-1", "0", str(BIG), "abc", "x" * 10_000, "", " ", "\x00",
       "a\x00b", "\x1b[31m", "2026-11-31", "2026-13", "²", "9" * 10, "<script>alert(1)</script>", "🙂" * 50, "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")]


def test_no_input_to_the_report_pages_gives_a_500(client, mail_to):
    v1 = build(client)
    failures = []

    def check(answer, what):
        if answer.status_code >= 500:
            failures.append((what, answer.status_code))
        elif answer.status_code >= 400 and answer.status_code != 422:  # 422: FastAPI's, said by web/errors.py
            assert any(ord(c) > 127 for c in answer.text) and "Input should" not in answer.text, (what, answer.text[:300])

    for bad in BAD:
        check(client.get("/reports", params={"period": bad}), f"GET /reports period={bad[:20]!r}")
        check(client.get(f"/reports/{v1}", params={"done": bad, "sent": bad, "failed": bad}), f"done={bad[:20]!r}")
        if bad.strip() and "/" not in bad and bad.isprintable():
            check(client.get(f"/reports/{bad}"), f"GET /reports/{bad[:20]!r}")
            check(client.get(f"/reports/{v1}/files/{bad}"), f"file {bad[:20]!r}")
        if bad not in ("9999-12",):
            check(client.post("/reports/build", data={"period": bad, "back": str(v1)}), f"build {bad[:20]!r}")
        check(client.post("/reports/build", data={"period": "2026-13", "back": bad}), f"build back={bad[:20]!r}")
        for key in ("uu_diem", "de_xuat", "khong_co", "csrf_token"):
            check(client.post(f"/reports/{v1}/narrative", data={key: bad}), f"narrative {key}={bad[:20]!r}")
        check(client.post(f"/reports/{v1}/resend", data={"confirm": bad}), f"resend confirm={bad[:20]!r}")
    assert failures == [], failures
    assert mail_to.messages == []  # nothing of that was sent, approved or kept beyond narrative text
    assert version_row(v1).state == "draft"


def test_uncertain_deliveries_are_resent_only_when_confirmed(client, mail_to):
    v1 = build(client)
    assert client.post(f"/reports/{v1}/approve", follow_redirects=False).status_code == 303
    with session_scope() as session:  # a sender killed after DATA left this (test_report_versions makes it for real)
        version = session.get(ReportVersion, v1)
        session.add(ReportDelivery(version_id=v1, period="2026-11", recipient=RECIPIENTS[0], status="uncertain",
                                   attempts=1, last_answer="SMTPServerDisconnected: Connection unexpectedly closed",
                                   message_id=message_id_for(version, RECIPIENTS[0])))
    page = client.get(f"/reports/{v1}")
    assert 'id="resend"' in page.text and 'name="confirm"' in page.text and "không chắc đã gửi" in page.text
    unconfirmed = client.post(f"/reports/{v1}/resend", data={})
    assert unconfirmed.status_code == 400 and "đánh dấu ô xác nhận" in unconfirmed.text and mail_to.messages == []
    # A plain "Gửi" leaves the uncertain one alone and sends to the other recipient.
    client.post(f"/reports/{v1}/send")
    assert [m["to"] for m in mail_to.messages] == [[RECIPIENTS[1]]]
    resent = client.post(f"/reports/{v1}/resend", data={"confirm": "yes"}, follow_redirects=False)
    assert resent.status_code == 303 and "done=resent" in resent.headers["location"]
    assert sorted(m["to"][0] for m in mail_to.messages) == sorted(RECIPIENTS)
    with session_scope() as session:
        rows = {d.recipient: d for d in session.scalars(select(ReportDelivery))}
        assert (rows[RECIPIENTS[0]].status, rows[RECIPIENTS[0]].attempts) == ("sent", 2)
    assert 'id="resend"' not in client.get(f"/reports/{v1}").text


def test_sending_without_recipients_is_refused(client, monkeypatch):
    v1 = build(client)
    client.post(f"/reports/{v1}/approve")
    got = client.post(f"/reports/{v1}/send")
    assert got.status_code == 409 and "Chưa có người nhận" in got.text
    assert version_row(v1).state == "approved"


@pytest.mark.browser
def test_a_draft_reviewed_edited_approved_and_sent_in_chromium(populated_db, tmp_path, mail_to):
    from playwright.sync_api import expect
    from test_web_browser import browser_page

    with session_scope() as session:
        built = build_period_report(session, "2026-11", tmp_path / "out", by="lịch tự động")
        v1 = built.version.id
    shots = ROOT / "docs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    ensure_user(populated_db, ANALYST, "analyst")
    with browser_page(populated_db, 1400, 1000) as page:
        page.goto(f"{page.base}/login?next=/reports")
        page.fill("#username", ANALYST)
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url("**/reports")
        page.click(f'a[href="/reports/{v1}"]')
        page.wait_for_url(f"**/reports/{v1}")
        assert page.locator("#state").inner_text() == "bản nháp"
        frame = page.frame_locator("#preview")
        assert "BÁO CÁO" in frame.locator("body").inner_text()
        page.fill("#n-uu_diem", NEW_TEXT)
        page.click("#save-narrative")
        page.wait_for_selector("#stale")
        assert page.locator("#approve").is_disabled()
        assert page.locator("#n-uu_diem").input_value() == NEW_TEXT
        page.frame_locator("#preview").locator("body").inner_text()
        page.screenshot(path=str(shots / "reports-draft.png"), full_page=True)
        page.click("#stale #rebuild")
        page.wait_for_url("**done=built")
        assert page.locator("#version").get_attribute("data-version") == "2"
        # the preview frame loads after the page: wait for the rebuilt report (under a loaded CI it came late)
        expect(page.frame_locator("#preview").locator("body")).to_contain_text(NEW_TEXT, timeout=20_000)
        page.click("#approve")
        page.wait_for_url("**done=approved")
        assert page.locator("#state").inner_text() == "đã duyệt"
        assert "Đã phê duyệt phiên bản 2" in page.locator("#note").inner_text()
        page.frame_locator("#preview").locator("body").inner_text()  # the preview has loaded
        page.screenshot(path=str(shots / "reports-version.png"), full_page=True)
        page.click("#send")
        page.wait_for_url("**done=sent**")
        assert "đã gửi: 2" in page.locator("#note").inner_text()
        assert page.locator("#deliveries tr.delivery.status-sent").count() == 2
        expect(page.frame_locator("#preview").locator("body")).to_contain_text("BÁO CÁO", timeout=20_000)
        page.screenshot(path=str(shots / "reports-sent.png"), full_page=True)  # with its preview, not a grey box
    assert sorted(m["to"][0] for m in mail_to.messages) == RECIPIENTS
    for name in ("reports-draft.png", "reports-version.png", "reports-sent.png"):
        assert (shots / name).stat().st_size > 30_000, name


def test_a_viewer_reads_a_drafts_narrative_without_a_form(client, populated_db):
    """The draft's narrative is what the next build prints: a viewer reads it, but gets no textarea or form."""
    version_id = build(client)
    analyst_text = client.get(f"/reports/{version_id}").text
    key = re.search(r'<textarea id="n-([\w-]+)"', analyst_text).group(1)
    written = textarea(analyst_text, key)
    viewer = signed_in(populated_db, "viewer", raise_server_exceptions=False)
    page = viewer.get(f"/reports/{version_id}").text
    assert "<textarea" not in page and 'id="narrative-form"' not in page
    frozen = re.search(rf'<div class="rp-section rp-frozen" id="n-{key}">(.*?)</div>', page, re.S)
    assert frozen, "the viewer sees no narrative section"
    first_line = next(line for line in written.splitlines() if line.strip())
    assert unescape(re.sub(r"<[^>]+>", "", frozen.group(1))).count(first_line.strip()[:60]) == 1
