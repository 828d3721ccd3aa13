"""E2E fixtures: `cli` runs `arrears` in-process on each backend, from a fresh working directory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from arrears.bootstrap import Arrears
from arrears.cli.main import app
from tests.browser import browser, page, served  # noqa: F401 (fixtures of the browser tests)
from tests.conftest import scratch_postgres
from tests.ledger import Ledger
from tests.web import Site, open_site


@dataclass
class Cli:
    """`cli("report", "aging", "--format", "json")`: what a user typing `arrears ...` sees."""

    database_url: str

    def __call__(self, *args: str, input: str | bytes | None = None, database_url: str | None = None) -> Result:
        env = {"ARREARS_DATABASE_URL": database_url or self.database_url}
        result = CliRunner().invoke(app, list(args), input=input, env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a crash is never a user error, even though it also exits with 1
        return result


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    return Cli(db_url)


@pytest.fixture
def ledger(arrears: Arrears, tmp_path: Path) -> Ledger:
    """Arranges and inspects the same database as `cli`, through the service layer; the files it writes
    are in the working directory of `cli`, so a test names them as a user would: `import invoices bad.csv`."""
    return Ledger(arrears, tmp_path)


@pytest.fixture
def empty_postgres_url(postgres_engine: Engine) -> Iterator[str]:
    """A PostgreSQL database of its own with no schema at all, dropped afterwards."""
    with scratch_postgres("no_schema") as url:
        yield url


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """The served app of tests/web.py (users of every role, a small ledger, a fixed clock)."""
    opened = open_site(db_url, tmp_path)
    yield opened
    opened.arrears.close()
