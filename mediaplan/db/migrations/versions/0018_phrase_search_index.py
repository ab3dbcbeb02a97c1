"""an index for phrases on PostgreSQL: the items' pairs of consecutive words

A search for a commune's name ("Sơn Hà", "son ha") is a rare phrase of the commonest syllables: every trigram of
"son ha" is in 73% of a million items, and the trigram index handed all of them back to re-check (7 to 12 s).

- `mediaplan_search_pairs(search_folded)` is the set of an item's pairs of consecutive folded words ("son_ha"),
  as a tsvector, with a GIN index. A search of two words or more asks it for the items that have its pairs
  (`db.search_index.query_pairs`); the search's own LIKE still decides. Words are runs of [0-9a-zđ], as in
  `db.search_index.WORD`. An item with more than 20,000 distinct pairs is indexed as the one lexeme "overflow",
  which every query takes in, so the index never hides an item; a pair is cut at 200 characters, and a query
  asks for a longer one by its first 200.

A trigram index of the exact (accented) column was tried and left out: accented syllables are as common as
folded ones ("sơn"), and an unaccented "ba to" had 324,000 candidates in it (6.9 s).

SQLite has no use for it: its FTS5 table narrows every search (0014), and it holds embedded-sized data.

Revision ID: 0018
Revises: 0017
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0018"
down_revision: Union[str, Sequence[str], None] = "0017"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PAIRS = r"""
CREATE OR REPLACE FUNCTION mediaplan_search_pairs(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT CASE WHEN count(*) > 20000 THEN array_to_tsvector(ARRAY['overflow'])
            ELSE array_to_tsvector(coalesce(array_agg(p), ARRAY[]::text[])) END
FROM (SELECT DISTINCT left(w || '_' || n, 200) AS p
      FROM (SELECT w, lead(w) OVER (ORDER BY o) AS n
            FROM unnest(regexp_split_to_array(t, '[^0-9a-zđ]+')) WITH ORDINALITY AS u(w, o)) AS x
      WHERE w <> '' AND n <> '') AS y
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(PAIRS)
    op.execute("CREATE INDEX IF NOT EXISTS ix_items_search_pairs ON items USING gin (mediaplan_search_pairs(search_folded))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_items_search_pairs")
    op.execute("DROP FUNCTION IF EXISTS mediaplan_search_pairs(text)")
