"""Re-importing is safe: rows are matched by their key, the same file twice changes nothing, a changed
row is updated, and columns a file leaves out keep what is stored."""

from __future__ import annotations

import pytest

from tests.ledger import (
    Ledger,
    contact,
    credit_note,
    credit_score,
    customer,
    invoice,
    payment,
    without,
)

# Two rows of each kind, with optional columns both filled and left empty.
FILES: dict[str, list[dict[str, object]]] = {
    "customers": [
        customer("C2", "Globex", currency="EUR", payment_terms_days=45, credit_limit="5000.00", collector="maria"),
        customer("C3", "Initech", email="ap@initech.example", phone="+1 555 0100", tags="b;a", on_hold="true"),
    ],
    "contacts": [
        contact("C1", "Ann Lee", external_id="K1", email="ann@acme.example", role="AP clerk"),
        contact("C1", "Bob Ray", receives_reminders="false"),
    ],
    "invoices": [
        invoice("I2", number="INV-0002", amount="250.00"),
        invoice("I3", status="void"),
    ],
    "payments": [
        payment("P1", invoice="I1", amount="40.00", method="wire"),
        payment("P2", invoice=None, amount="15.00", currency="USD"),
    ],
    "credit-notes": [
        credit_note("CN1", invoice="I1", amount="5.00", reason="damaged"),
        credit_note("CN2", invoice=None, amount="7.50"),
    ],
    "credit-scores": [
        credit_score("C1", score=640, max_score=850, rating="B", source="agency"),
        credit_score("C1", score=71),
    ],
}


def _base(ledger: Ledger) -> None:
    ledger.add_user("maria")
    ledger.load("customers", [customer("C1", "Acme Ltd")])
    ledger.load("invoices", [invoice("I1")])


@pytest.mark.parametrize("kind", list(FILES))
def test_importing_the_same_file_twice_leaves_every_row_untouched(ledger: Ledger, kind: str) -> None:
    _base(ledger)
    path = ledger.file(f"{kind}.csv", FILES[kind])
    first = ledger.import_file(kind, path)
    ledger.backdate()
    before = ledger.state()

    again = ledger.import_file(kind, path)

    assert (first.counts.created, first.counts.updated, first.counts.unchanged) == (2, 0, 0)
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 2)
    assert ledger.state() == before


def test_a_changed_row_is_updated_and_the_others_are_left_alone(ledger: Ledger) -> None:
    _base(ledger)
    ledger.load("invoices", [invoice("I2"), invoice("I3")])
    ledger.backdate()
    before = ledger.state()["invoices"]

    summary = ledger.load("invoices", [invoice("I1"), invoice("I2", amount="120.00"), invoice("I3")])

    assert (summary.counts.created, summary.counts.updated, summary.counts.unchanged) == (0, 1, 2)
    assert ledger.invoice("I2") == ("open", "120.00")
    assert [row.external_id for row in ledger.state()["invoices"] if row not in before] == ["I2"]


def test_a_customers_file_without_collector_keeps_the_collector(ledger: Ledger) -> None:
    ledger.add_user("maria")
    ledger.load("customers", [customer("C1", "Acme Ltd", collector="maria", tags="key", on_hold="true")])

    summary = ledger.load("customers", [customer("C1", "Acme Limited")])

    assert summary.counts.updated == 1
    [row] = ledger.exported_rows("customers")
    assert (row["name"], row["collector"], row["tags"], row["on_hold"]) == ("Acme Limited", "maria", "key", "true")


def test_a_payments_file_without_invoice_column_keeps_the_allocation(ledger: Ledger) -> None:
    _base(ledger)
    ledger.load("payments", [payment("P1", invoice="I1", amount="100.00", method="wire")])

    summary = ledger.load("payments", [without(payment("P1", method="cheque"), "invoice_external_id")])

    assert summary.counts.updated == 1
    assert ledger.invoice("I1") == ("paid", "0.00")
    [row] = ledger.exported_rows("payments")
    assert (row["invoice_external_id"], row["method"]) == ("I1", "cheque")


def test_an_invoices_file_without_number_or_status_keeps_them(ledger: Ledger) -> None:
    _base(ledger)
    ledger.load("invoices", [invoice("I2", number="INV-2", status="void")])

    ledger.load("invoices", [invoice("I2", amount="90.00")])

    [row] = [row for row in ledger.exported_rows("invoices") if row["external_id"] == "I2"]
    assert (row["number"], row["status"], row["amount"]) == ("INV-2", "void", "90.00")


def test_a_dry_run_counts_the_changes_but_writes_nothing(ledger: Ledger) -> None:
    _base(ledger)
    before = ledger.state()

    summary = ledger.load("invoices", [invoice("I1", amount="150.00"), invoice("I2")], dry_run=True)

    assert (summary.counts.created, summary.counts.updated, summary.counts.unchanged) == (1, 1, 0)
    assert summary.sentence().endswith("(dry run: nothing was written)")
    assert ledger.state() == before


def test_a_dry_run_still_rejects_a_bad_file(ledger: Ledger) -> None:
    _base(ledger)

    error = ledger.rejected("payments", [payment("P1", invoice="I1", amount="100.01")], dry_run=True)

    assert "allocates more than invoice 'I1' has outstanding" in error.message
