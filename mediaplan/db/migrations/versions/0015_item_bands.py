"""the near-duplicate index in the database: `item_bands`, each item's LSH band keys

`classify` rebuilt an in-memory LSH index of every stored signature on each run (182 MB and 4 s at 20k items,
growing with the table, issue 14). The band keys now live beside the items and a run asks for a batch's
candidates by key (`nlp.clusters`). The keys of items already classified are computed here from their stored
signatures (`nlp.dedupe.band_keys`, the function classify uses), a thousand items at a time, so their clusters
keep growing without a re-classification.

Revision ID: 0015
Revises: 0014
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHUNK = 1000


def upgrade() -> None:
    from mediaplan.nlp.dedupe import band_keys, from_bytes

    op.create_table(
        "item_bands",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", "item_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_item_bands_item_id", "item_bands", ["item_id"])
    bind = op.get_bind()
    items = sa.table("items", sa.column("id", sa.Integer), sa.column("minhash", sa.LargeBinary))
    bands = sa.table("item_bands", sa.column("key", sa.BigInteger), sa.column("item_id", sa.Integer))
    after = 0
    while True:
        rows = bind.execute(sa.select(items.c.id, items.c.minhash).where(items.c.minhash.is_not(None), items.c.id > after)
                            .order_by(items.c.id).limit(CHUNK)).all()
        if not rows:
            break
        keys = {(key, item_id) for item_id, sig in rows for key in band_keys(from_bytes(sig))}
        bind.execute(bands.insert(), [{"key": key, "item_id": item_id} for key, item_id in keys])
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_item_bands_item_id", table_name="item_bands")
    op.drop_table("item_bands")
