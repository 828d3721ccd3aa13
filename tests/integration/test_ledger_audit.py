"""Every ledger write leaves an audit entry on the customer's timeline: who wrote it (the terminal,
a user of the import page, an API token's user), when, through what, and the rows it added or changed
with what they were before."""

from __future__ import annotations

from typing import Any

from arrears.domain.audit import Actor, ActorKind
from arrears.domain.users import TERMINAL
from arrears.services import ledger as ledger_service
from arrears.services.accounts import timeline
from tests.ledger import Ledger, contact, customer, invoice, payment


def _entries(ledger: Ledger, external_id: str = "C1") -> list[Any]:
    """The customer's timeline, oldest first."""
    return list(reversed(timeline(ledger.arrears.uow(), TERMINAL, external_id).items))


def _imported(ledger: Ledger, external_id: str = "C1") -> list[Any]:
    return [entry for entry in _entries(ledger, external_id) if entry.action == "imported"]


def test_an_imported_payment_is_on_its_customers_timeline_with_the_file_and_the_allocation(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", currency="USD"), customer("C2", currency="USD")])
    ledger.load("invoices", [invoice("I1", "C1"), invoice("I2", "C2")])

    ledger.load("payments", [payment("P1", "C1", invoice="I1", amount="60.00"), payment("P2", "C2", invoice="I2")])

    entry = _imported(ledger, "C1")[-1]
    assert (entry.actor_kind, entry.actor, entry.entity, entry.entity_id) == (
        "import",
        TERMINAL.name,
        "payment",
        "P1",
    )
    assert entry.summary == "payments.csv: 1 payment(s) added, 0 changed"
    [row] = entry.changes["rows"]
    assert (row["external_id"], row["amount_minor"], row["invoice"], row["was"]) == ("P1", 6000, "I1", None)


def test_a_changed_row_is_audited_with_what_it_was_and_an_unchanged_one_is_not(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", currency="USD")])
    ledger.load("invoices", [invoice("I1"), invoice("I2")])
    ledger.load("payments", [payment("P1", invoice="I1", amount="60.00")])

    ledger.load("payments", [payment("P1", invoice="I2", amount="50.00")])
    ledger.load("payments", [payment("P1", invoice="I2", amount="50.00")])  # the same file again

    added, moved = [e for e in _imported(ledger) if e.entity == "payment"]
    assert moved.summary == "payments.csv: 0 payment(s) added, 1 changed"
    [row] = moved.changes["rows"]
    assert (row["amount_minor"], row["invoice"]) == (5000, "I2")
    assert (row["was"]["amount_minor"], row["was"]["invoice"]) == (6000, "I1")
    assert added.summary == "payments.csv: 1 payment(s) added, 0 changed"


def test_one_entry_per_customer_lists_its_rows(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", currency="USD"), customer("C2", currency="USD")])

    ledger.load("invoices", [invoice("I1", "C1"), invoice("I2", "C1"), invoice("I3", "C2")])

    [c1] = [e for e in _imported(ledger, "C1") if e.entity == "invoice"]
    assert c1.entity_id is None
    assert sorted(row["external_id"] for row in c1.changes["rows"]) == ["I1", "I2"]
    assert c1.summary == "invoices.csv: 2 invoice(s) added, 0 changed"


def test_each_new_customer_has_its_creation_on_its_own_timeline(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", name="Acme", currency="USD"), customer("C2", name="Beta")])

    [acme] = _imported(ledger, "C1")
    [beta] = _imported(ledger, "C2")
    assert (acme.entity, acme.entity_id, acme.changes["rows"][0]["name"]) == ("customer", "C1", "Acme")
    assert (beta.entity_id, beta.changes["rows"][0]["name"]) == ("C2", "Beta")


def test_a_changed_customer_is_audited_with_what_it_was(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", name="Acme", currency="USD")])

    ledger.load("customers", [customer("C1", name="Acme Ltd", currency="USD")])

    renamed = _imported(ledger)[-1]
    assert renamed.summary == "customers.csv: 0 customer(s) added, 1 changed"
    assert (renamed.changes["rows"][0]["name"], renamed.changes["rows"][0]["was"]["name"]) == ("Acme Ltd", "Acme")


def test_an_imported_contact_is_named_by_its_own_fields(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", currency="USD")])

    ledger.load("contacts", [contact("C1", "Ann Lee", external_id="K1", email="ann@example.com")])

    [row] = _imported(ledger)[-1].changes["rows"]
    assert (row["external_id"], row["name"], row["email"], row["was"]) == ("K1", "Ann Lee", "ann@example.com", None)


def test_a_rejected_or_dry_run_import_leaves_no_entry(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", currency="USD")])
    ledger.load("invoices", [invoice("I1", amount="100.00")])
    before = len(_entries(ledger))

    ledger.rejected("payments", [payment("P1", amount="150.00")])
    ledger.load("payments", [payment("P1", amount="10.00")], dry_run=True)

    assert len(_entries(ledger)) == before


def test_an_api_write_names_the_tokens_user_and_the_api(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", currency="USD")])
    ledger.load("invoices", [invoice("I1")])
    ledger.add_user("erp", "owner")
    with ledger.arrears.uow() as uow:
        erp = uow.users.by_name("erp")
    assert erp is not None

    ledger_service.put_record(
        ledger.arrears.uow(),
        erp,
        "payments",
        "P9",
        {"customer_external_id": "C1", "date": "2026-06-01", "amount": "10.00", "invoice_external_id": "I1"},
        "payment P9",
    )

    entry = _imported(ledger)[-1]
    assert (entry.actor_kind, entry.actor) == ("import", "erp")
    assert entry.summary == "API, payment P9: 1 payment(s) added, 0 changed"


def test_a_payment_recorded_for_a_system_names_it_and_its_origin(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", currency="USD")])
    ledger.load("invoices", [invoice("I1")])
    provider = Actor(ActorKind.SYSTEM, None, "payments provider")

    uow = ledger.arrears.uow()
    with uow:
        ledger_service.record_payments(
            uow,
            provider,
            "event evt_42",
            [
                {
                    "external_id": "PP-1",
                    "customer_external_id": "C1",
                    "date": "2026-06-01",
                    "amount": "25.00",
                    "invoice_external_id": "I1",
                }
            ],
        )
        uow.commit()

    entry = _imported(ledger)[-1]
    assert (entry.actor_kind, entry.actor, entry.summary) == (
        "system",
        "payments provider",
        "event evt_42: 1 payment(s) added, 0 changed",
    )
    assert ledger.invoice("I1") == ("open", "75.00")
