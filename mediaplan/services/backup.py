"""Backups that can be trusted: one file holding the database, the raw-page store and a manifest to check them by.

The file is a plain tar archive:

- `manifest.json`: the format, the backend, the Alembic revision, when it was made, and for every table its row
  count and a content hash (SHA-256 over its rows in primary-key order), plus the raw store's file hashes;
- `database.sqlite` (SQLite's online backup API: consistent while the app writes, WAL included) or
  `database.pgdump` (`pg_dump --format=custom`, which `pg_restore` reads table by table);
- `raw/…`: the fetched pages kept under the data folder (`crawler.store.save_raw`), so extraction can be re-run.

`restore` goes only into an empty database of the same backend, then recomputes every count and hash and refuses
to call it done unless all of them equal the manifest's; then it migrates to head, so an older backup is usable.
The secret key and the models folder are not in a backup: a secret does not belong in a file that travels, and
the models are rebuilt by `nlp train`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import Engine, make_url

FORMAT = "mediaplan-backup/1"
MANIFEST = "manifest.json"


class BackupError(ValueError):
    """A backup or restore that cannot go on, in one Vietnamese line (the CLI prints it, exit 1)."""


@dataclass
class Restored:
    tables: int
    rows: int
    raw_files: int
    revision: str | None


def _backend(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"không sao lưu được loại cơ sở dữ liệu {name!r}: chỉ SQLite và PostgreSQL")
    return name


def _value(v: Any) -> Any:
    """One canonical form per stored value, so a hash says the same on the copy as on the original."""
    if isinstance(v, datetime):
        return (v.astimezone(timezone.utc) if v.tzinfo else v).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (bytes, memoryview)):
        return bytes(v).hex()
    if isinstance(v, float):
        return repr(v)
    return v


def table_fingerprints(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every table's row count and content hash, streamed in primary-key order (bounded memory at any size)."""
    from sqlalchemy import MetaData

    from mediaplan.db.search_index import SQLITE_TABLES

    meta = MetaData()
    meta.reflect(engine, only=lambda name, _: name not in SQLITE_TABLES)  # the search index is derived from items
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for name in sorted(meta.tables):
            table = meta.tables[name]
            order = list(table.primary_key.columns) or list(table.columns)
            digest, rows = hashlib.sha256(), 0
            result = conn.execution_options(stream_results=True, yield_per=2000).execute(
                select(*table.columns).order_by(*order))
            for row in result:
                digest.update(json.dumps([_value(v) for v in row], ensure_ascii=False, sort_keys=True,
                                         default=str).encode())
                digest.update(b"\n")
                rows += 1
            out[name] = {"rows": rows, "sha256": digest.hexdigest()}
    return out


def _revision(engine: Engine) -> str | None:
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


def _raw_files(data_dir: Path) -> dict[str, str]:
    root = data_dir / "raw"
    if not root.is_dir():
        return {}
    return {str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """pg_dump's connection string, and the environment carrying the password (never on the command line)."""
    u = make_url(url)
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = u.password
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"không tìm thấy {cmd[0]}: cài gói postgresql-client cùng phiên bản máy chủ") from None
    if proc.returncode != 0:
        said = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise BackupError(f"{what} thất bại: {said}")


def backup(url: str, data_dir: Path, out: Path) -> dict[str, Any]:
    """Write the backup file `out` (written beside it first, then renamed: a failed backup leaves no half file)."""
    backend = _backend(url)
    if not out.parent.is_dir():
        raise BackupError(f"thư mục không tồn tại: {out.parent}")
    engine = create_engine(url)
    try:
        manifest = {"format": FORMAT, "backend": backend, "revision": _revision(engine),
                    "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "tables": table_fingerprints(engine), "raw": _raw_files(data_dir)}
    finally:
        engine.dispose()
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as tmp:
        dump = Path(tmp) / ("database.sqlite" if backend == "sqlite" else "database.pgdump")
        if backend == "sqlite":
            with sqlite3.connect(make_url(url).database) as src, sqlite3.connect(dump) as dst:
                src.backup(dst)
        else:
            conn, env = _libpq(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}", conn], env,
                 "pg_dump")
        partial = Path(tmp) / "backup.tar"
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=dump.name)
            for rel in manifest["raw"]:
                tar.add(data_dir / rel, arcname=rel)
        os.replace(partial, out)
    from mediaplan.db.irreversible import note_backup

    note_backup(data_dir, url, manifest["revision"], out)  # what lets an irreversible migration run (db.irreversible)
    return manifest


def _read_manifest(tar: tarfile.TarFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, TypeError, json.JSONDecodeError):
        raise BackupError(f"{path} không phải bản sao lưu của mediaplan (thiếu {MANIFEST})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: định dạng sao lưu {manifest.get('format')!r} không được hỗ trợ")
    return manifest


def _has_data(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def restore(backup_file: Path, url: str, data_dir: Path) -> Restored:
    """Load `backup_file` into the empty database at `url`, check it against the manifest, migrate to head."""
    backend = _backend(url)
    try:
        tar = tarfile.open(backup_file, "r")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"không đọc được tệp sao lưu {backup_file}: {exc}") from None
    with tar, tempfile.TemporaryDirectory(prefix="mediaplan-restore-") as tmp:
        manifest = _read_manifest(tar, backup_file)
        if manifest["backend"] != backend:
            raise BackupError(f"bản sao lưu là của {manifest['backend']}, cơ sở dữ liệu đích là {backend}: "
                              "khôi phục vào cùng loại cơ sở dữ liệu")
        engine = create_engine(url)
        try:
            if _has_data(engine):
                raise BackupError("cơ sở dữ liệu đích không trống: chỉ khôi phục vào một cơ sở dữ liệu mới, trống "
                                  f"({make_url(url).render_as_string(hide_password=True)})")
            for rel in manifest["raw"]:
                if (data_dir / rel).exists():
                    continue  # the raw store is content-addressed: the same name is the same page
                member = tar.extractfile(rel)
                if member is None:
                    raise BackupError(f"bản sao lưu thiếu tệp {rel}")
                target = data_dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(member.read())
            dump_name = "database.sqlite" if backend == "sqlite" else "database.pgdump"
            try:
                tar.extract(dump_name, tmp, filter="data")
            except KeyError:
                raise BackupError(f"bản sao lưu thiếu {dump_name}") from None
            dump = Path(tmp) / dump_name
            if backend == "sqlite":
                engine.dispose()
                with sqlite3.connect(dump) as src, sqlite3.connect(make_url(url).database) as dst:
                    src.backup(dst)
            else:
                conn, env = _libpq(url)
                _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                      f"--dbname={conn}", str(dump)], env, "pg_restore")
            got = table_fingerprints(engine)
            wrong = [name for name, want in manifest["tables"].items() if got.get(name) != want]
            if wrong:
                raise BackupError(f"dữ liệu khôi phục không khớp bản sao lưu ở bảng: {', '.join(wrong)}")
            bad_raw = [rel for rel, digest in manifest["raw"].items()
                       if hashlib.sha256((data_dir / rel).read_bytes()).hexdigest() != digest]
            if bad_raw:
                raise BackupError(f"{len(bad_raw)} trang gốc không khớp bản sao lưu, ví dụ {bad_raw[0]}")
        finally:
            engine.dispose()
    return Restored(tables=len(manifest["tables"]), rows=sum(t["rows"] for t in manifest["tables"].values()),
                    raw_files=len(manifest["raw"]), revision=manifest.get("revision"))
