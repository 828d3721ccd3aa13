"""`arrears disputes open|resolve|reject|list` as a user runs them, on both databases: exit status 0
and the dispute as JSON; a reason outside ARREARS_DISPUTE_REASONS, an amount above what is owed or a
second resolve is a user error (exit 1, the message on stderr, nothing changed); resolving with a
credit note or a write-off shows on the ledger once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from tests.e2e.conftest import Cli
from tests.ledger import Ledger, customer, invoice


@pytest.fixture
def invoices(ledger: Ledger) -> Ledger:
    ledger.load("customers", [customer("C1", "Acme Ltd", collector="maria")])
    ledger.load("invoices", [invoice("I1", amount="250.00"), invoice("I2", amount="80.00")])
    return ledger


@pytest.fixture(autouse=True)
def maria(ledger: Ledger) -> None:
    ledger.add_user("maria", "contributor")


def disputed(ledger: Ledger, external_id: str) -> bool:
    """Whether the invoice is held back from chasing by an open dispute."""
    i = t.invoices
    with ledger.arrears.engine.connect() as connection:
        return bool(connection.execute(select(i.c.disputed).where(i.c.external_id == external_id)).scalar_one())


def as_json(cli: Cli, *args: str) -> Any:
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_open_prints_the_dispute_owned_by_the_customers_collector(cli: Cli, invoices: Ledger) -> None:
    opened = as_json(cli, "disputes", "open", "I1", "--reason", "pricing", "--amount", "60.00", "--note", "Quoted 90")

    assert {k: opened[k] for k in ("invoice_external_id", "customer_external_id", "reason", "amount", "currency")} == {
        "invoice_external_id": "I1",
        "customer_external_id": "C1",
        "reason": "pricing",
        "amount": "60.00",
        "currency": "USD",
    }
    assert (opened["owner"], opened["status"], opened["note"], opened["closed_at"]) == (
        "maria",
        "open",
        "Quoted 90",
        None,
    )


def test_open_names_another_owner(cli: Cli, invoices: Ledger, ledger: Ledger) -> None:
    ledger.add_user("morgan", "manager")

    opened = as_json(cli, "disputes", "open", "I2", "--reason", "damaged", "--owner", "morgan")

    assert (opened["owner"], opened["amount"]) == ("morgan", "80.00")


def test_a_reason_outside_the_list_is_refused_with_the_list(cli: Cli, invoices: Ledger) -> None:
    result = cli("disputes", "open", "I1", "--reason", "price")

    assert result.exit_code == 1
    assert "'price' is not a dispute reason: use one of pricing, quantity, damaged, not_received, duplicate" in (
        result.stderr.replace("\n", " ")
    )
    assert as_json(cli, "disputes", "list", "--status", "all") == []


def test_the_reasons_come_from_arrears_dispute_reasons(
    cli: Cli, invoices: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARREARS_DISPUTE_REASONS", "warranty,other")

    refused = cli("disputes", "open", "I1", "--reason", "pricing")
    opened = as_json(cli, "disputes", "open", "I1", "--reason", "warranty")

    assert refused.exit_code == 1
    assert "use one of warranty, other" in refused.stderr
    assert opened["reason"] == "warranty"


def test_a_bad_arrears_dispute_reasons_is_a_user_error(
    cli: Cli, invoices: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARREARS_DISPUTE_REASONS", "pricing,Not Received")

    result = cli("disputes", "list")

    assert result.exit_code == 1
    assert "ARREARS_DISPUTE_REASONS: 'Not Received' is not a reason code" in result.stderr


def test_an_amount_above_the_outstanding_is_refused(cli: Cli, invoices: Ledger) -> None:
    result = cli("disputes", "open", "I2", "--reason", "pricing", "--amount", "80.01")

    assert result.exit_code == 1
    assert "above the invoice's outstanding amount" in result.stderr


def test_resolve_with_a_credit_note_records_it_on_the_ledger_once(cli: Cli, invoices: Ledger, ledger: Ledger) -> None:
    dispute_id = as_json(cli, "disputes", "open", "I1", "--reason", "pricing", "--amount", "60.00")["id"]

    resolved = as_json(cli, "disputes", "resolve", str(dispute_id), "--note", "Agreed", "--credit-note", "60.00")
    again = cli("disputes", "resolve", str(dispute_id), "--credit-note", "60.00")

    assert resolved["status"] == "resolved"
    assert resolved["resolution"] == f"Agreed (credit note DISPUTE-{dispute_id}-CN, 60.00 USD)"
    assert again.exit_code == 1
    assert f"dispute {dispute_id} is already resolved" in again.stderr
    assert ledger.invoice("I1") == ("open", "190.00")
    assert [n["external_id"] for n in ledger.exported_rows("credit-notes")] == [f"DISPUTE-{dispute_id}-CN"]


def test_resolve_with_a_write_off_and_without_a_note(cli: Cli, invoices: Ledger, ledger: Ledger) -> None:
    dispute_id = as_json(cli, "disputes", "open", "I2", "--reason", "not_received")["id"]

    result = cli("disputes", "resolve", str(dispute_id), "--write-off", "80.00")

    assert result.exit_code == 0, result.output
    assert f"dispute {dispute_id} on invoice I2 (C1): resolved" in result.stdout
    assert ledger.invoice("I2") == ("paid", "0.00")
    [note] = ledger.exported_rows("credit-notes")
    assert (note["external_id"], note["reason"]) == (f"DISPUTE-{dispute_id}-WO", "write_off")


def test_a_credit_note_above_the_disputed_amount_is_refused_and_nothing_changes(
    cli: Cli, invoices: Ledger, ledger: Ledger
) -> None:
    dispute_id = as_json(cli, "disputes", "open", "I1", "--reason", "pricing", "--amount", "60.00")["id"]

    result = cli("disputes", "resolve", str(dispute_id), "--credit-note", "70.00")

    assert result.exit_code == 1
    assert "above the disputed amount" in result.stderr
    assert ledger.exported_rows("credit-notes") == []
    assert as_json(cli, "disputes", "list")[0]["status"] == "open"


def test_reject_closes_the_dispute_and_the_invoice_is_chased_again(cli: Cli, invoices: Ledger) -> None:
    dispute_id = as_json(cli, "disputes", "open", "I1", "--reason", "pricing")["id"]
    assert disputed(invoices, "I1") is True

    rejected = as_json(cli, "disputes", "reject", str(dispute_id), "--note", "Contract price applies")

    assert (rejected["status"], rejected["resolution"]) == ("rejected", "Contract price applies")
    assert as_json(cli, "disputes", "list") == []
    assert disputed(invoices, "I1") is False
    assert invoices.invoice("I1") == ("open", "250.00")


def test_an_unknown_dispute_is_a_user_error(cli: Cli, invoices: Ledger) -> None:
    result = cli("disputes", "resolve", "999")

    assert result.exit_code == 1
    assert "no dispute 999" in result.stderr


def test_list_by_status_in_json_csv_and_table(cli: Cli, invoices: Ledger) -> None:
    first = as_json(cli, "disputes", "open", "I1", "--reason", "pricing")["id"]
    second = as_json(cli, "disputes", "open", "I2", "--reason", "damaged")["id"]
    cli("disputes", "reject", str(first))

    open_ones = as_json(cli, "disputes", "list")
    every = as_json(cli, "disputes", "list", "--status", "all")
    as_csv = cli("disputes", "list", "--status", "all", "--format", "csv")
    table = cli("disputes", "list", "--status", "rejected")

    assert [d["id"] for d in open_ones] == [second]
    assert [(d["id"], d["status"]) for d in every] == [(second, "open"), (first, "rejected")]
    assert as_csv.stdout.splitlines()[0].startswith("id,customer_external_id,invoice_external_id,reason,amount")
    assert len(as_csv.stdout.splitlines()) == 3
    assert table.exit_code == 0
    assert "I1" in table.stdout and "rejected" in table.stdout


def test_assign_hands_the_dispute_to_another_owner(cli: Cli, invoices: Ledger, ledger: Ledger) -> None:
    ledger.add_user("morgan", "manager")
    dispute_id = as_json(cli, "disputes", "open", "I1", "--reason", "pricing")["id"]

    assigned = as_json(cli, "disputes", "assign", str(dispute_id), "morgan")
    unknown = cli("disputes", "assign", str(dispute_id), "nobody")

    assert assigned["owner"] == "morgan"
    assert [d["id"] for d in as_json(cli, "disputes", "list", "--owner", "morgan")] == [dispute_id]
    assert unknown.exit_code == 1
    assert "no user named 'nobody'" in unknown.stderr


def test_a_status_outside_the_list_is_bad_usage(cli: Cli, invoices: Ledger) -> None:
    result = cli("disputes", "list", "--status", "closed")

    assert result.exit_code == 2


@pytest.mark.parametrize("command", ["open", "resolve", "reject", "assign", "list"])
def test_every_command_teaches_with_an_example(cli: Cli, command: str) -> None:
    result = cli("disputes", command, "--help")

    assert result.exit_code == 0
    assert f"arrears disputes {command}" in result.stdout
