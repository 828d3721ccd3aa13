"""Credit risk: the flags a customer's credit raises, when its alerts cross, when its review falls
due, and the behavioural score computed from its own payment history.

Pure: the figures come in (exposure, limit, the newest score, the history), the decisions go out.

The behavioural score (0 to 100, higher is better) starts at 100 and loses points for four things,
each capped, so that one bad habit cannot hide the others and the "why" adds up:

| part | points lost | at most |
|---|---|---|
| lateness: average days late, weighted by amount, shrunk toward the portfolio's mean | 1 per day | 40 |
| share of invoices paid late (more than 0 days after their due date) | 20 × the share | 20 |
| promises broken in the last 12 months | 10 each | 20 |
| the oldest open invoice's days past due | 1 per 6 days | 20 |

Lateness counts the invoices paid in the 12 months before the day (days from due date to the day
they were fully paid) and the open invoices past due (days so far). A customer with few invoices
says little about itself: its average is pulled toward the portfolio's, as if it also had
`PRIOR_WEIGHT` invoices at the portfolio's average (`(n × own + k × portfolio) / (n + k)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

PRIOR_WEIGHT = 5  # invoices' worth of the portfolio's mean in a customer's lateness
POOR_REVIEW_DAYS = 90  # a customer whose score is below the threshold is reviewed at least this often
LATENESS_CAP, LATE_SHARE_POINTS, PROMISE_POINTS, PROMISE_CAP, DPD_CAP, DPD_DAYS_PER_POINT = 40, 20, 10, 20, 20, 6


class CreditFlag(StrEnum):
    OVER_LIMIT = "over_limit"
    SCORE_BELOW_THRESHOLD = "score_below_threshold"
    REVIEW_DUE = "review_due"


def score_percent(score: int, max_score: int | None) -> Decimal:
    """A score as a percentage of its scale (100 when the scale is not given)."""
    scale = max_score if max_score and max_score > 0 else 100
    return Decimal(score) * 100 / scale


def score_low(score: int | None, max_score: int | None, threshold_percent: int) -> bool:
    """Whether a score is below the threshold (a percent of its scale); no score is not low.
    (`score_percent(score, max_score) < threshold_percent`, in integers: it runs for every customer.)"""
    if score is None:
        return False
    scale = max_score if max_score and max_score > 0 else 100
    return score * 100 < threshold_percent * scale


def limit_level(exposure_minor: int, limit_minor: int | None, levels: Sequence[int] = (100,)) -> int:
    """The highest of `levels` (percents of the limit) that the exposure has passed (over 100: above
    the limit; 80 or 90: at or above that share), else 0; 0 without a limit."""
    if limit_minor is None or limit_minor <= 0:
        return 0
    reached = 0
    for level in sorted(levels):
        over = (
            exposure_minor * 100 > level * limit_minor if level >= 100 else exposure_minor * 100 >= level * limit_minor
        )
        if over:
            reached = level
    return reached


def next_review(last_review: date | None, newest_score: date | None, review_days: int, poor: bool) -> date | None:
    """When the customer's credit should be reviewed next: `review_days` after the last review or
    the newest score reported (a bureau's or one entered, not one Arrears computed), whichever is
    later (at most POOR_REVIEW_DAYS when its score is below the
    threshold); None when it has neither (nothing to review against yet)."""
    if last_review is None:
        if newest_score is None:
            return None
        latest = newest_score
    else:
        latest = last_review if newest_score is None or newest_score <= last_review else newest_score
    period = min(review_days, POOR_REVIEW_DAYS) if poor else review_days
    return latest + timedelta(days=period)


def review_due_by(as_of: date, review_days: int, poor: bool) -> date:
    """The latest day the last review (or newest reported score) may fall on for a review to be due
    on `as_of`: `next_review(...) <= as_of` exactly when the later of the two is on or before it."""
    return as_of - timedelta(days=min(review_days, POOR_REVIEW_DAYS) if poor else review_days)


def flags(
    *,
    exposure_minor: int,
    limit_minor: int | None,
    low: bool,
    review_on: date | None,
    as_of: date,
) -> tuple[CreditFlag, ...]:
    found = []
    if limit_level(exposure_minor, limit_minor) >= 100:
        found.append(CreditFlag.OVER_LIMIT)
    if low:
        found.append(CreditFlag.SCORE_BELOW_THRESHOLD)
    if review_on is not None and review_on <= as_of:
        found.append(CreditFlag.REVIEW_DUE)
    return tuple(found)


class Crossing(StrEnum):
    NONE = "none"
    RAISED = "raised"  # the condition began: one alert
    CLEARED = "cleared"  # it ended: the alert closes


def crossing(before: bool, now: bool) -> Crossing:
    if now and not before:
        return Crossing.RAISED
    if before and not now:
        return Crossing.CLEARED
    return Crossing.NONE


def level_crossing(before: int, now: int) -> Crossing:
    """A level of the limit: raised when a higher level is reached, cleared when back under all."""
    if now > before:
        return Crossing.RAISED
    if now == 0 and before > 0:
        return Crossing.CLEARED
    return Crossing.NONE


# -- the behavioural score -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceHistory:
    amount_minor: int
    days_late: int  # paid: from due date to the day it was fully paid; open: days past due so far (0 if not due)
    paid: bool


@dataclass(frozen=True, slots=True)
class History:
    """A customer's history as the score reads it (summed in SQL for a whole portfolio)."""

    counted: int  # invoices paid in the window, and open ones past due
    amount_minor: int  # their amounts
    weighted_days_late: int  # Σ amount × days late over them
    paid: int  # invoices paid in the window
    paid_late: int  # of which more than 0 days after their due date
    oldest_open_days: int  # the most days past due of an open invoice (0: none is)

    @classmethod
    def of(cls, invoices: Sequence[InvoiceHistory]) -> History:
        counted = [h for h in invoices if h.paid or h.days_late > 0]
        return cls(
            counted=len(counted),
            amount_minor=sum(h.amount_minor for h in counted),
            weighted_days_late=sum(h.amount_minor * max(h.days_late, 0) for h in counted),
            paid=sum(1 for h in invoices if h.paid),
            paid_late=sum(1 for h in invoices if h.paid and h.days_late > 0),
            oldest_open_days=max((h.days_late for h in invoices if not h.paid), default=0),
        )

    def days_late(self) -> Decimal | None:
        """Average days late weighted by amount; None without invoices counted."""
        if self.counted == 0 or self.amount_minor <= 0:
            return None
        return Decimal(self.weighted_days_late) / self.amount_minor


@dataclass(frozen=True, slots=True)
class Part:
    name: str  # lateness, late_share, broken_promises, days_past_due
    points: Decimal  # lost
    why: str


@dataclass(frozen=True, slots=True)
class BehaviouralScore:
    score: int  # 0 to 100
    parts: tuple[Part, ...]

    def why(self) -> str:
        lost = [f"{part.why} (-{part.points})" for part in self.parts if part.points > 0]
        return "; ".join(lost) if lost else "pays on time"


def shrunk(own: Decimal | None, count: int, portfolio: Decimal) -> Decimal:
    """A customer's average pulled toward the portfolio's, as if it had PRIOR_WEIGHT more invoices
    at the portfolio's average."""
    if own is None or count <= 0:
        return portfolio
    return (count * own + PRIOR_WEIGHT * portfolio) / (count + PRIOR_WEIGHT)


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def behavioural_score(history: History, broken_promises: int, portfolio_days_late: Decimal) -> BehaviouralScore:
    """The score of the module docstring's formula, with each part's points and reason."""
    lateness = shrunk(history.days_late(), history.counted, portfolio_days_late)
    share = Decimal(history.paid_late) / history.paid if history.paid else Decimal(0)
    oldest = max(history.oldest_open_days, 0)
    pulled = f", pulled toward the portfolio's {_round(portfolio_days_late)}" if history.counted < 20 else ""
    parts = (
        Part(
            "lateness",
            _round(min(Decimal(LATENESS_CAP), lateness)),
            f"pays {_round(lateness)} days late on average (weighted by amount{pulled})",
        ),
        Part(
            "late_share", _round(LATE_SHARE_POINTS * share), f"{history.paid_late} of {history.paid} invoices paid late"
        ),
        Part(
            "broken_promises",
            _round(Decimal(min(PROMISE_CAP, PROMISE_POINTS * broken_promises))),
            f"{broken_promises} promise{'s' if broken_promises != 1 else ''} broken in 12 months",
        ),
        Part(
            "days_past_due",
            _round(min(Decimal(DPD_CAP), Decimal(oldest) / DPD_DAYS_PER_POINT)),
            f"oldest open invoice {oldest} days past due",
        ),
    )
    lost = sum((part.points for part in parts), Decimal(0))
    score = int((Decimal(100) - lost).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return BehaviouralScore(max(0, min(100, score)), parts)
