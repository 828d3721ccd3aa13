"""Aging as docs/cli.md defines it: d = as-of date − due date; current d ≤ 0, then 1-30, 31-60, 61-90, 91+;
outstanding amounts of open invoices, per customer and in total, one report per currency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from arrears.domain.aging import BUCKETS
from tests.ledger import AS_OF, Ledger, credit_note, customer, invoice, payment

ZERO = dict.fromkeys(BUCKETS, "0.00")


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-15, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91+"),
        (400, "91+"),
    ],
)
def test_an_invoice_falls_in_the_bucket_of_its_days_past_due(ledger: Ledger, days_past_due: int, bucket: str) -> None:
    ledger.load("customers", [customer("C1")])
    due = AS_OF - timedelta(days=days_past_due)
    ledger.load("invoices", [invoice("I1", due=due, issued=min(due, AS_OF), amount="12.34")])

    line = ledger.aging_of("C1")

    assert {name: line[name] for name in BUCKETS} == {**ZERO, bucket: "12.34"}
    assert line["total"] == "12.34"


def test_the_report_has_a_line_per_customer_and_a_total(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "Acme Ltd"), customer("C2", "Blue Sky Inc")])
    ledger.load(
        "invoices",
        [
            invoice("I1", "C1", due=AS_OF, amount="100.00"),
            invoice("I2", "C1", due=AS_OF - timedelta(days=45), amount="50.00"),
            invoice("I3", "C2", due=AS_OF - timedelta(days=100), amount="20.00"),
            invoice("I4", "C2", due=AS_OF - timedelta(days=10), amount="5.25"),
        ],
    )

    [report] = ledger.aging()

    assert (report["as_of"], report["currency"], report["buckets"]) == ("2026-06-30", "USD", list(BUCKETS))
    assert [(c["external_id"], c["name"], c["total"]) for c in report["customers"]] == [
        ("C1", "Acme Ltd", "150.00"),
        ("C2", "Blue Sky Inc", "25.25"),
    ]
    total = report["total"]
    assert [total[name] for name in (*BUCKETS, "total")] == ["100.00", "5.25", "50.00", "0.00", "20.00", "175.25"]


def test_as_of_a_past_date_adds_back_what_was_paid_or_credited_after_it(ledger: Ledger) -> None:
    past = date(2026, 5, 31)
    ledger.load("customers", [customer("C1")])
    ledger.load("invoices", [invoice("I1", due=date(2026, 5, 1), amount="100.00")])
    ledger.load(
        "payments",
        [
            payment("P-before", invoice="I1", on=date(2026, 5, 20), amount="10.00"),
            payment("P-after", invoice="I1", on=date(2026, 6, 15), amount="85.00"),
        ],
    )
    ledger.load("credit-notes", [credit_note("CN-after", invoice="I1", on=date(2026, 6, 1), amount="5.00")])
    assert ledger.invoice("I1") == ("paid", "0.00")

    line = ledger.aging_of("C1", as_of=past)

    assert (line["1-30"], line["total"]) == ("90.00", "90.00")
    assert ledger.aging(as_of=AS_OF) == []


def test_as_of_a_past_date_leaves_out_invoices_issued_after_it(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1")])
    ledger.load(
        "invoices",
        [
            invoice("I-old", issued=date(2026, 4, 1), due=date(2026, 5, 1), amount="10.00"),
            invoice("I-new", issued=date(2026, 6, 1), due=date(2026, 7, 1), amount="99.00"),
        ],
    )

    line = ledger.aging_of("C1", as_of=date(2026, 5, 31))

    assert line["total"] == "10.00"


def test_as_of_a_past_date_leaves_out_cash_received_after_it(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1")])
    ledger.load("invoices", [invoice("I1", due=date(2026, 5, 1))])
    ledger.load(
        "payments",
        [
            payment("P1", invoice=None, on=date(2026, 5, 2), amount="7.00"),
            payment("P2", invoice=None, on=date(2026, 6, 2), amount="3.00"),
        ],
    )

    assert ledger.aging_of("C1", as_of=date(2026, 5, 31))["unapplied_cash"] == "7.00"
    assert ledger.aging_of("C1", as_of=AS_OF)["unapplied_cash"] == "10.00"


def test_a_customer_with_nothing_owed_but_cash_on_account_still_shows_its_cash(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1")])

    ledger.load("payments", [payment("P1", invoice=None, amount="30.00")])

    line = ledger.aging_of("C1")
    assert (line["total"], line["unapplied_cash"]) == ("0.00", "30.00")


def test_each_currency_has_its_own_report_with_its_own_decimals(ledger: Ledger) -> None:
    ledger.load(
        "customers",
        [
            customer("K1", "Kuwait Supplies", currency="KWD"),
            customer("J1", "Tokyo Trading", currency="JPY"),
            customer("U1", "Acme Ltd"),
        ],
    )
    ledger.load(
        "invoices",
        [
            invoice("IK", "K1", amount="1.250"),
            invoice("IJ", "J1", due=AS_OF - timedelta(days=31), amount="1500"),
            invoice("IU", "U1", amount="0.10"),
        ],
    )
    ledger.load("payments", [payment("PK", "K1", invoice="IK", amount="0.005")])

    reports = ledger.aging()

    assert [(r["currency"], r["total"]["total"]) for r in reports] == [
        ("JPY", "1500"),
        ("KWD", "1.245"),
        ("USD", "0.10"),
    ]
    jpy = reports[0]["customers"][0]
    assert (jpy["31-60"], jpy["current"], jpy["unapplied_cash"]) == ("1500", "0", "0")
    assert reports[1]["total"]["current"] == "1.245"


def test_nothing_outstanding_gives_no_report(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1")])

    assert ledger.aging() == []
