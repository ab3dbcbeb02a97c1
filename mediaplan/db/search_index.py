"""The search index of items: what makes `/items?q=` fast at a million items without changing what it finds.

Search keeps one definition (`web.items._search`): a LIKE on `items.search_folded` (accent-folded) finds every
match, and a LIKE on `items.search_text` (lower-cased, accents kept) picks the exact ones, which come first or,
for an accented query that has them, alone. An exact match is always a folded match, so one index, on the folded
column, serves every search. Migration 0014 makes it:

- PostgreSQL: a `pg_trgm` GIN index, which serves `LIKE '%…%'` itself, so the query is unchanged.
- SQLite: an FTS5 table with the trigram tokenizer over the folded column (external content, kept by triggers). SQLite
  cannot index a LIKE on the table, so `prefilter` narrows the rows by the FTS5 index first, and the same LIKE
  then decides. The FTS5 pattern is the needle with no ESCAPE (an ESCAPE clause stops FTS5 from using its index):
  a `%` or `_` typed in a search is a wildcard there, so the candidates are a superset, and the LIKE on the
  table, which escapes them, gives the very rows it gives without an index. Both backends answer the same.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, column, select, table
from sqlalchemy.orm import Session

FTS = "items_search"
# What migration 0014 creates outside the models (Base.metadata): the FTS5 table with its shadow tables, and
# the trigram indexes. Schema comparisons leave them out (`include_object`), as the migration environment does.
SQLITE_TABLES = frozenset({FTS, f"{FTS}_data", f"{FTS}_idx", f"{FTS}_docsize", f"{FTS}_config"})
PG_INDEXES = frozenset({"ix_items_search_folded_trgm"})

_fts = table(FTS, column("rowid"), column("search_folded"))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: the search index is the migration's, not the models'."""
    return not (reflected and compare_to is None and name in SQLITE_TABLES | PG_INDEXES)


def model_tables(names) -> set[str]:
    """A database's table names without Alembic's and the search index's."""
    return set(names) - SQLITE_TABLES - {"alembic_version"}


def has_fts(session: Session) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    return session.execute(select(column("name")).select_from(table("sqlite_master"))
                           .where(column("name") == FTS)).first() is not None


def prefilter(session: Session, folded: str) -> ColumnElement | None:
    """On SQLite with the FTS5 index: `items.id IN (candidates whose folded text contains `folded`)`, else None."""
    if not has_fts(session):
        return None
    from mediaplan.db.schema import Item

    return Item.id.in_(select(_fts.c.rowid).where(_fts.c.search_folded.like(f"%{folded}%")))
