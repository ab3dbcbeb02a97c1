"""Crawling over real HTTP (local servers), into SQLite and PostgreSQL: idempotent, polite, fault-tolerant."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from conftest import FIXTURES, run_cli
from mediaplan.db import session_scope
from mediaplan.db.schema import CrawlRun, Item, Source

pytestmark = pytest.mark.slow  # real crawls over HTTP in child processes: `make test-fast` leaves them out


def _env(db_url: str, tmp_path: Path) -> dict:
    return {"MEDIAPLAN_DATABASE_URL": db_url, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}


def _article_site(tmp_path: Path, folder: str, n: int, delay: float) -> Path:
    """A local site with a feed of `n` distinct slow article pages under /<folder>/."""
    site = tmp_path / "site"
    (site / folder).mkdir(parents=True)
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    entries = []
    for k in range(n):
        (site / folder / f"a{k}.html").write_text(
            f'<html><head><meta charset="utf-8"><meta property="article:published_time" content="2026-11-0{1 + k % 9}T08:00:00+07:00">'
            f"</head><body><article class='detail'><h1>Tin số {k}: học sinh đến trường</h1>"
            f"<p>Nội dung riêng của tin số {k} về năm học mới ở xã Sơn Hà.</p></article></body></html>", encoding="utf-8")
        (site / folder / f"a{k}.html.headers").write_text(f"X-Delay: {delay}\n")
        entries.append(f"<item><title>Tin {k}</title><link>/{folder}/a{k}.html</link></item>")
    (site / folder / "feed.rss").write_text('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
                                            f'<link>http://x/</link><description>x</description>{"".join(entries)}</channel></rss>',
                                            encoding="utf-8")
    return site


def _count_items() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(Item.id)))


def test_snapshot_crawl_is_complete_and_idempotent(db, tmp_path, snapshot_server):
    env = _env(db, tmp_path)
    first = run_cli("crawl", "--snapshot", snapshot_server.url, "--no-progress", env=env)
    assert "baoquangngai-rss" in first.stdout
    n = _count_items()
    assert n >= 40
    with session_scope() as session:
        kinds = dict(session.execute(select(Item.kind, func.count(Item.id)).group_by(Item.kind)).all())
        assert kinds.get("video", 0) >= 5 and kinds["article"] >= 35
        # Every article has a title, a body and a date; canonical URLs are unique by construction.
        missing = session.scalars(select(Item).where((Item.body == "") | Item.published_at.is_(None))).all()
        assert missing == [], [i.url for i in missing]
        script_bodies = session.scalars(select(Item).where(Item.kind == "article")).all()
        assert sum(1 for i in script_bodies if (i.extra or {}).get("extractor") == "script") >= 6
        ok_sources = session.scalars(select(Source).where(Source.last_success_at.is_not(None))).all()
        assert {s.key for s in ok_sources} >= {"baoquangngai-rss", "baoquangngai-youtube", "sgddt-tin-tuc", "xa-son-ha-tin-tuc"}

    snapshot_server.hits.clear()
    snapshot_server.statuses.clear()
    second = run_cli("crawl", "--snapshot", snapshot_server.url, "--no-progress", env=env)
    assert _count_items() == n, second.stdout
    # A re-crawl of an unchanged site downloads only feeds, sitemaps and listing pages.
    with session_scope() as session:
        stored = {urlsplit(u).netloc + urlsplit(u).path for u in session.scalars(select(Item.url))}
    requested = {h.split("?")[0].lstrip("/") for h in snapshot_server.hits}
    assert requested and not (requested & stored), sorted(requested & stored)[:5]
    # Feeds, sitemaps and listing pages are asked for conditionally and answer 304 Not Modified.
    bodies = [path for path, status, _ in snapshot_server.statuses if status == 200 and not path.endswith("robots.txt")]
    assert bodies == [], bodies
    with session_scope() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert len(runs) == 2 and runs[-1].status == "done"
        assert sum(c["new"] for c in runs[-1].summary["sources"].values()) == 0


def test_faults_are_recorded_and_the_run_goes_on(db, tmp_path):
    from mediaplan.snapshot.server import SnapshotServer

    env = _env(db, tmp_path)
    with SnapshotServer(FIXTURES / "sites") as base:
        bad = run_cli("crawl", "--url", f"{base}/bad/feed.rss", "--kind", "rss", "--outlet", "baoquangngai", "--no-progress", env=env)
        down = run_cli("crawl", "--url", f"{base}/down/feed.rss", "--kind", "rss", "--outlet", "sgddt", "--no-progress", env=env)
        ok = run_cli("crawl", "--url", f"{base}/ok/feed.rss", "--kind", "rss", "--outlet", "xa-son-ha", "--no-progress", env=env)
    assert "malformed feed" in bad.stdout
    assert "503" in down.stdout
    with session_scope() as session:
        sources = {s.url.rsplit("/", 2)[-2]: s for s in session.scalars(select(Source).where(Source.adhoc.is_(True)))}
        assert sources["bad"].consecutive_failures == 1 and "malformed feed" in sources["bad"].last_error
        assert sources["down"].consecutive_failures == 1 and "HTTP 503" in sources["down"].last_error
        assert sources["ok"].consecutive_failures == 0 and sources["ok"].last_success_at is not None
        items = session.scalars(select(Item)).all()
        # a1 stored; a2 (no body) and a3 (HTTP 500) failed; a4 is forbidden by robots.txt and never fetched.
        assert [i.title for i in items] == ["Học sinh vùng cao đến trường"]
        assert items[0].published_at.isoformat() == "2026-11-05T00:30:00+00:00"
        assert "a3.html: HTTP 500" in ok.stdout or "HTTP 500" in sources["ok"].last_error
        run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
        counts = next(iter(run.summary["sources"].values()))
        assert counts["new"] == 1 and counts["failed"] == 2


def test_unknown_source_key_is_a_clear_error(sqlite_db, tmp_path):
    proc = run_cli("crawl", "--source", "khong-co", env=_env(sqlite_db, tmp_path), check=False)
    assert proc.returncode == 1 and "khong-co" in proc.stderr


def test_retry_after_is_honoured(sqlite_db, tmp_path):
    from mediaplan.snapshot.server import SnapshotServer

    env = _env(sqlite_db, tmp_path)
    server = SnapshotServer(FIXTURES / "sites")
    base = server.start()
    try:
        run_cli("crawl", "--url", f"{base}/busy/feed.rss", "--kind", "rss", "--outlet", "baoquangngai", "--no-progress", env=env)
    finally:
        server.stop()
    feed = [(status, t) for path, status, t in server.statuses if path == "/busy/feed.rss"]
    assert [s for s, _ in feed] == [429, 200]
    assert feed[1][1] - feed[0][1] >= 1.0  # waited what Retry-After asked
    with session_scope() as session:
        assert [i.title for i in session.scalars(select(Item))] == ["Học sinh vùng cao đến trường"]


def test_legacy_and_mislabelled_encodings(sqlite_db, tmp_path):
    from mediaplan.snapshot.server import SnapshotServer

    with SnapshotServer(FIXTURES / "sites") as base:
        run_cli("crawl", "--url", f"{base}/enc/feed.rss", "--kind", "rss", "--outlet", "xa-son-ha", "--no-progress",
                env=_env(sqlite_db, tmp_path))
    with session_scope() as session:
        items = {i.url.rsplit("/", 1)[-1]: i for i in session.scalars(select(Item))}
    assert set(items) == {"cp1258-declared.html", "utf8-mislabelled.html", "cp1258-undeclared.html"}
    for item in items.values():
        assert item.title == "Trường Phổ thông dân tộc nội trú Sơn Hạ đón học sinh khóa mới"
        assert "người Hrê, Cor và Ca Dong" in item.body
    assert items["cp1258-declared.html"].extra["encoding"] == "cp1258"
    assert items["cp1258-undeclared.html"].extra["encoding"] == "cp1258"
    assert "encoding" not in items["utf8-mislabelled.html"].extra  # read as the UTF-8 it really is


def test_kill_9_mid_crawl_loses_and_duplicates_nothing(sqlite_db, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from mediaplan.snapshot.server import SnapshotServer

    site = _article_site(tmp_path, "slow", 15, delay=0.3)
    env = {**os.environ, **_env(sqlite_db, tmp_path), "MEDIAPLAN_DOWNLOAD_DELAY": "0"}
    with SnapshotServer(site) as base:
        args = [sys.executable, "-m", "mediaplan", "crawl", "--url", f"{base}/slow/feed.rss", "--kind", "rss",
                "--outlet", "baoquangngai", "--no-progress"]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while _count_items() < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        stored_before = _count_items()
        assert 3 <= stored_before < 15, stored_before  # killed mid-way
        subprocess.run(args, env=env, check=True, capture_output=True, timeout=120)
    with session_scope() as session:
        titles = sorted(session.scalars(select(Item.title)))
    assert titles == sorted(f"Tin số {n}: học sinh đến trường" for n in range(15))


def test_facebook_graph_posts_with_token_and_skipped_without(sqlite_db, tmp_path):
    from mediaplan.snapshot.server import SnapshotServer

    env = _env(sqlite_db, tmp_path)
    with SnapshotServer(FIXTURES / "sites" / "facebook-graph") as base:
        skipped = run_cli("crawl", "--source", "baoquangngai-facebook", "--snapshot", base, "--no-progress", env=env)
        assert "MEDIAPLAN_FACEBOOK_TOKEN" in skipped.stdout and _count_items() == 0
        run_cli("crawl", "--source", "baoquangngai-facebook", "--snapshot", base, "--no-progress",
                env={**env, "MEDIAPLAN_FACEBOOK_TOKEN": "test-token-123"})
    with session_scope() as session:
        posts = {i.extra["post_id"]: i for i in session.scalars(select(Item))}
        source = session.scalar(select(Source).where(Source.key == "baoquangngai-facebook"))
    # Two pages of posts; the photo post without a message is not an item.
    assert set(posts) == {"104879431234567_1123581321345589", "104879431234567_1123570011223344"}
    talk = posts["104879431234567_1123581321345589"]
    assert talk.kind == "social_post" and talk.channel == "social"
    assert talk.title.startswith("[TRỰC TIẾP] Tọa đàm") and "Phạm Văn Đồng" in talk.body
    assert talk.extra["shares"] == 41 and talk.extra["reactions"] == 512 and talk.extra["comments"] == 37
    assert talk.published_at.isoformat() == "2026-11-19T05:30:12+00:00"
    assert talk.url == "https://www.facebook.com/baoquangngai/posts/pfbid02xKq7Yh3mN5sTzR1uVw8aBc9dEf"
    assert source.consecutive_failures == 0 and "test-token-123" not in (source.last_error or "")


def test_rsshub_social_feed_posts(sqlite_db, tmp_path, acting):
    acting("admin")  # MEDIAPLAN_USER: who adds a source
    from mediaplan.snapshot.server import SnapshotServer

    env = _env(sqlite_db, tmp_path)
    with SnapshotServer(FIXTURES / "sites" / "rsshub-facebook") as base:
        run_cli("sources", "add", "baoquangngai-fb-rsshub", "--outlet", "baoquangngai", "--kind", "social_feed",
                "--url", f"{base}/feed.xml", "--channel", "social", "--platform", "facebook", env=env)
        run_cli("crawl", "--source", "baoquangngai-fb-rsshub", "--no-progress", env=env)
    with session_scope() as session:
        posts = session.scalars(select(Item).order_by(Item.published_at)).all()
    assert [p.kind for p in posts] == ["social_post", "social_post"]
    assert posts[0].body.startswith("Học sinh xã Sơn Hà hào hứng với Ngày hội STEM")
    assert "<img" not in posts[0].body and posts[0].extra["platform"] == "facebook"
    assert posts[0].url.startswith("https://www.facebook.com/baoquangngai/posts/")


@pytest.mark.redis
def test_two_crawlers_share_one_redis_queue_and_fetch_each_url_once(sqlite_db, tmp_path, acting):
    acting("admin")  # MEDIAPLAN_USER: who adds a source
    import os
    import subprocess
    import sys
    import uuid
    from collections import Counter

    import redis

    from mediaplan.snapshot.server import SnapshotServer

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        import pytest

        pytest.skip("Redis not reachable at 127.0.0.1:6379 (CI starts it)")
    site = _article_site(tmp_path, "news", 12, delay=0.2)
    group = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, **_env(sqlite_db, tmp_path), "MEDIAPLAN_DOWNLOAD_DELAY": "0",
           "MEDIAPLAN_REDIS_URL": "redis://127.0.0.1:6379/0", "MEDIAPLAN_CRAWL_GROUP": group}
    server = SnapshotServer(site)
    base = server.start()
    try:
        run_cli("sources", "add", "shared-feed", "--outlet", "baoquangngai", "--kind", "rss",
                "--url", f"{base}/news/feed.rss", "--channel", "online", env=env)
        args = [sys.executable, "-m", "mediaplan", "crawl", "--source", "shared-feed", "--no-progress"]
        procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=180) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        fetched = Counter(path for path, _, _ in server.statuses if path.endswith(".html"))
    finally:
        server.stop()
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for key in client.scan_iter(f"mediaplan:{group}:*"):
            client.delete(key)
    assert set(fetched) == {f"/news/a{n}.html" for n in range(12)}
    assert max(fetched.values()) == 1, fetched  # no page fetched by both crawlers
    assert _count_items() == 12


def test_fault_matrix_on_article_pages(sqlite_db, tmp_path):
    """Timeout, redirect loop, oversized body, dropped connection, non-HTML, unknown host: each is
    recorded with a clear reason, the good article is stored, and a re-run adds nothing twice."""
    from mediaplan.snapshot.server import SnapshotServer

    env = {**_env(sqlite_db, tmp_path), "MEDIAPLAN_DOWNLOAD_TIMEOUT": "1", "MEDIAPLAN_MAX_BODY_BYTES": "100000",
           "MEDIAPLAN_DOWNLOAD_DELAY": "0"}
    with SnapshotServer(FIXTURES / "sites") as base:
        args = ("crawl", "--url", f"{base}/faults/feed.rss", "--kind", "rss", "--outlet", "baoquangngai", "--no-progress")
        run_cli(*args, env=env)
        run_cli(*args, env=env)
    with session_scope() as session:
        assert [i.title for i in session.scalars(select(Item))] == ["Học sinh vùng cao đến trường"]
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        source = session.scalar(select(Source).where(Source.adhoc.is_(True)))
    first = next(iter(runs[0].summary["sources"].values()))
    assert first["new"] == 1 and first["failed"] == 6
    errors = "\n".join(first["errors"])
    for page, reason in [("slow.html", "took longer than 1.0 seconds"), ("loop.html", "redirect"), ("huge.html", "max size"),
                         ("reset.html", "Connection"), ("report.pdf", "not an HTML page"),
                         ("khong-ton-tai.invalid", "DNS lookup failed")]:
        line = next((e for e in first["errors"] if page in e), "")
        assert reason.lower() in line.lower(), (page, errors)
    assert source.consecutive_failures == 0 and source.last_error  # the feed works; article faults stay visible
    second = next(iter(runs[1].summary["sources"].values()))
    assert second["new"] == 0


def test_moved_feed_is_rediscovered_from_the_home_page(sqlite_db, tmp_path):
    import shutil

    from mediaplan.snapshot import SITES_DIR
    from mediaplan.snapshot.server import SnapshotServer

    site = tmp_path / "sites"
    shutil.copytree(SITES_DIR / "baoquangngai.vn", site / "baoquangngai.vn")
    rss = site / "baoquangngai.vn" / "rss"
    (rss / "home.rss").rename(rss / "tin-moi.rss")  # the outlet moved its feed
    home = site / "baoquangngai.vn" / "index.html"
    home.write_text(home.read_text(encoding="utf-8").replace("/rss/home.rss", "/rss/tin-moi.rss"), encoding="utf-8")
    with SnapshotServer(site) as base:
        out = run_cli("crawl", "--source", "baoquangngai-rss", "--snapshot", base, "--no-progress",
                      env=_env(sqlite_db, tmp_path)).stdout
    assert "home.rss: HTTP 404" in out
    with session_scope() as session:
        assert session.scalar(select(func.count(Item.id))) == 20  # the 20 newest, from the feed it found
        source = session.scalar(select(Source).where(Source.key == "baoquangngai-rss"))
        run = session.scalars(select(CrawlRun)).one()
    assert run.summary["sources"]["baoquangngai-rss"]["discovered"] == ["https://baoquangngai.vn/rss/tin-moi.rss"]
    assert "HTTP 404" in source.last_error and source.consecutive_failures == 1  # still flagged: fix the plan


def test_broadcast_episodes_with_captions_and_transcripts(sqlite_db, tmp_path, acting):
    acting("admin")  # MEDIAPLAN_USER: who adds a source
    from mediaplan.snapshot.server import SnapshotServer

    env = _env(sqlite_db, tmp_path)
    with SnapshotServer(FIXTURES / "sites" / "broadcast") as base:
        run_cli("sources", "add", "qngtv-giao-duc", "--outlet", "baoquangngai", "--kind", "broadcast",
                "--url", f"{base}/multimedia/truyen-hinh/", "--channel", "tv",
                "--article-pattern", r"/multimedia/[a-z-]+/\d{6}/[a-z0-9-]+/$", env=env)
        run_cli("crawl", "--source", "qngtv-giao-duc", "--no-progress", env=env)
    with session_scope() as session:
        episodes = {i.channel: i for i in session.scalars(select(Item))}
    tv, radio = episodes["tv"], episodes["radio"]
    assert tv.kind == radio.kind == "broadcast"
    assert tv.extra["program"] == "Giáo dục và Cuộc sống" and tv.extra["duration_seconds"] == 18 * 60 + 40
    assert tv.extra["media"][0].endswith("/media/gdcs-2026-11-12.mp4")
    assert tv.published_at.isoformat() == "2026-11-12T13:15:00+00:00"
    assert "một nghìn học sinh dân tộc thiểu số" in tv.body and "-->" not in tv.body  # captions, without timings
    assert radio.extra["duration_seconds"] == 12 * 60 + 5 and radio.extra["media"][0].endswith(".mp3")
    assert "xếp cao nhất trong hệ thống thang bậc lương" in radio.body  # the linked transcript


def test_google_news_sitemap_gives_the_publication_date(sqlite_db, tmp_path):
    from mediaplan.snapshot.server import SnapshotServer

    with SnapshotServer(FIXTURES / "news-sitemap") as base:
        run_cli("crawl", "--url", "https://baoquangngai.vn/news-sitemap.xml", "--kind", "sitemap", "--outlet", "baoquangngai",
                "--snapshot", base, "--no-progress", env=_env(sqlite_db, tmp_path))
    with session_scope() as session:
        item = session.scalars(select(Item)).one()
    # The page itself has no date (only the header's "today"); the news sitemap's date is used.
    assert item.published_at.isoformat() == "2026-11-20T01:00:00+00:00"
    assert item.canonical_url == "https://baoquangngai.vn/tin-1.html"


def test_a_failing_source_is_backed_off_not_hammered(sqlite_db, monkeypatch):
    from mediaplan.crawler.run import select_sources
    from mediaplan.db.schema import utcnow

    with session_scope() as session:
        source = session.scalar(select(Source).where(Source.key == "sgddt-tin-tuc"))
        source.consecutive_failures, source.last_error_at, source.last_error = 5, utcnow(), "HTTP 503"
    chosen, notes = select_sources(None)
    assert "sgddt-tin-tuc" not in {s["key"] for s in chosen}
    assert any("sgddt-tin-tuc" in n and "5 lần lỗi" in n for n in notes)
    monkeypatch.setenv("MEDIAPLAN_BACKOFF_AFTER", "10")
    from mediaplan.settings import get_settings

    get_settings.cache_clear()
    assert "sgddt-tin-tuc" in {s["key"] for s in select_sources(None)[0]}


def test_every_source_kind_has_a_strategy():
    from mediaplan.crawler.spider import STRATEGIES, SourceSpider
    from mediaplan.vocab import SourceKind

    assert set(STRATEGIES) == set(SourceKind)
    assert all(callable(getattr(SourceSpider, method, None)) for method in STRATEGIES.values())


def test_a_crawl_is_configured_from_settings_alone(monkeypatch):
    """One configuration path: every value a crawl component reads is in the Scrapy settings built from Settings."""
    from mediaplan.crawler.config import scrapy_settings
    from mediaplan.settings import Settings

    monkeypatch.setenv("MEDIAPLAN_FACEBOOK_TOKEN", "t-1")
    monkeypatch.setenv("MEDIAPLAN_MAX_LISTING_PAGES", "7")
    monkeypatch.setenv("MEDIAPLAN_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MEDIAPLAN_CRAWL_GROUP", "g")
    scrapy = scrapy_settings(Settings(), snapshot_url="http://127.0.0.1:9/")
    assert scrapy["MEDIAPLAN_FACEBOOK_TOKEN"] == "t-1" and scrapy["MEDIAPLAN_MAX_LISTING_PAGES"] == 7
    assert scrapy["SCHEDULER_QUEUE_KEY"] == "mediaplan:g:requests"
    assert scrapy["MEDIAPLAN_SNAPSHOT_URL"] == "http://127.0.0.1:9/" and scrapy["DOWNLOAD_DELAY"] == 0
