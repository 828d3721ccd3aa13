"""The days Arrears computes with, and how a typed date becomes one.

Every rule adds to dates or subtracts from them (a due date plus the terms, an as-of date less 90
days, a review a year on). Python's dates end at 0001-01-01 and 9999-12-31, so a date typed near
either end would stop a computation far from where it came in. Every entry point (the command line,
the pages, the portal, the API, the CSV import) therefore reads dates through `parse_day` or checks
them with `check_day`, and refuses a day outside FIRST_DAY..LAST_DAY with a message a user can act on.
"""

from __future__ import annotations

import re
from datetime import date

from .errors import InvalidValue

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
SUPPORTED = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DateOutOfRange(InvalidValue):
    """A real calendar date, but one Arrears cannot compute with."""

    code = "date_out_of_range"


class NotADate(InvalidValue):
    """Text that is not a date in the form YYYY-MM-DD, or not a calendar date (2026-02-30)."""

    code = "not_a_date"


def in_range(day: date) -> bool:
    """Whether Arrears can compute with `day`."""
    return FIRST_DAY <= day <= LAST_DAY


def check_day(day: date, what: str = "date") -> date:
    """`day` itself when Arrears can compute with it; else DateOutOfRange naming `what`."""
    if not in_range(day):
        raise DateOutOfRange(f"{what} {day.isoformat()} is outside the dates Arrears supports ({SUPPORTED})")
    return day


def parse_day(text: str, what: str = "date") -> date:
    """A date typed as YYYY-MM-DD (surrounding spaces ignored) within the supported range.

    NotADate when it is not such a date; DateOutOfRange when it is one Arrears cannot compute with.
    Both are InvalidValue, so every entry point answers them as it answers any invalid input.
    """
    value = text.strip()
    if not _DAY.fullmatch(value):
        raise NotADate(f"{what}: {value!r} is not a date in the form YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise NotADate(f"{what}: {value!r} is not a calendar date") from None
    return check_day(day, what)
