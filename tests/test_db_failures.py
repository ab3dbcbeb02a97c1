"""A database that cannot be used is one Vietnamese line and exit 1, never a traceback (issue 14).

Each case is a real failure: a port nobody listens on, a database PostgreSQL does not have, a SQLite file opened
read-only, a SQLite file that has reached its size limit, a URL of the wrong form, a folder that does not exist.
"""

import socket
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from conftest import run_cli


def _closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there while the test runs
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_line(proc, *said: str) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for words in said:
        assert words in lines[0]
    return lines[0]


def test_a_stopped_postgresql_is_one_line(tmp_path):
    url = f"postgresql+psycopg://mediaplan:secret@127.0.0.1:{_closed_port()}/mediaplan"
    line = _one_line(run_cli("sources", "list", env={"MEDIAPLAN_DATABASE_URL": url,
                                                    "MEDIAPLAN_DATA_DIR": str(tmp_path)}, check=False),
                     "không kết nối được máy chủ cơ sở dữ liệu", "máy chủ chưa chạy")
    assert "secret" not in line  # the password is never printed
    assert "***" in line


def test_a_database_postgresql_does_not_have_is_one_line(tmp_path):
    from conftest import _pg_url, _require_pg

    _require_pg()
    url = _pg_url("mediaplan_no_such_database")
    _one_line(run_cli("sources", "list", env={"MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": str(tmp_path)},
                      check=False), "cơ sở dữ liệu không tồn tại")


def test_a_missing_sqlite_folder_is_an_error_and_nothing_is_created(tmp_path):
    missing = tmp_path / "khong-co" / "thu-muc"
    _one_line(run_cli("sources", "list", env={"MEDIAPLAN_DATABASE_URL": f"sqlite:///{missing / 'x.db'}",
                                             "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}, check=False),
              "thư mục chứa tệp cơ sở dữ liệu không tồn tại", str(missing))
    assert not (tmp_path / "khong-co").exists()


def test_the_data_folder_itself_is_made_on_first_use(tmp_path):
    """A fresh clone has no var/: the default database's folder is ours to make (one level, nothing above it)."""
    run_cli("sources", "list", env={"MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}, unset="MEDIAPLAN_DATABASE_URL")
    assert (tmp_path / "var" / "mediaplan.db").is_file()
    proc = run_cli("sources", "list", env={"MEDIAPLAN_DATA_DIR": str(tmp_path / "a" / "b")},
                   unset="MEDIAPLAN_DATABASE_URL", check=False)
    _one_line(proc, "không tồn tại")
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("url, said", [
    ("foo://bar", "loại cơ sở dữ liệu không được hỗ trợ"),
    ("khong-phai-dia-chi", "địa chỉ cơ sở dữ liệu không hợp lệ"),
])
def test_a_wrong_url_is_one_line(url, said, tmp_path):
    _one_line(run_cli("sources", "list", env={"MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": str(tmp_path)},
                      check=False), said)


def test_a_read_only_sqlite_file_is_one_line(tmp_path):
    db = tmp_path / "x.db"
    env = {"MEDIAPLAN_DATABASE_URL": f"sqlite:///{db}", "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    run_cli("sources", "list", env=env)  # made and migrated while writable
    read_only = {**env, "MEDIAPLAN_DATABASE_URL": f"sqlite:///file:{db}?mode=ro&uri=true"}
    before = db.read_bytes()
    _one_line(run_cli("init", "--admin", "boss", env=read_only, check=False), "chỉ đọc")
    assert db.read_bytes() == before


def test_a_full_sqlite_file_is_said_as_a_full_disk(tmp_path):
    """`max_page_count` makes SQLite answer exactly as it does when the disk is full (SQLITE_FULL)."""
    from mediaplan.db.failures import explain

    engine = create_engine(f"sqlite:///{tmp_path / 'full.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
    with pytest.raises(OperationalError) as caught, engine.begin() as conn:
        conn.execute(text("PRAGMA max_page_count = 3"))
        for _ in range(100):
            conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 4000})
    assert isinstance(caught.value.orig, sqlite3.OperationalError)
    assert explain(caught.value, "sqlite:///full.db").startswith("đĩa đầy")


def test_other_errors_are_not_dressed_up_as_database_failures():
    from mediaplan.db.failures import explain

    assert explain(KeyError("x")) is None
    assert explain(FileNotFoundError(2, "No such file")) is None
