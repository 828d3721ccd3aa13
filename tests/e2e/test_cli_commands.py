"""The command line as docs/cli.md states it: every command has --help; exit status 0 on success, 1 on a
user error (message on stderr, nothing changed), 2 on bad usage; a database without the schema names
`arrears db upgrade`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, select
from typer.core import TyperGroup
from typer.testing import CliRunner

from arrears.adapters.db import tables as t
from arrears.adapters.passwords import Argon2Hasher
from arrears.cli.main import app
from tests.e2e.conftest import Cli
from tests.ledger import Ledger


def _command_paths() -> list[list[str]]:
    """Every command and group of the app, as the words a user types after `arrears`."""
    paths: list[list[str]] = [[]]

    def walk(group: TyperGroup, prefix: list[str]) -> None:
        for name, command in group.commands.items():
            paths.append([*prefix, name])
            if isinstance(command, TyperGroup):
                walk(command, [*prefix, name])

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    walk(root, [])
    return paths


@pytest.mark.parametrize("words", _command_paths(), ids=lambda words: " ".join(["arrears", *words]))
def test_every_command_explains_itself_with_help(words: list[str]) -> None:
    result = CliRunner().invoke(app, [*words, "--help"])

    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout


def test_help_starts_without_the_database_modules() -> None:
    """`arrears --help` lists the commands without importing what opens a workspace (the adapters,
    SQLAlchemy, the settings): a fresh interpreter, as a user starts it."""
    probe = (
        "import sys\n"
        "from arrears.cli.main import app\n"
        "from typer.testing import CliRunner\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "print(sorted(m for m in ('arrears.bootstrap', 'arrears.config', 'sqlalchemy') if m in sys.modules))\n"
    )

    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert found.stdout.strip() == "[]"


def test_db_upgrade_creates_the_schema_and_is_safe_to_run_again(cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"

    first = cli("db", "upgrade", database_url=url)
    second = cli("db", "upgrade", database_url=url)

    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("schema migrated from nothing to revision")
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("schema already at revision")


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("postgresql+psycopg://arrears@127.0.0.1:1/arrears", "port 1 failed: Connection refused"),
        ("sqlite:///{tmp}/no-such-folder/arrears.db", "unable to open database file"),
    ],
    ids=["postgresql-refused", "sqlite-no-folder"],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # `cli`'s own database is not used
def test_a_database_that_does_not_answer_is_a_one_line_error_not_a_traceback(
    cli: Cli, tmp_path: Path, url: str, cause: str
) -> None:
    result = cli("tasks", database_url=url.format(tmp=tmp_path))

    assert result.exit_code == 1
    assert result.stdout == ""
    message = " ".join(result.stderr.split())
    assert message.startswith("error: the database does not answer or is busy: check ARREARS_DATABASE_URL")
    assert cause in message and "Traceback" not in result.stderr


def test_db_upgrade_on_a_migrated_database_changes_nothing(cli: Cli, ledger: Ledger) -> None:
    before = ledger.state()

    result = cli("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("schema already at revision")
    assert ledger.state() == before


def test_users_add_reads_the_password_from_stdin_and_stores_only_an_argon2_hash(cli: Cli, db_url: str) -> None:
    password = "correct horse battery staple"

    result = cli(
        "users", "add", "ops", "--role", "owner", "--email", "ops@x.example", "--password-stdin", input=password
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "added owner 'ops'\n"
    assert password not in result.output
    engine = create_engine(db_url)
    with engine.connect() as connection:
        row = connection.execute(select(t.users).where(t.users.c.name == "ops")).one()
    engine.dispose()
    assert (row.role, row.email) == ("owner", "ops@x.example")
    assert row.password_hash.startswith("$argon2id$")
    assert Argon2Hasher().verify(row.password_hash, password)


def test_adding_a_user_whose_name_is_taken_fails_and_changes_nothing(cli: Cli, ledger: Ledger) -> None:
    assert cli("users", "add", "maria", "--role", "contributor").exit_code == 0
    before = ledger.state()

    result = cli("users", "add", "maria", "--role", "manager")

    assert result.exit_code == 1
    assert "a user named 'maria' already exists" in result.stderr
    assert result.stdout == ""
    assert ledger.state() == before


def test_users_add_with_an_unknown_role_is_bad_usage(cli: Cli) -> None:
    result = cli("users", "add", "maria", "--role", "boss")

    assert result.exit_code == 2
    assert "boss" in result.stderr


@pytest.mark.parametrize("as_of", ["2026-02-30", "30/06/2026", "2026-6-30", "tomorrow"])
def test_an_as_of_that_is_not_a_date_is_bad_usage(cli: Cli, as_of: str) -> None:
    result = cli("report", "aging", "--as-of", as_of)

    assert result.exit_code == 2
    assert f"'{as_of}' is not a date in the form YYYY-MM-DD" in result.stderr
    assert result.stdout == ""


@pytest.mark.postgres
def test_a_postgres_database_without_the_schema_is_refused_until_db_upgrade(
    empty_postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cli = Cli(empty_postgres_url)
    (tmp_path / "customers.csv").write_text("external_id,name\nC1,Acme Ltd\n", encoding="utf-8")

    refused = cli("import", "customers", "customers.csv")
    upgraded = cli("db", "upgrade")
    again = cli("db", "upgrade")
    imported = cli("import", "customers", "customers.csv")

    assert refused.exit_code == 1
    assert "has no Arrears schema: run `arrears db upgrade` first" in refused.stderr
    assert refused.stdout == ""
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout.startswith("schema migrated from nothing to revision")
    assert again.stdout.startswith("schema already at revision")
    assert imported.exit_code == 0, imported.output
    assert "1 created" in imported.stdout


def test_a_sqlite_database_without_the_schema_gets_it_on_first_use(cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    result = cli("report", "aging", "--as-of", "2026-06-30", "--format", "json", database_url=url)

    assert result.exit_code == 0, result.output
    assert '"customers": []' in result.stdout
