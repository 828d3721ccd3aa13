"""Currencies: the ISO 4217 codes in use and how many decimals each has."""

from __future__ import annotations

import re

import pytest

from arrears.domain.currencies import MINOR_UNITS, is_currency, minor_unit
from arrears.domain.errors import CurrencyError


def test_every_code_is_three_upper_case_letters() -> None:
    malformed = [code for code in MINOR_UNITS if not re.fullmatch(r"[A-Z]{3}", code)]

    assert malformed == []


def test_no_currency_has_more_than_four_decimals() -> None:
    decimals = set(MINOR_UNITS.values())

    assert decimals == {0, 2, 3, 4}


def test_the_currencies_without_decimals() -> None:
    whole = {code for code, exponent in MINOR_UNITS.items() if exponent == 0}

    assert whole == {
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF",
        "XPF",
    }  # fmt: skip


def test_the_currencies_with_three_decimals_are_the_dinars_and_the_omani_rial() -> None:
    three = {code for code, exponent in MINOR_UNITS.items() if exponent == 3}

    assert three == {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


def test_the_uruguayan_wage_index_unit_has_four_decimals() -> None:
    decimals = minor_unit("UYW")

    assert decimals == 4


@pytest.mark.parametrize("code", ["XAU", "XAG", "XPT", "XPD", "XDR", "XSU", "XUA", "USN", "BOV", "CHE", "CHW", "CLF",
                                  "COU", "MXV", "UYI", "XTS", "XXX"])  # fmt: skip
def test_funds_precious_metals_and_test_codes_are_not_currencies(code: str) -> None:
    assert not is_currency(code)


@pytest.mark.parametrize("code", ["HRK", "SLL", "VEF", "ZWL", "MRO", "STD", "LTL", "EEK"])
def test_withdrawn_codes_are_not_currencies(code: str) -> None:
    assert not is_currency(code)


@pytest.mark.parametrize("code", ["usd", "Eur", " USD", "USD ", ""])
def test_a_code_must_be_written_exactly_in_upper_case(code: str) -> None:
    assert not is_currency(code)


def test_an_unknown_code_is_a_currency_error_that_names_it() -> None:
    with pytest.raises(CurrencyError) as caught:
        minor_unit("EURO")

    assert caught.value.message == "'EURO' is not an ISO 4217 currency code"
    assert caught.value.code == "currency"


@pytest.mark.parametrize(("code", "decimals"), [("EUR", 2), ("GBP", 2), ("ISK", 0), ("KRW", 0), ("OMR", 3)])
def test_minor_unit_is_the_number_of_decimals(code: str, decimals: int) -> None:
    assert minor_unit(code) == decimals
