"""closed vocabularies enforced by the database; columns.platform; search columns on items

Every code column gets a CHECK constraint `ck_<table>_<column>` listing its vocabulary
(mediaplan.vocab, frozen here as it stood at this revision), on SQLite (by recreating
the table in batch mode) and PostgreSQL alike. Rows already holding an unknown code
stop the upgrade with a message naming them, rather than being changed silently.

`columns.channel` always held a platform: it is renamed `platform`.
`assignments.accepted` / `answered_at` go: nothing answered an assignment.
`items.search_text` / `search_folded` hold the lower-cased and the accent-folded text
that search reads in SQL; they are filled here for existing items.

Revision ID: 0004
Revises: 0003
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHECKS = {
    'agencies': {
        'kind': ('department', 'outlet', 'province', 'commune'),
    },
    'crawl_runs': {
        'status': ('running', 'done', 'failed'),
    },
    'feed_tokens': {
        'scope': ('all', 'user', 'desk', 'outlet', 'theme'),
    },
    'key_dates': {
        'source': ('plan', 'ics'),
    },
    'outlets': {
        'kind': ('press', 'department', 'province', 'commune'),
    },
    'reminders_sent': {
        'kind': ('due', 'overdue', 'unassigned'),
        'digest': ('daily', 'weekly'),
    },
    'report_deliveries': {
        'status': ('pending', 'sent', 'failed'),
    },
    'targets': {
        'metric': ('outlet_column', 'outlet_multiplatform', 'theme_items', 'portal_posts', 'manual'),
        'platform': ('print', 'online', 'radio', 'tv', 'facebook', 'youtube', 'zalo', 'tiktok', 'portal', 'grassroots'),
        'format': ('news', 'article', 'reportage', 'memoir', 'documentary', 'talk_show', 'interview', 'online_exchange', 'infographic', 'short_video', 'qa', 'podcast'),
        'unit': ('ratio', 'count'),
        'per': ('month', 'period'),
    },
    'themes': {
        'group': ('task', 'topic'),
    },
    'users': {
        'role': ('admin', 'editor', 'analyst', 'viewer'),
    },
    'workflow_events': {
        'entity': ('story', 'coverage', 'column'),
        'action': ('create', 'status', 'move', 'assign', 'edit', 'link', 'suggest', 'unlink'),
    },
    'columns': {
        'platform': ('print', 'online', 'radio', 'tv', 'facebook', 'youtube', 'zalo', 'tiktok', 'portal', 'grassroots'),
        'format': ('news', 'article', 'reportage', 'memoir', 'documentary', 'talk_show', 'interview', 'online_exchange', 'infographic', 'short_video', 'qa', 'podcast'),
    },
    'sources': {
        'kind': ('rss', 'sitemap', 'page', 'youtube', 'social_feed', 'broadcast', 'facebook_graph'),
        'channel': ('print', 'online', 'radio', 'tv', 'social', 'grassroots', 'portal'),
        'platform': ('print', 'online', 'radio', 'tv', 'facebook', 'youtube', 'zalo', 'tiktok', 'portal', 'grassroots'),
    },
    'items': {
        'kind': ('article', 'broadcast', 'social_post', 'video'),
        'channel': ('print', 'online', 'radio', 'tv', 'social', 'grassroots', 'portal'),
        'format': ('news', 'article', 'reportage', 'memoir', 'documentary', 'talk_show', 'interview', 'online_exchange', 'infographic', 'short_video', 'qa', 'podcast'),
    },
    'stories': {
        'status': ('idea', 'assigned', 'in_progress', 'in_review', 'published', 'cancelled', 'postponed', 'rescheduled'),
    },
    'coverages': {
        'platform': ('print', 'online', 'radio', 'tv', 'facebook', 'youtube', 'zalo', 'tiktok', 'portal', 'grassroots'),
        'format': ('news', 'article', 'reportage', 'memoir', 'documentary', 'talk_show', 'interview', 'online_exchange', 'infographic', 'short_video', 'qa', 'podcast'),
        'status': ('idea', 'assigned', 'in_progress', 'in_review', 'published', 'cancelled'),
    },
    'item_entities': {
        'kind': ('agency', 'commune', 'school'),
        'field': ('title', 'sapo', 'body'),
    },
    'item_themes': {
        'method': ('rule', 'model', 'manual'),
    },
    'deliveries': {
        'matched_by': ('monitor', 'manual'),
        'status': ('confirmed', 'suggested', 'rejected'),
    },
}


def _quote(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _refuse_unknown(conn, table: str, column: str, values: tuple[str, ...]) -> None:
    q = f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL AND "{column}" NOT IN ({_quote(values)})'
    bad = [row[0] for row in conn.execute(sa.text(q))]
    if bad:
        raise RuntimeError(f"{table}.{column} holds codes outside its vocabulary: {bad}; fix them, then migrate again")


def _fill_search_columns(conn) -> None:
    from mediaplan.db.schema import search_texts

    items = sa.table("items", sa.column("id"), sa.column("title"), sa.column("sapo"), sa.column("body"),
                     sa.column("search_text"), sa.column("search_folded"))
    last = 0
    while True:
        rows = conn.execute(sa.select(items.c.id, items.c.title, items.c.sapo, items.c.body)
                            .where(items.c.id > last).order_by(items.c.id).limit(500)).all()
        if not rows:
            return
        for row in rows:
            text, folded = search_texts(row.title or "", row.sapo or "", row.body or "")
            conn.execute(items.update().where(items.c.id == row.id).values(search_text=text, search_folded=folded))
        last = rows[-1].id


def upgrade() -> None:
    conn = op.get_bind()
    for table, columns in CHECKS.items():
        for column, values in columns.items():
            _refuse_unknown(conn, table, "channel" if (table, column) == ("columns", "platform") else column, values)
    with op.batch_alter_table("columns") as batch:
        batch.alter_column("channel", new_column_name="platform", existing_type=sa.String(20), existing_nullable=False)
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("search_folded", sa.Text(), nullable=False, server_default=""))
    _fill_search_columns(conn)
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("answered_at")
        batch.drop_column("accepted")
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                batch.create_check_constraint(f"ck_{table}_{column}", f'"{column}" IN ({_quote(values)})')


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(f"ck_{table}_{column}", type_="check")
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("accepted", sa.Boolean()))
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("items") as batch:
        batch.drop_column("search_folded")
        batch.drop_column("search_text")
    with op.batch_alter_table("columns") as batch:
        batch.alter_column("platform", new_column_name="channel", existing_type=sa.String(20), existing_nullable=False)
