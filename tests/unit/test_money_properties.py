"""Properties of money that hold for every amount and every currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.domain.currencies import minor_unit
from arrears.domain.errors import CurrencyMismatch, InvalidValue
from arrears.domain.money import Money, format_minor, parse_amount, to_minor
from tests.unit.builders import PROPERTY, currencies, minors, moneys, two_currencies


@PROPERTY
@given(st.data())
def test_addition_is_associative(data: st.DataObject) -> None:
    currency = data.draw(currencies)
    a, b, c = (data.draw(moneys(currency)) for _ in range(3))

    left, right = (a + b) + c, a + (b + c)

    assert left == right


@PROPERTY
@given(st.data())
def test_addition_is_commutative(data: st.DataObject) -> None:
    currency = data.draw(currencies)
    a, b = data.draw(moneys(currency)), data.draw(moneys(currency))

    assert a + b == b + a


@PROPERTY
@given(moneys())
def test_zero_of_the_currency_changes_nothing(money: Money) -> None:
    zero = Money.zero(money.currency)

    assert money + zero == money
    assert money - zero == money


@PROPERTY
@given(st.data())
def test_a_sum_keeps_the_currency_of_its_terms(data: st.DataObject) -> None:
    currency = data.draw(currencies)
    a, b = data.draw(moneys(currency)), data.draw(moneys(currency))

    total = a + b

    assert total.currency == currency
    assert total.minor == a.minor + b.minor


@PROPERTY
@given(st.data())
def test_subtracting_what_was_added_gives_back_the_amount(data: st.DataObject) -> None:
    currency = data.draw(currencies)
    a, b = data.draw(moneys(currency)), data.draw(moneys(currency))

    assert (a + b) - b == a


@PROPERTY
@given(moneys())
def test_an_amount_plus_its_negation_is_zero(money: Money) -> None:
    total = money + (-money)

    assert total == Money.zero(money.currency)
    assert not total


@PROPERTY
@given(two_currencies(), minors, minors)
def test_amounts_of_two_currencies_never_add_up(pair: tuple[str, str], x: int, y: int) -> None:
    first, second = Money(x, pair[0]), Money(y, pair[1])

    with pytest.raises(CurrencyMismatch):
        first + second
    with pytest.raises(CurrencyMismatch):
        first - second
    with pytest.raises(CurrencyMismatch):
        first < second  # noqa: B015 - the comparison is what raises


@PROPERTY
@given(st.data())
def test_comparisons_agree_with_the_minor_units(data: st.DataObject) -> None:
    currency = data.draw(currencies)
    a, b = data.draw(moneys(currency)), data.draw(moneys(currency))

    assert (a < b, a <= b, a > b, a >= b, a == b) == (
        a.minor < b.minor,
        a.minor <= b.minor,
        a.minor > b.minor,
        a.minor >= b.minor,
        a.minor == b.minor,
    )


@PROPERTY
@given(minors, currencies)
def test_parsing_a_formatted_amount_gives_back_its_minor_units(minor: int, currency: str) -> None:
    text = format_minor(minor, currency)

    parsed = parse_amount(text, currency, allow_negative=True)

    assert parsed == minor


@PROPERTY
@given(moneys())
def test_money_of_its_own_amount_is_the_same_money(money: Money) -> None:
    again = Money.of(money.amount, money.currency)

    assert again == money


@PROPERTY
@given(moneys())
def test_the_string_of_money_is_its_formatted_amount_and_currency(money: Money) -> None:
    text = str(money)

    assert text == f"{money.to_string()} {money.currency}"
    assert Decimal(money.to_string()) == money.amount


@PROPERTY
@given(minors, currencies)
def test_a_formatted_amount_has_exactly_the_currency_decimals(minor: int, currency: str) -> None:
    text = format_minor(minor, currency)

    decimals = len(text.partition(".")[2])

    assert decimals == minor_unit(currency)


@PROPERTY
@given(minors, currencies, st.integers(min_value=1, max_value=9))
def test_one_decimal_more_than_the_currency_has_is_refused(minor: int, currency: str, digit: int) -> None:
    text = format_minor(minor, currency)
    longer = f"{text}{digit}" if minor_unit(currency) else f"{text}.{digit}"

    with pytest.raises(InvalidValue, match=f"more decimals than {currency} allows"):
        parse_amount(longer, currency, allow_negative=True)


@PROPERTY
@given(minors, currencies)
def test_to_minor_undoes_the_currency_exponent(minor: int, currency: str) -> None:
    amount = Decimal(minor).scaleb(-minor_unit(currency))

    assert to_minor(amount, currency) == minor
