"""`arrears db backup FILE` and `arrears db restore FILE`: a consistent copy of a SQLite database
made while a writer is writing, put back whole; what is not an Arrears backup, or would overwrite a
newer schema, is refused and changes nothing. PostgreSQL points to pg_dump / pg_restore."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.ledger import Ledger, customer, invoice, ledger_state

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
BATCH = 5


def rows_of(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return list(connection.execute(f"SELECT * FROM {table} ORDER BY id"))


def set_revision(path: Path, revision: str) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    connection.close()


@sqlite_only
def test_a_backup_made_while_a_writer_writes_is_one_moment_and_restores_to_the_same_rows(
    cli: Cli, ledger: Ledger, tmp_path: Path
) -> None:
    ledger.load("customers", [customer("C0", "First")])
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        n = 0
        while not stop.is_set() or n < 3:
            n += 1
            ledger.load("customers", [customer(f"W{n}-{k}", f"Writer {n}.{k}") for k in range(BATCH)])
            written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    while len(written) < 2:
        stop.wait(0.01)
    backed_up = cli("db", "backup", "copy.db")
    stop.set()
    thread.join(30)
    copy = tmp_path / "copy.db"
    database = Path(ledger.arrears.engine.url.database or "")

    assert backed_up.exit_code == 0, backed_up.output
    assert "backed up" in backed_up.stdout and "schema revision" in backed_up.stdout
    customers = rows_of(copy, "customers")
    assert (len(customers) - 1) % BATCH == 0  # whole imports only: the copy is one moment
    assert len(rows_of(copy, "audit_log")) == len(customers)  # each customer's entry came with it
    assert len(rows_of(database, "customers")) > len(customers)  # the writer went on after it

    ledger.load("invoices", [invoice("I1", "C0")])  # written after the backup: gone once restored
    restored = cli("db", "restore", "copy.db")

    assert restored.exit_code == 0, restored.output
    assert "restored" in restored.stdout
    assert rows_of(database, "customers") == customers
    assert rows_of(database, "invoices") == []
    # The app's pooled connections, open through it all, read the restored ledger.
    assert len(ledger_state(ledger.arrears.engine)["customers"]) == len(customers)


@sqlite_only
def test_restore_refuses_what_is_not_an_arrears_backup_and_changes_nothing(
    cli: Cli, ledger: Ledger, tmp_path: Path
) -> None:
    ledger.load("customers", [customer("C1", "Acme")])
    (tmp_path / "notes.txt").write_text("not a database\n", encoding="utf-8")
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    other.close()
    assert cli("db", "backup", "newer.db").exit_code == 0
    set_revision(tmp_path / "newer.db", "9999")
    assert cli("db", "backup", "older.db").exit_code == 0
    set_revision(tmp_path / "older.db", "0015")
    before = ledger.state()

    answers = {
        name: cli("db", "restore", name) for name in ("notes.txt", "other.db", "missing.db", "newer.db", "older.db")
    }

    for name, answer in answers.items():
        assert answer.exit_code == 1, (name, answer.output)
        assert "error:" in answer.output and "Traceback" not in answer.output
    assert "not an Arrears database" in answers["notes.txt"].output
    assert "not an Arrears database" in answers["other.db"].output
    assert "newer than this version of Arrears knows" in answers["newer.db"].output
    assert "overwrite a newer schema" in answers["older.db"].output
    assert ledger.state() == before


@sqlite_only
def test_an_older_backup_restores_into_an_empty_place_and_says_to_upgrade(
    cli: Cli, ledger: Ledger, tmp_path: Path
) -> None:
    ledger.load("customers", [customer("C1", "Acme")])
    assert cli("db", "backup", "older.db").exit_code == 0
    set_revision(tmp_path / "older.db", "0015")

    restored = cli("db", "restore", "older.db", "--database-url", f"sqlite:///{tmp_path / 'fresh.db'}")

    assert restored.exit_code == 0, restored.output
    assert "run `arrears db upgrade`" in restored.stdout
    assert rows_of(tmp_path / "fresh.db", "customers") == rows_of(tmp_path / "older.db", "customers")


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_on_postgresql_both_say_to_use_pg_dump_and_pg_restore(cli: Cli) -> None:
    backed_up = cli("db", "backup", "copy.db")
    restored = cli("db", "restore", "copy.db")

    assert backed_up.exit_code == 1 and "pg_dump" in backed_up.output
    assert restored.exit_code == 1 and "pg_restore" in restored.output
