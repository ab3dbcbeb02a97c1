"""stories with coverages, assignment history, audit log, reminders sent, feed tokens

A planned piece becomes a story with one coverage (same id for both), and its
deliveries move to the coverage, so a database built before keeps its plan.

Không thể hoàn tác (irreversible): migration này không có bước hạ cấp. Một bài có
nhiều phương án thể hiện (coverage) không có dạng "planned piece" cũ tương ứng, nên
không thể đưa cơ sở dữ liệu về bản 0002 mà không mất dữ liệu. Muốn quay lại trạng thái
trước 0003, hãy khôi phục bản sao lưu đã tạo trước khi nâng cấp:
`mediaplan restore FILE` (vào một cơ sở dữ liệu mới, trống; xem mediaplan/services/backup.py).
Sao lưu trước khi nâng cấp một cơ sở dữ liệu cũ: `mediaplan backup --out FILE`.

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)

# Declared irreversible: there is no downgrade; the way back is a backup made before the upgrade.
irreversible = True
IRREVERSIBLE = ("Migration 0003 (stories và coverages) không thể hoàn tác: không hạ cấp được về 0002, vì một bài có "
                "nhiều coverage không có dạng planned piece cũ. Muốn quay lại, hãy khôi phục bản sao lưu tạo trước "
                "khi nâng cấp: mediaplan restore FILE (vào một cơ sở dữ liệu mới, trống).")


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("brief", sa.Text(), nullable=False, server_default=""),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("key_date", sa.String(80)),
        sa.Column("column_id", sa.Integer(), sa.ForeignKey("columns.id")),
        sa.Column("occurrence_start", TS),
        sa.Column("planned_on", sa.Date()),
        sa.Column("priority", sa.Integer(), nullable=False, server_default="2"),
        sa.Column("status", sa.String(20), nullable=False, server_default="idea"),
        sa.Column("desk", sa.String(80)),
        sa.Column("created_by", sa.String(120)),
        sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("column_id", "occurrence_start", name="uq_story_occurrence"),
    )
    op.create_table(
        "coverages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("outlet_id", sa.Integer(), sa.ForeignKey("outlets.id")),
        sa.Column("platform", sa.String(20)),
        sa.Column("format", sa.String(20)),
        sa.Column("assignee", sa.String(120)),
        sa.Column("status", sa.String(20), nullable=False, server_default="idea"),
        sa.Column("publish_at", TS),
        sa.Column("due_at", TS),
        sa.Column("duration_minutes", sa.Integer(), nullable=False, server_default="60"),
        sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_coverages_story_id", "coverages", ["story_id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("coverage_id", sa.Integer(), sa.ForeignKey("coverages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("assignee", sa.String(120), nullable=False),
        sa.Column("assigned_by", sa.String(120), nullable=False),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("accepted", sa.Boolean()),
        sa.Column("answered_at", TS),
    )
    op.create_index("ix_assignments_coverage_id", "assignments", ["coverage_id"])
    op.create_table(
        "workflow_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_value", sa.String(300)),
        sa.Column("to_value", sa.String(300)),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_workflow_events_entity_id", "workflow_events", ["entity_id"])
    op.create_table(
        "reminders_sent",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(20), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
    )
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("key", sa.String(120), nullable=False, server_default=""),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("scope", "key", name="uq_feed_scope_key"),
    )
    with op.batch_alter_table("columns") as batch:
        batch.add_column(sa.Column("desk", sa.String(80)))
    with op.batch_alter_table("key_dates") as batch:
        batch.add_column(sa.Column("uid", sa.String(300)))
        batch.add_column(sa.Column("source", sa.String(20), nullable=False, server_default="plan"))
        batch.create_unique_constraint("uq_key_dates_uid", ["uid"])
    with op.batch_alter_table("targets") as batch:
        batch.add_column(sa.Column("platform", sa.String(20)))
        batch.add_column(sa.Column("format", sa.String(20)))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("desk", sa.String(80)))
        batch.add_column(sa.Column("capacity_per_week", sa.Integer(), nullable=False, server_default="5"))

    # The plan made so far: each planned piece is a story with one coverage, ids kept.
    op.execute(
        "INSERT INTO stories (id, title, brief, themes, key_date, column_id, occurrence_start, planned_on, priority, "
        "status, sequence, created_at, updated_at) "
        "SELECT id, title, brief, themes, key_date, column_id, occurrence_start, NULL, priority, status, sequence, "
        "created_at, updated_at FROM planned_pieces"
    )
    op.execute(
        "INSERT INTO coverages (id, story_id, outlet_id, platform, format, assignee, status, publish_at, due_at, "
        "duration_minutes, sequence, created_at, updated_at) "
        "SELECT id, id, outlet_id, channel, format, assignee, status, publish_at, due_at, 60, sequence, created_at, "
        "updated_at FROM planned_pieces"
    )
    op.create_table(
        "deliveries_new",
        sa.Column("coverage_id", sa.Integer(), sa.ForeignKey("coverages.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("matched_by", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="confirmed"),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
    )
    op.execute("INSERT INTO deliveries_new (coverage_id, item_id, matched_by, status, score, linked_at) "
               "SELECT piece_id, item_id, matched_by, 'confirmed', score, linked_at FROM deliveries")
    op.drop_table("deliveries")
    op.drop_table("planned_pieces")
    op.rename_table("deliveries_new", "deliveries")
    if op.get_bind().dialect.name == "postgresql":  # ids were copied: move the sequences past them
        for table in ("stories", "coverages"):
            op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}")


def downgrade() -> None:
    raise NotImplementedError(IRREVERSIBLE)
