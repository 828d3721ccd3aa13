"""What a row's amount may be, and the message that says so: invoices, payments and credit notes
are greater than zero; a credit limit is zero or more."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from arrears.domain.records import FieldError, Lookups, parse_credit_note, parse_customer, parse_invoice, parse_payment

Parser = Callable[[Mapping[str, str], Lookups], tuple[object, list[FieldError]]]

LOOKUPS = Lookups(customers={"C1": (1, "USD")}, users={})
INVOICE = {"external_id": "I1", "customer_external_id": "C1", "issue_date": "2026-05-01", "due_date": "2026-05-31"}
CASH = {"external_id": "X1", "customer_external_id": "C1", "date": "2026-06-01"}


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("0.00", "0.00 is zero; the amount must be greater than zero"),
        ("-5", "-5 is negative; the amount must be greater than zero"),
    ],
)
@pytest.mark.parametrize(
    ("parse", "columns"),
    [(parse_invoice, INVOICE), (parse_payment, CASH), (parse_credit_note, CASH)],
    ids=["invoice", "payment", "credit note"],
)
def test_an_amount_of_zero_or_less_is_refused_as_not_greater_than_zero(
    parse: Parser, columns: dict[str, str], amount: str, reason: str
) -> None:
    record, errors = parse({**columns, "amount": amount}, LOOKUPS)

    assert (record, errors) == (None, [FieldError("amount", reason)])


def test_a_negative_credit_limit_is_refused_as_not_zero_or_more() -> None:
    record, errors = parse_customer({"external_id": "C2", "name": "Acme", "credit_limit": "-5"}, LOOKUPS)

    assert (record, errors) == (None, [FieldError("credit_limit", "-5 is negative; the amount must be zero or more")])


def test_a_credit_limit_of_zero_is_accepted() -> None:
    record, errors = parse_customer({"external_id": "C2", "name": "Acme", "credit_limit": "0"}, LOOKUPS)

    assert errors == [] and record is not None and record.credit_limit_minor == 0
