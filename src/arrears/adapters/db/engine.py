"""Engines and the schema: SQLite tuned for a single-file workspace, PostgreSQL as it comes."""

from __future__ import annotations

import re
import sqlite3
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from ...domain.errors import ArrearsError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaMissing(ArrearsError):
    code = "schema_missing"


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


# Seconds a new PostgreSQL connection may take before it fails (libpq's connect_timeout; a URL that
# sets `connect_timeout` itself keeps its own): a server that does not answer fails a request, not
# hangs it for the two minutes of the operating system's TCP retries.
CONNECT_TIMEOUT = 10
# Seconds the readiness check may take in all: connecting, then each statement (the server's
# statement_timeout) and the wait for the network (libpq's tcp_user_timeout).
PROBE_TIMEOUT = 3

UNAVAILABLE_MESSAGE = "the database is busy or does not answer; try again in a few seconds"
RETRY_AFTER_SECONDS = 5
# PostgreSQL's error classes that say the server is busy or unreachable, not that the statement is
# wrong: 08 connection exception, 40 a deadlock or serialisation failure (the transaction was
# cancelled), 53300 too many connections, 55P03 a lock not available in time, 57P01-57P03 the
# server shutting down or starting.
_BUSY_SQLSTATES = ("08", "40", "53300", "55P03", "57P01", "57P02", "57P03")
_SQLITE_BUSY = ("database is locked", "database table is locked", "unable to open database file")


def unavailable(error: BaseException) -> bool:
    """Whether `error` is the database being busy or unreachable: no free connection in the pool
    within its 30 seconds, a connection that failed or was lost, a deadlock, a lock held past the
    wait (SQLite's busy timeout), a server shutting down. The request was not carried out and may be
    sent again later: the entry points answer 503 with Retry-After (or, on the command line, a
    one-line error), not the 500 of a defect. Any other database error (a missing table, a value the
    column cannot hold, a disk full) is a defect or a problem to fix, not to retry."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, OperationalError):
        return False
    if error.connection_invalidated:
        return True
    cause = error.orig
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return str(sqlstate).startswith(_BUSY_SQLSTATES)
    if isinstance(cause, sqlite3.OperationalError):
        return str(cause).startswith(_SQLITE_BUSY)
    return True  # a driver's error without a SQLSTATE: the connection itself failed


def reason(error: BaseException) -> str:
    """The driver's own message, first line only: no statement, no parameters (customers' data)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def postgres_connect_args(url: str, connect_timeout: int) -> dict[str, Any]:
    """The connect arguments of a PostgreSQL engine: `connect_timeout` unless the URL names one."""
    return {} if "connect_timeout" in make_url(url).query else {"connect_timeout": connect_timeout}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout on every connection;
    PostgreSQL a connect timeout (CONNECT_TIMEOUT) unless the URL sets one."""
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
    connect_args = {**postgres_connect_args(url, CONNECT_TIMEOUT), **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def probe_engine(url: str) -> Engine:
    """An engine for the readiness check only, which gives up within PROBE_TIMEOUT seconds or so
    instead of waiting: a new connection each time (no pool to wait for, no stale connection to
    trust); on PostgreSQL, connect_timeout, tcp_user_timeout (a server gone quiet mid-statement)
    and a statement_timeout set on the connection; on SQLite, a busy timeout of PROBE_TIMEOUT."""
    if url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": PROBE_TIMEOUT})
    connect_args = {
        "connect_timeout": PROBE_TIMEOUT,
        "tcp_user_timeout": PROBE_TIMEOUT * 1000,
    }
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _statement_timeout(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET statement_timeout = {PROBE_TIMEOUT * 1000}")
        cursor.execute(f"SET lock_timeout = {PROBE_TIMEOUT * 1000}")
        cursor.close()
        dbapi_connection.commit()

    return engine


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
