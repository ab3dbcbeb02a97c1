"""registers of dissemination conferences and courses (plan II.1, III.4), their evidence, and unit headcounts

The targets on staff disseminated and trained stop being typed-in shares: `register_events` (a conference or a
course), `register_participants` (attendees per event and unit, with the file they came from),
`register_evidence` (files stored once under the data dir as `evidence/<sha256>`) and `unit_headcounts` (each
unit's headcount of all staff and of communication staff, as of a day, with its source) hold what they are counted
from. `targets` gains `register` and `headcount` (which register counts, which headcount divides) and its `metric`
gains `register`; `mediaplan init` then loads the plan's targets with the new metric.

Downgrade drops the four tables (the evidence files stay on disk; nothing refers to them any more) and turns
`register` targets back into `manual` ones, the only metric the old code had for them; their typed-in values, never
deleted, become their figures again.

Revision ID: 0008
Revises: 0007
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The vocabularies as they stand before and at this revision (frozen here, not read from mediaplan.vocab).
OLD_METRICS = ("outlet_column", "outlet_multiplatform", "theme_items", "portal_posts", "manual")
METRICS = OLD_METRICS + ("register",)
REGISTER_KINDS = ("training", "conference")
HEADCOUNT_KINDS = ("staff", "comms_staff")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f'"{column}" IN (' + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("targets") as batch:  # one table rebuild on SQLite
        batch.add_column(sa.Column("register", sa.String(20)))
        batch.add_column(sa.Column("headcount", sa.String(20)))
        batch.drop_constraint("ck_targets_metric", type_="check")
        batch.create_check_constraint("ck_targets_metric", _in("metric", METRICS))
        batch.create_check_constraint("ck_targets_register", _in("register", REGISTER_KINDS))
        batch.create_check_constraint("ck_targets_headcount", _in("headcount", HEADCOUNT_KINDS))

    op.create_table(
        "register_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("organiser", sa.String(200), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint(_in("kind", REGISTER_KINDS), name="ck_register_events_kind"),
    )
    op.create_index("ix_register_events_kind_held_on", "register_events", ["kind", "held_on"])
    op.create_table(
        "register_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_path", sa.String(300), nullable=False),
        sa.Column("uploaded_by", sa.String(80), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["event_id"], ["register_events.id"], ondelete="CASCADE", name="fk_register_evidence_event"),
        sa.UniqueConstraint("event_id", "sha256", name="uq_register_evidence_event_sha256"),
    )
    op.create_table(
        "register_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("unit_key", sa.String(80), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer()),
        sa.Column("entered_by", sa.String(80), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["event_id"], ["register_events.id"], ondelete="CASCADE", name="fk_register_participants_event"),
        sa.ForeignKeyConstraint(["unit_key"], ["agencies.key"], name="fk_register_participants_unit"),
        sa.ForeignKeyConstraint(["evidence_id"], ["register_evidence.id"], ondelete="SET NULL",
                                name="fk_register_participants_evidence"),
        sa.UniqueConstraint("event_id", "unit_key", name="uq_register_participant_event_unit"),
    )
    op.create_table(
        "unit_headcounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_key", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(80), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["unit_key"], ["agencies.key"], name="fk_unit_headcounts_unit"),
        sa.UniqueConstraint("unit_key", "kind", "as_of", name="uq_unit_headcount_unit_kind_as_of"),
        sa.CheckConstraint(_in("kind", HEADCOUNT_KINDS), name="ck_unit_headcounts_kind"),
    )


def downgrade() -> None:
    op.drop_table("unit_headcounts")
    op.drop_table("register_participants")
    op.drop_table("register_evidence")
    op.drop_index("ix_register_events_kind_held_on", table_name="register_events")
    op.drop_table("register_events")
    targets = sa.table("targets", sa.column("metric", sa.String))
    op.get_bind().execute(targets.update().where(targets.c.metric == "register").values(metric="manual"))
    with op.batch_alter_table("targets") as batch:
        batch.drop_constraint("ck_targets_headcount", type_="check")
        batch.drop_constraint("ck_targets_register", type_="check")
        batch.drop_constraint("ck_targets_metric", type_="check")
        batch.create_check_constraint("ck_targets_metric", _in("metric", OLD_METRICS))
        batch.drop_column("headcount")
        batch.drop_column("register")
