"""accounts: users can be disabled and locked, sessions carry an epoch; login attempts; password-reset links

`users` gains `disabled`, `session_epoch` (in every session cookie: bumping it ends the user's sessions) and
`locked_until` (set after repeated failed logins). `login_attempts` keeps every attempt for the per-account and
per-address limits. `password_resets` keeps the SHA-256 of each single-use reset link and its expiry.
Existing users keep their rows; a user without a password hash cannot sign in until `mediaplan users passwd`.
`feed_tokens` stores the SHA-256 of each secret instead of the secret (existing URLs keep working), gains a
`purpose` (ical or share: separate tokens) and an optional `expires_at`.

Downgrade drops the two tables and the three columns, and every feed token (the old code compared secrets in
clear, so the hashed ones would open nothing): subscribers regenerate their URLs.

Revision ID: 0009
Revises: 0008
"""
from typing import Sequence, Union

import hashlib

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, Sequence[str], None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True)))
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempts_username_at", "login_attempts", ["username", "at"])
    op.create_index("ix_login_attempts_address_at", "login_attempts", ["address", "at"])
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_password_resets_user", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    conn = op.get_bind()
    tokens = sa.table("feed_tokens", sa.column("id", sa.Integer), sa.column("token", sa.String))
    for row_id, secret in conn.execute(sa.select(tokens.c.id, tokens.c.token)).all():
        conn.execute(tokens.update().where(tokens.c.id == row_id)
                     .values(token=hashlib.sha256(secret.encode()).hexdigest()))
    with op.batch_alter_table("feed_tokens") as batch:
        batch.drop_constraint("uq_feed_scope_key", type_="unique")
        batch.add_column(sa.Column("purpose", sa.String(10), nullable=False, server_default="ical"))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True)))
        batch.create_check_constraint("ck_feed_tokens_purpose", "\"purpose\" IN ('ical', 'share')")
        batch.create_unique_constraint("uq_feed_purpose_scope_key", ["purpose", "scope", "key"])


def downgrade() -> None:
    op.execute("DELETE FROM feed_tokens")
    with op.batch_alter_table("feed_tokens") as batch:
        batch.drop_constraint("uq_feed_purpose_scope_key", type_="unique")
        batch.drop_constraint("ck_feed_tokens_purpose", type_="check")
        batch.drop_column("expires_at")
        batch.drop_column("purpose")
        batch.create_unique_constraint("uq_feed_scope_key", ["scope", "key"])
    op.drop_table("password_resets")
    op.drop_index("ix_login_attempts_address_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_username_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("session_epoch")
        batch.drop_column("disabled")
