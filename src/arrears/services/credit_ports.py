"""What credit needs from the database: each customer's credit figures in batches (limit,
exposure, newest score, hold, reviews, the state its alerts last saw), the payment history the
behavioural score reads, and the writes (hold, states, computed scores)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, Protocol

from ..domain.credit import History


class CreditRow(NamedTuple):
    """A customer's credit figures. A named tuple, so that the report makes one from each of the
    driver's rows without a copy (it reads a row per customer of the portfolio)."""

    customer_id: int
    external_id: str
    name: str
    currency: str
    collector_id: int | None
    limit_minor: int | None
    exposure_minor: int  # the outstanding of its open invoices
    score: int | None  # the score that counts: the newest reported (imported, entered), else computed
    max_score: int | None
    score_date: date | None
    score_source: str | None
    reported_on: date | None  # the newest score not computed by Arrears (a bureau's, or entered): a review
    behavioural_score: int | None  # the newest score Arrears computed (0-100)
    credit_hold: bool
    hold_note: str | None
    last_review: date | None  # the day its last credit-report task was done
    review_open: bool  # a credit-report task is open
    was_low: bool  # what the cycle last saw (credit_states)
    was_level: int


# The credit page's orders: exposure largest first and available least first (within each currency),
# score lowest first (as a percent of its scale), name.
CREDIT_ORDERS = ("-exposure", "available", "score", "name", "-name")


@dataclass(frozen=True, slots=True)
class ScoreRow:
    date: date
    score: int
    max_score: int | None
    source: str
    explanation: str | None  # JSON of a computed score's parts


class CreditStore(Protocol):
    def credit_rows(self, *, after_id: int, limit: int, external_id: str | None = None) -> list[CreditRow]:
        """Customers after `after_id` in id order (or the one of `external_id`), at most `limit`."""

    def every_credit_row(self) -> Iterator[CreditRow]:
        """Every customer's figures in id order, from one statement, read as they arrive: the unit of
        work stays open until the last is read (or the iterator is closed)."""

    def credit_changes(
        self, *, score_below: int, limit_levels: Sequence[int], review_due_by: date, poor_review_due_by: date
    ) -> list[CreditRow]:
        """In id order, the customers the cycle's credit phase may act on, and no others: those whose
        score-low state (the score that counts below `score_below` percent of its scale) or limit
        level (the highest of `limit_levels` reached: over 100 % for 100, at least the share below
        it) differs from what the cycle last saw, and those with no credit-report task open whose
        later of last review and newest reported score falls on or before `review_due_by`
        (`poor_review_due_by` when its score is low). The domain decides on each."""

    def credit_page(
        self,
        *,
        order: str,
        currency: str | None = None,
        on_hold: bool = False,
        over_limit: bool = False,
        flagged_below: int | None = None,
        review_due_by: date | None = None,
        poor_review_due_by: date | None = None,
        limit: int,
        offset: int,
    ) -> tuple[list[CreditRow], int | None]:
        """A page of customers in `order` (one of CREDIT_ORDERS), of `currency`, on credit hold,
        over their limit, or flagged (over their limit, their score below `flagged_below` percent
        of its scale, or, given the days, their review due as `credit_changes` reads it, whether or
        not a credit-report task is open), and the offset of the next page (None: the last)."""

    def currencies(self) -> list[str]:
        """The customers' currencies, for the credit page's filter."""

    def hold_detail(self, customer_id: int) -> tuple[datetime | None, str | None]:
        """When the customer was put on credit hold and by whom (None, None when it is not)."""

    def set_hold(self, customer_id: int, hold: bool, note: str | None, user_id: int | None, at: datetime) -> None: ...

    def save_states(self, states: Sequence[tuple[int, bool, int]], at: datetime) -> None:
        """(customer id, score low, limit level) as the cycle saw them."""

    def customer_ids(self, *, after_id: int, limit: int | None) -> list[int]:
        """The ids of the customers after `after_id`, in order, at most `limit` (None: all)."""

    def histories(self, first_id: int, last_id: int, since: date, as_of: date) -> dict[int, History]:
        """Per customer with an id from `first_id` to `last_id`: the sums the behavioural score reads
        (domain/credit.History) over its invoices paid from `since` to `as_of` (days late from due
        date to the last payment) and its open invoices (days past due on `as_of`)."""

    def broken_promises(self, first_id: int, last_id: int, since: date) -> dict[int, int]: ...

    def add_review_tasks(self, tasks: Sequence[tuple[int, int | None, str]], due: date, at: datetime) -> int:
        """Open a credit-report task per (customer id, assignee id, description), each with its
        timeline line; how many."""

    def computed_since(self, day: date) -> bool:
        """Whether scores computed by Arrears are stored for `day` or later."""

    def add_scores(self, scores: Sequence[tuple[int, date, int, str]], at: datetime) -> None:
        """Store computed scores (customer id, date, score 0-100, explanation JSON), source
        `arrears`, one per customer and date (a score stored already for that date stays)."""

    def score_history(self, customer_id: int, limit: int) -> list[ScoreRow]:
        """The customer's scores, oldest first (the newest `limit`)."""
