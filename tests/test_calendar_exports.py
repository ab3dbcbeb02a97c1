"""The month's plan as CSV and XLSX (same headers and values), and the printable story budget."""

from datetime import date, datetime

from calendar_helpers import person
from openpyxl import load_workbook

from mediaplan.calendar import stories as planning
from mediaplan.calendar.exports import HEADERS, budget, write_plan
from mediaplan.db import session_scope


def _plan(session):
    person(session, "minhchau", "Minh Châu")
    story = planning.add_story(session, "=Phóng sự: điểm trường Tu Rét", "Lan", themes=["ethnic_remote"], coverages=[
        dict(platform="tv", fmt="reportage", outlet="baoquangngai", publish_at=datetime(2026, 11, 18, 19, 30),
             assignee="minhchau")])
    gone = planning.add_story(session, "Bài bị hủy", "Lan", coverages=[
        dict(platform="online", fmt="news", outlet="baoquangngai", publish_at=datetime(2026, 11, 19, 8, 0))])
    planning.set_status(session, gone, "cancelled", "Lan")
    return story.coverages[0].id, gone.coverages[0].id


def test_the_plan_exports_as_csv_and_xlsx_with_the_same_rows(sqlite_db, tmp_path):
    with session_scope() as session:
        kept, gone = _plan(session)
        assert write_plan(session, "2026-11", tmp_path / "plan.csv") == 2
        assert write_plan(session, "2026-11", tmp_path / "plan.xlsx") == 2
    first = ["18/11/2026", "19:30", "'=Phóng sự: điểm trường Tu Rét", kept, "", "truyền hình", "phóng sự", "ethnic_remote",
             "Minh Châu (minhchau)", "16/11/2026 19:30", "đã giao", 2, ""]  # the assignee's full name and login
    sheet = load_workbook(tmp_path / "plan.xlsx").active
    assert sheet.title == "Kế hoạch 2026-11"
    xlsx = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert xlsx[0] == HEADERS and xlsx[1] == [v if v != "" else None for v in first]  # an empty cell reads as None
    assert xlsx[2][3] == gone and xlsx[2][10] == "hủy"
    csv_rows = (tmp_path / "plan.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv_rows[0] == ",".join(HEADERS) and csv_rows[1].split(",") == [str(v) for v in first]


def test_the_budget_lists_each_day_without_cancelled_coverages(sqlite_db):
    with session_scope() as session:
        kept, _ = _plan(session)
        days = budget(session, date(2026, 11, 16), 7)
        shown = [(d, [c.id for c in coverages]) for d, coverages in days]
    assert [d for d, _ in shown] == [date(2026, 11, 16 + n) for n in range(7)]
    assert [ids for _, ids in shown] == [[], [], [kept], [], [], [], []]


def test_the_plan_names_assignees_in_its_own_query_not_one_per_row(sqlite_db):
    """The assignee's name comes with the coverages (users joined), however many rows: no look-up per row."""
    from sqlalchemy import event

    from mediaplan.calendar.exports import plan_rows
    from mediaplan.db import get_engine
    from mediaplan.periods import month_bounds

    with session_scope() as session:
        _plan(session)
        person(session, "ngocanh")  # no full name: shown by the username alone
        planning.add_story(session, "Video ngắn", "Lan", coverages=[
            dict(platform="facebook", fmt="short_video", outlet="baoquangngai", publish_at=datetime(2026, 11, 20, 12, 0),
                 assignee="ngocanh")])
    statements = []
    event.listen(get_engine(None), "before_cursor_execute", lambda *a: statements.append(a[2]))  # session_scope()'s engine
    with session_scope() as session:
        rows = plan_rows(session, *month_bounds("2026-11"))
    assert [r[8] for r in rows] == ["Minh Châu (minhchau)", "", "ngocanh"]
    assert sum(1 for s in statements if "users" in s) == 1, statements
