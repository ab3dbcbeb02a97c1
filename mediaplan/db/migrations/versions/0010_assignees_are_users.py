"""assignees are users: `columns.assignee`, `coverages.assignee` and `assignments.assignee` reference `users.username`

Until now an assignee was whatever name an editor typed ("Thanh Hải", "Châu", sometimes an address). Each distinct
name found in those three columns becomes a user first, so no assignment is lost and the foreign key holds:

- a name that already is a username stays as it is (it was that user, as the reminders read it);
- an e-mail address is the user with that address, or a new one with that address;
- any other name is a new user whose username is the name folded to a login (accents off, lower case, words
  joined by dots: "Thanh Hải" → `thanh.hai`; `thanh.hai.2` if taken) and whose full name is the name as written.

The new users are disabled and have no password (nobody can sign in as them until an admin enables the account
and sets a password); their role is editor, as people given coverages are. The rows are rewritten to the
username, and so are the keys of per-person iCal feeds and shared views (scope `user`), so their URLs keep
working. How many users were made is logged (`mediaplan.db.migrations`). The columns become VARCHAR(80), as
`users.username` is, with a foreign key ON UPDATE CASCADE (both SQLite and PostgreSQL have it).

Downgrade drops the foreign keys and widens the columns back to VARCHAR(120); the users made and the rewritten
names stay (they are valid free text too).

Revision ID: 0010
Revises: 0009
"""
from typing import Sequence, Union

import logging
import re
import unicodedata
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("mediaplan.db.migrations")

TABLES = ("columns", "coverages", "assignments")  # each with an `assignee` column; fk_<table>_assignee
USERNAME = re.compile(r"^[\w.-]{2,80}$")  # services.users.USERNAME, as it was when this migration was written
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String), sa.column("email", sa.String),
                 sa.column("full_name", sa.String), sa.column("role", sa.String), sa.column("password_hash", sa.String),
                 sa.column("created_at", sa.DateTime(timezone=True)), sa.column("disabled", sa.Boolean),
                 sa.column("session_epoch", sa.Integer), sa.column("capacity_per_week", sa.Integer))
tokens = sa.table("feed_tokens", sa.column("id", sa.Integer), sa.column("scope", sa.String), sa.column("key", sa.String))


def _login(name: str) -> str:
    """A free-text name as a login: "Thanh Hải" → "thanh.hai", "Đồ họa" → "do.hoa"."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_ = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    login = re.sub(r"[^a-z0-9]+", ".", ascii_).strip(".")[:72].strip(".")
    return login if len(login) >= 2 else f"nguoi.{login}".strip(".")


def _unique(base: str, taken: set[str]) -> str:
    username, n = base, 1
    while username in taken:
        n += 1
        username = f"{base[:76]}.{n}"
    return username


def upgrade() -> None:
    conn = op.get_bind()
    names: set[str] = set()
    for table in TABLES:
        t = sa.table(table, sa.column("assignee", sa.String))
        names |= {n for (n,) in conn.execute(sa.select(t.c.assignee).where(t.c.assignee.is_not(None)).distinct())}
    taken = {u for (u,) in conn.execute(sa.select(users.c.username))}
    by_email = {e.lower(): u for u, e in conn.execute(sa.select(users.c.username, users.c.email)
                                                      .where(users.c.email.is_not(None)))}
    mapping: dict[str, str | None] = {}
    made = 0
    now = datetime.now(timezone.utc)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # UTC, stored naive there, as db.schema.UTCDateTime does
    for raw in sorted(names):
        name = unicodedata.normalize("NFC", raw.strip())
        if not name:
            mapping[raw] = None  # an empty assignee is no assignee
            continue
        if name in taken:
            mapping[raw] = name
            continue
        email = name if EMAIL.match(name) and len(name) <= 300 else None
        if email and email.lower() in by_email:
            mapping[raw] = by_email[email.lower()]
            continue
        if USERNAME.match(name) and not email:
            username = name
        else:
            username = _unique(_login(name.split("@")[0] if email else name), taken)
        conn.execute(users.insert().values(username=username, email=email, full_name="" if email else name[:200],
                                           role="editor", password_hash=None, created_at=now, disabled=True,
                                           session_epoch=0, capacity_per_week=5))
        taken.add(username)
        if email:
            by_email[email.lower()] = username
        mapping[raw] = username
        made += 1
    for table in TABLES:
        t = sa.table(table, sa.column("assignee", sa.String))
        for raw, username in mapping.items():
            if username is None and table == "assignments":  # a history row that names nobody says nothing
                conn.execute(t.delete().where(t.c.assignee == raw))
            elif username != raw:
                conn.execute(t.update().where(t.c.assignee == raw).values(assignee=username))
    for raw, username in mapping.items():
        if username and username != raw:
            conn.execute(tokens.update().where(tokens.c.scope == "user", tokens.c.key == raw).values(key=username))
    log.info("0010: %d assignee name(s) found, %d disabled user(s) created for them", len(names), made)

    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("assignee", type_=sa.String(80), existing_type=sa.String(120),
                               existing_nullable=table != "assignments")
            batch.create_foreign_key(f"fk_{table}_assignee", "users", ["assignee"], ["username"], onupdate="CASCADE")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_assignee", type_="foreignkey")
            batch.alter_column("assignee", type_=sa.String(120), existing_type=sa.String(80),
                               existing_nullable=table != "assignments")
