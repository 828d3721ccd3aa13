"""What the reports read from the database: sums per currency over dated ledger rows and over the
team's activity. The formulas are in domain/reports.py; the instants `since`..`until` are a
period's first and last day in the workspace's time zone, as [since, until) in UTC."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple, Protocol

from ..domain.reports import Period, Receivables


class PromiseCount(NamedTuple):
    """Promises to pay of one currency and state (open, kept, broken, or done: closed by hand)."""

    currency: str
    state: str
    number: int
    amount_minor: int


class DisputeCount(NamedTuple):
    """Disputes of one reason and currency: how many and for how much."""

    reason: str
    currency: str
    number: int
    amount_minor: int


class ClosedDispute(NamedTuple):
    reason: str
    currency: str
    status: str  # resolved or rejected
    opened_at: datetime
    closed_at: datetime


class DisputeActivity(NamedTuple):
    opened: list[DisputeCount]  # opened in the period
    open_at_end: list[DisputeCount]  # opened by its end and not closed by then
    closed: list[ClosedDispute]  # resolved or rejected in the period


class UserActivity(NamedTuple):
    """One user's (or, with `user_id` None, the customers without a collector's) work in a period."""

    user_id: int | None
    name: str | None
    tasks_completed: int
    calls: dict[str, int]  # completed call tasks per outcome
    promises_taken: int
    emails_sent: int  # reminders sent to their customers
    collected: dict[str, int]  # payments dated in the period on their customers, per currency


class ReportStore(Protocol):
    def receivables(self, periods: Sequence[Period]) -> dict[str, list[Receivables]]:
        """Per currency, the figures of each period (in the order given), in one statement."""

    def promises(self, start: date, end: date) -> list[PromiseCount]:
        """Promises whose date falls in start..end (cancelled ones left out), grouped."""

    def disputes(self, since: datetime, until: datetime) -> DisputeActivity: ...

    def productivity(self, period: Period, since: datetime, until: datetime) -> list[UserActivity]:
        """Every active user, and the unassigned customers when anything happened on them."""
