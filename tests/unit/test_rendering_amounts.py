"""The template's money filter formats amounts itself (the cycle renders thousands of amounts a
day) from the installed Babel's locale data: it must give exactly what Babel's format_currency
gives, in every locale and currency, for positive, negative, zero and huge amounts."""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation

import pytest
from babel.core import Locale
from babel.localedata import locale_identifiers
from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from arrears.adapters import rendering
from arrears.adapters.rendering import Templates
from tests.unit.builders import PROPERTY

LOCALES = [
    *("en_US", "en_GB", "en_IN", "de_DE", "de_CH", "fr_FR", "fr_CH", "it_CH", "nl_NL", "es_ES", "pt_BR"),
    *("ja_JP", "sv_SE", "pl_PL", "ar_EG", "hi_IN", "fa_IR"),
]
CURRENCIES = ["USD", "EUR", "GBP", "CHF", "JPY", "KWD", "INR", "BHD", "SEK", "CLF"]
EDGES = [
    *("0", "-0", "0.00", "-0.001", "0.005", "0.015", "0.025", "-0.005", "0.0000001", "1E+1", "1E+5", "100.00"),
    *("999.995", "-999.995", "1234.5", "-1234.5", "999999.999", "1234567.125", "-1234567.135"),
    *("12345678901234567", "-12345678901234567.89", "999999999999999999.9995", "-1E+18"),
    *("NaN", "Infinity", "-Infinity"),
]


@functools.cache
def templates(locale: str) -> Templates:
    return Templates(locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_edge_amounts_match_babel_in_every_currency(locale: str) -> None:
    for currency in CURRENCIES:
        for value in EDGES:
            amount = Decimal(value)

            formatted = templates(locale).money(amount, currency)

            assert formatted == format_currency(amount, currency, locale=locale), (currency, value)


@PROPERTY
@given(
    locale=st.sampled_from(LOCALES),
    currency=st.sampled_from(CURRENCIES),
    amount=st.decimals(min_value=-(10**18), max_value=10**18, allow_nan=False, allow_infinity=False),
)
def test_any_amount_matches_babel(locale: str, currency: str, amount: Decimal) -> None:
    assert templates(locale).money(amount, currency) == format_currency(amount, currency, locale=locale)


def test_every_locale_babel_knows_matches_babel() -> None:
    amounts = [Decimal("1234567.125"), Decimal("-98765.4"), Decimal("-0")]
    for number, identifier in enumerate(locale_identifiers()):
        locale = Locale.parse(identifier)
        if "standard" not in locale.currency_formats:
            continue
        currency = CURRENCIES[number % len(CURRENCIES)]
        formatter = rendering._money_formatter(locale, currency)
        for amount in amounts:
            assert formatter(amount) == format_currency(amount, currency, locale=locale), (identifier, currency, amount)


def test_an_amount_beyond_decimal_precision_fails_as_in_babel() -> None:
    amount = Decimal("1E+30")  # 33 digits with the cents, the decimal context holds 28

    with pytest.raises(InvalidOperation):
        format_currency(amount, "USD", locale="en_US")
    with pytest.raises(InvalidOperation):
        templates("en_US").money(amount, "USD")


def test_grouping_rounding_and_signs_of_the_fast_path() -> None:
    assert templates("en_US").money(Decimal("1234567.125"), "USD") == "$1,234,567.12"  # half-even
    assert templates("en_US").money(Decimal("-1234.5"), "USD") == "-$1,234.50"
    assert templates("en_IN").money(Decimal("1234567.135"), "INR") == "₹12,34,567.14"
    assert templates("de_DE").money(Decimal("0.5"), "EUR") == "0,50\xa0€"
    assert templates("de_CH").money(Decimal("-1234.5"), "CHF") == "CHF-1'234.50"
    assert templates("ja_JP").money(Decimal("1234.5"), "JPY") == "￥1,234"
    assert templates("ar_EG").money(Decimal("1234.5"), "KWD") == "\u200f1,234.500\xa0د.ك.\u200f"


def test_common_amounts_are_formatted_without_calling_babel(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_babel(*args: object, **kwargs: object) -> str:
        raise AssertionError("format_currency was called")

    fast = Templates(locale="de_CH")
    monkeypatch.setattr(rendering, "format_currency", no_babel)

    assert fast.money(Decimal("1234.5"), "CHF") == "CHF\xa01'234.50"
    assert fast.money(Decimal("-0.5"), "EUR") == "EUR-0.50"
    assert fast.money(Decimal("0"), "JPY") == "¥\xa00"
