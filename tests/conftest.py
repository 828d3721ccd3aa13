"""One fixture, both backends: every test that takes `db_url` runs on SQLite and on PostgreSQL.

PostgreSQL is the machine's local server (ARREARS_TEST_POSTGRES_URL, default below). When it cannot
be reached the PostgreSQL half is skipped, unless ARREARS_REQUIRE_POSTGRES=1 (CI sets it): then
it fails, so that a green run always means both databases were tested.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import profiles
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from arrears.adapters.db.engine import make_engine, upgrade
from arrears.adapters.db.tables import metadata
from arrears.adapters.passwords import Argon2Hasher
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from tests.imap import imap, imap_server  # noqa: F401 (fixtures of the inbound mail tests)

_PG_BASE = make_url(
    os.environ.get("ARREARS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/arrears_test")
)
# Every run has databases of its own, so that two runs on one machine never touch each other's:
# `arrears_test_<run id>` (the run id is shared by pytest-xdist's processes, each adding its name,
# `…_gw0`), and the ones tests derive from it (`…_no_schema`, `…_migrations`, copies). They are
# dropped when the run ends.
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or os.environ.setdefault("ARREARS_TEST_RUN", uuid.uuid4().hex)
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
PG_URL = _PG_BASE.set(
    database="_".join(part for part in (_PG_BASE.database, _RUN[:12], _WORKER) if part)
).render_as_string(hide_password=False)
REQUIRE_PG = os.environ.get("ARREARS_REQUIRE_POSTGRES") == "1"
# A test database's commits do not wait for the disk (a crash loses the last few, which a test never
# looks for): the suite's thousands of small transactions no longer queue on the machine's fsyncs.
NO_WAIT_ON_COMMIT = 'ALTER DATABASE "{name}" SET synchronous_commit = off'


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Argon2id at its cheapest parameters for every Arrears the tests build: with the recommended
    ones a sign-in costs about 0.1 s of CPU, and the suite signs in thousands of times. The hashes are
    still Argon2id, made and checked by the same code (a command run as a subprocess keeps the
    recommended parameters)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("arrears.bootstrap.Argon2Hasher", lambda: Argon2Hasher(profiles.CHEAPEST))
        yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating costs more than copying)."""
    path = tmp_path_factory.mktemp("template") / "arrears.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    url = make_url(PG_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
            connection.execute(text(NO_WAIT_ON_COMMIT.format(name=url.database)))
    except Exception as error:
        admin.dispose()
        message = f"PostgreSQL at {url.render_as_string(hide_password=True)} is not reachable: {error}"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    admin.dispose()
    engine = make_engine(PG_URL)
    upgrade(engine)
    yield engine
    engine.dispose()
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def scratch_postgres(suffix: str) -> Iterator[str]:
    """The URL of a PostgreSQL database of its own (`<the test database>_<suffix>`), with no schema
    at all, dropped afterwards. (Take `postgres_engine` first: it skips or fails when the server
    cannot be reached.)"""
    url = make_url(PG_URL)
    name = f"{url.database}_{suffix}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text(NO_WAIT_ON_COMMIT.format(name=name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_EMPTYING: dict[str, str] = {}


def _empty_postgres(engine: Engine) -> None:
    """Every table of Arrears emptied and its ids restarted at 1, as `TRUNCATE … RESTART IDENTITY`
    would, in one round trip: DELETE, children first, then `setval` of the sequences the tables
    own. (TRUNCATE gives each of the forty tables new files: about 0.2 s a test on a quiet
    machine and over a second on a busy one, where deleting the few rows a test wrote costs a
    few milliseconds.)"""
    key = engine.url.render_as_string(hide_password=False)
    with engine.begin() as connection:
        if key not in _EMPTYING:
            names = [table.name for table in metadata.sorted_tables]
            owned = connection.execute(
                text(
                    "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
                    "JOIN pg_class o ON o.oid = d.refobjid WHERE s.relkind = 'S' AND o.relname = ANY(:names)"
                ),
                {"names": names},
            ).scalars()
            deletes = [f'DELETE FROM "{name}"' for name in reversed(names)]
            restarts = [f"SELECT setval('\"{sequence}\"', 1, false)" for sequence in sorted(owned)]
            _EMPTYING[key] = ";\n".join(deletes + restarts)
        connection.exec_driver_sql(_EMPTYING[key])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """The URL of an empty, migrated database on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "arrears.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    engine: Engine = request.getfixturevalue("postgres_engine")
    _empty_postgres(engine)
    return PG_URL


@pytest.fixture
def arrears(db_url: str) -> Iterator[Arrears]:
    app = bootstrap(Settings(database_url=db_url))
    yield app
    app.close()


@pytest.fixture
def pg_url(postgres_engine: Engine) -> str:
    """An empty, migrated PostgreSQL database, for what runs on PostgreSQL only (the worker)."""
    _empty_postgres(postgres_engine)
    return PG_URL
