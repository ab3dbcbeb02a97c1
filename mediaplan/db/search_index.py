"""The search index of items: what makes `/items?q=` fast at a million items without changing what it finds.

Search keeps one definition (`web.items._search`): a LIKE on `items.search_folded` (accent-folded) finds every
match, and a LIKE on `items.search_text` (lower-cased, accents kept) picks the exact ones, which come first or,
for an accented query that has them, alone. A match starts a word (`word_start`: "son ha" is not found in "json
hash"). An exact match is always a folded match, so the indexes on the folded column serve every search.
Migration 0014 makes the first:

- PostgreSQL: a `pg_trgm` GIN index, which serves `LIKE '%…%'` itself, so the query is unchanged.
- SQLite: an FTS5 table with the trigram tokenizer over the folded column (external content, kept by triggers). SQLite
  cannot index a LIKE on the table, so `prefilter` narrows the rows by the FTS5 index first, and the same LIKE
  then decides. The FTS5 pattern is the needle with no ESCAPE (an ESCAPE clause stops FTS5 from using its index):
  a `%` or `_` typed in a search is a wildcard there, so the candidates are a superset, and the LIKE on the
  table, which escapes them, gives the very rows it gives without an index. Both backends answer the same.

Trigrams cannot tell a rare phrase of common syllables: every trigram of "son ha" is among the commonest of
Vietnamese text, and the trigram index handed back 73% of a million items to re-check (7 s). Migration 0018 adds,
on PostgreSQL, an index of each item's pairs of consecutive words (`mediaplan_search_pairs`, "son_ha"): a search
of two words or more asks it for the items that have its pairs (`query_pairs`, the last word a prefix), which a
match at a word start must have, and the same LIKE then decides. So the pairs narrow and never change a result.
Migration 0019 indexes the pairs of the exact column too, for the exact run of a search typed without accents
(`exact_prefilter`): "giao_vien" is only in an item that has "giao vien" as typed.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, cast, column, func, select, table
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

FTS = "items_search"
# What migration 0014 creates outside the models (Base.metadata): the FTS5 table with its shadow tables, and
# the trigram indexes. Schema comparisons leave them out (`include_object`), as the migration environment does.
SQLITE_TABLES = frozenset({FTS, f"{FTS}_data", f"{FTS}_idx", f"{FTS}_docsize", f"{FTS}_config"})
PG_INDEXES = frozenset({"ix_items_search_folded_trgm", "ix_items_search_pairs", "ix_items_search_text_pairs"})

WORD = "0-9a-zđ"  # the letters of a folded word; anything else parts words, for both databases (0018 spells it too)
_PARTS = re.compile(f"[^{WORD}]+")
_WORD_CHAR = re.compile(f"[{WORD}]")
PAIR_MAX = 200  # a pair is indexed by its first 200 characters (0018), and a longer one asked for by them
OVERFLOW = "overflow"  # the one lexeme of an item with too many pairs to index (0018): a candidate for every query

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
    """The search index's candidates for a folded needle, where the database needs them spelt out: on SQLite with
    the FTS5 index, `items.id IN (the rows whose folded text contains it)`; on PostgreSQL, for two words or more,
    the items with its word pairs (`query_pairs`); else None (PostgreSQL's trigram index serves the LIKE)."""
    from mediaplan.db.schema import Item

    if session.get_bind().dialect.name == "postgresql":
        pairs = query_pairs(folded)
        if pairs is None:
            return None
        return func.mediaplan_search_pairs(Item.search_folded).op("@@")(cast(pairs, TSQUERY))
    if not has_fts(session):
        return None
    return Item.id.in_(select(_fts.c.rowid).where(_fts.c.search_folded.like(f"%{folded}%")))


def exact_prefilter(session: Session, needle: str) -> ColumnElement | None:
    """On PostgreSQL, the candidates for the exact matches of a needle typed without accents, of two words or more:
    the items whose exact text has its pairs (0019). Its words are runs of WORD in the exact text as in the folded
    one, so an exact match has the needle's pairs there, and an accented word is parted into fragments that no
    unaccented pair is made of. None elsewhere (an accented needle's pairs are of fragments, common everywhere)."""
    from mediaplan.db.schema import Item

    if session.get_bind().dialect.name != "postgresql" or (pairs := query_pairs(needle)) is None:
        return None
    return func.mediaplan_search_pairs(Item.search_text).op("@@")(cast(pairs, TSQUERY))


def searched_columns(session: Session, narrowed: ColumnElement | None) -> tuple[ColumnElement, ColumnElement]:
    """The exact and folded text a search's LIKEs read. Where the word pairs narrow (`narrowed`, from `prefilter`,
    on PostgreSQL: two words or more), the same text in a form no trigram index serves (`|| ''`): the planner guesses a LIKE finds a row or
    two, so it took the trigram index, which hands back most of the table for common syllables (6.4 s for "son ky",
    against 10 ms by the pairs). The value is the same, so nothing found changes."""
    from mediaplan.db.schema import Item

    if narrowed is not None and session.get_bind().dialect.name == "postgresql":
        return Item.search_text.op("||")(""), Item.search_folded.op("||")("")
    return Item.search_text, Item.search_folded


def word_start(folded: str) -> str | None:
    """The regular expression that says a match of `folded` starts a word: not preceded by a word's letter. The
    same pattern means the same to PostgreSQL's `~` and to Python's `re` (SQLite's REGEXP): every ASCII sign is
    escaped, which both read as itself. None when the needle itself starts with a sign (nothing to say)."""
    if not folded or not _WORD_CHAR.match(folded):
        return None
    literal = "".join("\\" + ch if ch.isascii() and not ch.isalnum() else ch for ch in folded)
    return f"(^|[^{WORD}]){literal}"


def query_pairs(folded: str) -> str | None:
    """The PostgreSQL tsquery of the word pairs every word-start match of `folded` has, or None under two words.

    Its first word is whole (a match starts a word, or the needle starts with a sign), the inner ones are whole,
    and the last is a prefix unless the needle ends with a sign ("son ha" is in "sơn hải"): so `'son_ha':*`. A
    pair as long as PAIR_MAX is asked for by its indexed head. An item with too many pairs to index carries
    OVERFLOW instead, and is always a candidate."""
    words = _PARTS.split(folded)
    open_end = bool(words) and words[-1] != ""
    words = [w for w in words if w]
    pairs = []
    for n, (a, b) in enumerate(zip(words, words[1:])):
        pair = f"{a}_{b}"
        prefix = (open_end and n == len(words) - 2) or len(pair) >= PAIR_MAX
        pairs.append(f"'{pair[:PAIR_MAX]}'" + (":*" if prefix else ""))
    return f"({' & '.join(pairs)}) | '{OVERFLOW}'" if pairs else None
