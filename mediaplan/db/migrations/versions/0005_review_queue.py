"""the review queue: the education model's view on each item, editors' decisions on the flag, proposals kept

`items` gains the learned model's probability, the rules' own decision, the classifier's decision, the model's evidence and the queue's
order (`review_priority`, indexed: the queue is one ordered index scan), plus the editor's decision on the
flag (`education_manual`, `reviewed_by`, `reviewed_at`). `item_themes.proposed_by` keeps what the classifier
had proposed before an editor decided, so the precision on reviewed items can be counted in SQL. Existing rows
get nothing: the next `classify` fills the model's view; past manual rows have no known proposal.

Revision ID: 0005
Revises: 0004
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

METHODS = ("rule", "model", "manual")  # ThemeMethod as it stood at this revision


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("education_probability", sa.Float()))
        batch.add_column(sa.Column("education_rules", sa.Boolean()))
        batch.add_column(sa.Column("education_auto", sa.Boolean()))
        batch.add_column(sa.Column("education_evidence", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("review_priority", sa.Float()))
        batch.add_column(sa.Column("education_manual", sa.Boolean()))
        batch.add_column(sa.Column("reviewed_by", sa.String(80)))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True)))
        batch.create_index("ix_items_review_priority", ["review_priority"])
    with op.batch_alter_table("item_themes") as batch:
        batch.add_column(sa.Column("proposed_by", sa.String(10)))
        batch.create_check_constraint("ck_item_themes_proposed_by",
                                      '"proposed_by" IN (' + ", ".join(f"'{m}'" for m in METHODS) + ")")


def downgrade() -> None:
    with op.batch_alter_table("item_themes") as batch:
        batch.drop_constraint("ck_item_themes_proposed_by", type_="check")
        batch.drop_column("proposed_by")
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_review_priority")
        for column in ("reviewed_at", "reviewed_by", "education_manual", "review_priority", "education_evidence",
                       "education_auto", "education_rules", "education_probability"):
            batch.drop_column(column)
