"""Who acts on the command line is a user (issue 12): `--by` (or MEDIAPLAN_USER) names an enabled account whose
role may do the command, and the audit trail records that account's username; anything else is one Vietnamese
line, exit 1, and nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from calendar_helpers import person
from mediaplan.auth.roles import REFUSALS, Ability
from mediaplan.db import session_scope
from mediaplan.db.schema import FeedToken, ItemTheme, ReportVersion, Story, UnitHeadcount, User, WorkflowEvent

STORY = ("calendar", "add-story", "Phóng sự: điểm trường Tu Rét", "--on", "2026-11-18T19:30", "--platform", "tv",
         "--format", "reportage")


def _written() -> tuple[int, int]:
    """Stories and audit rows: what a refused calendar command must leave as it was."""
    with session_scope() as session:
        return (session.scalar(select(func.count()).select_from(Story)),
                session.scalar(select(func.count()).select_from(WorkflowEvent)))


def _one_line(stderr: str) -> str:
    assert stderr.strip().count("\n") == 0, stderr  # one line, whatever it says
    assert "Traceback" not in stderr
    return stderr


def test_an_unknown_by_is_refused_and_nothing_is_written(sqlite_db, cli):
    with session_scope() as session:
        person(session, "minhchau", "Minh Châu")
    before = _written()
    said = _one_line(cli(*STORY, "--by", "Không Ai", code=1).stderr)
    assert "--by 'Không Ai': không có tài khoản này" in said and "mediaplan users list" in said
    hinted = cli(*STORY, "--by", "Minh Châu", code=1).stderr  # a full name is not a login, but points to one
    assert "--by 'Minh Châu': không có tài khoản này" in hinted and "có phải minhchau?" in hinted
    assert _written() == before


def test_a_disabled_user_is_refused_until_enabled_again(sqlite_db, cli):
    with session_scope() as session:
        session.add(User(username="cuu.bientap", full_name="Cựu biên tập viên", role="editor", disabled=True))
    before = _written()
    said = _one_line(cli(*STORY, "--by", "cuu.bientap", code=1).stderr)
    assert "tài khoản cuu.bientap đã bị vô hiệu hóa" in said and "mediaplan users enable cuu.bientap" in said
    assert _written() == before
    enabled = cli("users", "enable", "cuu.bientap").stdout
    assert "Đã kích hoạt tài khoản cuu.bientap" in enabled and "mediaplan users passwd cuu.bientap" in enabled
    cli(*STORY, "--by", "cuu.bientap")
    with session_scope() as session:
        assert session.scalar(select(Story.created_by)) == "cuu.bientap"
        assert session.scalar(select(User.disabled).where(User.username == "cuu.bientap")) is False
    assert "không có tài khoản 'khong-co'" in _one_line(cli("users", "enable", "khong-co", code=1).stderr)


def test_a_viewer_may_not_change_the_calendar(sqlite_db, cli, acting):
    acting("viewer", "xem")
    before = _written()
    said = _one_line(cli(*STORY, code=1).stderr)
    assert "tài khoản xem có vai trò người xem" in said and REFUSALS[Ability.CALENDAR] in said
    assert _written() == before
    analyst = acting("analyst")  # the Department's analyst reads the calendar, and does not plan it either
    assert REFUSALS[Ability.CALENDAR] in cli(*STORY, "--by", analyst, code=1).stderr
    assert _written() == before


@pytest.mark.parametrize(("role", "args", "ability"), [
    ("viewer", ("items", "label", "1", "--add", "awareness"), Ability.LABELS),
    ("analyst", ("nlp", "review", "1", "--done"), Ability.REVIEW),
    ("editor", ("report", "build", "--period", "2026-11", "--out", "out"), Ability.REPORTS),
    ("editor", ("report", "approve", "--period", "2026-11"), Ability.REPORTS),
    ("editor", ("report", "narrative", "--period", "2026-11", "--section", "uu_diem", "--text", "x"), Ability.REPORTS),
    ("editor", ("report", "send", "--period", "2026-11", "--to", "so@example.vn"), Ability.REPORTS),
    ("editor", ("report", "remind-units", "--period", "2026-11", "--dry-run"), Ability.REPORTS),
    ("editor", ("registers", "headcount", "Xã Sơn Hà", "--staff", "30"), Ability.REGISTERS),
    ("editor", ("targets", "set", "schools_reached", "--value", "0.5", "--evidence", "x"), Ability.REGISTERS),
    ("analyst", ("sources", "disable", "baoquangngai-sitemap"), Ability.SOURCES),
    ("editor", ("calendar", "status", "1", "in_progress"), None),  # the editor may: refused for another reason
])
def test_each_command_asks_for_the_ability_of_its_action(sqlite_db, cli, acting, role, args, ability):
    from mediaplan.auth.roles import GRANTS
    from mediaplan.vocab import Role

    name = acting(role)
    said = cli(*args, code=1).stderr
    if ability is None:
        assert "vai trò" not in said
        return
    assert ability not in GRANTS[Role(role)]
    assert f"tài khoản {name} có vai trò" in _one_line(said) and REFUSALS[ability] in said
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(UnitHeadcount)) == 0
        assert session.scalar(select(func.count()).select_from(ReportVersion)) == 0


def test_mediaplan_user_is_used_when_by_is_omitted_and_by_wins_over_it(sqlite_db, cli, acting, monkeypatch):
    viewer = acting("viewer")
    editor = acting("editor", "bientap")  # MEDIAPLAN_USER=bientap from here on
    made = cli(*STORY, "--assignee", editor).stdout
    coverage = int(made.split("phần thực hiện:")[1].strip().lstrip("#"))
    cli("calendar", "move", str(coverage), "--to", "2026-11-19T20:00")
    monkeypatch.setenv("MEDIAPLAN_USER", viewer)  # a viewer in the environment, an editor named by --by: --by acts
    cli("calendar", "status", str(coverage), "in_progress", "--by", editor)
    said = cli("calendar", "status", str(coverage), "in_review", code=1).stderr
    assert "MEDIAPLAN_USER" not in said and REFUSALS[Ability.CALENDAR] in said
    monkeypatch.setenv("MEDIAPLAN_USER", "khong-co")
    assert "MEDIAPLAN_USER 'khong-co': không có tài khoản này" in _one_line(cli(*STORY, code=1).stderr)
    with session_scope() as session:
        assert set(session.scalars(select(WorkflowEvent.by))) == {editor}


def test_neither_by_nor_mediaplan_user_is_one_line_saying_how(sqlite_db, cli, monkeypatch):
    monkeypatch.delenv("MEDIAPLAN_USER", raising=False)
    monkeypatch.setenv("USER", "root")  # the login of the shell is not an account of mediaplan
    before = _written()
    for args in (STORY, ("report", "approve", "--period", "2026-11"), ("registers", "headcount", "Xã Sơn Hà", "--staff", "3"),
                 ("sources", "enable", "baoquangngai-sitemap")):
        said = _one_line(cli(*args, code=1).stderr)
        assert "--by TÊN_ĐĂNG_NHẬP" in said and "MEDIAPLAN_USER" in said and "root" not in said
    assert _written() == before


def test_the_audit_trail_names_the_username(populated_db, cli, acting):
    """By username or by e-mail, what is recorded is the account's username, never the text typed."""
    editor = acting("editor", "thanhhai")
    with session_scope() as session:
        session.scalar(select(User).where(User.username == editor)).email = "ThanhHai@ToaSoan.example.org"
    made = cli(*STORY, "--assignee", editor, "--by", "thanhhai@toasoan.example.org").stdout
    coverage = int(made.split("phần thực hiện:")[1].strip().lstrip("#"))
    cli("calendar", "status", str(coverage), "in_progress", "--by", " thanhhai ")
    with session_scope() as session:
        item_id = session.scalar(select(ItemTheme.item_id).limit(1))
    shown = cli("items", "label", str(item_id), "--add", "awareness", "--by", "ThanhHai@toasoan.example.org").stdout
    assert "(bởi thanhhai)" in shown
    analyst = acting("analyst", "phantich")
    cli("registers", "headcount", "Xã Sơn Hà", "--staff", "30")
    with session_scope() as session:
        assert session.scalar(select(Story.created_by)) == editor
        assert set(session.scalars(select(WorkflowEvent.by))) == {editor}
        assert session.scalar(select(ItemTheme.set_by).where(ItemTheme.item_id == item_id,
                                                             ItemTheme.theme_code == "awareness")) == editor
        assert session.scalar(select(UnitHeadcount.entered_by)) == analyst
    log = cli("calendar", "log").stdout
    assert "thanhhai" in log and "@" not in log


def test_an_email_two_enabled_accounts_share_is_refused(sqlite_db, cli):
    with session_scope() as session:
        person(session, "lan.a", email="chung@toasoan.example.org")
        person(session, "lan.b", email="chung@toasoan.example.org")
    said = _one_line(cli(*STORY, "--by", "chung@toasoan.example.org", code=1).stderr)
    assert "lan.a, lan.b" in said and "dùng tên đăng nhập" in said


def test_a_feed_of_a_user_names_an_existing_user(sqlite_db, cli, tmp_path):
    with session_scope() as session:
        person(session, "minhchau", "Minh Châu")
        session.add(User(username="cuu.nhanvien", role="editor", disabled=True))  # their old work keeps its feed
    for args in (("calendar", "ical", "--user", "Minh Châu", "--out", str(tmp_path / "x.ics")),
                 ("calendar", "feed-url", "--user", "khong-co")):
        said = _one_line(cli(*args, code=1).stderr)
        assert "--user" in said and "không có tài khoản này" in said
    assert not (tmp_path / "x.ics").exists()
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(FeedToken)) == 0
    cli("calendar", "ical", "--user", "minhchau", "--out", str(tmp_path / "chau.ics"))
    assert "/ical/" in cli("calendar", "feed-url", "--user", "cuu.nhanvien").stdout


def test_the_help_says_by_is_a_username(cli):
    for command in (("calendar", "assign"), ("items", "label"), ("report", "approve"), ("registers", "add"),
                    ("nlp", "review"), ("sources", "add"), ("targets", "set")):
        shown = " ".join(cli(*command, "--help").stdout.replace("│", " ").split())
        assert "Tên đăng nhập của người thực hiện; mặc định MEDIAPLAN_USER" in shown, command
    assert "Kích hoạt lại" in cli("users", "enable", "--help").stdout
