"""Disputes: how much of an invoice may be disputed, and which reasons a dispute may carry."""

from __future__ import annotations

import pytest

from arrears.domain.disputes import (
    DEFAULT_REASONS,
    Settlement,
    check_dispute_amount,
    check_reason,
    check_reason_code,
    check_settlement,
    closing_text,
    credit_note_id,
    parse_reasons,
    write_off_id,
)
from arrears.domain.errors import InvalidValue

# -- the amount ----------------------------------------------------------------------------------


def test_a_dispute_without_an_amount_covers_the_whole_outstanding() -> None:
    disputed = check_dispute_amount(None, outstanding_minor=123_450, status="open")

    assert disputed == 123_450


def test_a_dispute_may_cover_part_of_the_outstanding() -> None:
    disputed = check_dispute_amount(20_000, outstanding_minor=123_450, status="open")

    assert disputed == 20_000


def test_a_dispute_may_cover_exactly_the_outstanding() -> None:
    disputed = check_dispute_amount(123_450, outstanding_minor=123_450, status="open")

    assert disputed == 123_450


def test_a_dispute_one_cent_above_the_outstanding_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_dispute_amount(123_451, outstanding_minor=123_450, status="open")

    assert caught.value.message == "the disputed amount is above the invoice's outstanding amount"


@pytest.mark.parametrize("amount", [0, -1])
def test_a_dispute_of_nothing_or_less_is_refused(amount: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_dispute_amount(amount, outstanding_minor=123_450, status="open")

    assert caught.value.message == "the disputed amount must be greater than zero"


def test_an_open_invoice_with_nothing_outstanding_cannot_be_disputed() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_dispute_amount(None, outstanding_minor=0, status="open")

    assert caught.value.message == "the invoice is open with nothing outstanding; there is nothing to dispute"


@pytest.mark.parametrize("status", ["paid", "void"])
def test_an_invoice_that_is_not_open_cannot_be_disputed(status: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_dispute_amount(100, outstanding_minor=100, status=status)

    assert caught.value.message == f"the invoice is {status} with nothing outstanding; there is nothing to dispute"


# -- the reason ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", DEFAULT_REASONS)
def test_each_default_reason_is_accepted(reason: str) -> None:
    accepted = check_reason(reason, DEFAULT_REASONS)

    assert accepted == reason


def test_a_reason_outside_the_list_is_refused_naming_the_list() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_reason("price", ("pricing", "other"))

    assert caught.value.message == "'price' is not a dispute reason: use one of pricing, other"


def test_the_reasons_are_the_workspaces_own_list() -> None:
    reasons = ("warranty", "other")

    accepted = check_reason("warranty", reasons)

    assert accepted == "warranty"
    with pytest.raises(InvalidValue):
        check_reason("pricing", reasons)


@pytest.mark.parametrize("code", ["pricing", "po_missing", "x", "a2", "not_received_in_time"])
def test_a_reason_code_of_lower_case_letters_digits_and_underscores_is_accepted(code: str) -> None:
    accepted = check_reason_code(code)

    assert accepted == code


def test_a_reason_code_of_40_characters_is_accepted() -> None:
    code = "a" * 40

    assert check_reason_code(code) == code


@pytest.mark.parametrize("code", ["a" * 41, "", "Pricing", "2nd_notice", "_pricing", "not-received", "not received"])
def test_a_reason_code_outside_the_pattern_is_refused(code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_reason_code(code)

    assert caught.value.message == f"{code!r} is not a reason code: lower-case letters, digits and '_', 1 to 40"


def test_every_default_reason_is_a_valid_reason_code() -> None:
    invalid = []
    for reason in DEFAULT_REASONS:
        try:
            check_reason_code(reason)
        except InvalidValue:
            invalid.append(reason)

    assert invalid == []


# -- the reason codes of ARREARS_DISPUTE_REASONS ------------------------------------------------------


def test_the_default_reasons_are_the_contracts() -> None:
    assert DEFAULT_REASONS == ("pricing", "quantity", "damaged", "not_received", "duplicate", "already_paid", "other")


def test_a_comma_separated_list_is_read_with_spaces_and_repeats_left_out() -> None:
    reasons = parse_reasons(" pricing, warranty ,,pricing,other ")

    assert reasons == ("pricing", "warranty", "other")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "ARREARS_DISPUTE_REASONS: give one or more reason codes separated by commas, e.g. pricing,other"),
        (" , ", "ARREARS_DISPUTE_REASONS: give one or more reason codes separated by commas, e.g. pricing,other"),
        (
            "pricing,Wrong Site",
            "ARREARS_DISPUTE_REASONS: 'Wrong Site' is not a reason code: lower-case letters, digits and '_', 1 to 40",
        ),
        (",".join(f"r{n}" for n in range(101)), "ARREARS_DISPUTE_REASONS: at most 100 reason codes"),
    ],
)
def test_a_list_without_codes_or_with_a_bad_code_is_refused_naming_the_setting(text: str, message: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_reasons(text)

    assert caught.value.message == message


# -- settling a resolved dispute on the ledger -------------------------------------------------------


def test_a_dispute_resolves_with_a_credit_note_a_write_off_or_both_up_to_the_disputed_amount() -> None:
    assert check_settlement(60_00, None, 100_00, 250_00) == Settlement(60_00, 0)
    assert check_settlement(None, 100_00, 100_00, 250_00) == Settlement(0, 100_00)
    assert check_settlement(70_00, 30_00, 100_00, 250_00).total_minor == 100_00
    assert check_settlement(None, None, 100_00, 250_00) == Settlement(0, 0)


@pytest.mark.parametrize(
    ("credit_note", "write_off", "disputed", "outstanding", "message"),
    [
        (100_01, None, 100_00, 250_00, "the credit note and write-off together are above the disputed amount"),
        (60_00, 40_01, 100_00, 250_00, "the credit note and write-off together are above the disputed amount"),
        (
            90_00,
            None,
            100_00,
            80_00,
            "the credit note and write-off together are above the invoice's outstanding amount",
        ),
        (0, None, 100_00, 250_00, "the credit note must be greater than zero"),
        (None, -1, 100_00, 250_00, "the write-off must be greater than zero"),
    ],
)
def test_a_settlement_above_what_was_disputed_or_is_owed_is_refused(
    credit_note: int | None, write_off: int | None, disputed: int, outstanding: int, message: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_settlement(credit_note, write_off, disputed, outstanding)

    assert caught.value.message == message


def test_the_credit_notes_of_a_dispute_have_external_ids_of_their_own() -> None:
    assert (credit_note_id(7), write_off_id(7)) == ("DISPUTE-7-CN", "DISPUTE-7-WO")


@pytest.mark.parametrize(
    ("status", "note", "text"),
    [("resolved", None, "Resolved"), ("rejected", "  ", "Rejected"), ("resolved", " Price fixed ", "Price fixed")],
)
def test_a_closed_dispute_says_its_note_or_how_it_closed(status: str, note: str | None, text: str) -> None:
    assert closing_text(status, note) == text
