"""Locks across processes and machines, held by the database itself (or, on SQLite, beside its file).

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection kept open for as long as the
lock is held. It is released when that connection closes, so a process that dies never leaves a lock behind.
SQLite: an exclusive `flock` on a file in a `<database>.locks/` folder next to the database. Only processes on the
same machine can open a SQLite file at all, and the kernel drops the lock with the process.

Used for the scheduler's leader lock (two schedulers against one database run each job once) and for the
per-source crawl locks (one source is never crawled by two processes at once).
"""

from __future__ import annotations

import fcntl
import hashlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import text
from sqlalchemy.engine import make_url

from mediaplan.db import get_engine


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(f"mediaplan:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def try_lock(name: str, url: str | None = None) -> Iterator[bool]:
    """Hold the lock `name` for the `with` block if nobody else holds it; yields whether we got it (never waits)."""
    with hold_many([name], url) as held:
        yield name in held


@contextmanager
def hold_many(names: list[str], url: str | None = None) -> Iterator[set[str]]:
    """Take every lock of `names` that nobody holds, for the `with` block; yields the names taken (never waits).

    One connection carries all of them on PostgreSQL (a crawl of 100 sources must not take 100 connections from
    the pool); on SQLite each is a `flock` on a file in a `<database>.locks/` folder beside the database.
    """
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        conn = engine.connect()
        held: set[str] = set()
        try:
            for name in sorted(set(names)):
                if conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(name)}):
                    held.add(name)
            conn.commit()
            yield held
        finally:
            try:
                for name in held:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})
                conn.commit()
            finally:
                conn.close()  # closing drops any lock left anyway
        return
    database = make_url(str(engine.url)).database or "mediaplan"
    folder = Path(f"{database}.locks")
    folder.mkdir(exist_ok=True)  # beside the database file, whose folder exists
    handles = {}
    try:
        for name in sorted(set(names)):
            handle = open(folder / f"{name.replace(':', '-').replace('/', '-')}.lock", "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                handles[name] = handle
            except BlockingIOError:
                handle.close()
        yield set(handles)
    finally:
        for handle in handles.values():
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
