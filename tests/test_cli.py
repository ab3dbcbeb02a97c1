"""The CLI contract beyond crawling: exports, source health, hand-entered targets."""

import csv
import io
import json

from openpyxl import load_workbook

from conftest import run_cli

FIELDS = {"id", "url", "outlet", "source", "kind", "channel", "format", "title", "sapo", "body", "author",
          "published_at", "themes", "education", "nq71", "cluster_id"}


def _env(url, tmp_path):
    return {"MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}


def test_items_export_in_three_formats(populated_db, tmp_path):
    env = _env(populated_db, tmp_path)
    rows = [json.loads(line) for line in run_cli("items", "export", "--format", "jsonl", "--month", "2026-11", env=env).stdout.splitlines()]
    assert len(rows) == 3 and FIELDS <= set(rows[0])
    assert rows[0]["published_at"].endswith("+07:00")  # shown in Asia/Ho_Chi_Minh, with its offset
    teachers = run_cli("items", "export", "--format", "jsonl", "--theme", "teachers", env=env).stdout.splitlines()
    assert [json.loads(line)["title"] for line in teachers] == ["Tuyên dương 46 nhà giáo tiêu biểu nhân Ngày Nhà giáo Việt Nam"]
    assert run_cli("items", "export", "--format", "jsonl", "--month", "2026-10", env=env).stdout == ""
    table = list(csv.DictReader(io.StringIO(run_cli("items", "export", "--format", "csv", env=env).stdout)))
    assert len(table) == 3 and set(table[0]) == FIELDS
    run_cli("items", "export", "--format", "xlsx", "--out", str(tmp_path / "items.xlsx"), env=env)
    sheet = load_workbook(tmp_path / "items.xlsx")["items"]
    assert sheet.max_row == 4 and {c.value for c in sheet[1]} == FIELDS
    bad = run_cli("items", "export", "--format", "pdf", env=env, check=False)
    assert bad.returncode == 1 and "jsonl" in bad.stderr


def test_sources_list_shows_health(populated_db, tmp_path):
    out = run_cli("sources", "list", env=_env(populated_db, tmp_path)).stdout
    assert "baoquangngai-rss" in out and "sgddt-tin-tuc" in out and "(tắt)" in out


def test_manual_target_with_evidence_reaches_the_report(populated_db, tmp_path):
    env = _env(populated_db, tmp_path)
    run_cli("targets", "set", "staff_trained_2030", "--value", "0.45", "--evidence", "Báo cáo số 12/BC-SGDĐT", "--as-of", "2026-11-20", env=env)
    bad = run_cli("targets", "set", "staff_trained_2030", "--value", "45", "--evidence", "x", env=env, check=False)
    assert bad.returncode == 1 and "0–1" in bad.stderr
    run_cli("report", "build", "--month", "2026-11", "--out", str(tmp_path / "out"), env=env)
    figures = json.loads((tmp_path / "out" / "figures.json").read_text(encoding="utf-8"))
    target = next(t for t in figures["targets"] if t["key"] == "staff_trained_2030")
    assert target["value"] == 0.45 and target["met"] is False and "12/BC-SGDĐT" in target["detail"]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'data-target="staff_trained_2030"' in html and "45%" in html


def test_commands_work_on_a_fresh_database(tmp_path):
    env = _env(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)
    out = run_cli("calendar", "list", "--month", "2026-11", env=env).stdout
    assert "Ngày Nhà giáo Việt Nam" in out


def test_sources_add_disable_survive_a_plan_refresh(sqlite_db, tmp_path):
    env = _env(sqlite_db, tmp_path)
    run_cli("sources", "add", "xa-ba-to-tin-tuc", "--outlet", "xa-son-ha", "--kind", "page",
            "--url", "https://bato.quangngai.gov.vn/tin-tuc/", "--channel", "portal", "--article-pattern", r"/tin-tuc/.+\.html$", env=env)
    dup = run_cli("sources", "add", "xa-ba-to-tin-tuc", "--outlet", "xa-son-ha", "--kind", "page",
                  "--url", "https://bato.quangngai.gov.vn/", "--channel", "portal", env=env, check=False)
    assert dup.returncode == 1 and "đã có nguồn" in dup.stderr
    bad = run_cli("sources", "add", "x", "--outlet", "xa-son-ha", "--kind", "page", "--url", "https://x.vn/",
                  "--channel", "portal", "--article-pattern", "([", env=env, check=False)
    assert bad.returncode == 1 and "article-pattern" in bad.stderr
    run_cli("sources", "disable", "baoquangngai-sitemap", env=env)
    run_cli("init", env=env)  # refreshing the plan keeps both admin decisions
    out = run_cli("sources", "list", env=env).stdout
    assert "xa-ba-to-tin-tuc" in out and "baoquangngai-sitemap (tắt)" in out
    run_cli("sources", "enable", "baoquangngai-sitemap", env=env)
    assert "baoquangngai-sitemap (tắt)" not in run_cli("sources", "list", env=env).stdout


def test_silent_source_is_flagged(db, tmp_path):
    from datetime import datetime, timedelta, timezone

    from mediaplan.crawler.store import Fetched, upsert_item
    from mediaplan.db import session_scope

    now = datetime.now(timezone.utc)
    for n in range(12):  # two stories a week for six weeks, then nothing for 9 days
        when = now - timedelta(days=9 + 3.5 * n)
        url = f"https://sgddt.quangngai.gov.vn/tin-tuc/tin-{n}.html"
        with session_scope() as session:
            upsert_item(session, Fetched(source_key="sgddt-tin-tuc", kind="article", url=url, canonical_url=url,
                                         title=f"Tin số {n}", body=f"Nội dung {n}", published_at=when))
    out = run_cli("sources", "list", env=_env(db, tmp_path)).stdout
    assert "Cảnh báo: sgddt-tin-tuc không có tin, bài nào trong 7 ngày" in " ".join(out.split())
    assert "quangngai-portal-tin-tuc không có" not in out  # never had volume: not "silent"


def test_sources_check_previews_without_storing(sqlite_db, tmp_path, snapshot_server):
    from sqlalchemy import func, select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Item

    out = run_cli("sources", "check", "sgddt-tin-tuc", "--limit", "2", "--snapshot", snapshot_server.url,
                  env=_env(sqlite_db, tmp_path)).stdout
    assert "2 tin, bài xem trước; không có gì được lưu." in out
    assert "https://sgddt.quangngai.gov.vn/tin-tuc/" in out and "trích xuất: profile" in out
    with session_scope() as session:
        assert session.scalar(select(func.count(Item.id))) == 0


def test_youtube_feed_items_carry_video_metadata(sqlite_db, tmp_path, snapshot_server):
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Item

    run_cli("crawl", "--source", "baoquangngai-youtube", "--snapshot", snapshot_server.url, "--no-progress",
            env=_env(sqlite_db, tmp_path))
    with session_scope() as session:
        videos = session.scalars(select(Item).where(Item.kind == "video")).all()
    assert len(videos) >= 5
    for v in videos:
        assert v.url == f"https://www.youtube.com/watch?v={v.extra['video_id']}" and len(v.extra["video_id"]) == 11
        assert v.extra["thumbnail"].startswith("https://i2.ytimg.com/vi/") and v.extra["views"] > 0
        assert v.channel == "tv" and v.published_at is not None and v.body
