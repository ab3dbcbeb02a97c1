"""The schema: Alembic migrations build exactly what the models declare, on both backends, idempotently."""

from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from conftest import backed_up, schema_at
from mediaplan.db import downgrade, get_engine, migrate
from mediaplan.db.schema import Base
from mediaplan.db.search_index import include_object


def test_migrations_match_the_models(db):
    migrate()  # a second run is a no-op
    with get_engine().connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), Base.metadata) == []
        tables = set(inspect(conn).get_table_names())
    assert {"items", "item_themes", "sources", "columns", "stories", "coverages", "assignments", "workflow_events",
            "deliveries", "reminders_sent", "feed_tokens", "report_deliveries", "users", "fetch_state",
            "alembic_version"} <= tables
    assert "planned_pieces" not in tables


def test_planned_pieces_become_stories_with_one_coverage(db):
    """A database made before stories and coverages keeps its plan and its links through migration 0003."""
    from sqlalchemy import text

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Story

    engine = schema_at("0002")  # an empty database, then the schema as revision 0002 left it
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO outlets (id, key, name, kind, homepage, verified) "
                          "VALUES (1, 'bqn', 'Báo', 'press', 'https://baoquangngai.vn', false)"))
        conn.execute(text("INSERT INTO items (id, outlet_id, kind, url, canonical_url, content_hash, title, sapo, body, "
                          "raw_title, fetched_at, channel, language, extra) VALUES (1, 1, 'article', 'u', 'u', 'h', 't', '', '', "
                          "'', '2026-11-01 00:00:00+00', 'online', 'vi', '{}')"))
        conn.execute(text("INSERT INTO planned_pieces (id, title, brief, themes, outlet_id, channel, format, assignee, status, "
                          "priority, publish_at, sequence, created_at, updated_at) VALUES (7, 'Tọa đàm', '', '[\"teachers\"]', "
                          "1, 'tv', 'talk_show', 'Châu', 'published', 1, '2026-11-19 13:00:00+00', 2, "
                          "'2026-11-01 00:00:00+00', '2026-11-01 00:00:00+00')"))
        conn.execute(text("INSERT INTO deliveries (piece_id, item_id, matched_by, score, linked_at) "
                          "VALUES (7, 1, 'monitor', 0.9, '2026-11-20 00:00:00+00')"))
    backed_up()  # 0003 is irreversible: it runs only after a fresh backup
    migrate()
    with session_scope() as session:
        story = session.get(Story, 7)
        assert (story.title, story.themes, story.status, story.priority) == ("Tọa đàm", ["teachers"], "published", 1)
        (coverage,) = story.coverages
        assert (coverage.id, coverage.platform, coverage.format, coverage.assignee) == (7, "tv", "talk_show", "Châu")
        assert [(d.item_id, d.status) for d in coverage.deliveries] == [(1, "confirmed")]
        session.add(Story(title="mới", themes=[]))  # ids continue after the copied ones (PostgreSQL sequences)
        session.flush()
        assert session.scalar(text("SELECT max(id) FROM stories")) > 7


BAD_WRITES = {
    "a story status": "UPDATE stories SET status = 'finished' WHERE id = {story}",
    "a coverage status": "UPDATE coverages SET status = 'done' WHERE id = {coverage}",
    "an item channel": "UPDATE items SET channel = 'telegram' WHERE id = {item}",
    "a source kind": "UPDATE sources SET kind = 'gopher' WHERE id = {source}",
    "a link status": "UPDATE deliveries SET status = 'maybe' WHERE item_id = {item}",
    "a theme method": "UPDATE item_themes SET method = 'guess' WHERE item_id = {item}",
}


@pytest.mark.parametrize("what", sorted(BAD_WRITES))
def test_the_database_refuses_a_code_outside_its_vocabulary(db, what):
    """Raw SQL, past every Python check: the CHECK constraints of migration 0004 refuse it on both backends."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Coverage, Delivery, Item, ItemTheme, Outlet, Source, Story

    with session_scope() as session:
        outlet = session.scalars(select(Outlet)).first()
        source = session.scalars(select(Source)).first()
        item = Item(outlet_id=outlet.id, kind="article", url="https://x.vn/a", canonical_url="https://x.vn/a",
                    content_hash="h", title="Tiêu đề", channel="online")
        story = Story(title="Tọa đàm", themes=[])
        story.coverages.append(Coverage(platform="tv", format="talk_show"))
        session.add_all([item, story])
        session.flush()
        session.add(ItemTheme(item_id=item.id, theme_code="teachers", score=1.0, method="rule"))
        session.add(Delivery(coverage_id=story.coverages[0].id, item_id=item.id, matched_by="monitor"))
        ids = {"story": story.id, "coverage": story.coverages[0].id, "item": item.id, "source": source.id}
    statement = BAD_WRITES[what].format(**ids)
    with get_engine().connect() as conn:
        conn.execute(text(statement.replace("'finished'", "'published'").replace("'done'", "'published'")
                          .replace("'telegram'", "'tv'").replace("'gopher'", "'rss'").replace("'maybe'", "'rejected'")
                          .replace("'guess'", "'manual'")))  # a known code passes the same statement
        conn.rollback()
        with pytest.raises(IntegrityError):
            conn.execute(text(statement))


def test_vocabulary_migration_downgrades_and_upgrades_again(db):
    """0004 is reversible: its constraints and columns go, the platform is a channel again, and back."""
    downgrade("0003")
    with get_engine().connect() as conn:
        assert "channel" in {c["name"] for c in inspect(conn).get_columns("columns")}
        assert "search_text" not in {c["name"] for c in inspect(conn).get_columns("items")}
    migrate()
    with get_engine().connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), Base.metadata) == []
        checks = {c["name"] for c in inspect(conn).get_check_constraints("coverages")}
    assert {"ck_coverages_status", "ck_coverages_platform", "ck_coverages_format"} <= checks


def test_search_columns_follow_the_text(sqlite_db):
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Item, Outlet

    with session_scope() as session:
        item = Item(outlet_id=session.scalars(select(Outlet)).first().id, kind="article", url="u", canonical_url="u",
                    content_hash="h", title="Xã Sơn Hạ", sapo="", body="Học bổng", channel="online")
        session.add(item)
        session.flush()
        assert (item.search_text, item.search_folded) == ("xã sơn hạ\n\nhọc bổng", "xa son ha\n\nhoc bong")
        item.title = "Phường Trương Quang Trọng"
        session.flush()
        assert item.search_folded.startswith("phuong truong quang trong")


def test_review_migration_downgrades_and_upgrades_again(db):
    """0005 is reversible: the review columns go and come back, and the models match the schema again."""
    downgrade("0004")
    with get_engine().connect() as conn:
        assert "review_priority" not in {c["name"] for c in inspect(conn).get_columns("items")}
        assert "proposed_by" not in {c["name"] for c in inspect(conn).get_columns("item_themes")}
    migrate()
    with get_engine().connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), Base.metadata) == []
        assert "ck_item_themes_proposed_by" in {c["name"] for c in inspect(conn).get_check_constraints("item_themes")}


def test_the_search_index_follows_every_write_and_serves_the_search(db, backend):
    """Migration 0014: SQLite's FTS5 table is kept by triggers through insert, update and delete; PostgreSQL plans
    the search's LIKE on its trigram index. Either way the search's own LIKE decides (db.search_index)."""
    from sqlalchemy import delete, text

    from mediaplan.crawler.store import Fetched, upsert_item
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Item

    def add(slug, title):
        url = f"https://baoquangngai.vn/giao-duc/{slug}.htm"
        with session_scope() as session:
            upsert_item(session, Fetched(source_key="baoquangngai-rss", kind="article", url=url, canonical_url=url,
                                         title=title, sapo="", body=title))
            return session.scalar(select(Item.id).where(Item.url == url))

    kept = add("a", "Học sinh xã Sơn Hà đến trường")
    changed = add("b", "Giá lúa tăng")
    gone = add("c", "Xã Sơn Hà tổ chức hội nghị")
    with session_scope() as session:
        item = session.get(Item, changed)
        item.title = item.body = "Giáo viên xã Sơn Hà được khen thưởng"
        session.flush()
        session.execute(delete(Item).where(Item.id == gone))
    with session_scope() as session:
        found = set(session.scalars(select(Item.id).where(Item.search_folded.like("%son ha%"))))
        assert found == {kept, changed}
        if backend == "sqlite":
            indexed = set(session.scalars(text("SELECT rowid FROM items_search WHERE search_folded LIKE '%son ha%'")))
            assert indexed == {kept, changed}
            assert session.scalar(text("SELECT count(*) FROM items_search WHERE search_folded LIKE '%gia lua%'")) == 0
            plan = " ".join(str(r) for r in session.execute(
                text("EXPLAIN QUERY PLAN SELECT rowid FROM items_search WHERE search_folded LIKE '%son ha%'")))
            assert "VIRTUAL TABLE INDEX 0:L" in plan  # the trigram index, not a scan of every row
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))  # three rows: make the planner show its index
            plan = "\n".join(session.scalars(text(
                "EXPLAIN SELECT id FROM items WHERE search_folded LIKE '%son ha%' ESCAPE '\\'")))
            assert "ix_items_search_folded_trgm" in plan


def test_a_periods_counts_are_answered_from_one_index(db, backend):
    """Migration 0017: the columns every period count reads (`reports.counts`) are one index, so the counts of a
    month never visit the table's wide rows (PostgreSQL: an index-only scan; SQLite: a covering index)."""
    from sqlalchemy import text

    from mediaplan.db import session_scope
    from mediaplan.db.schema import COUNTED, Item
    from mediaplan.reports import counts

    used = {c.name for c in Item.__table__.columns} & set(COUNTED)
    assert used == set(COUNTED)
    month = counts.Limits(start=datetime(2026, 10, 31, 17, tzinfo=timezone.utc),
                          end=datetime(2026, 11, 30, 17, tzinfo=timezone.utc))
    query = counts.stories(month)
    with session_scope() as session:
        compiled = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        if backend == "sqlite":
            plan = " ".join(str(r) for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "COVERING INDEX ix_items_period_counts" in plan, plan
        else:
            for other in ("seqscan", "indexscan", "bitmapscan"):  # a test table is too small to choose it by cost:
                session.execute(text(f"SET LOCAL enable_{other} = off"))  # only a covering index is left to use
            plan = " ".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")))
            assert "Index Only Scan using ix_items_period_counts" in plan, plan
