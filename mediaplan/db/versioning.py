"""The data version: one number (`data_version.n`) that grows with every committed write that could change a
figure, so cached figures (`reports.cache`) know whether they are still current.

Every engine is watched (`Engine` events, installed on import by `mediaplan.db`): a statement that inserts,
updates or deletes marks its connection as having written; when that connection commits, `UPDATE data_version
SET n = n + 1` runs inside the same transaction, as its last statement before COMMIT. The data and the version
that vouches for it therefore change together or not at all: no crash between them, and no writer that forgets,
since the ORM, Core and text statements all go through the cursor.

Why this is safe with many writers (two crawls, classify, editors): the version row is locked only from that
last UPDATE to the COMMIT right after it. A transaction holding it waits for nothing else, so writers queue on it
for the time of a commit and can never deadlock through it. Writes to tables no figure reads (logins, password
resets, feed tokens, the scheduler's job store, the cache itself) do not count. The UPDATE runs in a savepoint,
so a database without the table (one at an older revision, before migration 0016) commits as before.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

WROTE = "mediaplan_wrote"  # in the DBAPI connection's info: a counted write since its transaction began
# Upper-cased fragments of the statements' heads that do not count: what no figure reads.
NOT_FIGURES = ("DATA_VERSION", "FIGURES_CACHE", "LOGIN_ATTEMPTS", "PASSWORD_RESETS", "FEED_TOKENS", "APSCHEDULER")
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
    head = statement.lstrip()[:160].upper()
    if head.startswith("WITH"):  # a CTE in front of the write: counted if any write is in it (more is harmless)
        head = "UPDATE" if any(w in statement.upper() for w in WRITES) else head
    if head.startswith(WRITES) and not any(name in head for name in NOT_FIGURES):
        conn.info[WROTE] = True


@event.listens_for(Engine, "commit")
def _bump(conn) -> None:
    if not conn.info.pop(WROTE, False):
        return
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute("SAVEPOINT mediaplan_version")
    except Exception as exc:  # noqa: BLE001 - no transaction to join (an autocommit connection): nothing to vouch for
        log.debug("data_version not bumped: %s", exc)
        cursor.close()
        return
    try:
        try:
            cursor.execute("UPDATE data_version SET n = n + 1 WHERE id = 1")
        except Exception as exc:  # noqa: BLE001 - no table yet (an older revision): the commit goes on without it
            log.debug("data_version not bumped: %s", exc)
            cursor.execute("ROLLBACK TO SAVEPOINT mediaplan_version")
        cursor.execute("RELEASE SAVEPOINT mediaplan_version")
    finally:
        cursor.close()


@event.listens_for(Engine, "rollback")
def _forget(conn) -> None:
    conn.info.pop(WROTE, None)
