"""report versions (draft → approved → sent), narrative edits per period, deliveries per version and recipient

`reports` (one row per month) becomes `report_versions` (one row per build): each existing report is version 1 of
its period, a draft, or `sent` when some recipient already received it (that e-mail left before approval
existed). `report_narratives` keeps an analyst's text for a narrative section across rebuilds.
`report_deliveries` now belongs to a version (unique on version + recipient); its status gains `sending` and
`uncertain`, `last_error` becomes `last_answer` (what the server said), and `started_at` / `next_attempt_at` are
added. Existing deliveries keep their status, attempts, message and time: a sent one stays sent.

Downgrade keeps, for every month, its latest version as the `reports` row, and one delivery per month and
recipient (a sent one first); deliveries of other periods (quarters, years…) and the narrative edits are dropped;
`sending` goes back to `pending`, `uncertain` to `sent` (so the old code does not send it again; its last_error
says it was uncertain).

Revision ID: 0006
Revises: 0005
"""
import hashlib
import json
import re
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The vocabularies as they stand at this revision.
STATES = ("draft", "approved", "sent")
OLD_STATUSES = ("pending", "sent", "failed")
STATUSES = ("pending", "sending", "sent", "failed", "uncertain")
MONTH = re.compile(r"\d{4}-\d{2}")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f'"{column}" IN (' + ", ".join(f"'{v}'" for v in values) + ")"


def _hash(figures: dict) -> str:
    """As reports.versions.content_hash for a version without narrative edits (frozen here)."""
    content = {"figures": {k: v for k, v in (figures or {}).items() if k != "generated_on"}, "narrative": {}}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


reports = sa.table("reports", sa.column("id", sa.Integer), sa.column("period", sa.String), sa.column("built_at", sa.DateTime(timezone=True)),
                   sa.column("out_dir", sa.String), sa.column("figures", sa.JSON))
versions = sa.table("report_versions", sa.column("id", sa.Integer), sa.column("period", sa.String), sa.column("version", sa.Integer),
                    sa.column("state", sa.String), sa.column("built_at", sa.DateTime(timezone=True)), sa.column("figures", sa.JSON),
                    sa.column("narrative", sa.JSON), sa.column("out_dir", sa.String), sa.column("content_hash", sa.String))
deliveries = sa.table("report_deliveries", sa.column("id", sa.Integer), sa.column("period", sa.String),
                      sa.column("recipient", sa.String), sa.column("status", sa.String), sa.column("version_id", sa.Integer),
                      sa.column("last_error", sa.Text), sa.column("last_answer", sa.Text), sa.column("sent_at", sa.DateTime(timezone=True)))


def upgrade() -> None:
    conn = op.get_bind()
    op.create_table(
        "report_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by", sa.String(80)),
        sa.Column("approved_by", sa.String(80)),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("narrative", sa.JSON(), nullable=False),
        sa.Column("out_dir", sa.String(1000), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "version", name="uq_report_version_period_version"),
        sa.CheckConstraint(_in("state", STATES), name="ck_report_versions_state"),
    )
    op.create_table(
        "report_narratives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("section", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("edited_by", sa.String(80), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "section", name="uq_report_narrative_period_section"),
    )

    # Each report becomes version 1 of its period; sent already if someone received it.
    sent_periods = {p for (p,) in conn.execute(sa.select(deliveries.c.period).where(deliveries.c.status == "sent").distinct())}
    for row in conn.execute(sa.select(reports).order_by(reports.c.id)).all():
        conn.execute(versions.insert().values(
            period=row.period, version=1, state="sent" if row.period in sent_periods else "draft", built_at=row.built_at,
            figures=row.figures or {}, narrative={}, out_dir=row.out_dir, content_hash=_hash(row.figures)))
    # A delivery whose report row is gone still needs a version to belong to (its history is kept, not dropped).
    known = {p for (p,) in conn.execute(sa.select(versions.c.period))}
    for (period,) in conn.execute(sa.select(deliveries.c.period).distinct()).all():
        if period not in known:
            first = conn.execute(sa.select(sa.func.min(deliveries.c.sent_at)).where(deliveries.c.period == period)).scalar()
            conn.execute(versions.insert().values(
                period=period, version=1, state="sent" if period in sent_periods else "draft",
                built_at=first or sa.func.current_timestamp(), figures={}, narrative={}, out_dir="", content_hash=_hash({})))

    with op.batch_alter_table("report_deliveries") as batch:
        batch.drop_constraint("uq_delivery_period_recipient", type_="unique")
        batch.drop_constraint("ck_report_deliveries_status", type_="check")
        batch.add_column(sa.Column("version_id", sa.Integer()))
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
        batch.alter_column("last_error", new_column_name="last_answer", existing_type=sa.Text())
        batch.alter_column("period", type_=sa.String(20), existing_type=sa.String(7), existing_nullable=False)
    conn.execute(deliveries.update().values(version_id=sa.select(versions.c.id).where(
        versions.c.period == deliveries.c.period, versions.c.version == 1).scalar_subquery()))
    with op.batch_alter_table("report_deliveries") as batch:
        batch.alter_column("version_id", nullable=False, existing_type=sa.Integer())
        batch.create_foreign_key("fk_report_deliveries_version", "report_versions", ["version_id"], ["id"])
        batch.create_unique_constraint("uq_report_delivery_version_recipient", ["version_id", "recipient"])
        batch.create_check_constraint("ck_report_deliveries_status", _in("status", STATUSES))
    op.drop_table("reports")


def downgrade() -> None:
    conn = op.get_bind()
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("out_dir", sa.String(1000), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period"),
    )
    latest: dict[str, object] = {}
    for row in conn.execute(sa.select(versions).order_by(versions.c.period, versions.c.version)).all():
        if MONTH.fullmatch(row.period):
            latest[row.period] = row
    for period, row in sorted(latest.items()):
        conn.execute(reports.insert().values(period=period, built_at=row.built_at, out_dir=row.out_dir, figures=row.figures))

    # One delivery per month and recipient: a sent one (the latest) first, else the latest attempt.
    rank = {"sent": 3, "uncertain": 2, "failed": 1, "sending": 0, "pending": 0}
    keep: dict[tuple[str, str], tuple] = {}
    rows = conn.execute(sa.select(deliveries.c.id, deliveries.c.period, deliveries.c.recipient, deliveries.c.status,
                                  versions.c.version).join(versions, versions.c.id == deliveries.c.version_id)).all()
    for row in rows:
        if not MONTH.fullmatch(row.period):
            continue
        key = (row.period, row.recipient)
        score = (rank.get(row.status, 0), row.version, row.id)
        if key not in keep or score > keep[key][0]:
            keep[key] = (score, row.id)
    kept = {row_id for _, row_id in keep.values()}
    drop = [row.id for row in rows if row.id not in kept]
    for start in range(0, len(drop), 500):
        conn.execute(deliveries.delete().where(deliveries.c.id.in_(drop[start:start + 500])))
    conn.execute(deliveries.update().where(deliveries.c.status == "sending").values(status="pending"))
    conn.execute(deliveries.update().where(deliveries.c.status == "uncertain").values(
        status="sent", last_answer=sa.literal("không chắc đã gửi (uncertain) trước khi hạ cấp: ") + sa.func.coalesce(deliveries.c.last_answer, "")))

    with op.batch_alter_table("report_deliveries") as batch:
        batch.drop_constraint("ck_report_deliveries_status", type_="check")
        batch.drop_constraint("uq_report_delivery_version_recipient", type_="unique")
        batch.drop_constraint("fk_report_deliveries_version", type_="foreignkey")
        batch.drop_column("version_id")
        batch.drop_column("next_attempt_at")
        batch.drop_column("started_at")
        batch.alter_column("last_answer", new_column_name="last_error", existing_type=sa.Text())
        batch.alter_column("period", type_=sa.String(7), existing_type=sa.String(20), existing_nullable=False)
    with op.batch_alter_table("report_deliveries") as batch:
        batch.create_unique_constraint("uq_delivery_period_recipient", ["period", "recipient"])
        batch.create_check_constraint("ck_report_deliveries_status", _in("status", OLD_STATUSES))
    op.drop_table("report_narratives")
    op.drop_table("report_versions")
