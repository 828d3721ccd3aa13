"""Engines and the schema: SQLite tuned for a single-file workspace, PostgreSQL as it comes."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text

from ...domain.errors import ArrearsError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaMissing(ArrearsError):
    code = "schema_missing"


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.close()
            # SQLite's own lower() folds ASCII letters only: searches fold "Δ" to "δ" as PostgreSQL does.
            dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
            # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that
            # DDL and DML of one use case commit or roll back together.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config  # Alembic loads only when migrating: commands start faster

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the newest schema; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, head_revision()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@cache
def _parents() -> dict[str, str | None]:
    """Each migration's revision and the one it revises (read from the files, without Alembic)."""
    parents: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = re.search(r"^revision = ['\"](\w+)['\"]", source, re.MULTILINE)
        parent = re.search(r"^down_revision = ['\"](\w+)['\"]", source, re.MULTILINE)
        if found:
            parents[found.group(1)] = parent.group(1) if parent else None
    return parents


@cache
def head_revision() -> str:
    """The newest migration: the one no other migration revises."""
    parents = _parents()
    heads = set(parents) - {parent for parent in parents.values() if parent}
    assert len(heads) == 1, f"the migrations have {len(heads)} heads: {sorted(heads)}"
    return heads.pop()


@cache
def revisions() -> tuple[str, ...]:
    """Every migration this version of Arrears knows, oldest first: a schema's place in it says
    whether it is older or newer than another (a revision not in it is newer than this code)."""
    parents, chain = _parents(), [head_revision()]
    while (parent := parents.get(chain[-1])) is not None:
        chain.append(parent)
    return tuple(reversed(chain))


def ensure_schema(engine: Engine) -> None:
    """SQLite: create or migrate the schema on first use. Elsewhere: stop, naming the command."""
    current = current_revision(engine)
    if current == head_revision():
        return
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    state = "has no Arrears schema" if current is None else f"is at schema revision {current}"
    raise SchemaMissing(
        f"the database {engine.url.render_as_string(hide_password=True)} {state}: run `arrears db upgrade` first"
    )
