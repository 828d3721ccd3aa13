"""Disputes: how much of an invoice may be disputed, and which reasons a dispute may carry."""

from __future__ import annotations

import pytest

from arrears.domain.disputes import DEFAULT_REASONS, check_dispute_amount, check_reason, check_reason_code
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
