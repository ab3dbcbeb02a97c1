"""Alembic environment: runs against the engine mediaplan hands it (or the configured URL)."""

from alembic import context

from mediaplan.db.schema import Base


def run() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        from mediaplan.db import get_engine

        engine = get_engine()
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        context.run_migrations()


run()
