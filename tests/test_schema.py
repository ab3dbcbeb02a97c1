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
    assert {"items", "item_themes", "sources", "columns", "planned_pieces", "report_deliveries", "users",
            "fetch_state", "alembic_version"} <= tables
