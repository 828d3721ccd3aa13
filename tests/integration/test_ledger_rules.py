"""What payments, credit notes and re-imports do to invoices, customers, contacts and credit scores."""

from __future__ import annotations

from datetime import date

from tests.ledger import (
    Ledger,
    contact,
    credit_note,
    credit_score,
    customer,
    has_line,
    invoice,
    payment,
    without,
)


def _acme_with_invoices(ledger: Ledger, *invoices: dict[str, object]) -> None:
    ledger.load("customers", [customer("C1", "Acme Ltd")])
    ledger.load("invoices", list(invoices) or [invoice("I1")])


def test_a_partial_payment_reduces_what_is_outstanding(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"))

    ledger.load("payments", [payment("P1", invoice="I1", amount="30.00")])

    assert ledger.invoice("I1") == ("open", "70.00")
    assert ledger.aging_of("C1")["total"] == "70.00"


def test_an_invoice_is_paid_once_its_payments_cover_it(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"))
    ledger.load("payments", [payment("P1", invoice="I1", amount="30.00")])

    ledger.load("payments", [payment("P2", invoice="I1", amount="70.00")])

    assert ledger.invoice("I1") == ("paid", "0.00")
    assert ledger.aging() == []


def test_a_payment_and_a_credit_note_together_settle_an_invoice(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"))
    ledger.load("payments", [payment("P1", invoice="I1", amount="90.00")])

    ledger.load("credit-notes", [credit_note("CN1", invoice="I1", amount="10.00")])

    assert ledger.invoice("I1") == ("paid", "0.00")


def test_a_credit_note_reduces_what_is_outstanding(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"))

    ledger.load("credit-notes", [credit_note("CN1", invoice="I1", amount="25.50")])

    assert ledger.invoice("I1") == ("open", "74.50")
    assert ledger.aging_of("C1")["total"] == "74.50"


def test_a_payment_moved_to_another_invoice_reopens_the_first_and_settles_the_second(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("A"), invoice("B"))
    ledger.load("payments", [payment("P1", invoice="A", amount="100.00")])
    assert (ledger.invoice("A"), ledger.invoice("B")) == (("paid", "0.00"), ("open", "100.00"))

    summary = ledger.load("payments", [payment("P1", invoice="B", amount="100.00")])

    assert summary.counts.updated == 1
    assert (ledger.invoice("A"), ledger.invoice("B")) == (("open", "100.00"), ("paid", "0.00"))


def test_a_payment_moved_off_an_invoice_onto_the_account_reopens_the_invoice(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("A"))
    ledger.load("payments", [payment("P1", invoice="A", amount="100.00")])

    ledger.load("payments", [payment("P1", invoice=None, amount="100.00")])

    assert ledger.invoice("A") == ("open", "100.00")
    assert ledger.aging_of("C1")["unapplied_cash"] == "100.00"


def test_a_payment_raised_above_its_invoice_without_naming_the_invoice_is_rejected(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"))
    ledger.load("payments", [payment("P1", invoice="I1", amount="60.00")])
    before = ledger.state()
    raised = without(payment("P1", amount="100.01"), "invoice_external_id")

    error = ledger.rejected("payments", [raised])

    assert has_line(error, "payments.csv:2: column 'amount': allocates more than invoice 'I1' has outstanding")
    assert ledger.state() == before


def test_unapplied_cash_is_reported_apart_and_never_netted(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00", due=date(2026, 6, 10)))

    ledger.load("payments", [payment("P1", invoice=None, amount="40.00")])

    line = ledger.aging_of("C1")
    assert (line["1-30"], line["total"], line["unapplied_cash"]) == ("100.00", "100.00", "40.00")
    assert ledger.invoice("I1") == ("open", "100.00")


def test_an_unapplied_credit_note_is_reported_apart(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"))

    ledger.load("credit-notes", [credit_note("CN1", invoice=None, amount="12.00")])

    line = ledger.aging_of("C1")
    assert (line["total"], line["unapplied_credit"]) == ("100.00", "12.00")


def test_a_void_invoice_is_left_out_of_aging(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"), invoice("I2", amount="5.00"))

    ledger.load("invoices", [invoice("I1", amount="100.00", status="void")])

    assert ledger.invoice("I1")[0] == "void"
    assert ledger.aging_of("C1")["total"] == "5.00"


def test_a_void_invoice_cannot_receive_a_payment(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", status="void"))

    error = ledger.rejected("payments", [payment("P1", invoice="I1", amount="1.00")])

    assert has_line(error, "payments.csv:2: column 'invoice_external_id': invoice 'I1' is void")


def test_an_invoice_amount_can_be_raised_above_what_is_paid_and_it_reopens(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"))
    ledger.load("payments", [payment("P1", invoice="I1", amount="100.00")])

    ledger.load("invoices", [invoice("I1", amount="120.00")])

    assert ledger.invoice("I1") == ("open", "20.00")


def test_an_invoice_amount_cannot_go_below_what_is_paid(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"))
    ledger.load("payments", [payment("P1", invoice="I1", amount="80.00")])
    before = ledger.state()

    error = ledger.rejected("invoices", [invoice("I1", amount="79.99")])

    assert has_line(error, "invoices.csv:2: column 'amount': 79.99 is below the 80.00 USD already paid or credited")
    assert ledger.state() == before


def test_an_invoice_cannot_move_to_another_customer(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1"), customer("C2")])
    ledger.load("invoices", [invoice("I1", "C1")])

    error = ledger.rejected("invoices", [invoice("I1", "C2")])

    assert has_line(error, "invoices.csv:2: column 'customer_external_id': the invoice belongs to customer 'C1'")


def test_a_customer_with_invoices_cannot_change_currency(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1"))
    before = ledger.state()

    error = ledger.rejected("customers", [customer("C1", "Acme Ltd", currency="EUR")])

    assert has_line(error, "customers.csv:2: column 'currency': the customer already has invoices, payments or")
    assert ledger.state() == before


def test_a_customer_with_only_cash_on_account_cannot_change_currency(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "Acme Ltd")])
    ledger.load("payments", [payment("P1", invoice=None, amount="10.00")])

    error = ledger.rejected("customers", [customer("C1", "Acme Ltd", currency="EUR")])

    assert has_line(error, "customers.csv:2: column 'currency': the customer already has invoices, payments or")


def test_a_customer_without_invoices_may_change_currency(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "Acme Ltd")])

    summary = ledger.load("customers", [customer("C1", "Acme Ltd", currency="EUR")])

    assert summary.counts.updated == 1
    assert ledger.exported_rows("customers")[0]["currency"] == "EUR"


def test_a_credit_limit_is_read_in_the_stored_currency_of_the_customer(ledger: Ledger) -> None:
    ledger.load("customers", [customer("J1", "Tokyo Trading", currency="JPY")])

    error = ledger.rejected("customers", [customer("J1", "Tokyo Trading", credit_limit="1000.50")])

    assert has_line(error, "customers.csv:2: column 'credit_limit': 1000.50 has more decimals than JPY allows")


def test_a_contact_with_an_external_id_is_matched_by_it_even_when_renamed(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1")])
    ledger.load("contacts", [contact("C1", "Ann Lee", external_id="K1", email="ann@acme.example")])

    summary = ledger.load("contacts", [contact("C1", "Ann Lee-Smith", external_id="K1", email="ann@acme.example")])

    assert (summary.counts.created, summary.counts.updated) == (0, 1)
    assert [row["name"] for row in ledger.exported_rows("contacts")] == ["Ann Lee-Smith"]


def test_a_contact_without_an_external_id_is_matched_by_name_within_its_customer(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1"), customer("C2")])
    ledger.load("contacts", [contact("C1", "Ann Lee", email="ann@old.example")])

    summary = ledger.load("contacts", [contact("C1", "ann lee", email="ann@new.example"), contact("C2", "Ann Lee")])

    assert (summary.counts.created, summary.counts.updated) == (1, 1)
    rows = [(row["customer_external_id"], row["email"]) for row in ledger.exported_rows("contacts")]
    assert rows == [("C1", "ann@new.example"), ("C2", "")]


def test_a_credit_score_is_replaced_for_the_same_customer_date_and_source(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1")])
    ledger.load("credit-scores", [credit_score("C1", score=600, source="agency")])

    summary = ledger.load(
        "credit-scores",
        [
            credit_score("C1", score=650, source="agency"),
            credit_score("C1", score=70, source="internal"),
            credit_score("C1", on=date(2026, 7, 1), score=655, source="agency"),
        ],
    )

    assert (summary.counts.created, summary.counts.updated) == (2, 1)
    rows = [(row["date"], row["source"], row["score"]) for row in ledger.exported_rows("credit-scores")]
    assert rows == [("2026-06-30", "agency", "650"), ("2026-06-30", "internal", "70"), ("2026-07-01", "agency", "655")]


def test_an_invoice_with_payments_on_it_cannot_be_voided(ledger: Ledger) -> None:
    _acme_with_invoices(ledger, invoice("I1", amount="100.00"))
    ledger.load("payments", [payment("P1", invoice="I1", amount="30.00")])
    before = ledger.state()

    error = ledger.rejected("invoices", [invoice("I1", amount="100.00", status="void")])

    assert has_line(error, "invoices.csv:2: column 'status': invoice 'I1' has 30.00 USD paid or credited on it")
    assert ledger.state() == before


def test_a_contact_first_known_by_name_keeps_its_identity_when_an_external_id_arrives(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1")])
    ledger.load("contacts", [contact("C1", "Ann Lee", email="ann@old.example")])

    summary = ledger.load("contacts", [contact("C1", "Ann Lee", external_id="K1", email="ann@new.example")])

    assert (summary.counts.created, summary.counts.updated) == (0, 1)
    rows = [(row["external_id"], row["name"], row["email"]) for row in ledger.exported_rows("contacts")]
    assert rows == [("K1", "Ann Lee", "ann@new.example")]


def test_a_payment_kept_on_its_invoice_cannot_move_to_another_customer(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1"), customer("C2")])
    ledger.load("invoices", [invoice("I1", "C1")])
    ledger.load("payments", [payment("P1", "C1", invoice="I1", amount="10.00")])

    error = ledger.rejected("payments", [without(payment("P1", "C2", amount="10.00"), "invoice_external_id")])

    assert has_line(error, "payments.csv:2: column 'invoice_external_id': invoice 'I1' belongs to customer 'C1'")
