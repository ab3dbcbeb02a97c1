"""The sources page (`/sources`, issue 12 "The pages users expect"): every source's health with figures that agree
with a count taken independently in SQL, the silent-source warnings, and the admin's forms (add, disable,
enable) refused to every other role, without CSRF, and for malformed input (a 4xx in Vietnamese, never a 500).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from markupsafe import escape
from sqlalchemy import and_, func, insert, or_, select

from accounts import signed_in
from mediaplan.crawler.store import Fetched, record_failure, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, Outlet, Source
from mediaplan.localtime import to_local

VIETNAMESE = re.compile(r"[àáảãạâầấẩẫậăằắẳẵặđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")
EDIT_CONTROLS = ('action="/sources"', 'action="/sources/', "Thêm nguồn", "Tắt nguồn", "Bật nguồn")


def rows(html: str) -> dict[str, str]:
    """Each source row of the table, by its key."""
    return dict(re.findall(r'<tr id="source-[^"]*" data-source="([^"]+)"[^>]*>(.*?)</tr>', html, re.S))


def cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def counts(row: str) -> tuple[str, str]:
    found = dict(re.findall(r'data-count="(\d+)">([^<]*)<', row))
    return found["7"], found["30"]


def vi(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def sql_counts(days: int) -> dict[str, int]:
    """Items per source key in the last `days` days, counted in SQL here, independently of the page's code:
    the published date where there is one, else the fetch date (the rule docs/metrics.md states)."""
    now = datetime.now(timezone.utc)
    start, end = now - timedelta(days=days), now + timedelta(days=1)
    dated = and_(Item.published_at.is_not(None), Item.published_at >= start, Item.published_at < end)
    undated = and_(Item.published_at.is_(None), Item.fetched_at >= start, Item.fetched_at < end)
    with session_scope() as session:
        return dict(session.execute(select(Source.key, func.count(Item.id)).join(Item, Item.source_id == Source.id)
                                    .where(or_(dated, undated)).group_by(Source.key)).all())


def add_recent(session, source_key: str, n: int, days_ago: float) -> None:
    """`n` items of one source published `days_ago`, written in one INSERT (fast enough for thousands)."""
    source = session.scalar(select(Source).where(Source.key == source_key))
    when = datetime.now(timezone.utc) - timedelta(days=days_ago)
    session.execute(insert(Item), [{
        "outlet_id": source.outlet_id, "source_id": source.id, "kind": "article", "channel": source.channel,
        "url": f"https://example.vn/{source_key}/{days_ago}/{i}", "canonical_url": f"https://example.vn/{source_key}/{days_ago}/{i}",
        "content_hash": f"{source_key}-{days_ago}-{i}", "title": f"Tin {i}", "published_at": when} for i in range(n)])


@pytest.fixture
def health_db(populated_db):
    """The populated database plus recent items: 1.234 in a week for one source (Vietnamese thousands), a few
    over the month for another, one undated item (counted by its fetch date), and a failure with markup."""
    with session_scope() as session:
        add_recent(session, "baoquangngai-sitemap", 1234, 2)
        add_recent(session, "baoquangngai-sitemap", 7, 20)
        add_recent(session, "sgddt-tin-tuc", 3, 12)
        upsert_item(session, Fetched(source_key="xa-son-ha-tin-tuc", kind="article", url="https://sonha.quangngai.gov.vn/tin-tuc/khong-ngay.html",
                                     canonical_url="https://sonha.quangngai.gov.vn/tin-tuc/khong-ngay.html",
                                     title="Tin không ghi ngày đăng", body="Nội dung", published_at=None))
        record_failure(session, "quangngai-portal-tin-tuc", 'HTTP 503 <script>alert("x")</script>')
    return populated_db


def test_the_page_lists_every_source_with_figures_counted_in_sql(health_db, cli):
    client = signed_in(health_db, "viewer")
    page = client.get("/sources")
    assert page.status_code == 200
    html = page.text
    shown = rows(html)
    with session_scope() as session:
        sources = session.execute(select(Source.key, Outlet.name, Source.consecutive_failures, Source.enabled, Source.url)
                                  .join(Outlet).order_by(Source.key)).all()
    assert list(shown) == [s.key for s in sources]  # every source, by key
    week, month = sql_counts(7), sql_counts(30)
    assert week["baoquangngai-sitemap"] == 1234 and month["baoquangngai-sitemap"] == 1241  # the fixture's own figures
    assert month["xa-son-ha-tin-tuc"] >= 1  # the undated item, by its fetch date
    for key, outlet, failures, enabled, url in sources:
        row = shown[key]
        assert counts(row) == (vi(week.get(key, 0)), vi(month.get(key, 0))), key
        text = cells(row)
        assert unescape(text[1]) == outlet
        assert text[7] == vi(failures)
        assert f'href="{escape(url)}"' in row  # every stored URL here is http(s): a link
        assert ("đang thu thập" in row) == (enabled and key != "baoquangngai-facebook")
    assert 'data-count="7">1.234<' in shown["baoquangngai-sitemap"]
    # the failure's text is shown, escaped, with its time in Vietnam's zone
    portal = shown["quangngai-portal-tin-tuc"]
    assert "&lt;script&gt;alert(" in portal and "<script>alert" not in html
    with session_scope() as session:
        at = session.scalar(select(Source.last_error_at).where(Source.key == "quangngai-portal-tin-tuc"))
    assert to_local(at).strftime("%d/%m/%Y %H:%M") in portal
    # why a source is idle: disabled in the plan, and Facebook also lacks its token (the CLI says the same)
    facebook = shown["baoquangngai-facebook"]
    assert "tắt trong kế hoạch" in facebook and "cần MEDIAPLAN_FACEBOOK_TOKEN" in facebook
    out = " ".join(cli("sources", "list").stdout.split())
    assert "baoquangngai-facebook: tắt trong kế hoạch; cần MEDIAPLAN_FACEBOOK_TOKEN" in out
    assert 'href="/sources"' in html  # the top bar's link


def test_silent_sources_are_warned_about_on_the_page_and_in_the_cli(db, cli):
    now = datetime.now(timezone.utc)
    with session_scope() as session:  # two stories a week for six weeks, then nothing for 9 days
        for n in range(12):
            url = f"https://sgddt.quangngai.gov.vn/tin-tuc/tin-{n}.html"
            upsert_item(session, Fetched(source_key="sgddt-tin-tuc", kind="article", url=url, canonical_url=url,
                                         title=f"Tin số {n}", body=f"Nội dung {n}", published_at=now - timedelta(days=9 + 3.5 * n)))
    html = signed_in(db, "viewer").get("/sources").text
    warning = re.search(r'<section class="warn" id="silent".*?</section>', html, re.S).group(0)
    assert 'data-source="sgddt-tin-tuc"' in warning and "không có tin, bài nào trong 7 ngày" in warning
    assert "quangngai-portal-tin-tuc" not in warning  # never had volume: not silent
    usual = re.search(r"thường có ([\d.,]+) tin", warning).group(1)
    assert "," in usual or usual.isdigit()  # a Vietnamese decimal comma, not "1.7"
    out = " ".join(cli("sources", "list").stdout.split())
    assert f"Cảnh báo: sgddt-tin-tuc không có tin, bài nào trong 7 ngày, trong khi thường có {usual} tin" in out


def test_an_admin_disables_and_enables_a_source_and_the_cli_agrees(populated_db, cli):
    client = signed_in(populated_db, "admin", username="quantri")
    page = client.get("/sources").text
    assert 'action="/sources/baoquangngai-sitemap/disable"' in page and 'id="add-source"' in page
    answer = client.post("/sources/baoquangngai-sitemap/disable", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sources?done=disabled")
    page = client.get(answer.headers["location"]).text
    row = rows(page)["baoquangngai-sitemap"]
    assert "tắt bởi quản trị (quantri)" in row and 'action="/sources/baoquangngai-sitemap/enable"' in row
    assert "Đã tắt nguồn baoquangngai-sitemap" in page
    assert "baoquangngai-sitemap (tắt)" in cli("sources", "list").stdout
    with session_scope() as session:
        source = session.scalar(select(Source).where(Source.key == "baoquangngai-sitemap"))
        assert source.enabled is False and source.config["disabled_manually"] and source.config["switched_by"] == "quantri"
    again = client.post("/sources/baoquangngai-sitemap/disable", follow_redirects=False)  # a repeated post: harmless
    assert again.status_code == 303
    answer = client.post("/sources/baoquangngai-sitemap/enable", follow_redirects=True)
    assert answer.status_code == 200 and "Đã bật nguồn baoquangngai-sitemap" in answer.text
    assert "đang thu thập" in rows(answer.text)["baoquangngai-sitemap"]
    assert "bật lại bởi quantri" in rows(answer.text)["baoquangngai-sitemap"]
    assert "baoquangngai-sitemap (tắt)" not in cli("sources", "list").stdout
    missing = client.post("/sources/khong-co/disable")
    assert missing.status_code == 404 and "không có nguồn" in missing.text
    assert client.post("/sources/" + "x" * 10_000 + "/enable").status_code == 404


@pytest.mark.parametrize("role", ["editor", "analyst", "viewer"])
def test_other_roles_see_no_edit_controls_and_are_refused(populated_db, role):
    client = signed_in(populated_db, role)
    page = client.get("/sources")
    assert page.status_code == 200 and "baoquangngai-sitemap" in page.text
    main = page.text.split("<main>", 1)[1]
    for control in EDIT_CONTROLS:
        assert control not in main, (role, control)
    for url, data in (("/sources/baoquangngai-sitemap/disable", None), ("/sources/baoquangngai-facebook/enable", None),
                      ("/sources", {"key": "moi", "outlet": "sgddt", "kind": "rss", "url": "https://x.vn/rss",
                                    "channel": "portal"})):
        answer = client.post(url, data=data)
        assert answer.status_code == 403, (role, url)
        assert "Chỉ quản trị được thay đổi nguồn thu thập." in answer.text
    with session_scope() as session:
        assert session.scalar(select(Source.enabled).where(Source.key == "baoquangngai-sitemap")) is True
        assert session.scalar(select(func.count()).select_from(Source).where(Source.key == "moi")) == 0


def test_signed_out_is_sent_to_the_login_page(populated_db):
    from fastapi.testclient import TestClient

    from mediaplan.web.app import create_app

    client = TestClient(create_app(populated_db))
    answer = client.get("/sources", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert client.post("/sources/baoquangngai-sitemap/disable", follow_redirects=False).status_code in (303, 401, 403)


def test_a_post_without_the_csrf_token_is_refused(populated_db):
    client = signed_in(populated_db, "admin")
    token = client.headers.pop("X-CSRF-Token")
    for url in ("/sources/baoquangngai-sitemap/disable", "/sources"):
        answer = client.post(url, data={"key": "moi", "outlet": "sgddt", "kind": "rss", "url": "https://x.vn/rss",
                                        "channel": "portal"})
        assert answer.status_code == 403 and "CSRF" in answer.text
    wrong = client.post("/sources/baoquangngai-sitemap/disable", data={"csrf_token": "gia-mao"})
    assert wrong.status_code == 403
    cross = client.post("/sources/baoquangngai-sitemap/disable", data={"csrf_token": token},
                        headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    with session_scope() as session:
        assert session.scalar(select(Source.enabled).where(Source.key == "baoquangngai-sitemap")) is True
    # the form's own hidden field (what a browser sends) is enough
    assert client.post("/sources/baoquangngai-sitemap/disable", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303


GOOD = {"key": "xa-son-tay-tin-tuc", "outlet": "xa-son-ha", "kind": "page", "url": "https://sontay.quangngai.gov.vn/tin-tuc/",
        "channel": "portal", "platform": "", "interval": "120", "article_pattern": r"/tin-tuc/.+\.html$", "next_page": ""}


def test_an_admin_adds_a_source_and_the_cli_lists_it(populated_db, cli):
    client = signed_in(populated_db, "admin", username="quantri")
    answer = client.post("/sources", data=GOOD, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    page = client.get(answer.headers["location"]).text
    assert "Đã thêm nguồn xa-son-tay-tin-tuc" in page
    row = rows(page)["xa-son-tay-tin-tuc"]
    assert "thêm bởi quantri" in row and 'href="https://sontay.quangngai.gov.vn/tin-tuc/"' in row
    with session_scope() as session:
        source = session.scalar(select(Source).where(Source.key == "xa-son-tay-tin-tuc"))
        assert (source.kind, source.channel, source.interval_minutes, source.outlet.key) == ("page", "portal", 120, "xa-son-ha")
        assert source.config["added_by"] == "quantri" and source.config["article_pattern"] == GOOD["article_pattern"]
    assert "xa-son-tay-tin-tuc" in cli("sources", "list").stdout
    cli("init")  # a plan refresh keeps it
    assert "xa-son-tay-tin-tuc" in cli("sources", "list").stdout


@pytest.mark.parametrize(("change", "status", "says"), [
    ({"url": "javascript:alert(document.cookie)"}, 400, "cần địa chỉ http(s)"),
    ({"url": "JAVASCRIPT:alert(1)"}, 400, "cần địa chỉ http(s)"),
    ({"url": "https://"}, 400, "cần địa chỉ http(s)"),
    ({"url": "https://x.vn/" + "a" * 1000}, 400, "địa chỉ dài quá 1000 ký tự"),
    ({"kind": "telegram"}, 400, "không hợp lệ; chọn một trong"),
    ({"kind": ""}, 400, "cần chọn loại nguồn"),
    ({"channel": "tivi"}, 400, "không hợp lệ; chọn một trong"),
    ({"platform": "myspace"}, 400, "không hợp lệ; chọn một trong"),
    ({"outlet": "khong-co"}, 400, "không có cơ quan"),
    ({"outlet": "o" * 10_000}, 400, "không có cơ quan"),
    ({"key": "k" * 10_000}, 400, "mã nguồn dài quá 120 ký tự"),
    ({"key": ""}, 400, "cần mã nguồn"),
    ({"key": "Nguồn Mới"}, 400, "mã nguồn chỉ gồm"),
    ({"key": "baoquangngai-rss"}, 409, "đã có nguồn"),
    ({"interval": "abc"}, 400, "chu kỳ là số phút"),
    ({"interval": "1"}, 400, "chu kỳ phải từ 5"),
    ({"interval": "1" * 30}, 400, "chu kỳ là số phút"),
    ({"article_pattern": "(["}, 400, "không hợp lệ"),
    ({"article_pattern": "a" * 10_000}, 400, "dài quá 500 ký tự"),
    ({"next_page": "a" * 10_000}, 400, "dài quá 500 ký tự"),
])
def test_a_refused_source_is_a_4xx_in_vietnamese_on_the_form(populated_db, change, status, says):
    client = signed_in(populated_db, "admin", raise_server_exceptions=False)
    with session_scope() as session:
        before = session.scalar(select(func.count()).select_from(Source))
    answer = client.post("/sources", data={**GOOD, **change})
    assert answer.status_code == status, answer.text[:300]
    assert says in unescape(answer.text) and VIETNAMESE.search(says)
    form = re.search(r'<details id="add-source" open>.*?</details>', answer.text, re.S)
    assert form and 'role="alert"' in form.group(0)  # the form again, open, with the reason
    assert len(answer.text) < 60_000  # a 10,000-character value is not echoed back whole
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Source)) == before


def test_the_next_crawl_is_read_from_the_schedulers_job_store(populated_db):
    from mediaplan.scheduler import build_scheduler, configure

    client = signed_in(populated_db, "viewer")
    assert "chưa rõ" in rows(client.get("/sources").text)["sgddt-tin-tuc"]  # no job store yet: not known
    scheduler = build_scheduler(blocking=False)
    scheduler.start(paused=True)
    try:
        configure(scheduler)
        due = scheduler.get_job("crawl:sgddt-tin-tuc").next_run_time
    finally:
        scheduler.shutdown(wait=False)
    shown = rows(client.get("/sources").text)
    assert to_local(due).strftime("%d/%m/%Y %H:%M") in shown["sgddt-tin-tuc"]
    assert cells(shown["baoquangngai-facebook"])[-1] == "—"  # off: no next crawl
    # backed off after 5 failures in a row: not crawled before the pause ends
    with session_scope() as session:
        for _ in range(5):
            record_failure(session, "sgddt-tin-tuc", "HTTP 503")
    row = rows(client.get("/sources").text)["sgddt-tin-tuc"]
    assert "tạm dừng sau 5 lần lỗi liên tiếp" in row and "thử lại từ" in row
