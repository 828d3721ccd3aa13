"""`engine.unavailable`: which database errors say "busy or unreachable, try again" (503) and which are
a defect or a problem to fix (500): by PostgreSQL's SQLSTATE, SQLite's message, or the pool's wait."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from arrears.adapters.db.engine import reason, unavailable


def wrapped(cause: Exception) -> OperationalError:
    return OperationalError("UPDATE tasks SET status = %(s)s", {"s": "done"}, cause)


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.OperationalError("connection failed: connection refused"),  # no SQLSTATE: no connection
        pg.ConnectionFailure(),  # 08006
        pg.DeadlockDetected(),  # 40P01
        pg.SerializationFailure(),  # 40001
        pg.TooManyConnections(),  # 53300
        pg.LockNotAvailable(),  # 55P03
        pg.AdminShutdown(),  # 57P01
        pg.CannotConnectNow(),  # 57P03
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("unable to open database file"),
    ],
    ids=lambda cause: f"{type(cause).__name__}:{getattr(cause, 'sqlstate', None) or cause}",
)
def test_a_busy_or_unreachable_database_is_to_try_again(cause: Exception) -> None:
    assert unavailable(wrapped(cause))


@pytest.mark.parametrize(
    "cause",
    [
        pg.DiskFull(),  # 53100: a problem to fix, not to retry
        pg.ProgramLimitExceeded(),  # 54000: an index row too large, say
        pg.QueryCanceled(),  # 57014: a statement timeout
        sqlite3.OperationalError("no such table: tasks"),
        sqlite3.OperationalError("too many SQL variables"),
        sqlite3.OperationalError("attempt to write a readonly database"),
    ],
    ids=lambda cause: f"{type(cause).__name__}:{getattr(cause, 'sqlstate', None) or cause}",
)
def test_any_other_database_error_is_not(cause: Exception) -> None:
    assert not unavailable(wrapped(cause))


def test_the_pools_wait_is_busy_and_an_error_of_another_kind_is_not() -> None:
    assert unavailable(PoolTimeout("QueuePool limit of size 5 overflow 10 reached"))
    assert not unavailable(ProgrammingError("SELECT", {}, pg.UndefinedTable()))
    assert not unavailable(RuntimeError("a defect"))


def test_the_reason_is_the_drivers_first_line_without_the_statement_or_its_values() -> None:
    error = wrapped(psycopg.OperationalError('connection to server at "db", port 5432 failed\n\tIs it running?'))

    assert reason(error) == 'connection to server at "db", port 5432 failed'
    assert reason(PoolTimeout("QueuePool limit reached")) == "QueuePool limit reached"
