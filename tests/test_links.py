"""Links from crawled content (issue 12): only http(s) URLs are stored as an item's link, the others are refused
at store time with a note on the source's health; and a bad link already in the database (written by SQL) is
shown as text, never as an href, on every page that shows a crawled link (one Jinja filter, `safe_url`)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from conftest import run_cli
from accounts import signed_in
from mediaplan.crawler.store import Fetched, http_url, upsert_item
from mediaplan.crawler.urls import canonical_url
from mediaplan.db import session_scope
from mediaplan.db.schema import CrawlRun, Item, Source
from mediaplan.web.app import create_app
from mediaplan.web.links import safe_url

SOURCE = "baoquangngai-rss"
GOOD = "https://baoquangngai.vn/giao-duc/202611/hoc-sinh-son-ha-1a2b.htm"
# What a feed or a social post can carry as its link, and a browser would run or open: in every spelling a
# browser still reads as the scheme (upper case, leading space, a tab inside), and courlan's "https:///…" for them.
BAD = ["javascript:alert(1)", "JavaScript:alert(document.cookie)", " javascript:alert(1)", "java\tscript:alert(1)",
       "\x01javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
       "file:///etc/passwd", "https:///alert%281%29", "//", "mailto:a@b.vn", ""]
WEB = Path(__file__).parent.parent / "mediaplan" / "web" / "templates"
# The templates that show crawled items (their URLs are the crawled links), and the report's.
TEMPLATES = [*(WEB / f"{name}.html" for name in ("items", "item", "dashboard", "gaps", "review", "calendar", "budget")),
             *sorted((WEB.parent.parent / "reports" / "templates").glob("*.html"))]


def test_only_http_urls_with_a_host_pass():
    assert http_url(GOOD) == GOOD and http_url("http://sonha.quangngai.gov.vn/a") == "http://sonha.quangngai.gov.vn/a"
    assert http_url(f"  {GOOD} ") == GOOD and safe_url(GOOD) == GOOD
    for link in [*BAD, None, 42, "http://[::1"]:
        assert http_url(link) is None and safe_url(link) == "", link


def store(url: str, title: str = "Học sinh Sơn Hà đến trường") -> str:
    with session_scope() as session:
        return upsert_item(session, Fetched(source_key=SOURCE, kind="social_post", url=url,
                                            canonical_url=canonical_url(url), title=title,
                                            body="Học sinh xã Sơn Hà hào hứng đến trường.",
                                            published_at=datetime(2026, 11, 9, 1, 20, tzinfo=timezone.utc)))


def test_a_non_http_link_is_refused_at_store_time_and_noted_on_the_source(db):
    for n, link in enumerate(BAD):
        assert store(link, f"Bài số {n}") == "refused", link
    with session_scope() as session:
        assert session.scalar(select(func.count(Item.id))) == 0
        source = session.scalar(select(Source).where(Source.key == SOURCE))
        assert "không phải http(s)" in source.last_error and source.last_error_at is not None
        assert source.consecutive_failures == 0  # the source works; one post was refused
    assert store("javascript:alert(1)") == "refused"
    with session_scope() as session:
        assert "'javascript:alert(1)'" in session.scalar(select(Source.last_error).where(Source.key == SOURCE))
    assert store("https://baoquangngai.vn/" + "a" * 1000) == "refused"  # longer than items.url, String(1000)
    assert store(GOOD) == "new"
    with session_scope() as session:
        assert session.scalars(select(Item.url)).all() == [GOOD]


def test_crawled_text_fits_its_columns(db):
    """A NUL in a crawled text, a 400-character author or a page dated 2999 is kept as the column can keep it
    (PostgreSQL refuses NUL and over-long values: the item's transaction would fail)."""
    with session_scope() as session:
        assert upsert_item(session, Fetched(source_key=SOURCE, kind="article", url=GOOD, canonical_url=GOOD,
                                            title="Khai giảng\x00 năm học", body="Nội\x00 dung", author="Tác giả " * 50,
                                            category="x" * 300,
                                            published_at=datetime(2999, 1, 1, tzinfo=timezone.utc))) == "new"
    with session_scope() as session:
        item = session.scalar(select(Item))
        assert item.title == "Khai giảng năm học" and "\x00" not in item.body + item.raw_title
        assert len(item.author) == 300 and len(item.category) == 200 and item.published_at is None


def item_with_link(link: str) -> int:
    """An item stored by SQL with a bad link, as rows written before the store's rule may be; queued for review."""
    assert store(GOOD) == "new"
    with session_scope() as session:
        session.execute(update(Item).values(url=link, review_priority=1.5))
        return session.scalar(select(Item.id))


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                  "java\tscript:alert(1)", "vbscript:msgbox(1)"])
def test_a_bad_link_stored_by_sql_renders_as_text_not_as_a_link(sqlite_db, link):
    item_id = item_with_link(link)
    client = signed_in(sqlite_db)
    for url in (f"/items/{item_id}", "/review?by=Lan"):
        page = client.get(url)
        assert page.status_code == 200, url
        hrefs = re.findall(r'href="([^"]*)"', page.text)
        assert not [h for h in hrefs if not h.startswith(("/", "?", "#", "http://", "https://"))], (url, hrefs)
        assert "javascript:" not in " ".join(hrefs).replace("\t", "") and "<script>alert" not in page.text
    page = client.get(f"/items/{item_id}").text
    assert "không mở được" in page and link.split(":")[0].replace("\t", "") in page.replace("\t", "")  # as text


def test_a_good_link_is_a_link(sqlite_db):
    item_id = item_with_link(GOOD)
    client = signed_in(sqlite_db)
    assert f'<a href="{GOOD}" rel="noopener noreferrer">' in client.get(f"/items/{item_id}").text
    assert f'<a href="{GOOD}" rel="noopener noreferrer">bài gốc' in client.get("/review?by=Lan").text


def test_every_href_of_crawled_data_in_the_templates_goes_through_safe_url():
    """An href built from anything but our own paths, query strings and fixed links must use the filter."""
    loose = []
    for template in TEMPLATES:
        for href in re.findall(r'href="(\{\{[^"]*)"', template.read_text(encoding="utf-8")):
            if "url" in href.lower() and "|safe_url" not in href.replace(" ", ""):
                loose.append((template.name, href))
    assert loose == [], loose
    assert any("|safe_url" in t.read_text(encoding="utf-8") for t in TEMPLATES)  # the scan reads real templates


@pytest.mark.slow
def test_a_social_feed_post_with_a_javascript_link_is_refused_when_crawled(sqlite_db, tmp_path, acting):
    """Over real HTTP, as `mediaplan crawl` runs: the good post is stored, the javascript: and data: ones are
    not, the crawl counts them as failed with the reason, and the source's health says why."""
    acting("admin")  # MEDIAPLAN_USER: who adds a source
    from mediaplan.snapshot.server import SnapshotServer

    site = tmp_path / "site"
    site.mkdir()
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    posts = [("Học sinh xã Sơn Hà hào hứng với Ngày hội STEM", "https://www.facebook.com/baoquangngai/posts/pfbid037"),
             ("Bấm vào để nhận quà", "javascript:alert(document.cookie)"),
             ("Xem ảnh", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")]
    entries = "".join(f"<item><title>{title}</title><description>{title}: học sinh, giáo viên.</description>"
                      f"<pubDate>Mon, 09 Nov 2026 01:2{n}:00 GMT</pubDate><link>{link}</link></item>"
                      for n, (title, link) in enumerate(posts))
    (site / "feed.xml").write_text('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>fb</title>'
                                   "<link>https://www.facebook.com/baoquangngai</link>"
                                   f"<description>RSSHub</description>{entries}</channel></rss>", encoding="utf-8")
    env = {"MEDIAPLAN_DATABASE_URL": sqlite_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    with SnapshotServer(site) as base:
        run_cli("sources", "add", "bqn-fb", "--outlet", "baoquangngai", "--kind", "social_feed", "--url",
                f"{base}/feed.xml", "--channel", "social", "--platform", "facebook", env=env)
        run_cli("crawl", "--source", "bqn-fb", "--no-progress", env=env)
    with session_scope() as session:
        assert session.scalars(select(Item.url)).all() == [posts[0][1]]
        source = session.scalar(select(Source).where(Source.key == "bqn-fb"))
        assert "không phải http(s)" in source.last_error and source.consecutive_failures == 0
        summary = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first().summary["sources"]["bqn-fb"]
    assert summary["new"] == 1 and summary["failed"] == 2
    assert any("javascript:alert(document.cookie)" in e for e in summary["errors"])
