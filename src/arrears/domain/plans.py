"""Payment plans: invoices split into dated instalments that add up to what they owe.

Payments and credit notes on a plan's invoices dated from the plan's start pay its instalments in
date order (`receivables.paid_on_plan` counts them), so what is overdue on a plan as of a day is
what fell due before that day less what was paid or credited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .errors import InvalidValue
from .money import format_minor

DEFAULT_DEFAULT_AFTER_DAYS = 30


class PlanStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    DEFAULTED = "defaulted"


@dataclass(frozen=True, slots=True)
class Instalment:
    due_date: date
    amount_minor: int


def check_instalments(instalments: Sequence[Instalment], outstanding_minor: int, currency: str, today: date) -> None:
    """Instalments must be positive, on distinct dates from today on, and add up to the outstanding."""
    if not instalments:
        raise InvalidValue("a payment plan needs at least one instalment")
    if outstanding_minor <= 0:
        raise InvalidValue("the invoices have nothing outstanding to put on a plan")
    dates = [i.due_date for i in instalments]
    if len(set(dates)) != len(dates):
        raise InvalidValue("two instalments fall on the same date")
    for instalment in instalments:
        if instalment.amount_minor <= 0:
            raise InvalidValue(f"the instalment of {instalment.due_date} must be greater than zero")
        if instalment.due_date < today:
            raise InvalidValue(f"the instalment date {instalment.due_date} is in the past")
    total = sum(i.amount_minor for i in instalments)
    if total != outstanding_minor:
        raise InvalidValue(
            f"the instalments add up to {format_minor(total, currency)} {currency} but the invoices have "
            f"{format_minor(outstanding_minor, currency)} {currency} outstanding"
        )


def overdue_on_plan(instalments: Sequence[Instalment], paid_minor: int, as_of: date) -> int:
    """Minor units of instalments due before `as_of` (due that day is not overdue yet) that
    `paid_minor` has not covered: what was paid or credited on the plan (`receivables.paid_on_plan`).
    A customer's overdue amount adds this up over its active plans (`receivables.overdue_amount`)."""
    fallen_due = sum(i.amount_minor for i in instalments if i.due_date < as_of)
    return max(0, fallen_due - paid_minor)


def plan_status(
    instalments: Sequence[Instalment],
    paid_minor: int,
    as_of: date,
    default_after_days: int = DEFAULT_DEFAULT_AFTER_DAYS,
) -> PlanStatus:
    """Completed when paid in full; defaulted when an instalment is unpaid more than
    `default_after_days` after its date; active otherwise."""
    if paid_minor >= sum(i.amount_minor for i in instalments):
        return PlanStatus.COMPLETED
    covered = paid_minor
    for instalment in sorted(instalments, key=lambda i: i.due_date):
        if covered >= instalment.amount_minor:
            covered -= instalment.amount_minor
            continue
        if (as_of - instalment.due_date).days > default_after_days:
            return PlanStatus.DEFAULTED
        break
    return PlanStatus.ACTIVE
