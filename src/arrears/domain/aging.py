"""Days past due and aging buckets (CONTRACT.md: d = as-of date − due date)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from .money import Money

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


@dataclass
class AgingLine:
    """One customer's (or the company's) outstanding amounts per bucket, in one currency."""

    currency: str
    buckets: dict[str, Money] = field(default_factory=dict)
    unapplied_cash: Money | None = None
    unapplied_credit: Money | None = None

    def __post_init__(self) -> None:
        zero = Money.zero(self.currency)  # one value shared by every empty slot: Money is immutable
        for name in BUCKETS:
            if name not in self.buckets:
                self.buckets[name] = zero
        if self.unapplied_cash is None:
            self.unapplied_cash = zero
        if self.unapplied_credit is None:
            self.unapplied_credit = zero

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for amount in self.buckets.values():
            total = total + amount
        return total

    def add(self, bucket: str, amount: Money) -> None:
        self.buckets[bucket] = self.buckets[bucket] + amount

    def absorb(self, other: AgingLine) -> None:
        for name in BUCKETS:
            self.add(name, other.buckets[name])
        assert self.unapplied_cash is not None and other.unapplied_cash is not None
        assert self.unapplied_credit is not None and other.unapplied_credit is not None
        self.unapplied_cash = self.unapplied_cash + other.unapplied_cash
        self.unapplied_credit = self.unapplied_credit + other.unapplied_credit
