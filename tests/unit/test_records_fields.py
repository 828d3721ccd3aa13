"""What a user reads when one field of an imported row is wrong: each message, on its column.

The rules are shared by every kind of row; invoices and customers carry them here.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.domain.money import MAX_MINOR, format_minor
from arrears.domain.records import parse_contact, parse_customer, parse_invoice
from tests.unit.builders import (
    LOOKUPS,
    PROPERTY,
    columns_in_error,
    contact_row,
    customer_row,
    errors_of,
    invoice_row,
)

# -- text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["external_id", "customer_external_id", "issue_date", "due_date", "amount"])
def test_a_required_column_left_empty_is_reported(column: str) -> None:
    row = invoice_row(**{column: ""})

    errors = errors_of(parse_invoice, row)

    assert errors == [(column, "is required and empty")]


def test_a_required_column_of_spaces_only_is_empty() -> None:
    row = customer_row(name="   ")

    errors = errors_of(parse_customer, row)

    assert errors == [("name", "is required and empty")]


def test_a_required_column_missing_from_the_row_is_empty() -> None:
    row = customer_row()
    del row["name"]

    errors = errors_of(parse_customer, row)

    assert errors == [("name", "is required and empty")]


def test_values_are_read_without_surrounding_spaces() -> None:
    row = customer_row(external_id="  C7 ", name="\tAcme Ltd  ")

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert (record.external_id, record.name) == ("C7", "Acme Ltd")


def test_text_of_500_characters_is_accepted() -> None:
    row = customer_row(name="n" * 500)

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert len(record.name) == 500


def test_text_of_501_characters_is_refused() -> None:
    row = customer_row(name="n" * 501)

    errors = errors_of(parse_customer, row)

    assert errors == [("name", "is longer than 500 characters")]


def test_an_external_id_of_128_characters_is_accepted() -> None:
    row = invoice_row(external_id="I" * 128)

    record, _ = parse_invoice(row, LOOKUPS)

    assert record is not None
    assert record.external_id == "I" * 128


def test_an_external_id_of_129_characters_is_refused() -> None:
    row = invoice_row(external_id="I" * 129)

    errors = errors_of(parse_invoice, row)

    assert errors == [("external_id", "is longer than 128 characters")]


@pytest.mark.parametrize("column", ["external_id", "number", "issue_date", "amount", "currency", "status"])
def test_a_nul_byte_is_refused_in_any_column(column: str) -> None:
    row = invoice_row(**{column: "INV\x001"})

    errors = errors_of(parse_invoice, row)

    assert errors == [(column, "contains a NUL byte (0x00), which no text may hold")]


# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["31/05/2026", "2026-5-31", "20260531", "2026-05-31T00:00", "May 31, 2026"])
def test_a_date_in_another_form_is_refused(text: str) -> None:
    row = invoice_row(due_date=text)

    errors = errors_of(parse_invoice, row)

    assert errors == [("due_date", f"{text!r} is not a date in the form YYYY-MM-DD")]


@pytest.mark.parametrize("text", ["2026-02-29", "2026-02-30", "2026-13-01", "2026-04-31", "0000-01-01"])
def test_a_date_that_is_not_on_the_calendar_is_refused(text: str) -> None:
    row = invoice_row(issue_date="2000-01-01", due_date=text)

    errors = errors_of(parse_invoice, row)

    assert errors == [("due_date", f"{text!r} is not a calendar date")]


def test_the_29th_of_february_of_a_leap_year_is_a_date() -> None:
    row = invoice_row(issue_date="2028-02-29", due_date="2028-03-30")

    record, _ = parse_invoice(row, LOOKUPS)

    assert record is not None
    assert record.issue_date.isoformat() == "2028-02-29"


# -- amounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["12,50", "$12.50", "12.50 USD", "1,234.50", "1e3", "+5", "NaN", "12."])
def test_an_amount_not_written_as_plain_digits_is_refused(text: str) -> None:
    row = invoice_row(amount=text)

    errors = errors_of(parse_invoice, row)

    assert errors == [
        ("amount", f"{text!r} is not an amount: write digits with '.' as the decimal separator, e.g. 1234.50")
    ]


@pytest.mark.parametrize(
    ("customer", "amount", "message"),
    [
        ("C1", "12.505", "12.505 has more decimals than USD allows (at most 2 decimals)"),
        ("J1", "1500.5", "1500.5 has more decimals than JPY allows (no decimals)"),
        ("K1", "1.2345", "1.2345 has more decimals than KWD allows (at most 3 decimals)"),
    ],
)
def test_an_amount_with_more_decimals_than_the_currency_has_is_refused(
    customer: str, amount: str, message: str
) -> None:
    row = invoice_row(customer_external_id=customer, amount=amount)

    errors = errors_of(parse_invoice, row)

    assert errors == [("amount", message)]


@pytest.mark.parametrize(
    ("customer", "amount", "minor"),
    [("C1", "1234.5", 123_450), ("J1", "1500", 1_500), ("J1", "1500.00", 1_500), ("K1", "1.234", 1_234)],
)
def test_an_amount_is_read_in_minor_units_of_the_account_currency(customer: str, amount: str, minor: int) -> None:
    row = invoice_row(customer_external_id=customer, amount=amount)

    record, _ = parse_invoice(row, LOOKUPS)

    assert record is not None
    assert record.amount_minor == minor


def test_an_amount_above_the_largest_is_refused() -> None:
    row = invoice_row(amount="1000000000000000")

    errors = errors_of(parse_invoice, row)

    assert errors == [("amount", "1000000000000000 is too large: at most 999999999999999.99 USD")]


@pytest.mark.parametrize("amount", ["-12.50", "0", "0.00"])
def test_an_invoice_of_nothing_or_less_is_refused_on_its_amount(amount: str) -> None:
    row = invoice_row(amount=amount)

    columns = columns_in_error(parse_invoice, row)

    assert columns == ["amount"]


@PROPERTY
@given(st.sampled_from(["C1", "J1", "K1"]), st.integers(min_value=1, max_value=MAX_MINOR))
def test_any_amount_written_in_the_account_currency_reads_back_exactly(customer: str, minor: int) -> None:
    currency = LOOKUPS.customers[customer][1]
    row = invoice_row(customer_external_id=customer, amount=format_minor(minor, currency))

    record, errors = parse_invoice(row, LOOKUPS)

    assert errors == []
    assert record is not None and (record.amount_minor, record.currency) == (minor, currency)


# -- currencies, whole numbers, flags, addresses, references -------------------------------------


@pytest.mark.parametrize("code", ["XYZ", "usd", "US$", "EURO"])
def test_an_unknown_currency_is_refused(code: str) -> None:
    row = customer_row(currency=code)

    errors = errors_of(parse_customer, row)

    assert errors == [("currency", f"{code!r} is not an ISO 4217 currency code")]


@pytest.mark.parametrize("text", ["-1", "30.5", "thirty", "2147483648", "1e2"])
def test_a_whole_number_outside_0_to_the_database_integer_is_refused(text: str) -> None:
    row = customer_row(payment_terms_days=text)

    errors = errors_of(parse_customer, row)

    assert errors == [("payment_terms_days", f"{text!r} is not a whole number from 0 to 2147483647")]


@pytest.mark.parametrize(("text", "days"), [("0", 0), ("45", 45), ("045", 45), ("2147483647", 2_147_483_647)])
def test_a_whole_number_from_0_to_the_database_integer_is_accepted(text: str, days: int) -> None:
    row = customer_row(payment_terms_days=text)

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert record.payment_terms_days == days


@pytest.mark.parametrize(("text", "on_hold"), [("true", True), ("TRUE", True), ("False", False), ("false", False)])
def test_a_flag_is_true_or_false_in_any_case(text: str, on_hold: bool) -> None:
    row = customer_row(on_hold=text)

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert record.on_hold is on_hold


@pytest.mark.parametrize("text", ["yes", "1", "y", "on"])
def test_a_flag_is_nothing_but_true_or_false(text: str) -> None:
    row = customer_row(on_hold=text)

    errors = errors_of(parse_customer, row)

    assert errors == [("on_hold", f"{text!r} is not true or false")]


def test_an_email_must_be_an_address() -> None:
    row = contact_row(email="ann.acme.example")

    errors = errors_of(parse_contact, row)

    assert errors == [("email", "'ann.acme.example' is not an email address")]


def address_of(length: int) -> str:
    return "a" * (length - len("@acme.test")) + "@acme.test"


def test_an_email_of_254_characters_is_accepted() -> None:
    row = contact_row(email=address_of(254))

    record, _ = parse_contact(row, LOOKUPS)

    assert record is not None
    assert record.email == address_of(254)


def test_an_email_of_255_characters_is_refused() -> None:
    row = contact_row(email=address_of(255))

    errors = errors_of(parse_contact, row)

    assert errors == [("email", "is longer than 254 characters")]


def test_a_reference_to_an_unknown_customer_is_refused() -> None:
    row = invoice_row(customer_external_id="C9")

    errors = errors_of(parse_invoice, row)

    assert errors == [
        ("customer_external_id", "no customer with external id 'C9': import it in the customers file first")
    ]


def test_customer_references_are_exact() -> None:
    row = invoice_row(customer_external_id="c1")

    columns = columns_in_error(parse_invoice, row)

    assert columns == ["customer_external_id"]


# -- the row as a whole --------------------------------------------------------------------------


def test_every_bad_column_of_a_row_is_reported_at_once_in_column_order() -> None:
    row = invoice_row(external_id="", issue_date="2026-02-30", amount="12,50", status="paid")

    errors = errors_of(parse_invoice, row)

    assert errors == [
        ("external_id", "is required and empty"),
        ("issue_date", "'2026-02-30' is not a calendar date"),
        ("amount", "'12,50' is not an amount: write digits with '.' as the decimal separator, e.g. 1234.50"),
        ("status", "'paid' is not open or void"),
    ]


def test_a_row_with_an_error_gives_no_record() -> None:
    row = invoice_row(amount="12,50")

    record, errors = parse_invoice(row, LOOKUPS)

    assert record is None
    assert len(errors) == 1
