"""Money: an exact Decimal amount in one ISO 4217 currency.

Amounts are stored as integer minor units (cents); arithmetic never mixes currencies and never
touches float ("never use floating-point in an accounting system").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .currencies import minor_unit
from .errors import CurrencyMismatch, InvalidValue

# Digits, an optional sign and an optional fraction: no exponent, no thousands separator,
# no comma as decimal separator, no NaN or Infinity.
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")

# The largest amount, in minor units: it fits the database's 64-bit integers with room to sum many.
MAX_MINOR = 10**17 - 1


def parse_decimal(text: str, *, allow_negative: bool = False, allow_zero: bool = True) -> Decimal:
    """Parse a decimal string as the CSV files write it: digits, optional '-', optional '.' fraction.

    Raises InvalidValue for exponents, thousands separators, a comma as decimal separator, NaN,
    Infinity, a negative value where it is not allowed, or zero where it is not allowed.
    """
    if not _AMOUNT.fullmatch(text):
        raise InvalidValue(f"{text!r} is not an amount: write digits with '.' as the decimal separator, e.g. 1234.50")
    value = Decimal(text)
    allowed = "greater than zero" if not allow_zero else "zero or more"
    if value < 0 and not allow_negative:
        raise InvalidValue(f"{text} is negative; the amount must be {allowed}")
    if value == 0 and not allow_zero:
        raise InvalidValue(f"{text} is zero; the amount must be {allowed}")
    return value


def to_minor(value: Decimal, currency: str) -> int:
    """Integer minor units of `currency`; more decimals than it has is an error ("10.50" is fine
    for USD, "10.505" is not; "10.50" is not for JPY)."""
    exponent = minor_unit(currency)
    # In exact integers from the decimal's own digits: Decimal arithmetic would round to its context's
    # 28 digits, and silently drop a fraction beyond them.
    sign, digits, power = value.as_tuple()
    assert isinstance(power, int), "parse_decimal refuses NaN and infinities"
    magnitude = int("".join(map(str, digits)) or "0")
    while power < 0 and magnitude and magnitude % 10 == 0:
        magnitude //= 10
        power += 1
    if magnitude and power + exponent < 0:
        decimals = "no decimals" if exponent == 0 else f"at most {exponent} decimals"
        raise InvalidValue(f"{value} has more decimals than {currency} allows ({decimals})")
    minor = magnitude * 10 ** min(power + exponent, 20) if magnitude else 0  # 10**20 is past any limit
    if minor > MAX_MINOR:
        raise InvalidValue(f"{value} is too large: at most {format_minor(MAX_MINOR, currency)} {currency}")
    return -minor if sign else minor


def parse_amount(text: str, currency: str, *, allow_negative: bool = False, allow_zero: bool = True) -> int:
    """parse_decimal then to_minor: the integer minor units of a decimal string in `currency`."""
    minor_unit(currency)
    return to_minor(parse_decimal(text, allow_negative=allow_negative, allow_zero=allow_zero), currency)


def format_minor(minor: int, currency: str) -> str:
    """Minor units as the decimal string of the contract, with exactly the currency's decimals."""
    exponent = minor_unit(currency)
    if exponent == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole}.{frac:0{exponent}d}"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency. `Money.of("12.30", "EUR")`."""

    minor: int
    currency: str

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise InvalidValue(f"{amount!r} is not an amount") from None
        if not value.is_finite():
            raise InvalidValue(f"{amount!r} is not an amount")
        return cls(to_minor(value, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        minor_unit(currency)
        return cls(0, currency)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-minor_unit(self.currency))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency} amounts")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"

    def to_string(self) -> str:
        """The decimal string of the contract, without the currency: "1234.50"."""
        return format_minor(self.minor, self.currency)
