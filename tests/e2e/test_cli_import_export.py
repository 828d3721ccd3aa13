"""`arrears import` and `arrears export` as a user runs them: a summary on stdout, every error of a refused
file on stderr with exit status 1 and nothing written, and exports that import back unchanged."""

from __future__ import annotations

import json

import pytest

from arrears.domain.records import KINDS
from tests.e2e.conftest import Cli
from tests.ledger import (
    BAD_FILES,
    BadFile,
    Ledger,
    contact,
    credit_note,
    credit_score,
    customer,
    has_line,
    invoice,
    many_invoices,
    payment,
    seed_ledger,
)


@pytest.mark.parametrize("bad", BAD_FILES)
def test_a_refused_file_exits_with_1_names_where_and_why_on_stderr_and_writes_nothing(
    cli: Cli, ledger: Ledger, bad: BadFile
) -> None:
    seed_ledger(ledger)
    ledger.file("bad.csv", bad.content)
    before = ledger.state()

    result = cli("import", bad.kind, "bad.csv")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: bad.csv: rejected with")
    assert has_line(result.stderr, bad.error.format(file="bad.csv")), result.stderr
    assert ledger.state() == before


def test_ten_thousand_bad_rows_give_a_short_report(cli: Cli, ledger: Ledger) -> None:
    seed_ledger(ledger)
    ledger.file("invoices.csv", list(many_invoices(10_000, amount="12,00")))

    result = cli("import", "invoices", "invoices.csv")

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: invoices.csv: rejected with 10,000 errors; nothing was imported"
    assert lines[1].startswith("invoices.csv:2: column 'amount': '12,00' is not an amount")
    assert lines[-1] == "... and 9,950 more errors (the first 50 are shown)"
    assert len(lines) == 52


def test_a_value_that_looks_like_terminal_markup_is_shown_as_written(cli: Cli, ledger: Ledger) -> None:
    seed_ledger(ledger)
    ledger.file("payments.csv", [payment("P9", "[/b]", invoice=None), payment("P8", "[red]C9", invoice=None)])

    result = cli("import", "payments", "payments.csv")

    assert result.exit_code == 1
    assert "no customer with external id '[/b]'" in result.stderr
    assert "no customer with external id '[red]C9'" in result.stderr


def test_an_unknown_column_is_ignored_when_asked(cli: Cli, ledger: Ledger) -> None:
    seed_ledger(ledger)
    ledger.file("invoices.csv", [invoice("I9", colour="red")])

    refused = cli("import", "invoices", "invoices.csv")
    accepted = cli("import", "invoices", "invoices.csv", "--ignore-unknown")

    assert refused.exit_code == 1
    assert "--ignore-unknown on the command line" in refused.stderr
    assert accepted.exit_code == 0, accepted.output
    assert accepted.stdout == "invoices.csv: 1 invoices rows: 1 created, 0 updated, 0 unchanged\n"


def test_importing_prints_what_was_created_updated_and_left_unchanged(cli: Cli, ledger: Ledger) -> None:
    ledger.file("customers.csv", [customer("C1", "Acme Ltd"), customer("C2", "Globex")])

    first = cli("import", "customers", "customers.csv")
    second = cli("import", "customers", "customers.csv", "--format", "json")

    assert first.exit_code == 0, first.output
    assert first.stdout == "customers.csv: 2 customers rows: 2 created, 0 updated, 0 unchanged\n"
    assert json.loads(second.stdout) == {
        "kind": "customers",
        "file": "customers.csv",
        "rows": 2,
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "dry_run": False,
    }


def test_a_dry_run_prints_the_counts_and_writes_nothing(cli: Cli, ledger: Ledger) -> None:
    seed_ledger(ledger)
    ledger.file("invoices.csv", [invoice("I1", amount="150.00"), invoice("I9")])
    before = ledger.state()

    result = cli("import", "invoices", "invoices.csv", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "invoices.csv: 2 invoices rows: 1 created, 1 updated, 0 unchanged (dry run: nothing was written)\n"
    )
    assert ledger.state() == before


def test_a_file_can_come_from_standard_input(cli: Cli, ledger: Ledger) -> None:
    result = cli("import", "customers", "-", input="external_id,name\nC1,Acme Ltd\n")

    assert result.exit_code == 0, result.output
    assert result.stdout == "<stdin>: 1 customers rows: 1 created, 0 updated, 0 unchanged\n"


def test_a_missing_file_is_a_user_error(cli: Cli) -> None:
    result = cli("import", "customers", "nowhere.csv")

    assert result.exit_code == 1
    assert "nowhere.csv: no such file" in result.stderr


def test_exports_print_csv_or_json(cli: Cli, ledger: Ledger) -> None:
    seed_ledger(ledger)

    as_csv = cli("export", "invoices")
    as_json = cli("export", "invoices", "--format", "json")

    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.stdout.splitlines() == [
        "external_id,customer_external_id,number,issue_date,due_date,amount,currency,status",
        "I1,C1,I1,2026-05-31,2026-06-30,100.00,USD,open",
        "I2,C1,I2,2026-05-31,2026-06-30,100.00,USD,open",
    ]
    assert as_json.exit_code == 0, as_json.output
    assert [(row["external_id"], row["amount"]) for row in json.loads(as_json.stdout)] == [
        ("I1", "100.00"),
        ("I2", "100.00"),
    ]


def test_every_export_written_to_a_file_imports_back_all_unchanged(cli: Cli, ledger: Ledger) -> None:
    seed_ledger(ledger)
    ledger.load("contacts", [contact("C1", "Ann Lee", email="ann@acme.example")])
    ledger.load("credit-notes", [credit_note("CN1", "K1", invoice=None, amount="0.125")])
    ledger.load("credit-scores", [credit_score("J1", score=77)])
    ledger.backdate()
    before = ledger.state()
    counts = {kind: len(ledger.exported_rows(kind)) for kind in KINDS}

    exported = {kind: cli("export", kind, "--output", f"{kind}.csv") for kind in KINDS}
    imported = {kind: cli("import", kind, f"{kind}.csv") for kind in KINDS}

    for kind, count in counts.items():
        assert exported[kind].exit_code == 0, exported[kind].output
        assert exported[kind].stderr == f"wrote {count} {kind} to {kind}.csv\n"
        assert imported[kind].exit_code == 0, imported[kind].output
        assert imported[kind].stdout == f"{kind}.csv: {count} {kind} rows: 0 created, 0 updated, {count} unchanged\n"
    assert ledger.state() == before


def test_exporting_an_unknown_kind_is_refused(cli: Cli) -> None:
    result = cli("export", "widgets")

    assert result.exit_code == 2
    assert "'widgets' is not a kind of export" in result.stderr
