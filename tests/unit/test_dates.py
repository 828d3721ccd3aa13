"""The one range of days Arrears computes with, and how a typed date is read into it."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.domain.dates import FIRST_DAY, LAST_DAY, DateOutOfRange, NotADate, check_day, in_range, parse_day
from arrears.domain.errors import InvalidValue


def test_the_range_is_1900_to_2999_inclusive() -> None:
    assert (date(1900, 1, 1), date(2999, 12, 31)) == (FIRST_DAY, LAST_DAY)
    assert in_range(FIRST_DAY) and in_range(LAST_DAY)
    assert not in_range(date(1899, 12, 31)) and not in_range(date(3000, 1, 1))


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_a_real_date_outside_the_range_is_refused_naming_the_field_and_the_range(text: str) -> None:
    with pytest.raises(DateOutOfRange) as refused:
        parse_day(text, "--as-of")

    assert isinstance(refused.value, InvalidValue)
    assert refused.value.message == f"--as-of {text} is outside the dates Arrears supports (1900-01-01 to 2999-12-31)"


@pytest.mark.parametrize("text", ["", "2026-02-30", "20260101", "2026-1-1", "2026-01-01T00:00", "１９９９-01-01", "x"])
def test_what_is_not_a_yyyy_mm_dd_calendar_date_is_not_a_date(text: str) -> None:
    with pytest.raises(NotADate):
        parse_day(text)


def test_the_edges_and_surrounding_spaces_are_read() -> None:
    assert parse_day(" 1900-01-01 ") == FIRST_DAY
    assert parse_day("2999-12-31") == LAST_DAY
    assert check_day(date(2026, 6, 30)) == date(2026, 6, 30)
