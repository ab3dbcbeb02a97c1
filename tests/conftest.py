"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL where marked), the snapshot
server, and a real SMTP sink. Nothing here mocks a component: every test talks to the real thing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A throwaway database on each backend; PostgreSQL skips only outside CI when unreachable."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    import sqlalchemy

    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN} and CI is set: the database tests must run on it")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN} (set CI=1 to make this a failure)")
    name = f"mediaplan_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from mediaplan.db import get_engine

        get_engine.cache_clear()  # close pooled connections before dropping
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"


def _configure(monkeypatch, tmp_path: Path, url: str) -> dict:
    env = {"MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MEDIAPLAN_SNAPSHOT_URL", raising=False)
    monkeypatch.delenv("MEDIAPLAN_REPORT_RECIPIENTS", raising=False)
    _reset_caches()
    return env


def _prepared(monkeypatch, tmp_path: Path, url: str) -> str:
    from mediaplan.db import migrate, session_scope
    from mediaplan.plans import current_plan
    from mediaplan.plans.sync import sync_plan

    _configure(monkeypatch, tmp_path, url)
    migrate()
    with session_scope() as session:
        sync_plan(session, current_plan())
    return url


@pytest.fixture
def db(monkeypatch, tmp_path, database_url):
    """Configured, migrated, plan loaded; yields the URL. Runs once per backend."""
    yield _prepared(monkeypatch, tmp_path, database_url)
    from mediaplan.db import get_engine

    get_engine().dispose()
    _reset_caches()


@pytest.fixture
def sqlite_db(monkeypatch, tmp_path, sqlite_url):
    """The same as `db`, on SQLite only, for tests about logic rather than storage."""
    yield _prepared(monkeypatch, tmp_path, sqlite_url)
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
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `mediaplan ...` as a user would, in a child process."""
    full_env = {**os.environ, **(env or {}), "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "mediaplan", *args], capture_output=True, text=True,
                          env=full_env, input=stdin, cwd=cwd, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"mediaplan {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


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
