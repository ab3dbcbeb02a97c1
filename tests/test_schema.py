"""The schema: Alembic migrations build exactly what the models declare, on both backends, idempotently."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from mediaplan.db import get_engine, migrate
from mediaplan.db.schema import Base


def test_migrations_match_the_models(db):
    migrate()  # a second run is a no-op
    with get_engine().connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        tables = set(inspect(conn).get_table_names())
    assert {"items", "item_themes", "sources", "columns", "stories", "coverages", "assignments", "workflow_events",
            "deliveries", "reminders_sent", "feed_tokens", "report_deliveries", "users", "fetch_state",
            "alembic_version"} <= tables
    assert "planned_pieces" not in tables


def test_planned_pieces_become_stories_with_one_coverage(db):
    """A database made before stories and coverages keeps its plan and its links through migration 0003."""
    from sqlalchemy import text

    from mediaplan.db import session_scope
    from mediaplan.db.schema import Coverage, Story

    engine = get_engine()
    Base.metadata.drop_all(engine)  # an empty database, then the schema as revision 0002 left it
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    migrate(revision="0002")
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
        assert isinstance(coverage, Coverage)
