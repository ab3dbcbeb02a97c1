"""crawl runs left "running" by a process that died are marked `aborted` by the next crawl

`crawl_runs.status` gains `aborted`. On SQLite the table is recreated in batch mode, on PostgreSQL the CHECK
constraint is swapped in place. Downgrade turns `aborted` runs into `failed` (what the old code would have
called a run that did not finish) before the old constraint comes back.

Revision ID: 0012
Revises: 0011
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The vocabulary before and at this revision (frozen here, not read from mediaplan.vocab).
OLD = ("running", "done", "failed")
NEW = ("running", "done", "failed", "aborted")


def _swap(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_constraint("ck_crawl_runs_status", type_="check")
        batch.create_check_constraint("ck_crawl_runs_status", '"status" IN (' + ", ".join(f"'{v}'" for v in values) + ")")


def upgrade() -> None:
    _swap(NEW)


def downgrade() -> None:
    runs = sa.table("crawl_runs", sa.column("status", sa.String))
    op.get_bind().execute(runs.update().where(runs.c.status == "aborted").values(status="failed"))
    _swap(OLD)
