"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL where marked), the snapshot
server, and a real SMTP sink. Nothing here mocks a component: every test talks to the real thing.

Databases: the schema is migrated and the plan loaded once per session into a template
(a SQLite file, a PostgreSQL template database); each test gets its own copy of it.

Markers (see pyproject.toml): `pg` is added here to every test that runs on PostgreSQL;
`make test-fast` leaves out `slow`, `e2e`, `browser`, `redis` and `pg`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN = os.environ.get("MEDIAPLAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _reset_caches() -> None:
    from mediaplan.db import get_engine
    from mediaplan.nlp.pipeline import get_classifier
    from mediaplan.plans import current_plan
    from mediaplan.settings import get_settings

    for cached in (get_settings, get_engine, current_plan, get_classifier):
        cached.cache_clear()


def _pg_available() -> bool:
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def _require_pg() -> None:
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN} and CI is set: the database tests must run on it")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN} (set CI=1 to make this a failure)")


def _pg_admin():
    import sqlalchemy

    return sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _build_template(url: str, data_dir: Path) -> None:
    """Migrate and load the plan once; every test then starts from a copy of this database."""
    from mediaplan.db import get_engine, migrate, session_scope
    from mediaplan.plans import current_plan
    from mediaplan.plans.sync import sync_plan

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MEDIAPLAN_DATABASE_URL", url)
        mp.setenv("MEDIAPLAN_DATA_DIR", str(data_dir))
        mp.delenv("MEDIAPLAN_PLAN", raising=False)
        _reset_caches()
        migrate(url)
        with session_scope(url) as session:
            sync_plan(session, current_plan())
        get_engine(url).dispose()
        _reset_caches()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    _build_template(f"sqlite:///{path}", folder / "var")
    return path


@pytest.fixture(scope="session")
def pg_template():
    """A migrated PostgreSQL database with the plan loaded, copied per test with CREATE DATABASE … TEMPLATE."""
    if not _pg_available():
        yield None
        return
    name = f"mediaplan_tmpl_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        _build_template(_pg_url(name), Path(os.environ.get("TMPDIR", "/tmp")) / f"{name}-var")
        yield name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """Each database test runs once per backend; PostgreSQL ones carry the `pg` marker (see below)."""
    if request.param == "postgresql":
        _require_pg()
    return request.param


@contextmanager
def _pg_database(template: str | None = None):
    name = f"mediaplan_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _pg_url(name)
    finally:
        from mediaplan.db import get_engine

        get_engine.cache_clear()  # close pooled connections before dropping
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def database_url(backend, tmp_path):
    """A throwaway empty database on each backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with _pg_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"


def _configure(monkeypatch, tmp_path: Path, url: str) -> dict:
    env = {"MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MEDIAPLAN_SNAPSHOT_URL", raising=False)
    monkeypatch.delenv("MEDIAPLAN_REPORT_RECIPIENTS", raising=False)
    monkeypatch.delenv("MEDIAPLAN_USER", raising=False)  # who acts on the command line: set by a test, never inherited
    _reset_caches()
    return env


def schema_at(revision: str):
    """Empty the configured database and build the schema as `revision` left it (for tests of what a later
    migration does with older data); returns the engine."""
    from sqlalchemy import text

    from mediaplan.db import get_engine, migrate
    from mediaplan.db.schema import Base

    engine = get_engine()
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate(revision=revision)
    return engine


def backed_up(url: str | None = None) -> Path:
    """A real backup of the configured database (`mediaplan backup`), as an operator makes before an irreversible
    migration (`db.irreversible`); its file, under the data folder."""
    from mediaplan.services.backup import backup
    from mediaplan.settings import get_settings

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    out = settings.data_dir / "before-upgrade.tar"
    backup(url or settings.db_url, settings.data_dir, out)
    return out


def _copy_sqlite(template: Path, target: Path) -> str:
    """A consistent copy through SQLite's backup API (a file copy could miss the WAL)."""
    import sqlite3

    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(template) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


@pytest.fixture
def db(monkeypatch, tmp_path, backend, request):
    """Configured, migrated, plan loaded (a copy of the session's template); yields the URL. Runs once per backend."""
    from mediaplan.db import get_engine

    if backend == "sqlite":
        url = _copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "test.db")
        _configure(monkeypatch, tmp_path, url)
        yield url
        get_engine().dispose()
        _reset_caches()
        return
    with _pg_database(request.getfixturevalue("pg_template")) as url:
        _configure(monkeypatch, tmp_path, url)
        yield url
        get_engine().dispose()
        _reset_caches()


@pytest.fixture
def sqlite_db(monkeypatch, tmp_path, sqlite_template):
    """The same as `db`, on SQLite only, for tests about logic rather than storage."""
    url = _copy_sqlite(sqlite_template, tmp_path / "test.db")
    _configure(monkeypatch, tmp_path, url)
    yield url
    _reset_caches()


@pytest.fixture
def snapshot_server():
    from mediaplan.snapshot.server import SnapshotServer

    server = SnapshotServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_sink(tmp_path):
    from mediaplan.mailsink import MailSink

    with MailSink(tmp_path / "mail") as sink:
        yield sink


def run_cli(*args: str, env: dict | None = None, check: bool = True, stdin: str | None = None,
            cwd: Path | None = None, unset: str | None = None) -> subprocess.CompletedProcess:
    """Run `mediaplan ...` as a user would, in a child process (`unset`: a variable it must not inherit)."""
    full_env = {**os.environ, **(env or {}), "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    full_env.pop(unset, None)
    proc = subprocess.run([sys.executable, "-m", "mediaplan", *args], capture_output=True, text=True,
                          env=full_env, input=stdin, cwd=cwd, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"mediaplan {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def cli(monkeypatch):
    """`cli("items", "export", …)`: run a command in-process on the test's database; `code` is the exit expected."""
    from mediaplan.cli import _kit, app

    for console in (_kit.console, _kit.err):
        monkeypatch.setattr(console, "_width", 200)  # as wide as run_cli's terminal, so table rows do not wrap
    from typer.testing import CliRunner

    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, list(args), prog_name="mediaplan")
        if result.exit_code != code:
            raise AssertionError(f"mediaplan {' '.join(args)} exited {result.exit_code}, not {code}\n"
                                 f"{result.output}\n{result.exception!r}")
        return result

    return invoke


@pytest.fixture
def acting(monkeypatch):
    """`acting("editor")`: an enabled user of that role on the test's database (`accounts.ensure_user`, made once),
    named by MEDIAPLAN_USER, so the commands that record who acted run as that person; returns the username."""
    from accounts import ensure_user

    def as_user(role: str = "admin", username: str | None = None) -> str:
        username = username or f"{role}-test"
        ensure_user(os.environ["MEDIAPLAN_DATABASE_URL"], username, role)
        monkeypatch.setenv("MEDIAPLAN_USER", username)
        return username

    return as_user


ITEMS = [
    ("baoquangngai-rss", "https://baoquangngai.vn/xa-hoi/202611/tuyen-duong-nha-giao-1a2b3c4/",
     "Tuyên dương 46 nhà giáo tiêu biểu nhân Ngày Nhà giáo Việt Nam",
     "Ngành giáo dục tỉnh tuyên dương các thầy cô giáo có thành tích xuất sắc, gương điển hình trong dạy học.",
     "Sáng 20/11, Sở Giáo dục và Đào tạo tổ chức lễ tuyên dương nhà giáo tiêu biểu tại xã Sơn Hà.", 20),
    ("xa-son-ha-tin-tuc", "https://sonha.quangngai.gov.vn/tin-tuc/hoc-bong-1.html",
     "Hội Khuyến học xã Sơn Hạ trao học bổng cho học sinh có hoàn cảnh khó khăn",
     "Hội Khuyến học xã Sơn Hạ trao 50 suất học bổng khuyến học cho học sinh có hoàn cảnh khó khăn.",
     "Học bổng được trao tại Trường Tiểu học Sơn Hạ, góp phần xây dựng xã hội học tập.", 10),
    ("baoquangngai-rss", "https://baoquangngai.vn/kinh-te/202611/gia-lua-tang-7d7d7d7/",
     "Giá lúa tăng, nông dân phấn khởi", "Giá lúa vụ mùa tăng mạnh.", "Thương lái thu mua lúa tại các xã đồng bằng.", 5),
]


@pytest.fixture
def populated_db(db):
    """Three stored, classified items of November 2026: two education stories and one off-topic."""
    from mediaplan.crawler.store import Fetched, upsert_item
    from mediaplan.db import session_scope
    from mediaplan.nlp.pipeline import classify_items

    for source, url, title, sapo, body, day in ITEMS:
        with session_scope() as session:
            upsert_item(session, Fetched(source_key=source, kind="article", url=url, canonical_url=url, title=title,
                                         sapo=sapo, body=body, published_at=datetime(2026, 11, day, 2, 0, tzinfo=timezone.utc)))
    with session_scope() as session:
        classify_items(session)
    return db


def pytest_collection_modifyitems(config, items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.pg)
