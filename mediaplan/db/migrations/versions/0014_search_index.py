"""the search index: a pg_trgm GIN index on PostgreSQL, an FTS5 trigram table on SQLite

`/items?q=` scanned every item's text (34 s at 100k items, issue 14). The folded search column is now indexed for
the LIKE every search runs (`db.search_index`); what a search finds does not change.

PostgreSQL: `CREATE EXTENSION pg_trgm` needs a role allowed to create it (pg_trgm is a trusted extension: a
database owner may). Without it the migration says so and goes on; search stays correct, only slower.

Revision ID: 0014
Revises: 0013
"""
import logging
from typing import Sequence, Union

from alembic import op

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS items_search USING fts5(search_folded, content='items', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS items_search_ai AFTER INSERT ON items BEGIN "
    "INSERT INTO items_search(rowid, search_folded) VALUES (new.id, new.search_folded); END",
    "CREATE TRIGGER IF NOT EXISTS items_search_ad AFTER DELETE ON items BEGIN "
    "INSERT INTO items_search(items_search, rowid, search_folded) VALUES ('delete', old.id, old.search_folded); END",
    "CREATE TRIGGER IF NOT EXISTS items_search_au AFTER UPDATE OF search_folded ON items BEGIN "
    "INSERT INTO items_search(items_search, rowid, search_folded) VALUES ('delete', old.id, old.search_folded); "
    "INSERT INTO items_search(rowid, search_folded) VALUES (new.id, new.search_folded); END",
    "INSERT INTO items_search(items_search) VALUES ('rebuild')",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS items_search_au", "DROP TRIGGER IF EXISTS items_search_ad",
               "DROP TRIGGER IF EXISTS items_search_ai", "DROP TABLE IF EXISTS items_search"]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
        return
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # noqa: BLE001 - a permission or a missing contrib package: search still works
        log.warning("pg_trgm không tạo được (%s): tìm kiếm vẫn đúng nhưng không có chỉ mục", str(exc).splitlines()[0])
        return
    op.execute("CREATE INDEX IF NOT EXISTS ix_items_search_folded_trgm ON items USING gin (search_folded gin_trgm_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
        return
    op.execute("DROP INDEX IF EXISTS ix_items_search_folded_trgm")
