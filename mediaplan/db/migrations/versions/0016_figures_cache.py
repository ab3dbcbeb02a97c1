"""the dashboard's figures cached per period: `data_version` (grown by every committed write) and `figures_cache`

At 1M items a month's figures are a few dozen counts over 40k rows, computed on every dashboard view (issue 14).
They are now kept per period with the data version they were made at, and read back while it is current
(`reports.cache`, `db.versioning`). Downgrade drops both; nothing is lost but the cache.

Revision ID: 0016
Revises: 0015
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: Union[str, Sequence[str], None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    version = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(version, [{"id": 1, "n": 0}])
    op.create_table(
        "figures_cache",
        sa.Column("period", sa.String(20), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("figures_cache")
    op.drop_table("data_version")
