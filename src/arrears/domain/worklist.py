"""The prioritised worklist: which customers to chase first, when each is expected to pay, and why.

Pure: a customer's standing comes in (what it has overdue and since when, how late it pays, its
promises), a priority, an expected payment date and a one-line reason go out. The database keeps
the priority of every customer beside its balances (`adapters/db/workspace/balances.py` computes it
with the same rule in SQL), so that the task list can read its first page by priority from an index.

The priority is a whole number, higher first:

    priority = overdue, in whole units of its currency × that currency's rate
               × the age weight of the oldest overdue invoice: 1 for 1-30 days, 2 for 31-60, 3 for 61-90, 4 for 91+
               × (100 + the customer's average days late, at most 100)
               × 3 if a promise was broken in the last 30 days, else 2

and 0 (the customer sinks to the bottom) when nothing is overdue, or while an open promise to pay
is dated today or later. An open dispute on every overdue invoice leaves nothing overdue, so it
sinks too. The age weight follows the aging buckets, so a customer's priority changes only on the
days its oldest overdue invoice moves to the next bucket (or its promise lapses), never daily.

Currencies are compared through `rates` (ARREARS_PRIORITY_RATES, "JPY=0.0067,EUR=1.08": what one
unit of each is worth in the unit the team ranks in); a currency without a rate counts 1:1. Nothing
is summed across currencies: each customer is in one currency.

The average days late is the behavioural score's lateness (`domain/credit.py`: days from due date
to payment, weighted by amount, over the last 12 months, shrunk toward the portfolio's mean for
customers with few invoices), refreshed with the month's scores. The expected payment date is the
oldest overdue (or next) invoice's due date plus those days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .currencies import is_currency, minor_unit
from .errors import InvalidValue

AGE_WEIGHTS = ((90, 4), (60, 3), (30, 2), (0, 1))  # days overdue above the first figure: the weight
LATENESS_CAP = 100  # days late on average counted at most
BROKEN_WINDOW_DAYS = 30  # a promise broken this recently makes the customer more urgent
BOOST, USUAL = 3, 2
MAX_UNITS = 10**9  # whole units counted at most (keeps the product within a 64-bit integer)
MICRO = 10**6  # rates are kept in millionths
MAX_RATE = Decimal(1000)


@dataclass(frozen=True, slots=True)
class Standing:
    """What the priority reads of one customer (`customer_balances` holds it)."""

    currency: str
    overdue_minor: int
    oldest_due: date | None = (
        None  # the oldest due date of its open invoices that count (not disputed, excluded or on a plan)
    )
    days_late: int | None = None  # its average days late (None before the first month's scores)
    promised_until: date | None = None  # the latest date of its open promises to pay
    broken_on: date | None = None  # the date of its latest broken promise


def days_overdue(standing: Standing, as_of: date) -> int:
    """Days the oldest counted invoice is past due on `as_of` (0 if none is)."""
    if standing.oldest_due is None:
        return 0
    return max((as_of - standing.oldest_due).days, 0)


def age_weight(days: int) -> int:
    """1 for 1-30 days overdue, 2 for 31-60, 3 for 61-90, 4 for 91+ (and 1 for an overdue amount
    with no dated invoice behind it: a payment plan's instalment)."""
    return next((weight for above, weight in AGE_WEIGHTS if days > above), 1)


def promised(standing: Standing, as_of: date) -> bool:
    return standing.promised_until is not None and standing.promised_until >= as_of


def broke_recently(standing: Standing, as_of: date) -> bool:
    return standing.broken_on is not None and as_of - timedelta(days=BROKEN_WINDOW_DAYS) <= standing.broken_on < as_of


def priority(standing: Standing, as_of: date, rates: Mapping[str, int] | None = None) -> int:
    """The module docstring's priority; `rates` in millionths per currency (`parse_rates`)."""
    if standing.overdue_minor <= 0 or promised(standing, as_of):
        return 0
    divisor: int = 10 ** minor_unit(standing.currency)
    units = min(standing.overdue_minor // divisor, MAX_UNITS)
    ranked = units * (rates or {}).get(standing.currency, MICRO) // MICRO
    lateness = 100 + min(max(standing.days_late or 0, 0), LATENESS_CAP)
    boost = BOOST if broke_recently(standing, as_of) else USUAL
    return ranked * age_weight(days_overdue(standing, as_of)) * lateness * boost


def expected_payment(standing: Standing) -> date | None:
    """When the customer is expected to pay: its oldest counted invoice's due date plus its average
    days late (None without an open invoice that counts)."""
    if standing.oldest_due is None:
        return None
    return standing.oldest_due + timedelta(days=max(standing.days_late or 0, 0))


def _amount(minor: int, currency: str) -> str:
    exponent = minor_unit(currency)
    whole, fraction = divmod(minor, 10**exponent)
    return f"{whole:,}.{fraction:0{exponent}d} {currency}" if exponent else f"{whole:,} {currency}"


def _ago(days: int) -> str:
    if days <= 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    if days < 14:
        return "last week"
    return f"{days // 7} weeks ago"


def why(standing: Standing, as_of: date) -> str:
    """One line on where the customer stands, e.g. "12,400.00 USD overdue 45 days; pays 38 days late
    on average; promise broken last week"."""
    parts = []
    if standing.overdue_minor > 0:
        days = days_overdue(standing, as_of)
        overdue = _amount(standing.overdue_minor, standing.currency) + " overdue"
        parts.append(f"{overdue} {days} day{'s' if days != 1 else ''}" if days else overdue)
    else:
        parts.append("nothing overdue")
    if standing.days_late is not None:
        if standing.days_late > 0:
            parts.append(f"pays {standing.days_late} day{'s' if standing.days_late != 1 else ''} late on average")
        else:
            parts.append("pays on time")
    if promised(standing, as_of):
        assert standing.promised_until is not None
        parts.append(f"promised to pay by {standing.promised_until.isoformat()}")
    if broke_recently(standing, as_of):
        assert standing.broken_on is not None
        parts.append(f"promise broken {_ago((as_of - standing.broken_on).days)}")
    return "; ".join(parts)


def parse_rates(text: str) -> dict[str, int]:
    """ARREARS_PRIORITY_RATES, "JPY=0.0067, EUR=1.08", as millionths per currency."""
    rates: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        code, _, value = (piece.strip() for piece in item.partition("="))
        code = code.upper()
        if not is_currency(code):
            raise InvalidValue(f"{code!r} in the priority rates is not an ISO 4217 currency code")
        try:
            rate = Decimal(value)
        except InvalidOperation:
            raise InvalidValue(
                f"the priority rate of {code} is {value!r}: give a decimal number such as 1.08"
            ) from None
        if not rate.is_finite() or not 0 < rate <= MAX_RATE:
            raise InvalidValue(f"the priority rate of {code} must be above 0 and at most {MAX_RATE}")
        rates[code] = max(int((rate * MICRO).to_integral_value(rounding=ROUND_HALF_UP)), 1)
    return rates
