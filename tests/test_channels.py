"""Every channel the plan names, collected over HTTP from the bundled snapshot (issue 13 "Every channel, collected"):
television and radio programme pages, TikTok through RSSHub, a Zalo OA through RSS-Bridge, the e-paper's table of
contents, and a commune's loudspeaker bulletins; then the faults each of them can show."""

import shutil
from pathlib import Path

from sqlalchemy import select

from conftest import run_cli
from mediaplan.calendar import stories as planning
from mediaplan.calendar.linking import link_deliveries
from mediaplan.crawler.store import Fetched, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, Source
from mediaplan.reports.counts import Limits, count
from mediaplan.snapshot import SITES_DIR
from mediaplan.snapshot.server import SnapshotServer

CHANNEL_SOURCES = ["baoquangngai-truyen-hinh", "baoquangngai-phat-thanh", "baoquangngai-tiktok", "baoquangngai-zalo",
                   "baoquangngai-bao-in", "xa-son-ha-thong-tin-co-so"]


def _env(db_url: str, tmp_path: Path) -> dict:
    return {"MEDIAPLAN_DATABASE_URL": db_url, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}


def _crawl(env: dict, base: str, *keys: str):
    args = [a for k in keys for a in ("--source", k)]
    return run_cli("crawl", *args, "--snapshot", base, "--no-progress", env=env)


def _items(source_key: str) -> list[Item]:
    with session_scope() as session:
        return list(session.scalars(select(Item).join(Source).where(Source.key == source_key).order_by(Item.published_at)))


def test_every_channel_of_the_plan_is_collected_from_the_snapshot(sqlite_db, tmp_path, snapshot_server):
    env = _env(sqlite_db, tmp_path)
    _crawl(env, snapshot_server.url, *CHANNEL_SOURCES)
    run_cli("classify", env=env)  # format is told at classification

    tv = {i.title: i for i in _items("baoquangngai-truyen-hinh")}
    talk = tv["Tọa đàm: Nhà giáo – lực lượng quyết định đột phá giáo dục"]
    assert (talk.kind, talk.channel, talk.format) == ("broadcast", "tv", "talk_show")
    assert talk.extra["program"] == "Tọa đàm" and talk.extra["duration_seconds"] == 32 * 60 + 10
    assert talk.extra["media"] == ["https://baoquangngai.vn/media/toa-dam-nha-giao-luc-luong-quyet-dinh-dot-pha-giao-duc.mp4"]
    assert talk.published_at.isoformat() == "2026-11-19T13:00:00+00:00"  # 20:00 in Quảng Ngãi
    # The WebVTT captions are the item's words, without cue timings, with the track's language.
    assert "thiếu hơn 1.200 giáo viên" in talk.body and "-->" not in talk.body and "WEBVTT" not in talk.body
    assert talk.extra["transcript_lang"] == "vi" and talk.extra["transcript"].endswith(".vtt")

    radio = _items("baoquangngai-phat-thanh")
    assert {(i.kind, i.channel, i.format) for i in radio} == {("broadcast", "radio", "podcast")}  # told from the .mp3
    assert any("15 kg gạo" in i.body for i in radio)  # the linked transcript

    tiktok = _items("baoquangngai-tiktok")
    assert len(tiktok) == 3 and {i.extra["platform"] for i in tiktok} == {"tiktok"}
    video = next(i for i in tiktok if i.title.startswith("[Video] Học trò vùng cao Tu Mơ Rông"))
    # RSSHub puts only the player in the description: the caption is both title and text; hashtags are tags.
    assert video.body == video.title and video.extra["tags"] == ["20thang11", "nhagiao", "quangngai"]
    assert video.url == "https://www.tiktok.com/@baoquangngai/video/7441290035512397064"
    assert video.extra["media"][0].endswith(".mp4") and video.format == "short_video"

    zalo = _items("baoquangngai-zalo")
    assert [i.title for i in zalo] == ["Hỏi – đáp: Học sinh nào được miễn học phí từ năm học 2026-2027?",
                                       "Quảng Ngãi tuyển dụng 412 giáo viên cho năm học 2026-2027"]
    assert {(i.kind, i.channel, i.extra["platform"]) for i in zalo} == {("social_post", "social", "zalo")}
    assert zalo[1].body.startswith("Sở Giáo dục và Đào tạo vừa thông báo tuyển dụng 412 giáo viên") and "<p>" not in zalo[1].body

    paper = _items("baoquangngai-bao-in")
    assert len(paper) == 3 and {i.channel for i in paper} == {"print"}
    honours = next(i for i in paper if i.title == "Tôn vinh 95 nhà giáo tiêu biểu năm 2026")
    assert honours.author == "Minh Châu" and "95 bằng khen" in honours.body
    assert honours.published_at.isoformat() == "2026-11-19T22:00:00+00:00"  # the issue of 20/11, 05:00 local

    bulletins = _items("xa-son-ha-thong-tin-co-so")
    assert len(bulletins) == 2 and {(i.channel, i.format) for i in bulletins} == {("grassroots", "podcast")}
    assert bulletins[0].extra["media"][0].endswith(".mp3") and "miễn học phí" in bulletins[0].body

    # A second crawl stores nothing twice.
    _crawl(env, snapshot_server.url, *CHANNEL_SOURCES)
    assert sum(len(_items(k)) for k in CHANNEL_SOURCES) == 2 + 2 + 3 + 2 + 3 + 2


def _site_copy(tmp_path: Path, *hosts: str) -> Path:
    root = tmp_path / "sites"
    for host in hosts:
        shutil.copytree(SITES_DIR / host, root / host)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    return root


def test_faults_of_each_channel_are_noted_on_the_source_and_the_run_goes_on(sqlite_db, tmp_path):
    root = _site_copy(tmp_path, "baoquangngai.vn", "127.0.0.1:1200", "127.0.0.1:3000")
    # RSSHub answers a broken route with its HTML error page (status 200 behind some proxies).
    (root / "127.0.0.1:1200/tiktok/user/@baoquangngai").write_text(
        "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Looks like something went wrong</h1>"
        "<p>Route requested: /tiktok/user/@baoquangngai</p></body></html>", encoding="utf-8")
    (root / "127.0.0.1:1200/tiktok/user/@baoquangngai.headers").write_text("Content-Type: text/html; charset=utf-8\n")
    # The talk show's caption track is empty; the other TV episode lost its video.
    vtt = root / "baoquangngai.vn/media/toa-dam-nha-giao-luc-luong-quyet-dinh-dot-pha-giao-duc.vtt"
    vtt.write_text("WEBVTT\n\n", encoding="utf-8")
    episode = next((root / "baoquangngai.vn/multimedia/truyen-hinh").glob("*/giao-duc-va-cuoc-song-*/index.html"))
    html = episode.read_text(encoding="utf-8")
    html = html.replace('<meta property="og:video"', '<meta property="og:x"')
    start, end = html.index("<video"), html.index("</video>") + len("</video>")
    episode.write_text(html[:start] + html[end:], encoding="utf-8")

    env = _env(sqlite_db, tmp_path)
    with SnapshotServer(root) as base:
        proc = _crawl(env, base, "baoquangngai-tiktok", "baoquangngai-truyen-hinh", "baoquangngai-zalo")
    assert "Traceback" not in proc.stderr
    with session_scope() as session:
        sources = {s.key: s for s in session.scalars(select(Source).where(Source.key.like("baoquangngai-%")))}
    assert "trả về một trang HTML, không phải RSS/Atom" in sources["baoquangngai-tiktok"].last_error
    assert sources["baoquangngai-tiktok"].consecutive_failures == 1
    assert not _items("baoquangngai-tiktok")
    tv = {i.title.split(":")[0]: i for i in _items("baoquangngai-truyen-hinh")}
    assert set(tv) == {"Tọa đàm", "Giáo dục và Cuộc sống"}  # both episodes kept
    assert "transcript" not in tv["Tọa đàm"].extra and tv["Tọa đàm"].body.startswith("Tham gia tọa đàm")
    assert tv["Giáo dục và Cuộc sống"].channel == "tv" and not tv["Giáo dục và Cuộc sống"].extra["media"]
    error = sources["baoquangngai-truyen-hinh"].last_error
    assert "không có tệp video/âm thanh" in error or "rỗng hoặc sai định dạng" in error
    assert len(_items("baoquangngai-zalo")) == 2  # the other sources of the run went on
    with session_scope() as session:
        from mediaplan.db.schema import CrawlRun

        run = session.scalars(select(CrawlRun)).one()
    notes = run.summary["sources"]["baoquangngai-truyen-hinh"]["errors"]
    assert any("không có tệp video/âm thanh; kênh lấy theo nguồn (tv)" in n for n in notes)
    assert any(n.endswith(".vtt: phụ đề/lời thoại rỗng hoặc sai định dạng") for n in notes)


def _post(session, source_key: str, url: str, title: str, when, channel: str, platform: str):
    upsert_item(session, Fetched(source_key=source_key, kind="social_post", url=url, canonical_url=url, title=title,
                                 body=title, published_at=when, channel=channel, extra={"platform": platform}))
    return session.scalar(select(Item).where(Item.url == url))


def test_a_social_platform_is_the_platform_of_the_source_not_just_the_social_channel(db):
    """A TikTok video does not deliver a slot planned for Facebook, nor count towards a Facebook figure; a YouTube
    upload (filed under the TV channel) counts for YouTube."""
    from calendar_helpers import at

    with session_scope() as session:
        tiktok = _post(session, "baoquangngai-tiktok", "https://www.tiktok.com/@baoquangngai/video/1",
                       "[Video] Tri ân thầy cô nhân ngày 20/11", at(2026, 11, 20, 11, 30), "social", "tiktok")
        youtube = _post(session, "baoquangngai-youtube", "https://www.youtube.com/watch?v=abc",
                        "[Video] Tri ân thầy cô", at(2026, 11, 20, 19, 0), "tv", "youtube")
        story = planning.add_story(session, "Video tri ân thầy cô ngày 20/11", "Lan", coverages=[
            dict(platform="facebook", fmt="short_video", outlet="baoquangngai", publish_at=at(2026, 11, 20, 12, 0)),
            dict(platform="tiktok", fmt="short_video", outlet="baoquangngai", publish_at=at(2026, 11, 20, 12, 0))])
        link_deliveries(session)
        linked = {c.platform: [d.item_id for d in c.deliveries] for c in story.coverages}
        assert linked == {"facebook": [], "tiktok": [tiktok.id]}
        month = Limits(start=at(2026, 11, 1, 0, 0), end=at(2026, 12, 1, 0, 0), education=False)
        figures = {p: count(session, month.but(platform=p)) for p in ("facebook", "tiktok", "youtube", "tv")}
        assert figures == {"facebook": 0, "tiktok": 1, "youtube": 1, "tv": 1}
        assert youtube.channel == "tv"
