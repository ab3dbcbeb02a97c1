"""`mediaplan sources discover`: a portal's feeds, sitemaps and news listing found over real HTTP, against the bundled
snapshot (its DotNetNuke and Liferay portals), with nothing stored until --apply and nothing proposed twice.

The outlets read here are made by each test in its own database (the plan's outlets for these portals may change),
and every source already pointing at the portal under test is removed first, so what is proposed depends only on
the snapshot's pages."""

from __future__ import annotations

import json
import shutil
import socket

import pytest
from sqlalchemy import delete, func, select

from mediaplan.crawler import discover as d
from mediaplan.snapshot import SITES_DIR

TUPHAP, YTE = "https://sotuphap.quangngai.gov.vn/", "https://soyte.quangngai.gov.vn/"


def _outlet(key: str, homepage: str | None, agency: str | None = None, profile: str | None = None,
            kind: str = "department") -> None:
    """An outlet for the test (the portal's sources removed, so that the snapshot alone decides)."""
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Agency, Outlet, Source

    with session_scope() as session:
        if homepage:
            host = homepage.split("/")[2]
            session.execute(delete(Source).where(Source.url.contains(host)))
        if agency and session.scalar(select(Agency).where(Agency.key == agency)) is None:
            session.add(Agency(key=agency, name=f"Đơn vị thử {agency}", kind=kind))
        session.add(Outlet(key=key, name=f"Trang thử {key}", kind=kind, agency_key=agency, homepage=homepage,
                           profile=profile))


def _outlet_row(key: str):
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Outlet

    with session_scope() as session:
        return session.scalar(select(Outlet).where(Outlet.key == key))


def _sources_count() -> int:
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Source

    with session_scope() as session:
        return session.scalar(select(func.count(Source.id)))


def _jsonl(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed on leaving: a connection there is refused


# --- the parsing, on the snapshot's real pages ---------------------------------------------------------------


def test_the_platform_is_recognised_from_the_home_page_markup():
    gov = (SITES_DIR / "sotuphap.quangngai.gov.vn/index.html").read_text(encoding="utf-8")
    liferay = (SITES_DIR / "soyte.quangngai.gov.vn/index.html").read_text(encoding="utf-8")
    assert d.detect_platform(gov).profile == "gov-portal"
    assert d.detect_platform(liferay).profile == "liferay-portal"
    assert d.detect_platform("<html><body><h1>Trang</h1></body></html>") is None
    assert d.alternate_feeds(liferay, YTE) == [YTE + "web/guest/tin-tuc/-/asset_publisher/tintuc/rss"]
    assert d.alternate_feeds(gov, TUPHAP) == []


def test_the_platform_patterns_are_those_of_its_profile():
    from mediaplan.crawler.profiles import get_profile

    for platform in d.PLATFORMS:
        assert platform.article.pattern in get_profile(platform.profile).versions[-1].article_url_patterns


def test_one_address_written_several_ways_is_one_address():
    same = {d.same_url(u) for u in ("https://soyte.quangngai.gov.vn/web/guest/tin-tuc",
                                    "http://soyte.quangngai.gov.vn/web/guest/tin-tuc/",
                                    "https://www.SOYTE.quangngai.gov.vn/web/guest/tin-tuc#top")}
    assert len(same) == 1
    assert d.same_url("https://a.vn/tin-tuc/") != d.same_url("https://a.vn/tin-tuc/x-1.html")


def test_a_feed_that_is_html_or_a_sitemap_that_is_not_xml_is_named():
    assert "HTML" in d.feed_problem("https://a.vn/rss", b"<!DOCTYPE html><html></html>", "text/html")
    assert d.feed_problem("https://a.vn/rss", b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                                              b"</channel></rss>", "application/rss+xml") is None
    assert "sitemap" in d.sitemap_problem("https://a.vn/s.xml", b"<?xml version='1.0'?><foo/>", "application/xml")
    assert d.robots_sitemaps("User-agent: *\nsitemap: /s.xml\nSitemap: https://a.vn/s.xml\n", "https://a.vn/") == \
        ["https://a.vn/s.xml"]


# --- the command, over HTTP against the snapshot server ------------------------------------------------------


def test_discovers_a_gov_portal_and_a_liferay_portal_and_stores_nothing(db, cli, snapshot_server):
    _outlet("thu-tu-phap", TUPHAP)  # an outlet key, no profile yet
    _outlet("thu-y-te", YTE, agency="thu-so-y-te")  # reached through its agency
    before = _sources_count()
    result = cli("sources", "discover", "thu-tu-phap", "thu-so-y-te", "--snapshot", snapshot_server.url,
                 "--format", "jsonl")
    rows = {r["outlet"]: r for r in _jsonl(result)}
    gov = {s["kind"]: s for s in rows["thu-tu-phap"]["sources"]}
    assert rows["thu-tu-phap"]["platform"] == "gov-portal" and rows["thu-tu-phap"]["error"] is None
    assert gov["page"]["url"] == TUPHAP + "tin-tuc/" and gov["page"]["profile"] == "gov-portal"
    assert gov["page"]["article_pattern"] == r"/tin-tuc/[a-z0-9-]+-\d+\.html$"
    assert gov["sitemap"]["url"] == TUPHAP + "sitemap.xml" and "robots.txt" in gov["sitemap"]["found"]
    assert "rss" not in gov  # this portal announces no feed
    liferay = {s["kind"]: s for s in rows["thu-y-te"]["sources"]}
    assert rows["thu-y-te"]["unit"] == "thu-so-y-te" and rows["thu-y-te"]["platform"] == "liferay-portal"
    assert liferay["rss"]["url"] == YTE + "web/guest/tin-tuc/-/asset_publisher/tintuc/rss"
    assert "rel=alternate" in liferay["rss"]["found"] and liferay["rss"]["profile"] == "liferay-portal"
    assert liferay["page"]["url"] == YTE + "web/guest/tin-tuc" and liferay["sitemap"]["url"] == YTE + "sitemap.xml"
    assert not any(s["applied"] for r in rows.values() for s in r["sources"])
    assert "chưa lưu gì" in result.stderr
    assert _sources_count() == before  # proposed, not stored
    outlet = _outlet_row("thu-tu-phap")
    assert outlet.profile is None and outlet.checked_at is not None and outlet.check_error is None
    # every page read went to the snapshot server, robots.txt first
    assert snapshot_server.hits[0] == "/sotuphap.quangngai.gov.vn/robots.txt"

    table = cli("sources", "discover", "thu-so-y-te", "--snapshot", snapshot_server.url).stdout
    assert "thu-y-te-rss" in table and "liferay-portal" in table and "3 nguồn đề xuất" in table


def test_apply_adds_the_sources_and_a_second_run_proposes_nothing(db, cli, acting, snapshot_server):
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Outlet, Source

    who = acting("admin")
    _outlet("thu-y-te", YTE, agency="thu-so-y-te")
    before = _sources_count()
    applied = cli("sources", "discover", "thu-so-y-te", "--apply", "--snapshot", snapshot_server.url)
    assert "3 nguồn đã thêm" in applied.stdout
    with session_scope() as session:
        outlet = session.scalar(select(Outlet).where(Outlet.key == "thu-y-te"))
        added = {s.kind: s for s in session.scalars(select(Source).where(Source.outlet_id == outlet.id))}
        assert outlet.profile == "liferay-portal"  # the platform's profile, for an outlet that had none
        assert set(added) == {"rss", "sitemap", "page"}
        assert all(s.channel == "portal" and not s.verified and s.config["added_by"] == who for s in added.values())
        assert added["page"].config["article_pattern"].startswith("/-/asset_publisher/")
    assert _sources_count() == before + 3
    again = _jsonl(cli("sources", "discover", "thu-so-y-te", "--snapshot", snapshot_server.url, "--format", "jsonl"))
    assert again[0]["sources"] == [] and again[0]["skipped"] == 3
    assert _sources_count() == before + 3


def test_apply_needs_someone_allowed_to_change_sources(sqlite_db, cli, acting, snapshot_server):
    _outlet("thu-y-te", YTE)
    acting("editor")
    refused = cli("sources", "discover", "thu-y-te", "--apply", "--snapshot", snapshot_server.url, code=1)
    assert "quản trị" in refused.stderr
    assert _outlet_row("thu-y-te").checked_at is None  # refused before anything was read


def test_one_run_proposes_nothing_twice(sqlite_db, cli, snapshot_server):
    """Two outlets of one portal (its address written two ways): the second gets nothing already proposed."""
    _outlet("thu-tu-phap", TUPHAP)
    _outlet("thu-tu-phap-2", "http://sotuphap.quangngai.gov.vn")
    rows = _jsonl(cli("sources", "discover", "thu-tu-phap", "thu-tu-phap-2", "--snapshot", snapshot_server.url,
                      "--format", "jsonl"))
    assert len(rows[0]["sources"]) == 2
    assert rows[1]["sources"] == [] and rows[1]["skipped"] == 2


def test_an_unreachable_portal_is_one_line_on_its_outlet_and_the_run_goes_on(db, cli, snapshot_server):
    port = _closed_port()
    _outlet("thu-dong", f"http://127.0.0.1:{port}/", agency="thu-xa-dong", kind="commune")
    _outlet("thu-khong-co", "https://khongco.quangngai.gov.vn/")  # not in the snapshot: its server answers 404
    _outlet("thu-tu-phap", TUPHAP)
    result = cli("sources", "discover", "thu-xa-dong", "thu-khong-co", "thu-tu-phap", "--snapshot", snapshot_server.url)
    out = result.stdout
    assert f"không kết nối được tới 127.0.0.1:{port} (từ chối kết nối)" in out
    assert "thu-tu-phap-sitemap" in out  # the run went on to the next unit
    assert "3 trang đã đọc, 2 không đọc được" in out
    closed, missing, reached = (_outlet_row(k) for k in ("thu-dong", "thu-khong-co", "thu-tu-phap"))
    assert closed.check_error == f"không kết nối được tới 127.0.0.1:{port} (từ chối kết nối)"
    assert missing.check_error == "trang chủ https://khongco.quangngai.gov.vn/ trả về HTTP 404"
    assert closed.checked_at is not None and reached.check_error is None
    # reached again later: the error is cleared
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Outlet

    with session_scope() as session:
        session.scalar(select(Outlet).where(Outlet.key == "thu-khong-co")).homepage = TUPHAP
    cli("sources", "discover", "thu-khong-co", "--snapshot", snapshot_server.url)
    assert _outlet_row("thu-khong-co").check_error is None


def test_a_unit_without_a_portal_is_said_so_not_an_error(sqlite_db, cli, snapshot_server):
    _outlet("thu-khong-trang", None, agency="thu-xa-khong-trang", kind="commune")
    result = cli("sources", "discover", "thu-xa-khong-trang", "--snapshot", snapshot_server.url)
    assert "thu-xa-khong-trang: chưa biết địa chỉ trang thông tin điện tử" in result.stdout
    assert "không có đơn vị" in cli("sources", "discover", "khong-co-dau", code=1).stderr
    assert "--all" in cli("sources", "discover", code=1).stderr


def test_all_units_read_the_snapshot_portals(sqlite_db, cli, snapshot_server):
    """Every unit with a portal, as the plan has them: each URL proposed once, and --all after --apply proposes nothing."""
    rows = _jsonl(cli("sources", "discover", "--all", "--snapshot", snapshot_server.url, "--format", "jsonl"))
    urls = [d.same_url(s["url"]) for r in rows for s in r.get("sources", [])]
    assert len(urls) == len(set(urls))
    assert any(r.get("outlet") == "sgddt" and r["platform"] == "gov-portal" for r in rows)
    assert any(r.get("error") == "chưa biết địa chỉ trang thông tin điện tử" for r in rows)  # most communes


# --- bad input on a staged site -----------------------------------------------------------------------------


@pytest.fixture
def staged_site(tmp_path):
    """A copy of the soyte portal whose feed link leads to an HTML page and whose robots.txt forbids the listing,
    and a portal whose home page answers 503."""
    from mediaplan.snapshot.server import SnapshotServer

    root = tmp_path / "sites"
    site = root / "soyte.quangngai.gov.vn"
    shutil.copytree(SITES_DIR / "soyte.quangngai.gov.vn", site)
    feed = site / "web/guest/tin-tuc/-/asset_publisher/tintuc/rss"
    feed.write_text("<!DOCTYPE html><html><body>Lỗi hệ thống</body></html>", encoding="utf-8")
    (feed.parent / "rss.headers").write_text("Content-Type: text/html; charset=utf-8\n")
    robots = site / "robots.txt"
    robots.write_text(robots.read_text() + "Disallow: /web/guest/tin-tuc$\n")  # the listing, not its feed
    down = root / "sotuphap.quangngai.gov.vn"
    down.mkdir()
    (down / "index.html").write_text("<h1>Service Unavailable</h1>")
    (down / "index.html.status").write_text("503")
    server = SnapshotServer(root)
    server.start()
    yield server
    server.stop()


def test_a_feed_that_is_html_and_a_page_robots_forbids_are_notes_and_a_5xx_portal_an_error(sqlite_db, cli, staged_site):
    _outlet("thu-y-te", YTE)
    _outlet("thu-tu-phap", TUPHAP)
    rows = {r["outlet"]: r for r in _jsonl(cli("sources", "discover", "thu-y-te", "thu-tu-phap",
                                               "--snapshot", staged_site.url, "--format", "jsonl"))}
    yte = rows["thu-y-te"]
    assert [s["kind"] for s in yte["sources"]] == ["sitemap"]
    assert any("là trang HTML, không phải RSS/Atom" in n for n in yte["notes"])
    assert any("robots.txt không cho phép đọc" in n for n in yte["notes"])
    assert "/soyte.quangngai.gov.vn/web/guest/tin-tuc" not in staged_site.hits  # robots.txt was obeyed
    assert rows["thu-tu-phap"]["error"] == "trang chủ https://sotuphap.quangngai.gov.vn/ trả về HTTP 503"
    assert _outlet_row("thu-tu-phap").check_error.endswith("HTTP 503")
    assert _outlet_row("thu-y-te").check_error is None


def test_the_snapshot_setting_routes_discovery_and_a_known_source_is_not_proposed(db, snapshot_server):
    """As a user runs it, with MEDIAPLAN_SNAPSHOT_URL: sgddt's listing is already a source in the plan, so only its
    sitemap is new."""
    import os

    from conftest import run_cli

    env = {"MEDIAPLAN_SNAPSHOT_URL": snapshot_server.url, "MEDIAPLAN_DATABASE_URL": os.environ["MEDIAPLAN_DATABASE_URL"]}
    rows = _jsonl(run_cli("sources", "discover", "sgddt", "--format", "jsonl", env=env))
    assert [(s["kind"], s["url"]) for s in rows[0]["sources"]] == [("sitemap", "https://sgddt.quangngai.gov.vn/sitemap.xml")]
    assert rows[0]["skipped"] >= 1 and rows[0]["platform"] == "gov-portal"
    assert "/sgddt.quangngai.gov.vn/" in snapshot_server.hits


def test_a_sitemap_robots_txt_does_not_name_is_found_at_its_usual_address(sqlite_db, cli, tmp_path):
    """robots.txt silent: /sitemap.xml is proposed when it is a sitemap; where there is none, nothing and no note."""
    from mediaplan.snapshot.server import SnapshotServer

    root = tmp_path / "sites"
    for host in ("sotuphap.quangngai.gov.vn", "soyte.quangngai.gov.vn"):
        shutil.copytree(SITES_DIR / host, root / host)
        robots = root / host / "robots.txt"
        robots.write_text("".join(line for line in robots.read_text().splitlines(True) if not line.startswith("Sitemap:")))
    (root / "soyte.quangngai.gov.vn" / "sitemap.xml").unlink()
    _outlet("thu-tu-phap", TUPHAP)
    _outlet("thu-y-te", YTE)
    with SnapshotServer(root) as base:
        rows = {r["outlet"]: r for r in _jsonl(cli("sources", "discover", "thu-tu-phap", "thu-y-te",
                                                   "--snapshot", base, "--format", "jsonl"))}
    tuphap = [s for s in rows["thu-tu-phap"]["sources"] if s["kind"] == "sitemap"]
    assert [s["url"] for s in tuphap] == ["https://sotuphap.quangngai.gov.vn/sitemap.xml"]
    assert "robots.txt không nêu" in tuphap[0]["found"]
    assert not [s for s in rows["thu-y-te"]["sources"] if s["kind"] == "sitemap"]
    assert not any("sitemap.xml" in n for n in rows["thu-y-te"]["notes"])
