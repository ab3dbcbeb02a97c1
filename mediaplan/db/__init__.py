"""Database access: one engine per URL, Alembic for every schema change."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mediaplan.db import versioning  # noqa: F401 - installs the data version's engine events
from mediaplan.db.failures import DatabaseUnavailable
from mediaplan.settings import get_settings

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_folder(path: Path) -> None:
    """The folder of a SQLite file must exist: a typo in a URL must not create folders (even under /). The one
    folder we make is the configured data folder itself, one level, inside a folder that exists (a fresh clone's
    `var/`)."""
    text = str(path)
    if text.startswith("file:"):  # a URI filename (…?mode=ro&uri=true)
        path = Path(text.removeprefix("file:").split("?", 1)[0])
    folder = path.parent
    if folder.is_dir() or str(path) in ("", ":memory:", "."):
        return
    data_dir = get_settings().data_dir
    if folder.resolve() == data_dir.resolve() and folder.parent.is_dir():
        folder.mkdir(exist_ok=True)
        return
    raise DatabaseUnavailable(f"thư mục chứa tệp cơ sở dữ liệu không tồn tại: {folder} "
                              "(tạo thư mục trước, hoặc sửa MEDIAPLAN_DATABASE_URL)")


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().db_url
    if url.startswith("sqlite:///"):
        _sqlite_folder(Path(url.removeprefix("sqlite:///")))
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL lets the web app read while a crawl writes
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    settings = get_settings()
    return create_engine(url, pool_pre_ping=True, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                         pool_timeout=settings.db_pool_timeout)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error."""
    session = sessionmaker(get_engine(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic(url: str | None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = get_engine(url)
    return cfg


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to the latest (or a given) Alembic revision (idempotent). An irreversible migration runs
    only after a fresh backup of this database (`db.irreversible.check`)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from mediaplan.db import irreversible

    cfg = _alembic(url)
    irreversible.check(cfg.attributes["engine"], ScriptDirectory.from_config(cfg), revision, get_settings().data_dir)
    command.upgrade(cfg, revision)


def downgrade(revision: str, url: str | None = None) -> None:
    """Take the schema back to an earlier revision (each migration says what its downgrade keeps)."""
    from alembic import command

    command.downgrade(_alembic(url), revision)


def insert_for(session: Session):
    """The backend's INSERT, which has ON CONFLICT (both PostgreSQL and SQLite do; the generic one has not)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def ensure_ready(url: str | None = None) -> None:
    """Migrate, and load the plan if the database has none yet, so any command works on a fresh machine."""
    from sqlalchemy import func, select

    from mediaplan.db.schema import Theme
    from mediaplan.plans import current_plan
    from mediaplan.plans.sync import sync_plan

    migrate(url)
    with session_scope(url) as session:
        if not session.scalar(select(func.count()).select_from(Theme)):
            sync_plan(session, current_plan())
