"""The portal pages' small rules: finding and checking an IBAN in the bank details and the locale a
browser asks for (the throttle on links that do not work: tests/integration/test_throttles.py)."""

from __future__ import annotations

import pytest

from arrears.adapters.locales import accepted_locale
from arrears.domain.iban import find_iban, is_iban

IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044 0532 0130 00",
        "de89370400440532013000",
        "GB29 NWBK 6016 1331 9268 19",
        "FR1420041010050500013M02606",
    ],
)
def test_a_valid_sepa_iban_passes_the_mod_97_check(text: str) -> None:
    assert is_iban(text)


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044 0532 0130 01",  # one digit changed
        "DE89 3704 0044 0532 0130 0",  # one short of Germany's 22
        "US64 SVBK US6S 3300 9673 8637",  # not a SEPA country
        "DE8937040044053201300X",
        "",
    ],
)
def test_anything_else_is_not_an_iban(text: str) -> None:
    assert not is_iban(text)


def test_the_iban_is_found_in_free_text_in_groups_or_whole_and_the_first_valid_one_wins() -> None:
    details = "\n".join(
        ["Example Bank", "Account DE89 3704 0044 0532 0130 01 (closed)", f"IBAN: {IBAN}", "BIC: COBADEFFXXX"]
    )

    assert find_iban(details) == "DE89370400440532013000"
    assert find_iban("iban:de89370400440532013000.") == "DE89370400440532013000"
    assert find_iban("Sort code 12-34-56, account 12345678") is None
    assert find_iban("XDE89370400440532013000") is None  # inside a longer word


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-CH,de;q=0.9,en;q=0.8", "de_CH"),
        ("tlh, fr;q=0.5", "fr"),
        ("en;q=0.1, de", "de"),  # by weight, then order
        ("*", "en_GB"),
        ("de;q=0, nl;q=abc", "en_GB"),  # refused and unreadable entries are skipped
        ("", "en_GB"),
        (None, "en_GB"),
        ("x" * 10_000, "en_GB"),
    ],
)
def test_the_browsers_first_known_locale_is_taken_else_the_workspaces(header: str | None, expected: str) -> None:
    assert accepted_locale(header, "en_GB") == expected
