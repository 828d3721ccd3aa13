"""The reports' formulas (docs/reports.md): DSO, best possible DSO, average days delinquent, the
collection effectiveness index, the promise-kept rate and the median time to resolve a dispute, over
a period F..T, one currency at a time, and what is receivable as of any day.

Pure rules over integers: the adapters sum the ledger, these compute. A ratio is exact (integer
arithmetic) and rounded once, half up, to one decimal; a ratio whose denominator is zero is `None`
(printed `null`): an empty period has no DSO, rather than a DSO of zero or an error.

*AR(D)*, what is receivable as of day D, is rebuilt from the dated ledger rather than read from
today's balances: the invoices issued on or before D that are not void, less the payments and
credit notes dated on or before D that are allocated to them. An amount written off in the ERP
carries no date, so it is left out of AR on every day. `receivable_at` below is the rule;
`adapters/db/reports.py` has its SQL twin, and tests/integration/test_reports_sql.py checks that
both agree on random ledgers, on both databases.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from .errors import InvalidValue

DEFAULT_DAYS = 90
TREND_MONTHS = 12
_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class Period:
    """The days `start`..`end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidValue(f"the period starts ({self.start}) after it ends ({self.end})")

    @classmethod
    def of(cls, start: date | None, end: date | None, today: date) -> Period:
        """--from/--to as given; the default is the last 90 days to `end` (today when not given)."""
        last = end or today
        return cls(start or last - timedelta(days=DEFAULT_DAYS - 1), last)

    @property
    def days(self) -> int:
        """N = T − F + 1."""
        return (self.end - self.start).days + 1

    @property
    def day_before(self) -> date:
        """F − 1: the day the opening AR of the CEI is taken on."""
        return self.start - timedelta(days=1)

    def months(self) -> list[Period]:
        """The calendar months the period touches, each cut to the period: Jan 15..Mar 10 gives
        Jan 15..31, Feb 1..28 and Mar 1..10."""
        out = []
        start = self.start
        while start <= self.end:
            following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
            end = min(following - timedelta(days=1), self.end)
            out.append(Period(start, end))
            start = following
        return out

    @classmethod
    def trend(cls, end: date, months: int = TREND_MONTHS) -> Period:
        """The `months` calendar months that end with `end`'s month, up to `end`."""
        first = end.replace(day=1)
        for _ in range(months - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        return cls(first, end)


def ratio(numerator: int, denominator: int, scale: int = 1) -> Decimal | None:
    """numerator ÷ denominator × scale, rounded half up to one decimal; None when dividing by zero."""
    if denominator == 0:
        return None
    # Exact to the tenth: the fraction's decimal expansion is never cut short by a Decimal context.
    tenths = Fraction(numerator * scale * 10, denominator)
    whole, rest = divmod(abs(tenths.numerator), tenths.denominator)
    if 2 * rest >= tenths.denominator:
        whole += 1
    value = Decimal(whole) * _TENTH
    return -value if tenths < 0 else value


class Receivables(NamedTuple):
    """One currency's figures over a period, in minor units: AR(F − 1), sales in F..T, AR(T), and
    current AR(T), the part of AR(T) not yet past due on T (due on T or later)."""

    opening: int
    sales: int
    closing: int
    current: int


class Dso(NamedTuple):
    dso: Decimal | None
    best_possible_dso: Decimal | None
    add: Decimal | None


def dso(figures: Receivables, days: int) -> Dso:
    """DSO = AR(T) ÷ sales × N; best possible DSO = current AR(T) ÷ sales × N; ADD (average days
    delinquent) = DSO − best possible DSO, i.e. the past-due part of AR(T) ÷ sales × N (computed
    exactly, then rounded, so that the three printed figures may differ from a subtraction of the
    two rounded ones by 0.1)."""
    return Dso(
        ratio(figures.closing, figures.sales, days),
        ratio(figures.current, figures.sales, days),
        ratio(figures.closing - figures.current, figures.sales, days),
    )


def cei(figures: Receivables) -> Decimal | None:
    """(AR(F−1) + sales − AR(T)) ÷ (AR(F−1) + sales − current AR(T)) × 100: of what could be
    collected in the period (all but what was not yet due at its end), the share that was."""
    collectable = figures.opening + figures.sales - figures.current
    return ratio(figures.opening + figures.sales - figures.closing, collectable, 100)


def kept_rate(kept: int, broken: int) -> Decimal | None:
    """kept ÷ (kept + broken) as a percentage; promises still open count in neither."""
    return ratio(kept, kept + broken, 100)


def median_days(durations: Iterable[int]) -> Decimal | None:
    """The median of whole days, one decimal (the mean of the middle two for an even count)."""
    values = sorted(durations)
    if not values:
        return None
    middle = statistics.median_low(values), statistics.median_high(values)
    return ratio(middle[0] + middle[1], 2)


# -- what is receivable as of a day: the rule the SQL twin computes ---------------------------------


class DatedInvoice(NamedTuple):
    """An invoice as the reports read it, with the dated amounts allocated to it (payments and credit
    notes that name it: (date, minor units))."""

    currency: str
    issue_date: date
    due_date: date
    amount_minor: int
    written_off_minor: int = 0
    is_void: bool = False
    allocations: tuple[tuple[date, int], ...] = ()


def receivable_at(invoice: DatedInvoice, day: date) -> int:
    """What `invoice` was owed on `day`: nothing when void or not yet issued; else its amount less
    the part written off and what was allocated to it on or before `day`. (Never below zero on a
    ledger the import accepted, which refuses allocating more than an invoice's amount.)"""
    if invoice.is_void or invoice.issue_date > day:
        return 0
    allocated = sum(minor for on, minor in invoice.allocations if on <= day)
    return invoice.amount_minor - invoice.written_off_minor - allocated


def receivables(invoices: Sequence[DatedInvoice], period: Period) -> dict[str, Receivables]:
    """Per currency, the figures of `period` (currencies with no invoice at all are absent)."""
    out: dict[str, Receivables] = {}
    for invoice in invoices:
        closing = receivable_at(invoice, period.end)
        sold = invoice.amount_minor if not invoice.is_void and period.start <= invoice.issue_date <= period.end else 0
        before = out.get(invoice.currency, Receivables(0, 0, 0, 0))
        out[invoice.currency] = Receivables(
            before.opening + receivable_at(invoice, period.day_before),
            before.sales + sold,
            before.closing + closing,
            before.current + (closing if invoice.due_date >= period.end else 0),
        )
    return out
