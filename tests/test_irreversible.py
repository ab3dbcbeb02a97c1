"""An irreversible migration (0003) runs only after a fresh backup of the database it changes (`db.irreversible`):
a database at 0002 is refused with one Vietnamese line and left as it was; `mediaplan backup` is what lets it
through; a backup that is old, of another database, at another revision or whose file is gone does not count;
an empty database is never refused."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from conftest import run_cli, schema_at
from mediaplan.db import get_engine, migrate
from mediaplan.db.irreversible import FRESH, LEDGER, fresh_backup, note_backup
from mediaplan.settings import get_settings


def at_0002() -> None:
    """The configured SQLite database as revision 0002 left it, holding an item."""
    with schema_at("0002").begin() as conn:
        conn.execute(text("INSERT INTO outlets (id, key, name, kind, homepage, verified) "
                          "VALUES (1, 'bqn', 'Báo Quảng Ngãi', 'press', 'https://baoquangngai.vn', false)"))


def revision() -> str:
    with get_engine().connect() as conn:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


@pytest.mark.slow
def test_a_command_on_an_old_database_is_refused_until_it_is_backed_up(sqlite_db, tmp_path):
    at_0002()
    get_engine().dispose()
    refused = run_cli("sources", "list", check=False)
    assert refused.returncode == 1
    said = [line for line in (refused.stdout + refused.stderr).splitlines() if line.strip()]
    assert len(said) == 1 and "0003 không thể hoàn tác" in said[0] and "mediaplan backup --out" in said[0], said
    assert "Traceback" not in refused.stderr and revision() == "0002"
    made = run_cli("backup", "--out", str(tmp_path / "truoc-nang-cap.tar"))
    assert "phiên bản lược đồ 0002" in made.stdout
    run_cli("sources", "list")
    assert revision() != "0002"


def test_only_a_fresh_backup_of_this_database_at_its_revision_counts(sqlite_db, tmp_path):
    data, url = get_settings().data_dir, get_settings().db_url
    file = tmp_path / "b.tar"
    file.write_bytes(b"x")
    note_backup(data, url, "0002", file)
    assert fresh_backup(data, url, "0002") == file.resolve()
    assert fresh_backup(data, url, "0001") is None  # made at another revision
    assert fresh_backup(data, f"sqlite:///{tmp_path / 'other.db'}", "0002") is None  # of another database
    later = datetime.now(timezone.utc) + FRESH + timedelta(minutes=1)
    assert fresh_backup(data, url, "0002", now=later) is None  # too old
    (data / LEDGER).write_text((data / LEDGER).read_text() + "{not json\n", encoding="utf-8")
    assert fresh_backup(data, url, "0002") == file.resolve()  # a broken line is skipped, not fatal
    file.unlink()
    assert fresh_backup(data, url, "0002") is None  # its file is gone


def test_an_empty_database_is_never_refused(sqlite_url, monkeypatch, tmp_path):
    from conftest import _configure

    _configure(monkeypatch, tmp_path, sqlite_url)
    migrate()
    assert revision() >= "0015"
