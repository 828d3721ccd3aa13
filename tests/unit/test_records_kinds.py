"""Each kind of imported row: customers, contacts, invoices, payments, credit notes and credit
scores become records with the contract's defaults, or the errors of their own rules."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.domain.records import (
    CashRecord,
    ContactRecord,
    CreditScoreRecord,
    CustomerRecord,
    InvoiceRecord,
    parse_contact,
    parse_credit_note,
    parse_credit_score,
    parse_customer,
    parse_invoice,
    parse_payment,
)
from tests.unit.builders import (
    LOOKUPS,
    MARIA,
    columns_in_error,
    contact_row,
    credit_score_row,
    customer_row,
    errors_of,
    invoice_row,
    payment_row,
)

# -- customers -----------------------------------------------------------------------------------


def test_a_customer_with_only_the_required_columns_takes_the_contract_defaults() -> None:
    row = customer_row(external_id="C7", name="Acme Ltd")

    record, errors = parse_customer(row, LOOKUPS)

    assert errors == []
    assert record == CustomerRecord("C7", "Acme Ltd", "USD", 30, None, None, None, None, "", False)


def test_a_known_customer_without_a_currency_keeps_its_own() -> None:
    row = customer_row(external_id="J1")

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert record.currency == "JPY"


def test_the_credit_limit_is_read_in_the_customer_currency() -> None:
    row = customer_row(external_id="J1", credit_limit="1000.50")

    errors = errors_of(parse_customer, row)

    assert errors == [("credit_limit", "1000.50 has more decimals than JPY allows (no decimals)")]


def test_the_credit_limit_is_read_in_the_currency_the_row_gives() -> None:
    row = customer_row(currency="KWD", credit_limit="2500.125")

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert (record.currency, record.credit_limit_minor) == ("KWD", 2_500_125)


def test_a_credit_limit_of_zero_is_accepted() -> None:
    row = customer_row(credit_limit="0")

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert record.credit_limit_minor == 0


def test_a_negative_credit_limit_is_refused() -> None:
    row = customer_row(credit_limit="-100.00")

    columns = columns_in_error(parse_customer, row)

    assert columns == ["credit_limit"]


def test_the_collector_is_named_by_user_name() -> None:
    row = customer_row(collector="maria")

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert record.collector_id == MARIA.id


def test_an_unknown_collector_is_refused() -> None:
    row = customer_row(collector="mario")

    errors = errors_of(parse_customer, row)

    assert errors == [("collector", "no user named 'mario': add it with `arrears users add`")]


def test_tags_are_trimmed_deduplicated_and_sorted() -> None:
    row = customer_row(tags="vip; enterprise ;vip;; eu")

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert record.tags == "enterprise;eu;vip"


def test_a_customer_may_be_imported_on_hold() -> None:
    row = customer_row(on_hold="true")

    record, _ = parse_customer(row, LOOKUPS)

    assert record is not None
    assert record.on_hold is True


def test_a_phone_of_more_than_64_characters_is_refused() -> None:
    row = customer_row(phone="+1 415 555 0100" + " ext. 1" * 8)

    errors = errors_of(parse_customer, row)

    assert errors == [("phone", "is longer than 64 characters")]


# -- contacts ------------------------------------------------------------------------------------


def test_a_contact_with_an_external_id_is_known_by_it() -> None:
    row = contact_row(external_id="K-1", name="Ann Lee", email="ann@acme.example", phone="+1 415 555 0100", role="AP")

    record, errors = parse_contact(row, LOOKUPS)

    assert errors == []
    assert record == ContactRecord(
        1, "id:K-1", "K-1", "Ann Lee", "ann@acme.example", "+1 415 555 0100", "AP", True, "name:ann lee"
    )


def test_a_contact_without_an_external_id_is_known_by_its_name_in_any_case() -> None:
    row = contact_row(name="Ann LEE")

    record, _ = parse_contact(row, LOOKUPS)

    assert record is not None
    assert (record.contact_key, record.name_key, record.external_id) == ("name:ann lee", "name:ann lee", None)


def test_a_contact_receives_reminders_unless_told_otherwise() -> None:
    told, untold = contact_row(receives_reminders="false"), contact_row()

    records = parse_contact(told, LOOKUPS)[0], parse_contact(untold, LOOKUPS)[0]

    assert records[0] is not None and records[1] is not None
    assert (records[0].receives_reminders, records[1].receives_reminders) == (False, True)


def test_a_contact_name_of_more_than_200_characters_is_refused() -> None:
    row = contact_row(name="n" * 201)

    errors = errors_of(parse_contact, row)

    assert errors == [("name", "is longer than 200 characters")]


def test_a_contact_of_an_unknown_customer_is_refused() -> None:
    row = contact_row(customer_external_id="C9")

    columns = columns_in_error(parse_contact, row)

    assert columns == ["customer_external_id"]


# -- invoices ------------------------------------------------------------------------------------


def test_an_invoice_row_becomes_a_record_in_minor_units() -> None:
    row = invoice_row(number="2026-0042", currency="USD", status="open")

    record, errors = parse_invoice(row, LOOKUPS)

    assert errors == []
    assert record == InvoiceRecord(
        "INV-1", 1, "2026-0042", date(2026, 5, 1), date(2026, 5, 31), 123_450, "USD", is_void=False
    )


def test_the_invoice_number_defaults_to_its_external_id() -> None:
    row = invoice_row(external_id="INV-77")

    record, _ = parse_invoice(row, LOOKUPS)

    assert record is not None
    assert record.number == "INV-77"


def test_the_invoice_currency_defaults_to_the_customer_currency() -> None:
    row = invoice_row(customer_external_id="K1", amount="10.125")

    record, _ = parse_invoice(row, LOOKUPS)

    assert record is not None
    assert (record.currency, record.amount_minor) == ("KWD", 10_125)


def test_an_invoice_in_another_currency_than_its_customer_is_refused() -> None:
    row = invoice_row(currency="EUR")

    errors = errors_of(parse_invoice, row)

    assert errors == [("currency", "EUR differs from the customer's currency USD: an account is kept in one currency")]


def test_an_invoice_due_on_its_issue_date_is_accepted() -> None:
    row = invoice_row(issue_date="2026-05-31", due_date="2026-05-31")

    record, _ = parse_invoice(row, LOOKUPS)

    assert record is not None
    assert record.due_date == record.issue_date


def test_an_invoice_due_the_day_before_its_issue_date_is_refused() -> None:
    row = invoice_row(issue_date="2026-05-01", due_date="2026-04-30")

    errors = errors_of(parse_invoice, row)

    assert errors == [("due_date", "2026-04-30 is before the issue date 2026-05-01")]


@pytest.mark.parametrize(("status", "is_void"), [("open", False), ("OPEN", False), ("void", True), (" Void ", True)])
def test_an_invoice_is_open_or_void_in_any_case(status: str, is_void: bool) -> None:
    row = invoice_row(status=status)

    record, _ = parse_invoice(row, LOOKUPS)

    assert record is not None
    assert record.is_void is is_void


@pytest.mark.parametrize("status", ["paid", "written_off", "draft"])
def test_any_other_invoice_status_is_refused(status: str) -> None:
    row = invoice_row(status=status)

    errors = errors_of(parse_invoice, row)

    assert errors == [("status", f"{status!r} is not open or void")]


def test_an_invoice_of_one_cent_is_accepted() -> None:
    row = invoice_row(amount="0.01")

    record, _ = parse_invoice(row, LOOKUPS)

    assert record is not None
    assert record.amount_minor == 1


def test_an_invoice_of_an_unknown_customer_reports_only_the_customer() -> None:
    row = invoice_row(customer_external_id="C9", amount="12.345")

    columns = columns_in_error(parse_invoice, row)

    assert columns == ["customer_external_id"]


# -- payments and credit notes -------------------------------------------------------------------


def test_a_payment_row_becomes_an_allocation_in_minor_units() -> None:
    row = payment_row(invoice_external_id="INV-1", method="wire")

    record, errors = parse_payment(row, LOOKUPS)

    assert errors == []
    assert record == CashRecord("P-1", 1, date(2026, 6, 2), 20_000, "USD", "INV-1", "wire")


def test_a_payment_without_an_invoice_sits_unapplied_on_the_account() -> None:
    row = payment_row()

    record, _ = parse_payment(row, LOOKUPS)

    assert record is not None
    assert (record.invoice_external_id, record.note) == (None, None)


def test_a_payment_in_another_currency_than_its_customer_is_refused() -> None:
    row = payment_row(currency="EUR")

    errors = errors_of(parse_payment, row)

    assert errors == [("currency", "EUR differs from the customer's currency USD")]


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00"])
def test_a_payment_of_nothing_or_less_is_refused_on_its_amount(amount: str) -> None:
    row = payment_row(amount=amount)

    columns = columns_in_error(parse_payment, row)

    assert columns == ["amount"]


def test_a_payment_in_yen_has_no_decimals() -> None:
    row = payment_row(customer_external_id="J1", amount="2500.5")

    errors = errors_of(parse_payment, row)

    assert errors == [("amount", "2500.5 has more decimals than JPY allows (no decimals)")]


def test_a_payment_method_of_more_than_200_characters_is_refused() -> None:
    row = payment_row(method="m" * 201)

    errors = errors_of(parse_payment, row)

    assert errors == [("method", "is longer than 200 characters")]


def test_a_credit_note_keeps_its_reason_as_the_note() -> None:
    row = payment_row(external_id="CN-1", invoice_external_id="INV-1", reason="damaged goods", method="ignored")

    record, _ = parse_credit_note(row, LOOKUPS)

    assert record is not None
    assert (record.external_id, record.note) == ("CN-1", "damaged goods")


def test_a_payment_without_a_date_is_refused() -> None:
    row = payment_row(date="")

    errors = errors_of(parse_payment, row)

    assert errors == [("date", "is required and empty")]


# -- credit scores -------------------------------------------------------------------------------


def test_a_credit_score_row_becomes_a_record_from_an_imported_source() -> None:
    row = credit_score_row(score="640", max_score="850", rating="B")

    record, errors = parse_credit_score(row, LOOKUPS)

    assert errors == []
    assert record == CreditScoreRecord(1, date(2026, 5, 1), 640, 850, "B", "imported")


def test_a_credit_score_keeps_the_source_it_names() -> None:
    row = credit_score_row(source="Experian")

    record, _ = parse_credit_score(row, LOOKUPS)

    assert record is not None
    assert (record.source, record.max_score, record.rating) == ("Experian", None, None)


@pytest.mark.parametrize("score", ["", "   "])
def test_a_credit_score_without_a_score_is_refused(score: str) -> None:
    row = credit_score_row(score=score)

    errors = errors_of(parse_credit_score, row)

    assert errors == [("score", "is required and empty")]


def test_a_negative_score_is_refused() -> None:
    row = credit_score_row(score="-5")

    errors = errors_of(parse_credit_score, row)

    assert errors == [("score", "'-5' is not a whole number from 0 to 2147483647")]


def test_a_score_equal_to_its_max_score_is_accepted() -> None:
    row = credit_score_row(score="850", max_score="850")

    record, _ = parse_credit_score(row, LOOKUPS)

    assert record is not None
    assert (record.score, record.max_score) == (850, 850)


def test_a_score_above_its_max_score_is_refused() -> None:
    row = credit_score_row(score="851", max_score="850")

    errors = errors_of(parse_credit_score, row)

    assert errors == [("score", "851 is above max_score 850")]


def test_a_max_score_of_zero_is_refused() -> None:
    row = credit_score_row(score="0", max_score="0")

    errors = errors_of(parse_credit_score, row)

    assert errors == [("max_score", "'0' is not a whole number from 1 to 2147483647")]


def test_a_rating_of_more_than_32_characters_is_refused() -> None:
    row = credit_score_row(rating="r" * 33)

    errors = errors_of(parse_credit_score, row)

    assert errors == [("rating", "is longer than 32 characters")]
