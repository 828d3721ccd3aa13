"""Money: exact amounts in one currency, with as many decimals as the currency has and no more."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from decimal import Decimal

import pytest

from arrears.domain.errors import CurrencyError, CurrencyMismatch, InvalidValue
from arrears.domain.money import MAX_MINOR, Money, format_minor, parse_amount, parse_decimal, to_minor


def test_subtracting_gives_the_difference_in_the_same_currency() -> None:
    balance = Money.of("100.00", "EUR")

    left = balance - Money.of("30.05", "EUR")

    assert left == Money(6995, "EUR")


def test_subtracting_more_than_there_is_gives_a_negative_amount() -> None:
    balance = Money.of("10.00", "USD")

    left = balance - Money.of("10.01", "USD")

    assert left == Money(-1, "USD")
    assert str(left) == "-0.01 USD"


def test_subtracting_an_amount_of_another_currency_raises() -> None:
    euros = Money.of("10.00", "EUR")

    with pytest.raises(CurrencyMismatch, match="cannot combine EUR and USD amounts"):
        euros - Money.of("1.00", "USD")


def test_adding_another_currency_names_both_currencies() -> None:
    yen = Money.of("1500", "JPY")

    with pytest.raises(CurrencyMismatch) as caught:
        yen + Money.of("1.000", "KWD")

    assert caught.value.message == "cannot combine JPY and KWD amounts"
    assert caught.value.code == "currency_mismatch"


@pytest.mark.parametrize("compare", [operator.le, operator.gt, operator.ge])
def test_every_comparison_of_two_currencies_raises(compare: Callable[[Money, Money], bool]) -> None:
    euros, dollars = Money.of("1", "EUR"), Money.of("2", "USD")

    with pytest.raises(CurrencyMismatch):
        compare(euros, dollars)


def test_amounts_of_one_currency_are_ordered_by_value() -> None:
    small, large = Money.of("9.99", "USD"), Money.of("10.00", "USD")

    ordered = sorted([large, small])

    assert ordered == [small, large]
    assert small < large and small <= large and large > small and large >= small
    assert small <= Money(999, "USD") and small >= Money(999, "USD")


def test_the_same_digits_in_two_currencies_are_not_equal() -> None:
    dollars = Money.of("5.00", "USD")

    euros = Money.of("5.00", "EUR")

    assert dollars != euros


def test_negating_flips_the_sign_and_keeps_the_currency() -> None:
    refund = Money.of("12.30", "GBP")

    negated = -refund

    assert negated == Money(-1230, "GBP")


def test_zero_is_falsy_and_any_other_amount_is_truthy() -> None:
    zero, cent, debt = Money.zero("USD"), Money(1, "USD"), Money(-1, "USD")

    truths = (bool(zero), bool(cent), bool(debt))

    assert truths == (False, True, True)


def test_zero_of_an_unknown_currency_raises() -> None:
    with pytest.raises(CurrencyError, match="'EURO' is not an ISO 4217 currency code"):
        Money.zero("EURO")


def test_money_of_a_whole_number_counts_whole_units() -> None:
    money = Money.of(5, "USD")

    assert money == Money(500, "USD")


def test_money_of_a_decimal_with_trailing_zeros_is_the_same_amount() -> None:
    money = Money.of(Decimal("5.000"), "USD")

    assert money == Money(500, "USD")


@pytest.mark.parametrize("text", ["twelve", "12,30", ""])
def test_money_of_text_that_is_not_a_number_raises(text: str) -> None:
    with pytest.raises(InvalidValue, match=f"^{text!r} is not an amount$"):
        Money.of(text, "USD")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_money_of_nan_or_infinity_raises(text: str) -> None:
    with pytest.raises(InvalidValue, match=f"^{text!r} is not an amount$"):
        Money.of(text, "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("0.005", "USD", "0.005 has more decimals than USD allows (at most 2 decimals)"),
        ("1500.5", "JPY", "1500.5 has more decimals than JPY allows (no decimals)"),
        ("1.2345", "KWD", "1.2345 has more decimals than KWD allows (at most 3 decimals)"),
    ],
)
def test_money_of_never_rounds_to_the_currency_decimals(amount: str, currency: str, message: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Money.of(amount, currency)

    assert caught.value.message == message


def test_the_amount_of_money_is_an_exact_decimal_with_the_currency_decimals() -> None:
    fils, yen = Money(5, "KWD"), Money(1500, "JPY")

    amounts = (fils.amount, yen.amount)

    assert amounts == (Decimal("0.005"), Decimal("1500"))
    assert fils.amount.as_tuple().exponent == -3


def test_money_reads_as_its_amount_and_currency() -> None:
    texts = (str(Money(-5, "USD")), str(Money(1500, "JPY")), str(Money(1, "KWD")))

    assert texts == ("-0.05 USD", "1500 JPY", "0.001 KWD")


def test_the_contract_string_of_money_has_no_currency() -> None:
    money = Money.of("1234.5", "USD")

    assert money.to_string() == "1234.50"


def test_money_is_a_value_that_cannot_be_changed() -> None:
    money = Money.of("1.00", "USD")

    with pytest.raises(dataclasses.FrozenInstanceError):
        money.minor = 5  # type: ignore[misc]


def test_the_largest_amount_is_accepted() -> None:
    largest = to_minor(Decimal("999999999999999.99"), "USD")

    assert largest == MAX_MINOR


def test_one_minor_unit_above_the_largest_amount_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        to_minor(Decimal("1000000000000000.00"), "USD")

    assert caught.value.message == "1000000000000000.00 is too large: at most 999999999999999.99 USD"


def test_the_largest_amount_bounds_negative_amounts_too() -> None:
    with pytest.raises(InvalidValue) as caught:
        to_minor(Decimal("-1000000000000000"), "USD")

    assert caught.value.message == "-1000000000000000 is too large: at most 999999999999999.99 USD"


def test_the_largest_amount_in_yen_has_no_decimals() -> None:
    with pytest.raises(InvalidValue) as caught:
        to_minor(Decimal("100000000000000000"), "JPY")

    assert caught.value.message == "100000000000000000 is too large: at most 99999999999999999 JPY"


def test_a_negative_amount_is_read_where_negatives_are_allowed() -> None:
    minor = parse_amount("-12.50", "USD", allow_negative=True)

    assert minor == -1250


def test_minus_zero_is_zero() -> None:
    minor = parse_amount("-0.00", "USD")

    assert minor == 0


def test_a_whole_amount_in_yen_may_be_written_with_zero_decimals() -> None:
    minor = parse_amount("1500.00", "JPY")

    assert minor == 1500


def test_an_amount_in_an_unknown_currency_is_a_currency_error_before_its_text_is_read() -> None:
    with pytest.raises(CurrencyError, match="'XXX' is not an ISO 4217 currency code"):
        parse_amount("not a number", "XXX")


def test_parse_decimal_keeps_every_digit() -> None:
    value = parse_decimal("0.123456789012345678901234567890")

    assert value == Decimal("0.123456789012345678901234567890")


@pytest.mark.parametrize("text", ["1.", ".5", "1.2.3", "١٢", "１２", "12 ", "0x1F", "1_000"])
def test_only_ascii_digits_with_one_point_are_an_amount(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_decimal(text)

    assert caught.value.message == (
        f"{text!r} is not an amount: write digits with '.' as the decimal separator, e.g. 1234.50"
    )


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(1, "USD", "0.01"), (100, "USD", "1.00"), (-1500, "JPY", "-1500"), (1, "UYW", "0.0001"), (-1001, "KWD", "-1.001")],
)
def test_formatting_pads_the_fraction_to_the_currency_decimals(minor: int, currency: str, text: str) -> None:
    formatted = format_minor(minor, currency)

    assert formatted == text


def test_a_tiny_fraction_beyond_the_currency_decimals_is_refused_not_rounded_away() -> None:
    with pytest.raises(InvalidValue, match="has more decimals than USD allows"):
        parse_amount("1.00000000000000000000000000001", "USD")
