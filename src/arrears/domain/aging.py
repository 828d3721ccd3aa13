"""Days past due and aging buckets (d = as-of date − due date)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from .errors import CurrencyMismatch
from .money import Money, format_minor

BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "91+")

# Upper bound (inclusive) of days past due for each bucket but the last.
_LIMITS: tuple[tuple[str, int], ...] = (("current", 0), ("1-30", 30), ("31-60", 60), ("61-90", 90))


def days_past_due(due: date, as_of: date) -> int:
    """Whole days from the due date to `as_of`; zero or less means not yet overdue."""
    return (as_of - due).days


def bucket_for(days: int) -> str:
    for name, limit in _LIMITS:
        if days <= limit:
            return name
    return "91+"


def bucket_due_dates(as_of: date) -> list[tuple[str, date | None]]:
    """For each bucket, the earliest due date that still falls in it as of `as_of` (None: no bound).

    Lets a query bucket invoices with plain date comparisons on an indexed column:
    an invoice is in the first bucket whose bound its due date is on or after.
    """
    return [(name, as_of - timedelta(days=limit)) for name, limit in _LIMITS] + [("91+", None)]


class AgingLine(NamedTuple):
    """One customer's (or the company's) outstanding amounts per bucket, in one currency.

    Kept as integer minor units, as the ledger sums them; `Money` is made when an amount is read.
    A report over a large ledger holds tens of thousands of lines, and most are never read one by
    one: a named tuple is the cheapest value to make.
    """

    currency: str
    minors: tuple[int, ...] = (0, 0, 0, 0, 0)  # one per bucket of BUCKETS
    unapplied_cash_minor: int = 0
    unapplied_credit_minor: int = 0

    @property
    def buckets(self) -> dict[str, Money]:
        return {name: Money(minor, self.currency) for name, minor in zip(BUCKETS, self.minors, strict=True)}

    @property
    def total(self) -> Money:
        return Money(sum(self.minors), self.currency)

    @property
    def unapplied_cash(self) -> Money:
        return Money(self.unapplied_cash_minor, self.currency)

    @property
    def unapplied_credit(self) -> Money:
        return Money(self.unapplied_credit_minor, self.currency)

    def plus(self, other: AgingLine) -> AgingLine:
        """The sum of two lines of one currency (adding two currencies raises)."""
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot add {other.currency} aging to {self.currency} aging")
        return AgingLine(
            self.currency,
            tuple(a + b for a, b in zip(self.minors, other.minors, strict=True)),
            self.unapplied_cash_minor + other.unapplied_cash_minor,
            self.unapplied_credit_minor + other.unapplied_credit_minor,
        )

    def amounts(self) -> dict[str, str]:
        """The decimal strings of the contract: each bucket, the total, unapplied cash and credit."""
        out = {name: format_minor(minor, self.currency) for name, minor in zip(BUCKETS, self.minors, strict=True)}
        out["total"] = format_minor(sum(self.minors), self.currency)
        out["unapplied_cash"] = format_minor(self.unapplied_cash_minor, self.currency)
        out["unapplied_credit"] = format_minor(self.unapplied_credit_minor, self.currency)
        return out
