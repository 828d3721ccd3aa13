"""Which locale names Babel knows (what the workspace's locale setting may hold), the locale a
browser asks for, and amounts and dates written in a locale (the customer portal's pages)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date

MAX_ACCEPT_LANGUAGE = 500  # characters of an Accept-Language header read; the rest is ignored
MAX_LANGUAGES = 12  # entries of it tried


def is_locale(name: str) -> bool:
    """Whether Babel can write amounts and dates for `name` (en_GB, de_DE, fr), as the email
    templates parse it."""
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


@lru_cache(maxsize=256)
def _parsed(name: str) -> Locale | None:
    """The locale `name` names (`de_CH`, or a browser's `de-CH`), None when Babel knows none."""
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def accepted_locale(accept_language: str | None, default: str) -> str:
    """The first locale of a browser's Accept-Language header (by its q weights, then its order)
    that Babel knows, as Babel names it (`de-CH` -> `de_CH`); `default` when none is. Only the first
    few entries of a short header are read: a header is not a reason to spend time."""
    wanted: list[tuple[float, int, str]] = []
    for position, entry in enumerate((accept_language or "")[:MAX_ACCEPT_LANGUAGE].split(",")[:MAX_LANGUAGES]):
        tag, _, params = entry.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and weight > 0:
            wanted.append((-weight, position, tag.strip()))
    for _, _, tag in sorted(wanted):
        found = _parsed(tag)
        if found is not None:
            return str(found)
    return default


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """`amount` of `currency` as `locale` writes it ("$1,234.50", "1.234,50 €"), as Babel's
    format_currency does (through the emails' faster formatter, made once per locale and currency)."""
    return _money(locale, currency)(amount)


@lru_cache(maxsize=256)
def _money(locale: str, currency: str) -> Callable[[Decimal], str]:
    from .rendering import money_formatter  # Jinja2 loads with it: only when an amount is written

    return money_formatter(_parsed(locale) or Locale.parse("en_US"), currency)


@lru_cache(maxsize=4096)
def format_day(value: date, locale: str) -> str:
    """A date as `locale` writes it at medium length ("Jun 30, 2026", "30.06.2026")."""
    found = _parsed(locale) or Locale.parse("en_US")
    return str(format_date(value, format="medium", locale=found))
