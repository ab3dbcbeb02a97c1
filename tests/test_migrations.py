"""Migrations keep data: a database built at every earlier revision, holding rows, upgrades to head with nothing
lost, and ends with the schema the models declare; every downgrade down to 0003 runs and comes back up; 0003 is
declared irreversible and says so.

The revisions are read from the Alembic script directory, so a new migration is covered without editing this file.
The rows are written with plain Core inserts against the tables as reflected at that revision (so each insert is
valid SQL at that point in history), and only into the tables that exist there."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy import types as sa_types

from conftest import _configure, backed_up
from mediaplan.db import MIGRATIONS, downgrade, get_engine, migrate
from mediaplan.db.irreversible import MigrationRefused
from mediaplan.db.schema import Base
from mediaplan.db.search_index import include_object, model_tables

pytestmark = pytest.mark.slow

SCRIPT = ScriptDirectory(str(MIGRATIONS))
HEAD = SCRIPT.get_current_head()
EARLIER = [script.revision for script in reversed(list(SCRIPT.walk_revisions())) if script.revision != HEAD]
IRREVERSIBLE = "0003"

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)

# Rows as a database of that time would hold them, in insertion order (foreign keys first). A key "a|b" is the
# column `a`, or `b` where the table has no `a` (a column renamed by a later migration). Tables or columns that do
# not exist at the revision are skipped; required columns not named here get a neutral value of their type.
ASSIGNEE = "<assignee>"  # free text ("Thanh Hải") before 0010, a username after (the column references users)
ROWS: list[tuple[str, dict]] = [
    ("agencies", {"id": 1, "key": "so-gddt", "name": "Sở Giáo dục và Đào tạo tỉnh Quảng Ngãi",
                  "short_name": "Sở GD&ĐT", "kind": "department", "aliases": ["Sở GDĐT", "Sở Giáo dục"]}),
    ("outlets", {"id": 1, "key": "bao-quang-ngai", "name": "Báo Quảng Ngãi", "kind": "press",
                 "homepage": "https://baoquangngai.vn", "verified": True}),
    ("sources", {"id": 1, "key": "baoquangngai-rss", "outlet_id": 1, "kind": "rss",
                 "url": "https://baoquangngai.vn/rss/giao-duc.rss", "channel": "online", "platform": "online",
                 "interval_minutes": 60, "verified": True, "enabled": True, "adhoc": False,
                 "config": {"feed": "giáo dục"}, "consecutive_failures": 0}),
    ("themes", {"code": "teachers", "group": "task", "name": "Xây dựng đội ngũ nhà giáo",
                "definition": "Tin bài về đội ngũ nhà giáo và cán bộ quản lý giáo dục.", "source": "NQ71 II.3",
                "position": 1}),
    ("users", {"id": 1, "username": "chau", "email": "chau@baoquangngai.vn", "full_name": "Nguyễn Thị Minh Châu",
               "role": "editor", "created_at": T0}),
    ("items", {"id": 1, "outlet_id": 1, "source_id": 1, "kind": "article",
               "url": "https://baoquangngai.vn/xa-hoi/202611/tuyen-duong-nha-giao-1a2b3c4/",
               "canonical_url": "https://baoquangngai.vn/xa-hoi/202611/tuyen-duong-nha-giao-1a2b3c4/",
               "content_hash": "ab" * 32, "title": "Tuyên dương 46 nhà giáo tiêu biểu nhân Ngày Nhà giáo Việt Nam",
               "sapo": "Ngành giáo dục tỉnh tuyên dương các thầy cô giáo có thành tích xuất sắc.",
               "body": "Sáng 20/11, Sở Giáo dục và Đào tạo tổ chức lễ tuyên dương nhà giáo tiêu biểu tại xã Sơn Hà.",
               "raw_title": "Tuyên dương 46 nhà giáo tiêu biểu", "author": "Thanh Hải", "published_at": T0,
               "fetched_at": T0, "channel": "online", "format": "news", "language": "vi",
               "extra": {"tags": ["nhà giáo"]}, "education": True, "nq71": True}),
    ("item_bands", {"key": -4_611_686_018_427_387_904, "item_id": 1}),  # a signed 64-bit band key
    ("data_version", {"id": 2, "n": 7}),  # migration 0016 writes row 1 itself; a second row is still kept
    ("figures_cache", {"period": "2026-11@abc123", "version": 3, "computed_at": T0,
                       "figures": {"totals": {"education": 1}}}),
    ("item_revisions", {"id": 1, "item_id": 1, "title": "Tuyên dương 45 nhà giáo tiêu biểu",
                        "content_hash": "cd" * 32, "recorded_at": T0}),
    ("item_themes", {"item_id": 1, "theme_code": "teachers", "score": 0.92, "method": "rule",
                     "evidence": ["nhà giáo", "tuyên dương"], "set_at": T0, "removed": False}),
    ("item_entities", {"id": 1, "item_id": 1, "kind": "commune", "key": "xa-son-ha", "text": "Sơn Hà",
                       "field": "body", "start": 85, "end": 91}),
    ("key_dates", {"key": "ngay-nha-giao", "name": "Ngày Nhà giáo Việt Nam", "month": 11, "day": 20,
                   "themes": ["teachers"], "note": "Kỷ niệm 20/11"}),
    ("columns", {"id": 1, "name": "Chuyên mục Giáo dục và Đào tạo", "outlet_id": 1, "channel|platform": "online",
                 "format": "article", "themes": ["teachers"], "assignee": ASSIGNEE,
                 "rrule": "FREQ=WEEKLY;BYDAY=MO", "dtstart": T0, "duration_minutes": 60, "lead_days": 3,
                 "active": True, "sequence": 0, "created_at": T0}),
    # before 0003 the plan is planned pieces; 0003 makes each a story with one coverage (ids kept)
    ("planned_pieces", {"id": 7, "column_id": 1, "occurrence_start": T0, "title": "Tọa đàm: Người thầy thời chuyển đổi số",
                        "brief": "Mời hai hiệu trưởng ở Sơn Hà và Ba Tơ.", "themes": ["teachers"], "outlet_id": 1,
                        "channel": "tv", "format": "talk_show", "assignee": ASSIGNEE, "status": "assigned",
                        "priority": 1, "publish_at": T0, "sequence": 2, "created_at": T0, "updated_at": T0}),
    ("stories", {"id": 7, "title": "Tọa đàm: Người thầy thời chuyển đổi số", "brief": "Mời hai hiệu trưởng ở Sơn Hà và Ba Tơ.",
                 "themes": ["teachers"], "column_id": 1, "occurrence_start": T0, "priority": 1, "status": "assigned",
                 "sequence": 2, "created_at": T0, "updated_at": T0}),
    ("coverages", {"id": 7, "story_id": 7, "outlet_id": 1, "platform": "tv", "format": "talk_show",
                   "assignee": ASSIGNEE, "status": "assigned", "publish_at": T0, "sequence": 2,
                   "created_at": T0, "updated_at": T0}),
    ("deliveries", {"piece_id|coverage_id": 7, "item_id": 1, "matched_by": "monitor", "score": 0.87, "linked_at": T0}),
    ("assignments", {"id": 1, "coverage_id": 7, "assignee": ASSIGNEE, "assigned_by": "chau", "assigned_at": T0}),
    ("workflow_events", {"id": 1, "entity": "story", "entity_id": 7, "action": "create", "by": "chau", "at": T0,
                         "note": "Lên kế hoạch tọa đàm"}),
    ("reminders_sent", {"key": "due:7:chau@baoquangngai.vn", "recipient": "chau@baoquangngai.vn", "kind": "due",
                        "digest": "daily", "sent_at": T0}),
    ("feed_tokens", {"id": 1, "scope": "user", "key": "chau", "token": "bí-mật-" + "x" * 20, "created_at": T0}),
    ("reports", {"id": 1, "period": "2026-11", "built_at": T0, "out_dir": "var/reports/2026-11",
                 "figures": {"items": 1, "ghi_chú": "tháng 11"}}),
    ("report_versions", {"id": 1, "period": "2026-11", "version": 1, "state": "sent", "built_at": T0,
                         "figures": {"items": 1, "ghi_chú": "tháng 11"}, "narrative": {},
                         "out_dir": "var/reports/2026-11", "content_hash": "ef" * 32}),
    ("report_deliveries", {"id": 1, "period": "2026-11", "recipient": "vanphong@quangngai.gov.vn", "status": "sent",
                           "attempts": 1, "last_error|last_answer": "250 Đã nhận", "message_id": "<r1@mediaplan>",
                           "sent_at": T0, "version_id": 1}),
    ("targets", {"key": "teachers-share", "name": "Tỷ lệ tin bài về nhà giáo", "definition": "Theo kế hoạch 71",
                 "source": "KH II.3", "metric": "manual", "theme": "teachers", "threshold": 0.8, "unit": "ratio",
                 "per": "month", "position": 1}),
    ("target_values", {"id": 1, "target_key": "teachers-share", "as_of": date(2026, 11, 30), "value": 0.5,
                       "evidence": "Báo cáo tháng 11 của Sở", "entered_by": "chau", "entered_at": T0}),
    ("crawl_runs", {"id": 1, "started_at": T0, "finished_at": T0, "status": "done", "summary": {"items": 1}}),
    ("fetch_state", {"url": "https://baoquangngai.vn/rss/giao-duc.rss", "etag": '"abc"',
                     "last_modified": "Fri, 20 Nov 2026 02:00:00 GMT", "status": 200, "fetched_at": T0}),
    ("register_events", {"id": 1, "kind": "training", "title": "Bồi dưỡng kỹ năng truyền thông",
                         "held_on": date(2026, 11, 12), "organiser": "Sở GD&ĐT", "place": "Hội trường Sở",
                         "created_by": "chau", "created_at": T0}),
    ("unit_headcounts", {"id": 1, "unit_key": "so-gddt", "kind": "staff", "count": 42, "as_of": date(2026, 11, 1),
                         "source": "Báo cáo nhân sự", "entered_by": "chau", "entered_at": T0}),
    ("register_evidence", {"id": 1, "event_id": 1, "filename": "danh-sách-dự.xlsx", "sha256": "12" * 32, "size": 2048,
                           "stored_path": "evidence/" + "12" * 32, "uploaded_by": "chau", "uploaded_at": T0}),
    ("register_participants", {"id": 1, "event_id": 1, "unit_key": "so-gddt", "count": 35, "evidence_id": 1,
                               "entered_by": "chau", "entered_at": T0}),
    ("report_narratives", {"id": 1, "period": "2026-11", "section": "summary",
                           "text": "Tháng 11, tin bài về nhà giáo tăng mạnh quanh Ngày 20/11.", "edited_by": "chau",
                           "edited_at": T0}),
    ("login_attempts", {"id": 1, "username": "chau", "address": "127.0.0.1", "at": T0, "ok": True}),
    ("password_resets", {"id": 1, "user_id": 1, "token_hash": "34" * 32, "created_at": T0, "expires_at": T0}),
]

# Where a row lives at head when a migration moved it: (table at head, the columns it is found by, {column at head:
# column then, or None for a value the migration sets}). Not listed: the same table, its columns renamed as RENAMED
# says, found by its primary key.
MOVED = {
    "planned_pieces": [
        ("stories", ("id",), {"id": "id", "title": "title", "brief": "brief", "themes": "themes", "priority": "priority",
                     "status": "status", "sequence": "sequence", "column_id": "column_id"}),
        ("coverages", ("id",), {"id": "id", "story_id": "id", "outlet_id": "outlet_id", "platform": "channel",
                       "format": "format", "assignee": "assignee", "status": "status", "sequence": "sequence"}),
    ],
    "reports": [("report_versions", ("period", "version"), {"period": "period", "version": None, "out_dir": "out_dir", "figures": "figures",
                                     "built_at": "built_at"})],
}
RENAMED = {("columns", "channel"): "platform", ("report_deliveries", "last_error"): "last_answer",
           ("deliveries", "piece_id"): "coverage_id"}
CHANGED = {("feed_tokens", "token")}  # 0009 stores the SHA-256 of each secret instead of the secret
ASSIGNEE_COLUMNS = {("columns", "assignee"), ("planned_pieces", "assignee"), ("coverages", "assignee"),
                    ("assignments", "assignee")}


def _neutral(column) -> object:
    """A value of the column's type for a required column the rows above do not name."""
    kind = column["type"]
    if isinstance(kind, sa_types.Boolean):
        return False
    if isinstance(kind, (sa_types.Integer, sa_types.Numeric)):
        return 0
    if isinstance(kind, sa_types.DateTime):
        return T0
    if isinstance(kind, sa_types.Date):
        return T0.date()
    if isinstance(kind, sa_types.JSON):
        return {}
    return ""


def _stored(value, dialect: str):
    """As the application stores it: UTC, naive on SQLite (db.schema.UTCDateTime)."""
    if isinstance(value, datetime) and dialect == "sqlite":
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _comparable(value):
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _seed(engine, assignee: str) -> dict[str, dict]:
    """Insert ROWS into the tables that exist now; returns what was written, table → {column: value}."""
    meta = MetaData()
    meta.reflect(engine)
    inspector = inspect(engine)
    written: dict[str, dict] = {}
    with engine.begin() as conn:
        for name, spec in ROWS:
            if name not in meta.tables:
                continue
            if name == "stories" and "planned_pieces" in written:
                continue
            columns = {c["name"]: c for c in inspector.get_columns(name)}
            row: dict = {}
            for key, value in spec.items():
                found = next((k for k in key.split("|") if k in columns), None)
                if found is not None:
                    row[found] = assignee if value == ASSIGNEE else value
            pk = set(inspector.get_pk_constraint(name)["constrained_columns"])
            for column_name, column in columns.items():
                if (column_name not in row and not column["nullable"] and column.get("default") is None
                        and not (column_name in pk and len(pk) == 1 and column_name == "id")):
                    row[column_name] = _neutral(column)
            table = meta.tables[name]
            conn.execute(table.insert().values({k: _stored(v, engine.dialect.name) for k, v in row.items()}))
            written[name] = row
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them, as a live database has
            for name in (name for name, row in written.items() if "id" in row):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), MAX(id)) FROM {name}"))
    return written


def _where_at_head(name: str, row: dict) -> list[tuple[str, dict[str, object], dict[str, object]]]:
    """(table at head, key {column: value}, expected {column: value}) for one row written at an earlier revision."""
    out = []
    if name in MOVED:
        for head_table, keys, mapping in MOVED[name]:
            values = {new: (1 if old is None else row[old]) for new, old in mapping.items() if old is None or old in row}
            out.append((head_table, {k: values[k] for k in keys}, values))  # None: version 1, the first of its period
        return out
    values = {RENAMED.get((name, col), col): v for col, v in row.items() if (name, col) not in CHANGED}
    return [(name, values, values)]


def _key_columns(engine, table: str, values: dict) -> list[str]:
    pk = inspect(engine).get_pk_constraint(table)["constrained_columns"]
    return [c for c in pk if c in values] or list(values)


def _fetch(conn, meta, table: str, key: dict):
    t = meta.tables[table]
    return conn.execute(select(t).where(*(t.c[k] == v for k, v in key.items()))).mappings().all()


def _assert_schema_is_the_models(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), Base.metadata)
        inspector = inspect(conn)
        tables = model_tables(inspector.get_table_names())
        assert tables == set(Base.metadata.tables)
        for name in tables:
            assert {c["name"] for c in inspector.get_columns(name)} == set(Base.metadata.tables[name].columns.keys()), name
    assert diff == []


def _revision(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@pytest.fixture
def configured(monkeypatch, tmp_path, database_url):
    _configure(monkeypatch, tmp_path, database_url)
    yield database_url
    get_engine(database_url).dispose()
    get_engine.cache_clear()


def test_revisions_are_read_from_the_script_directory():
    assert EARLIER[0] == "0001" and len(EARLIER) >= 10 and HEAD not in EARLIER
    assert IRREVERSIBLE in EARLIER


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrade_from_an_earlier_revision_keeps_every_row(configured, revision):
    url = configured
    engine = get_engine(url)
    migrate(url, revision)
    assert _revision(engine) == revision
    # 0010 made assignees usernames (a foreign key to users); before it they were names typed in free text
    free_text = revision < "0010"
    written = _seed(engine, "Thanh Hải" if free_text else "chau")
    assert set(written) == model_tables(inspect(engine).get_table_names())  # a row in every table (the search index is derived)
    assert written["items"]["title"].startswith("Tuyên dương")

    if revision < IRREVERSIBLE:
        with pytest.raises(MigrationRefused):  # nothing runs without a fresh backup of this database
            migrate(url)
        assert _revision(engine) == revision
        backed_up(url)
    migrate(url)
    assert _revision(engine) == HEAD
    _assert_schema_is_the_models(engine)

    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for name, row in written.items():
            for head_table, key, expected in _where_at_head(name, row):
                if name not in MOVED:
                    key = {k: expected[k] for k in _key_columns(engine, head_table, expected)}
                found = _fetch(conn, meta, head_table, {k: _stored(v, engine.dialect.name) for k, v in key.items()})
                assert len(found) == 1, f"{name} {key} → {head_table}: {len(found)} rows at head"
                for column, value in expected.items():
                    if (name, column) in ASSIGNEE_COLUMNS or (head_table, column) in ASSIGNEE_COLUMNS:
                        value = "thanh.hai" if value == "Thanh Hải" else value
                    assert _comparable(found[0][column]) == _comparable(value), f"{head_table}.{column} after {revision}"
        # the named person behind a free-text assignee is a (disabled) user, their name as written
        if free_text:
            user = conn.execute(text("SELECT full_name, disabled FROM users WHERE username = 'thanh.hai'")).one()
            assert tuple(user) == ("Thanh Hải", True)
        if revision < "0004":  # the search columns 0004 added are filled for the items stored before them
            folded = conn.execute(text("SELECT search_folded FROM items WHERE id = 1")).scalar_one()
            assert "son ha" in folded and "tuyen duong" in folded
        counts = {name: conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                  for name in ("items", "item_themes", "outlets", "sources", "stories", "coverages", "deliveries")}
    assert counts == dict.fromkeys(counts, 1)


def test_downgrade_step_by_step_to_the_irreversible_revision_and_back(configured):
    url = configured
    engine = get_engine(url)
    migrate(url)
    _seed(engine, "chau")
    steps = []
    while (current := _revision(engine)) != IRREVERSIBLE:
        downgrade("-1", url)
        steps.append(current)
        assert _revision(engine) == SCRIPT.get_revision(current).down_revision
    assert steps[0] == HEAD and len(steps) == len(EARLIER) - EARLIER.index(IRREVERSIBLE)
    migrate(url)
    assert _revision(engine) == HEAD
    _assert_schema_is_the_models(engine)
    with engine.connect() as conn:  # what no downgrade touches is still there
        title = conn.execute(text("SELECT title FROM items WHERE id = 1")).scalar_one()
    assert title == "Tuyên dương 46 nhà giáo tiêu biểu nhân Ngày Nhà giáo Việt Nam"


def test_the_irreversible_migration_refuses_to_go_back_and_names_the_way_out(configured):
    url = configured
    engine = get_engine(url)
    migrate(url, IRREVERSIBLE)
    module = SCRIPT.get_revision(IRREVERSIBLE).module
    assert getattr(module, "irreversible", False) is True
    assert "không thể hoàn tác" in module.__doc__.lower() and "mediaplan restore" in module.__doc__
    with pytest.raises(NotImplementedError) as refused:
        downgrade("-1", url)
    said = str(refused.value)
    assert "không thể hoàn tác" in said and "mediaplan restore" in said
    assert _revision(engine) == IRREVERSIBLE
    migrate(url)
    assert _revision(engine) == HEAD
