"""The calendar pages: month grid, week view, filters, the shared read-only view, gaps,
the printable budget, the month's plan as a download, and the iCal feeds."""

import re
import tempfile
from datetime import datetime

from fastapi.testclient import TestClient

from accounts import signed_in
from calendar_helpers import person
from mediaplan.calendar import stories as planning
from mediaplan.calendar.ical import feed_token
from mediaplan.db import session_scope
from mediaplan.web.app import create_app


def plan_story(session) -> int:
    """A planned talk show for Teachers' Day (its coverage id), assigned to the user `Châu`, and an idea in the backlog."""
    person(session, "Châu", "Minh Châu")
    story = planning.add_story(session, "Tọa đàm: Ngày Nhà giáo", "Lan", themes=["teachers"], coverages=[
        dict(platform="tv", fmt="talk_show", outlet="baoquangngai", publish_at=datetime(2026, 11, 19, 20, 0), assignee="Châu")])
    planning.add_story(session, "Ý tưởng: bữa trưa bán trú", "Lan", themes=["student_support"], priority=1)
    return story.coverages[0].id


def planned(database_url: str) -> tuple[TestClient, int]:
    with session_scope() as session:
        coverage = plan_story(session)
    return signed_in(database_url), coverage


def test_month_grid_shows_key_dates_coverages_legend_and_backlog(db):
    client, coverage = planned(db)
    page = client.get("/calendar?month=2026-11")
    assert page.status_code == 200 and "Ngày Nhà giáo Việt Nam" in page.text and "Thứ Hai" in page.text
    assert f'id="coverage-{coverage}"' in page.text and 'draggable="true"' in page.text
    assert 'id="legend"' in page.text and "Nhà giáo và cán bộ quản lý giáo dục" in page.text
    assert "Ý tưởng: bữa trưa bán trú" in page.text
    assert "month=2026-10" in page.text and "month=2026-12" in page.text  # previous and next month


def test_week_view_has_seven_days(db):
    client, _ = planned(db)
    week = client.get("/calendar?view=week&day=2026-11-19")
    assert week.status_code == 200 and week.text.count('class="day') == 7
    assert client.get("/calendar?view=week&day=2026-02-30").status_code == 400
    assert client.get("/calendar?view=year").status_code == 400


def test_filter_hides_other_platforms(db):
    client, coverage = planned(db)
    assert f'id="coverage-{coverage}"' not in client.get("/calendar?month=2026-11&platform=online").text
    assert f'id="coverage-{coverage}"' in client.get("/calendar?month=2026-11&platform=tv").text


def test_shared_view_is_read_only(db):
    client, coverage = planned(db)
    with session_scope() as session:
        token = feed_token(session, "all", purpose="share")
        ical_token = feed_token(session, "all")
    assert client.get(f"/calendar/share/{ical_token}?month=2026-11").status_code == 404  # separate tokens
    shared = client.get(f"/calendar/share/{token}?month=2026-11")
    assert shared.status_code == 200 and "chỉ xem" in shared.text and 'draggable="true"' not in shared.text
    assert f'id="coverage-{coverage}"' in shared.text
    assert client.get("/calendar/share/wrong-token").status_code == 404
    # Read-only by construction: opened without an account, the page links nowhere into the app, and no write
    # accepts the token, in a header, a cookie or the query.
    from fastapi.testclient import TestClient

    from mediaplan.web.app import create_app

    anonymous = TestClient(create_app(db))
    page = anonymous.get(f"/calendar/share/{token}?month=2026-11")
    assert page.status_code == 200 and "Đăng xuất" not in page.text
    links = re.findall(r'href="([^"]*)"', page.text)
    assert links and all(h.startswith(("?", "/static/")) for h in links), links
    for attempt in ({"headers": {"X-CSRF-Token": token}}, {"params": {"token": token}}):
        answer = anonymous.post(f"/api/v1/coverages/{coverage}/move", json={"date": "2026-11-21"}, **attempt)
        assert answer.status_code == 401


def test_gaps_page(db):
    client, _ = planned(db)
    gaps = client.get("/calendar/gaps?month=2026-11")
    assert gaps.status_code == 200 and 'id="gaps"' in gaps.text


def test_budget_for_a_week(db):
    client, _ = planned(db)
    budget = client.get("/calendar/budget?day=2026-11-16&days=7")
    assert budget.status_code == 200 and "Tọa đàm: Ngày Nhà giáo" in budget.text and "Chủ Nhật, 22/11/2026" in budget.text
    assert client.get("/calendar/budget?days=3").status_code == 400


def test_export_downloads_and_leaves_no_file_behind(db, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    client, _ = planned(db)
    xlsx = client.get("/calendar/export?month=2026-11&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert xlsx.headers["content-disposition"] == 'attachment; filename="ke-hoach-2026-11.xlsx"'
    csv = client.get("/calendar/export?month=2026-11&format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Tọa đàm: Ngày Nhà giáo" in csv.content.decode("utf-8-sig")
    assert client.get("/calendar/export?month=2026-11&format=pdf").status_code == 400
    assert list(scratch.iterdir()) == []


def test_ical_feed_per_assignee_and_regenerated_token(db):
    client, _ = planned(db)
    with session_scope() as session:
        token = feed_token(session, "user", "Châu")
    ics = client.get(f"/ical/{token}.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and "Ngày Nhà giáo".encode() in ics.content
    assert client.get("/ical/wrong-token.ics").status_code == 404
    with session_scope() as session:
        feed_token(session, "user", "Châu", regenerate=True)
    assert client.get(f"/ical/{token}.ics").status_code == 404  # the old URL stops working


def test_the_calendar_opens_on_the_current_month_and_marks_past_due_work(db):
    """A coverage whose deadline passed while still assigned says "quá hạn" in words; a published one does not."""
    from mediaplan.calendar.workflow import change_status
    from mediaplan.localtime import local_today
    from mediaplan.vocab import CoverageStatus

    client, coverage = planned(db)  # 19/11/2026, assigned, deadline in the past for any run after it
    with session_scope() as session:
        done = planning.add_story(session, "Phóng sự đã lên sóng", "Lan", themes=["teachers"], coverages=[
            dict(platform="online", fmt="news", outlet="baoquangngai", publish_at=datetime(2026, 11, 18, 9, 0))]).coverages[0]
        change_status(session, done, CoverageStatus.PUBLISHED, "Lan", force=True)
        done_id = done.id
    today = local_today()
    opened = client.get("/calendar").text
    assert f'data-date="{today.isoformat()}"' in opened  # not the month of the latest item
    page = client.get("/calendar?month=2026-11").text
    card = re.search(rf'<div class="coverage [^"]*" id="coverage-{coverage}"', page).group(0)
    assert "overdue" in card
    assert re.search(rf'id="coverage-{coverage}"[^>]*>\s*<span class="time">[^<]*</span> <strong class="late">quá hạn</strong>', page)
    assert "overdue" not in re.search(rf'<div class="coverage [^"]*" id="coverage-{done_id}"', page).group(0)
