"""an index on item_themes (theme_code, item_id)

Counting by theme starts from the theme; the primary key (item_id, theme_code) cannot serve that, so every report,
gap list and dashboard figure by theme read the whole table (issue 14).

Revision ID: 0013
Revises: 0012
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_item_themes_theme_code_item_id", "item_themes", ["theme_code", "item_id"])


def downgrade() -> None:
    op.drop_index("ix_item_themes_theme_code_item_id", table_name="item_themes")
