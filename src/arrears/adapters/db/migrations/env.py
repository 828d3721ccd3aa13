"""Alembic environment: runs on the engine that `arrears db upgrade` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from arrears.adapters.db.tables import include_object, metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` on the command line, for writing migrations
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///arrears.db")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    context.run_migrations()
