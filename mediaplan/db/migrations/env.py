"""Alembic environment: runs against the engine mediaplan hands it (or the configured URL).

On SQLite, foreign keys are switched off while migrating: batch mode rebuilds a table
by copying and dropping it, and with foreign keys on, dropping `items` would cascade
into `item_themes`. The pragma only takes effect outside a transaction, hence its place.
"""

from alembic import context

from mediaplan.db.schema import Base
from mediaplan.db.search_index import include_object


def run() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        from mediaplan.db import get_engine

        engine = get_engine()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite,
                                  include_object=include_object)
                context.run_migrations()
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run()
