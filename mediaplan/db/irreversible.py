"""Migrations that cannot be undone run only after a fresh backup of the database they change.

A migration declares itself with a module attribute `irreversible = True` (0003 does): it has no downgrade, so the
way back is a backup made just before it. `mediaplan backup` notes every backup it writes in a ledger beside the
data (`<data_dir>/backups.jsonl`: when, which database, at which revision, which file); `check`, called by
`db.migrate` before every upgrade, refuses to run a pending irreversible migration on a database that holds a
schema unless the ledger names a backup of that database, at its current revision, made in the last FRESH, whose
file is still there. An empty database has nothing to lose and is never refused.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from mediaplan.db.failures import DatabaseUnavailable

FRESH = timedelta(hours=24)
LEDGER = "backups.jsonl"


class MigrationRefused(DatabaseUnavailable):
    """An irreversible migration is pending and no fresh backup is known: one line for the CLI, exit 1."""


def database_id(url: str) -> str:
    """Which database a URL names, never its password: the SQLite file's full path, or the server and name."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        where = f"sqlite:{Path(u.database).resolve()}"
    else:
        where = f"{u.get_backend_name()}://{u.host or ''}:{u.port or ''}/{u.database or ''}"
    return hashlib.sha256(where.encode()).hexdigest()[:16]


def note_backup(data_dir: Path, url: str, revision: str | None, file: Path) -> None:
    """Append a written backup to the ledger (one JSON line, so a crash never leaves the ledger unreadable)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    line = {"made_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "database": database_id(url),
            "revision": revision, "file": str(Path(file).resolve())}
    with open(data_dir / LEDGER, "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(line, ensure_ascii=False) + "\n")


def fresh_backup(data_dir: Path, url: str, revision: str | None, now: datetime | None = None) -> Path | None:
    """The newest backup in the ledger of this database at `revision`, made within FRESH, whose file exists."""
    path = data_dir / LEDGER
    if not path.is_file():
        return None
    now, wanted = now or datetime.now(timezone.utc), database_id(url)
    for raw in reversed(path.read_text(encoding="utf-8").splitlines()):
        try:
            line = json.loads(raw)
            made = datetime.fromisoformat(line["made_at"])
        except (ValueError, KeyError, TypeError):  # a hand-edited or cut line is not a backup
            continue
        if line.get("database") == wanted and line.get("revision") == revision and now - made <= FRESH \
                and Path(line.get("file", "")).is_file():
            return Path(line["file"])
    return None


def check(engine: Engine, script, target: str, data_dir: Path) -> None:
    """Refuse (MigrationRefused) an upgrade to `target` that would run an irreversible migration with no fresh
    backup of this database at its current revision. `script` is Alembic's ScriptDirectory."""
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        return
    pending = [s for s in script.iterate_revisions(target, current) if getattr(s.module, "irreversible", False)]
    if not pending or fresh_backup(data_dir, engine.url.render_as_string(hide_password=False), current):
        return
    names = ", ".join(s.revision for s in reversed(pending))
    raise MigrationRefused(f"migration {names} không thể hoàn tác và cơ sở dữ liệu (bản {current}) chưa có bản sao lưu "
                           f"trong {FRESH.total_seconds() / 3600:.0f} giờ qua: chạy mediaplan backup --out FILE "
                           "rồi chạy lại lệnh này")
