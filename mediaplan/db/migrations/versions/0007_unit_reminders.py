"""reminders to units that have not posted about Resolution 71 in a period (plan V.1 "theo dõi, đôn đốc", V.6)

`reminders_sent.kind` gains `unit_silent` and `reminders_sent.digest` gains `period` (one reminder per unit and
period, keyed `unit_silent:{period}:{unit_key}:{recipient}`), and the table gains `sent_by` (who at the
Department asked for a unit reminder; empty for the scheduler's reminders). On SQLite the table is recreated in
batch mode, on PostgreSQL the constraints are swapped in place.

Downgrade deletes the `unit_silent` rows (and any `period` digest rows) first, since the old constraints refuse
them, then drops `sent_by`; the old code never reads either, so nothing it relies on is lost.

Revision ID: 0007
Revises: 0006
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The vocabularies as they stand before and at this revision (frozen here, not read from mediaplan.vocab).
OLD_KINDS = ("due", "overdue", "unassigned")
KINDS = ("due", "overdue", "unassigned", "unit_silent")
OLD_DIGESTS = ("daily", "weekly")
DIGESTS = ("daily", "weekly", "period")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f'"{column}" IN (' + ", ".join(f"'{v}'" for v in values) + ")"


def _swap(batch, kinds: tuple[str, ...], digests: tuple[str, ...]) -> None:
    batch.drop_constraint("ck_reminders_sent_kind", type_="check")
    batch.drop_constraint("ck_reminders_sent_digest", type_="check")
    batch.create_check_constraint("ck_reminders_sent_kind", _in("kind", kinds))
    batch.create_check_constraint("ck_reminders_sent_digest", _in("digest", digests))


def upgrade() -> None:
    with op.batch_alter_table("reminders_sent") as batch:  # one table rebuild on SQLite
        batch.add_column(sa.Column("sent_by", sa.String(80)))
        _swap(batch, KINDS, DIGESTS)


def downgrade() -> None:
    reminders = sa.table("reminders_sent", sa.column("kind", sa.String), sa.column("digest", sa.String))
    op.get_bind().execute(reminders.delete().where(
        sa.or_(reminders.c.kind.not_in(OLD_KINDS), reminders.c.digest.not_in(OLD_DIGESTS))))
    with op.batch_alter_table("reminders_sent") as batch:
        batch.drop_column("sent_by")
        _swap(batch, OLD_KINDS, OLD_DIGESTS)
