"""The CLI contract beyond crawling (exports, source health, hand-entered targets), and the services under it.

Commands run in this process through Typer's CliRunner; the few that need a process of
their own (a Scrapy crawl, whose reactor runs once per process, and the real entry point)
go through `run_cli`.
"""

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from conftest import run_cli

FIELDS = {"id", "url", "outlet", "source", "kind", "channel", "format", "title", "sapo", "body", "author",
          "published_at", "themes", "education", "nq71", "cluster_id",
          "education_decided_by", "education_probability", "education_model_terms", "theme_evidence"}
TEACHERS_TITLE = "Tuyên dương 46 nhà giáo tiêu biểu nhân Ngày Nhà giáo Việt Nam"




def _env(url, tmp_path):
    return {"MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}


def _store(title: str, url: str, day: int, source: str = "baoquangngai-rss", body: str = "Nội dung.") -> None:
    from mediaplan.crawler.store import Fetched, upsert_item
    from mediaplan.db import session_scope

    with session_scope() as session:
        upsert_item(session, Fetched(source_key=source, kind="article", url=url, canonical_url=url, title=title,
                                     body=body, published_at=datetime(2026, 11, day, 2, 0, tzinfo=timezone.utc)))


# --- the command line ---------------------------------------------------------------------------


def test_python_m_mediaplan_is_the_installed_command():
    proc = subprocess.run([sys.executable, "-m", "mediaplan", "--help"], capture_output=True, text=True,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert proc.returncode == 0
    for group in ("init", "crawl", "classify-text", "calendar", "report", "items", "sources", "targets", "nlp"):
        assert group in proc.stdout


@pytest.mark.parametrize("args, said", [
    (["crawl", "--url", "http://x.vn/rss", "--kind", "gopher", "--outlet", "baoquangngai"],
     "--kind 'gopher' không hợp lệ; chọn một trong: rss, sitemap, page, youtube"),
    (["calendar", "status", "1", "done"], "'done' không hợp lệ; chọn một trong: idea, assigned"),
    (["calendar", "add-story"], "thiếu"),
    (["crawl", "--bogus"], "không có tùy chọn --bogus"),
    (["khong-co-lenh"], "không có lệnh 'khong-co-lenh'"),
])
def test_a_usage_error_is_one_vietnamese_line(args, said, tmp_path):
    """Installed command: a wrong code or option is refused in one line (exit 2), not Typer's English panel."""
    proc = subprocess.run([sys.executable, "-m", "mediaplan", *args], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "MEDIAPLAN_DATA_DIR": str(tmp_path)})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: ") and said in lines[0]
    assert "Traceback" not in proc.stderr


def test_items_export_in_three_formats(populated_db, tmp_path, cli):
    rows = [json.loads(line) for line in cli("items", "export", "--format", "jsonl", "--month", "2026-11").stdout.splitlines()]
    assert len(rows) == 3 and FIELDS <= set(rows[0])
    assert rows[0]["published_at"].endswith("+07:00")  # shown in Asia/Ho_Chi_Minh, with its offset
    teachers = cli("items", "export", "--format", "jsonl", "--theme", "teachers").stdout.splitlines()
    assert [json.loads(line)["title"] for line in teachers] == [TEACHERS_TITLE]
    assert cli("items", "export", "--format", "jsonl", "--month", "2026-10").stdout == ""
    table = list(csv.DictReader(io.StringIO(cli("items", "export", "--format", "csv").stdout)))
    assert len(table) == 3 and set(table[0]) == FIELDS
    cli("items", "export", "--format", "xlsx", "--out", str(tmp_path / "items.xlsx"))
    sheet = load_workbook(tmp_path / "items.xlsx")["items"]
    assert sheet.max_row == 4 and {c.value for c in sheet[1]} == FIELDS
    bad = cli("items", "export", "--format", "pdf", code=2)  # Typer refuses a value outside the choices
    assert "jsonl" in bad.stderr and "pdf" in bad.stderr
    assert "xlsx cần --out" in cli("items", "export", "--format", "xlsx", code=1).stderr
    assert "tháng không hợp lệ" in cli("items", "export", "--month", "2026-13", code=1).stderr


def test_sources_list_shows_health(populated_db, cli):
    out = cli("sources", "list").stdout
    assert "baoquangngai-rss" in out and "sgddt-tin-tuc" in out and "(tắt)" in out


def _manual_target(key="schools_reached"):
    """The plan's staff targets are counted from the registers now; a plan may still have a hand-counted one."""
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Target

    with session_scope() as session:
        session.add(Target(key=key, name="Trường học được phổ biến", metric="manual", threshold=0.7, unit="ratio",
                           per="period", position=99))
    return key


def test_manual_target_with_evidence_reaches_the_report(populated_db, tmp_path, cli, acting):
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import TargetValue

    key = _manual_target()
    analyst = acting("analyst")  # typed-in figures and the report: the Department's analyst
    cli("targets", "set", key, "--value", "0.45", "--evidence", "Báo cáo số 12/BC-SGDĐT", "--as-of", "2026-11-20")
    with session_scope() as session:
        assert session.scalar(select(TargetValue.entered_by)) == analyst
    assert "0–1" in cli("targets", "set", key, "--value", "45", "--evidence", "x", code=1).stderr
    assert "không có chỉ tiêu" in cli("targets", "set", "khong-co", "--value", "1", "--evidence", "x", code=1).stderr
    assert "sổ theo dõi" in cli("targets", "set", "staff_trained_2030", "--value", "0.5", "--evidence", "x", code=1).stderr
    cli("report", "build", "--month", "2026-11", "--out", str(tmp_path / "out"))
    figures = json.loads((tmp_path / "out" / "figures.json").read_text(encoding="utf-8"))
    target = next(t for t in figures["targets"] if t["key"] == key)
    assert target["value"] == 0.45 and target["met"] is False and "12/BC-SGDĐT" in target["detail"]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f'data-target="{key}"' in html and "45%" in html


def test_target_entered_without_a_name_is_entered_by_the_lead_agency(sqlite_db):
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import TargetValue
    from mediaplan.plans import current_plan
    from mediaplan.services.targets import set_target_value

    key = _manual_target()
    with session_scope() as session:
        set_target_value(session, key, 0.5, "Báo cáo số 3")
    with session_scope() as session:
        row = session.scalar(select(TargetValue))
    assert row.entered_by == current_plan().meta.lead_agency == "sgddt"


@pytest.mark.slow
def test_commands_work_on_a_fresh_database(tmp_path):
    env = _env(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)
    out = run_cli("calendar", "list", "--month", "2026-11", env=env).stdout
    assert "Ngày Nhà giáo Việt Nam" in out


def test_sources_add_disable_survive_a_plan_refresh(sqlite_db, cli, acting):
    acting("admin")
    cli("sources", "add", "xa-son-tay-tin-tuc", "--outlet", "xa-son-ha", "--kind", "page",
        "--url", "https://sontay.quangngai.gov.vn/tin-tuc/", "--channel", "portal", "--article-pattern", r"/tin-tuc/.+\.html$")
    dup = cli("sources", "add", "xa-son-tay-tin-tuc", "--outlet", "xa-son-ha", "--kind", "page",
              "--url", "https://sontay.quangngai.gov.vn/", "--channel", "portal", code=1)
    assert "đã có nguồn" in dup.stderr
    bad = cli("sources", "add", "x", "--outlet", "xa-son-ha", "--kind", "page", "--url", "https://x.vn/",
              "--channel", "portal", "--article-pattern", "([", code=1)
    assert "article-pattern" in bad.stderr
    assert "--url" in cli("sources", "add", "x", "--outlet", "xa-son-ha", "--kind", "page", "--url", "x.vn",
                          "--channel", "portal", code=1).stderr
    assert "tv" in cli("sources", "add", "x", "--outlet", "xa-son-ha", "--kind", "page", "--url", "https://x.vn/",
                       "--channel", "tivi", code=2).stderr  # a code outside its vocabulary: Typer lists the choices
    cli("sources", "disable", "baoquangngai-sitemap")
    cli("init")  # refreshing the plan keeps both admin decisions
    out = cli("sources", "list").stdout
    assert "xa-son-tay-tin-tuc" in out and "baoquangngai-sitemap (tắt)" in out
    cli("sources", "enable", "baoquangngai-sitemap")
    assert "baoquangngai-sitemap (tắt)" not in cli("sources", "list").stdout
    assert "không có nguồn" in cli("sources", "enable", "khong-co", code=1).stderr


def test_silent_source_is_flagged(db, cli):
    from datetime import timedelta

    from mediaplan.crawler.store import Fetched, upsert_item
    from mediaplan.db import session_scope

    now = datetime.now(timezone.utc)
    for n in range(12):  # two stories a week for six weeks, then nothing for 9 days
        when = now - timedelta(days=9 + 3.5 * n)
        url = f"https://sgddt.quangngai.gov.vn/tin-tuc/tin-{n}.html"
        with session_scope() as session:
            upsert_item(session, Fetched(source_key="sgddt-tin-tuc", kind="article", url=url, canonical_url=url,
                                         title=f"Tin số {n}", body=f"Nội dung {n}", published_at=when))
    out = cli("sources", "list").stdout
    assert "Cảnh báo: sgddt-tin-tuc không có tin, bài nào trong 7 ngày" in " ".join(out.split())
    assert "quangngai-portal-tin-tuc không có" not in out  # never had volume: not "silent"


def test_a_story_without_an_outlet_is_planned_for_the_plans_default_outlet(sqlite_db, cli, acting):
    from mediaplan.calendar.stories import get_story
    from mediaplan.db import session_scope
    from mediaplan.services.plan_defaults import press_outlet

    assert press_outlet() == "baoquangngai"
    acting("editor")
    out = cli("calendar", "add-story", "Học sinh vùng cao đến trường", "--on", "2026-12-03T08:00",
              "--platform", "online", "--format", "news").stdout
    story_id = int(out.split("#")[1].split()[0])
    with session_scope() as session:
        assert [c.outlet.key for c in get_story(session, story_id).coverages] == ["baoquangngai"]
    assert "online" in cli("calendar", "add-story", "X", "--platform", "web", code=2).stderr


@pytest.mark.slow
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


@pytest.mark.slow
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


# --- the services under it ------------------------------------------------------------------------


def test_export_query_filters_month_and_theme_in_sql(populated_db):
    from mediaplan.db import session_scope
    from mediaplan.nlp.labels import set_label
    from mediaplan.services.items import export_query

    _store("Tin tháng trước", "https://baoquangngai.vn/x/thang-truoc.html", 1)
    with session_scope() as session:
        october = session.scalars(export_query(month="2026-10")).all()
        november = session.scalars(export_query(month="2026-11")).all()
        teachers = session.scalars(export_query(theme="teachers")).all()
        assert october == [] and len(november) == 4  # the query itself selects: nothing is filtered afterwards
        assert [i.title for i in teachers] == [TEACHERS_TITLE]
        set_label(session, teachers[0].id, "teachers", "remove", "bien-tap")
    with session_scope() as session:
        assert session.scalars(export_query(month="2026-11", theme="teachers")).all() == []  # removed: not exported


def test_csv_and_xlsx_exports_neutralise_formulas(populated_db, tmp_path):
    from mediaplan.db import session_scope
    from mediaplan.services.items import export_items

    formula = '=HYPERLINK("https://example.com","bấm vào đây")'
    _store(formula, "https://baoquangngai.vn/x/cong-thuc.html", 25, body="-1+1")
    with session_scope() as session:
        stream = io.StringIO()
        assert export_items(session, "csv", stream, month="2026-11") == 4
        assert export_items(session, "xlsx", tmp_path / "items.xlsx", month="2026-11") == 4
        text = io.StringIO()
        export_items(session, "jsonl", text, month="2026-11")
    row = next(r for r in csv.DictReader(io.StringIO(stream.getvalue())) if "HYPERLINK" in r["title"])
    assert row["title"] == "'" + formula and row["body"] == "'-1+1"
    sheet = load_workbook(tmp_path / "items.xlsx")["items"]
    header = [c.value for c in sheet[1]]
    cells = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if "HYPERLINK" in r[header.index("title")])
    assert cells[header.index("title")] == "'" + formula and cells[header.index("body")] == "'-1+1"
    stored = next(json.loads(line) for line in text.getvalue().splitlines() if "HYPERLINK" in line)
    assert stored["title"] == formula  # JSONL is data, not a spreadsheet: kept as stored


def test_export_refuses_a_bad_format_or_month(sqlite_db):
    from mediaplan.db import session_scope
    from mediaplan.services import ServiceError
    from mediaplan.services.items import export_items

    with session_scope() as session:
        with pytest.raises(ServiceError, match="jsonl") as refused:
            export_items(session, "pdf", io.StringIO())
        assert refused.value.field == "format"
        stream = io.StringIO()
        with pytest.raises(ValueError, match="tháng không hợp lệ"):
            export_items(session, "csv", stream, month="2026-13")
    assert stream.getvalue() == ""  # refused before anything was written


def test_send_needs_recipients_and_an_approved_version(populated_db, tmp_path, mail_sink):
    from sqlalchemy import select

    from mediaplan.db import session_scope
    from mediaplan.db.schema import ReportVersion
    from mediaplan.services.reports import (NoRecipients, NoReport, approve_report, build_period_report,
                                            send_period_report)
    from mediaplan.settings import get_settings

    settings = get_settings().model_copy(update={"smtp_port": mail_sink.port})
    with session_scope() as session:
        with pytest.raises(NoRecipients):
            send_period_report(session, "2026-11", [], settings=settings)
        with pytest.raises(NoReport, match="report build --period 2026-11"):
            send_period_report(session, "2026-11", ["so@example.vn"], settings=settings)
        assert session.scalar(select(ReportVersion)) is None  # a send never builds: what is sent was approved
        build_period_report(session, "2026-11", tmp_path / "out")
        approve_report(session, "2026-11", "Lan")
        result = send_period_report(session, "2026-11", ["so@example.vn"], settings=settings)
    assert result["sent"] == ["so@example.vn"] and [m["to"][0] for m in mail_sink.messages] == ["so@example.vn"]


def test_report_send_without_recipients_says_how_to_name_them(sqlite_db, cli, acting):
    acting("analyst")
    assert "MEDIAPLAN_REPORT_RECIPIENTS" in cli("report", "send", "--month", "2026-11", code=1).stderr


def test_help_into_a_closed_pipe_is_quiet():
    """`mediaplan --help | head -1`: the reader leaves early; no traceback, exit 0 (was an AttributeError on Abort)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "mediaplan", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # closed long before the interpreter has imported the app and writes the help
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in stderr
