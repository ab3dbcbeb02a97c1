"""units as data: a unit's parent agency, and the health of its portal's home page

`agencies.parent_key`: the agency a unit belongs to (a department or a commune belongs to the province's
UBND), as the plan's agencies.yaml says; NULL for the province itself and for units the plan does not place.

`outlets.checked_at` / `outlets.check_error`: when `mediaplan sources discover` last read the portal's home page
and, when it could not, why (one Vietnamese line). A portal with no source yet has no source health to carry
the note, so it lives on the outlet; NULL error means the last check reached the page.

Revision ID: 0011
Revises: 0010
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("parent_key", sa.String(length=80), nullable=True))
    with op.batch_alter_table("outlets") as batch:
        batch.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("check_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outlets") as batch:
        batch.drop_column("check_error")
        batch.drop_column("checked_at")
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("parent_key")
