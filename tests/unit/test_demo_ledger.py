"""The demo ledger's generator: deterministic, the right size and shape, and consistent with itself."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from arrears.demo import HISTORY_DAYS, Behaviour, generate
from arrears.domain.errors import InvalidValue

AS_OF = date(2026, 6, 30)

# Numbers kept for fiction: 555-0100..0199 (US), Ofcom's drama ranges (UK), ARCEP's (France).
FICTIONAL_PHONE = re.compile(
    r"\+1 [0-9]{3} 555 01[0-9]{2}"
    r"|\+44 (20 7946|161 496|113 496|117 496) 0[0-9]{3}"
    r"|\+33 (1 99 00|4 65 71|2 61 91) [0-9]{2} [0-9]{2}"
)


@pytest.fixture(scope="module")
def ledger() -> dict[str, list[dict[str, str]]]:
    return generate(7, AS_OF).rows


def test_the_same_seed_and_day_give_the_same_rows() -> None:
    first = generate(11, AS_OF, customers=40)

    second = generate(11, AS_OF, customers=40)

    assert first.rows == second.rows
    assert first.behaviours == second.behaviours


def test_another_seed_gives_another_ledger() -> None:
    assert generate(1, AS_OF, customers=40).rows != generate(2, AS_OF, customers=40).rows


def test_the_default_demo_has_a_few_hundred_customers_and_thousands_of_invoices_in_three_currencies(
    ledger: dict[str, list[dict[str, str]]],
) -> None:
    assert len(ledger["customers"]) == 300
    assert 4_000 <= len(ledger["invoices"]) <= 6_000
    assert {row["currency"] for row in ledger["customers"]} == {"USD", "EUR", "GBP"}
    assert len({row["name"] for row in ledger["customers"]}) == 300


def test_invoices_span_the_eighteen_months_before_the_day(ledger: dict[str, list[dict[str, str]]]) -> None:
    issued = [date.fromisoformat(row["issue_date"]) for row in ledger["invoices"]]

    assert min(issued) >= AS_OF - timedelta(days=HISTORY_DAYS)
    assert min(issued) <= AS_OF - timedelta(days=HISTORY_DAYS - 31)
    assert max(issued) <= AS_OF


def test_nothing_is_dated_after_the_day(ledger: dict[str, list[dict[str, str]]]) -> None:
    for kind in ("payments", "credit-notes", "credit-scores"):
        assert max(row["date"] for row in ledger[kind]) <= AS_OF.isoformat(), kind


def test_payments_and_credits_never_exceed_an_invoice_and_never_touch_a_void_one(
    ledger: dict[str, list[dict[str, str]]],
) -> None:
    invoices = {row["external_id"]: row for row in ledger["invoices"]}
    allocated: dict[str, Decimal] = defaultdict(Decimal)
    for kind in ("payments", "credit-notes"):
        for row in ledger[kind]:
            if row["invoice_external_id"]:
                allocated[row["invoice_external_id"]] += Decimal(row["amount"])

    for ref, total in allocated.items():
        assert invoices[ref]["status"] == "open"
        assert total <= Decimal(invoices[ref]["amount"])
    assert any(not row["invoice_external_id"] for row in ledger["payments"])  # unapplied cash
    assert any(not row["invoice_external_id"] for row in ledger["credit-notes"])  # credit on account


def test_people_and_companies_are_made_up(ledger: dict[str, list[dict[str, str]]]) -> None:
    for kind in ("customers", "contacts"):
        for row in ledger[kind]:
            assert FICTIONAL_PHONE.fullmatch(row["phone"]), row["phone"]
            assert row["email"].endswith(".example.com"), row["email"]


def test_every_payment_behaviour_is_there_even_in_a_tiny_demo() -> None:
    tiny = generate(7, AS_OF, customers=4)

    assert set(tiny.behaviours.values()) == set(Behaviour)
    assert len({row["currency"] for row in tiny.rows["customers"]}) == 3


def test_collectors_are_the_demo_contributors(ledger: dict[str, list[dict[str, str]]]) -> None:
    assert {row["collector"] for row in ledger["customers"]} == {"alex", "sam", "jordan"}


@pytest.mark.parametrize("customers", [0, 2_001])
def test_a_demo_size_out_of_range_is_refused(customers: int) -> None:
    with pytest.raises(InvalidValue, match="customers"):
        generate(7, AS_OF, customers=customers)
