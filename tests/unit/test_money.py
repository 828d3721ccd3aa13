from decimal import Decimal

import pytest

from arrears.domain.currencies import minor_unit
from arrears.domain.errors import CurrencyError, CurrencyMismatch, InvalidValue
from arrears.domain.money import Money, format_minor, parse_amount


def test_money_of_keeps_exact_minor_units() -> None:
    assert Money.of("12.30", "EUR") == Money(1230, "EUR")
    assert Money.of("0.1", "USD") + Money.of("0.2", "USD") == Money.of("0.3", "USD")


def test_adding_two_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "EUR") + Money.of("1", "USD")


def test_comparing_two_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatch):
        assert Money.of("1", "EUR") < Money.of("2", "USD")


@pytest.mark.parametrize(("code", "decimals"), [("JPY", 0), ("USD", 2), ("KWD", 3), ("CLP", 0), ("BHD", 3)])
def test_minor_unit_follows_iso_4217(code: str, decimals: int) -> None:
    assert minor_unit(code) == decimals


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(CurrencyError, match="ISO 4217"):
        Money.of("1", "XYZ")


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.50", "USD", 123450),
        ("1234.5", "USD", 123450),
        ("10.500", "USD", 1050),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("0", "USD", 0),
        ("99999999999999.99", "USD", 9999999999999999),
    ],
)
def test_parse_amount_gives_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("12,00", "USD", "not an amount"),
        ("1e3", "USD", "not an amount"),
        ("NaN", "USD", "not an amount"),
        ("Infinity", "USD", "not an amount"),
        ("1,000.00", "USD", "not an amount"),
        ("-5", "USD", "negative"),
        ("12.345", "USD", "more decimals than USD"),
        ("1.5", "JPY", "more decimals than JPY"),
        ("", "USD", "not an amount"),
        (" 5", "USD", "not an amount"),
        ("+5", "USD", "not an amount"),
    ],
)
def test_parse_amount_refuses_bad_text(text: str, currency: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        parse_amount(text, currency)


def test_zero_can_be_refused() -> None:
    with pytest.raises(InvalidValue, match="greater than zero"):
        parse_amount("0.00", "USD", allow_zero=False)


def test_a_refused_zero_says_the_amount_must_be_greater_than_zero() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_amount("0.00", "USD", allow_zero=False)

    assert caught.value.message == "0.00 is zero; the amount must be greater than zero"


def test_a_negative_amount_where_zero_is_refused_says_it_must_be_greater_than_zero() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_amount("-5", "USD", allow_zero=False)

    assert caught.value.message == "-5 is negative; the amount must be greater than zero"


def test_a_negative_amount_where_zero_is_allowed_says_it_must_be_zero_or_more() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_amount("-5", "USD")

    assert caught.value.message == "-5 is negative; the amount must be zero or more"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (123450, "USD", "1234.50"),
        (5, "USD", "0.05"),
        (-5, "USD", "-0.05"),
        (1500, "JPY", "1500"),
        (1, "KWD", "0.001"),
    ],
)
def test_format_minor_writes_the_currency_decimals(minor: int, currency: str, text: str) -> None:
    assert format_minor(minor, currency) == text


def test_amount_round_trips_through_decimal() -> None:
    money = Money.of(Decimal("7.07"), "GBP")

    assert money.amount == Decimal("7.07")
    assert str(money) == "7.07 GBP"
