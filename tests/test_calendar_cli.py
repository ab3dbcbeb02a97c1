"""The calendar from the command line, as an editor uses it: plan, assign, move, list, export, subscribe."""

from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import func, select

from calendar_helpers import person
from mediaplan.db import session_scope
from mediaplan.db.schema import Coverage, Story, User


def test_cli_plans_assigns_moves_and_exports(sqlite_db, tmp_path, cli, acting):
    acting("editor", "lan.bt")  # MEDIAPLAN_USER: the editor the audit log names
    with session_scope() as session:
        person(session, "minhchau", "Minh Châu")
    cli("calendar", "add-column", "Hỏi – đáp Nghị quyết 71", "--outlet", "baoquangngai", "--platform", "online",
            "--format", "qa", "--weekly", "MO", "--at", "08:00", "--dtstart", "2026-11-02T07:00", "--theme", "dissemination")
    made = cli("calendar", "add-story", "Phóng sự: điểm trường Tu Rét", "--on", "2026-11-18T19:30", "--platform", "tv",
                   "--format", "reportage", "--platform", "facebook", "--format", "short_video", "--theme", "ethnic_remote")
    ids = [int(x) for x in made.stdout.split("phần thực hiện:")[1].replace("#", "").replace(",", " ").split()]
    assert len(ids) == 2
    cli("calendar", "assign", str(ids[0]), "--to", "minhchau")
    cli("calendar", "move", str(ids[0]), "--to", "2026-11-19T20:00")
    cli("calendar", "status", str(ids[0]), "in_progress")
    bad = cli("calendar", "status", str(ids[1]), "published", code=1)
    assert "được phép" in bad.stderr
    listing = cli("calendar", "list", "--month", "2026-11").stdout
    assert listing.count("Hỏi – đáp Nghị quyết 71") == 5  # Mondays 2, 9, 16, 23, 30 Nov
    assert "Ngày Nhà giáo Việt Nam" in listing and "Minh Châu (minhchau)" in listing and "19/11" in listing
    log = cli("calendar", "log").stdout
    assert "in_progress" in log and "lan.bt" in log
    cli("calendar", "ical", "--user", "minhchau", "--out", str(tmp_path / "chau.ics"))
    cal = Calendar.from_ical((tmp_path / "chau.ics").read_bytes())
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Phóng sự: điểm trường Tu Rét"]
    cli("calendar", "export", "--month", "2026-11", "--out", str(tmp_path / "plan.xlsx"))
    sheet = load_workbook(tmp_path / "plan.xlsx").active
    assert sheet["A1"].value == "Ngày đăng" and sheet.max_row == 1 + 5 + 2
    cli("calendar", "export", "--month", "2026-11", "--out", str(tmp_path / "plan.csv"))
    assert (tmp_path / "plan.csv").read_text(encoding="utf-8-sig").count("\n") == 1 + 5 + 2
    gaps = cli("calendar", "gaps", "--month", "2026-11").stdout
    assert "Tuyên truyền" in gaps or "dissemination" in gaps
    url = cli("calendar", "feed-url", "--desk", "Thời sự").stdout.strip()
    assert "/ical/" in url and url.endswith(".ics")
    again = cli("calendar", "feed-url", "--desk", "Thời sự", code=1)  # the secret is shown once
    assert "--regenerate" in again.stderr
    share = cli("calendar", "feed-url", "--desk", "Thời sự", "--share", "--days", "30").stdout.strip()
    assert "/calendar/share/" in share and share.rsplit("/", 1)[1] not in url
    bad_rrule = cli("calendar", "add-column", "X", "--outlet", "baoquangngai", "--platform", "online", "--format", "qa",
                        "--rrule", "FREQ=SOMETIMES", "--dtstart", "2026-11-02T08:00", code=1)
    assert "RRULE" in bad_rrule.stderr
    cli("calendar", "edit-column", "Hỏi – đáp Nghị quyết 71", "--scope", "one", "--occurrence", "2026-11-16T08:00",
            "--name", "Hỏi – đáp số đặc biệt")
    assert "Hỏi – đáp số đặc biệt" in cli("calendar", "list", "--month", "2026-11").stdout
    bad_scope = cli("calendar", "edit-column", "Hỏi – đáp Nghị quyết 71", "--scope", "some", "--name", "X", code=2)
    assert "some" in bad_scope.output  # a usage error (the installed command's one line: test_cli.py)
    bad_date = cli("calendar", "move", str(ids[0]), "--to", "32/13/2026", code=1)
    assert "2026-11-20T19:30" in bad_date.stderr


def test_cli_refuses_an_assignee_who_is_not_a_user(sqlite_db, cli, acting):
    """A free-text name is no longer an assignee: every command that gives work names an enabled user, or stops
    with one line naming who is unknown, and writes nothing."""
    acting("editor")
    with session_scope() as session:
        person(session, "minhchau", "Minh Châu")
        session.add(User(username="cuu.nhanvien", full_name="Cựu nhân viên", role="editor", disabled=True))
    made = cli("calendar", "add-story", "Tọa đàm: học phí", "--on", "2026-11-18T19:30", "--platform", "tv",
               "--format", "talk_show")
    (coverage,) = [int(x) for x in made.stdout.split("phần thực hiện:")[1].replace("#", "").split()]

    refused = cli("calendar", "assign", str(coverage), "--to", "Minh Châu", code=1)
    assert refused.stderr.count("\n") == 1 and "không có người dùng 'Minh Châu'" in refused.stderr
    assert "có phải minhchau?" in refused.stderr  # the full name points to the login
    disabled = cli("calendar", "assign", str(coverage), "--to", "cuu.nhanvien", code=1)
    assert "'cuu.nhanvien' đã bị vô hiệu hóa" in disabled.stderr
    story = cli("calendar", "add-story", "Bài không ai nhận", "--on", "2026-11-20T08:00", "--platform", "online",
                "--format", "news", "--assignee", "Không Ai", code=1)
    assert "không có người dùng 'Không Ai'" in story.stderr
    column = cli("calendar", "add-column", "Chuyên mục X", "--outlet", "baoquangngai", "--platform", "online",
                 "--format", "qa", "--weekly", "MO", "--dtstart", "2026-11-02T07:00", "--assignee", "Không Ai", code=1)
    assert "không có người dùng 'Không Ai'" in column.stderr
    with session_scope() as session:
        assert session.get(Coverage, coverage).assignee is None
        assert session.scalar(select(func.count()).select_from(Story)) == 1  # the refused ones wrote nothing
    cli("calendar", "assign", str(coverage), "--to", "minhchau")
    with session_scope() as session:
        assert session.get(Coverage, coverage).assignee == "minhchau"
