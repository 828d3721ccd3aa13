"""The portal pages' small rules: finding and checking an IBAN in the bank details, the locale a
browser asks for, and the throttle on links that do not work."""

from __future__ import annotations

import pytest

from arrears.adapters.locales import accepted_locale
from arrears.domain.iban import find_iban, is_iban
from arrears.portal.throttle import TokenThrottle

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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_is_blocked_at_the_limit_until_its_failures_age_out_and_others_are_not() -> None:
    clock = Clock()
    throttle = TokenThrottle(limit=3, window=60, now=clock)

    for _ in range(2):
        throttle.failed("198.51.100.1")
    before = throttle.blocked("198.51.100.1")
    throttle.failed("198.51.100.1")
    at_limit = throttle.blocked("198.51.100.1")
    clock.now += 61

    assert (before, at_limit, throttle.blocked("198.51.100.1")) == (False, True, False)
    assert not throttle.blocked("198.51.100.2")


def test_the_throttles_memory_stays_bounded() -> None:
    clock = Clock()
    throttle = TokenThrottle(limit=2, window=60, now=clock, capacity=100)

    for n in range(1000):
        throttle.failed(f"203.0.113.{n}")
        throttle.failed("198.51.100.1")

    assert len(throttle._failures) <= 100
    assert len(throttle._failures["198.51.100.1"]) <= 2
