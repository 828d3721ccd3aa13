"""Alembic environment: runs on the engine that `arrears db upgrade` hands over.

On SQLite, a migration that alters a table copies it (Alembic's batch mode: a new table, the rows
copied, the old one dropped). With foreign keys enforced, dropping the old table would first delete
its rows and run their ON DELETE actions, emptying or unlinking every table that refers to it (an
invoice's payments, a task's invoices). So foreign keys are off while migrating, as SQLite's
documentation prescribes for altering tables, and `PRAGMA foreign_key_check` must find nothing
before the migration commits.
"""

from __future__ import annotations

import warnings
from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.exc import SAWarning

from arrears.adapters.db.tables import include_object, metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` on the command line, for writing migrations
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///arrears.db")


def _foreign_keys(driver_connection: Any, on: bool) -> None:
    """Outside any transaction (SQLite ignores the pragma inside one)."""
    driver_connection.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    driver = connection.connection.driver_connection
    if sqlite:
        _foreign_keys(driver, False)
    try:
        with connection.begin(), warnings.catch_warnings():
            # The indexes on expressions (0010's, 0015's lower(email)) are made in SQL and are not
            # reflected: batch mode would warn of each, on every table it copies (a migration that
            # copies such a table makes its index again, as 0016 does).
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_object=include_object,
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
    finally:
        if sqlite:
            _foreign_keys(driver, True)
