"""The template's money filter formats positive amounts itself (the cycle renders thousands of
amounts a day): it must give exactly what Babel's format_currency gives, in every locale."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from babel.numbers import format_currency

from arrears.adapters.rendering import Templates

LOCALES = ["en_US", "de_DE", "fr_FR", "de_CH", "en_IN", "hi_IN", "ar_EG", "fa_IR", "ja_JP", "pl_PL", "sv_SE", "pt_BR"]
CURRENCIES = ["USD", "EUR", "JPY", "BHD", "INR", "CHF", "SEK", "CLF"]
EDGES = [
    *("0", "0.005", "0.015", "0.025", "999.995", "1E+5", "1E+1", "100.00"),
    *("-0", "-12.5", "0.0000001", "12345678901234567"),
]


@pytest.mark.parametrize("locale", LOCALES)
def test_amounts_match_babel_for_random_and_edge_amounts(locale: str) -> None:
    templates = Templates(locale=locale)
    rng = random.Random(locale)
    for currency in CURRENCIES:
        amounts = [Decimal(value) for value in EDGES]
        amounts += [Decimal(rng.randint(0, 10 ** rng.randint(1, 12))).scaleb(-rng.randint(0, 4)) for _ in range(200)]
        for amount in amounts:
            assert templates.money(amount, currency) == format_currency(amount, currency, locale=locale), (
                locale,
                currency,
                amount,
            )


def test_grouping_and_rounding_of_the_fast_path() -> None:
    assert Templates(locale="en_US").money(Decimal("1234567.125"), "USD") == "$1,234,567.12"  # half-even
    assert Templates(locale="en_IN").money(Decimal("1234567.135"), "INR") == "₹12,34,567.14"
    assert Templates(locale="de_DE").money(Decimal("0.5"), "EUR") == "0,50\xa0€"
    assert Templates(locale="ja_JP").money(Decimal("1234.5"), "JPY") == "￥1,234"
