"""The dashboard: the company's aging per currency, overdue by collector, the tasks due today and the
promises to pay due this week, read in one transaction as of today.

Each block is one set-based statement summed by the database (ports `aging_totals`, `collector_loads`,
`tasks_due`, `promises_due`): at 100,000 customers and 1,000,000 invoices the per-customer aging report
alone takes over a second, which a page opened many times a day cannot spend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ..domain import tasks as rules
from ..domain.aging import BUCKETS
from ..domain.permissions import Action, allowed, require
from ..domain.tasks import Promise
from ..domain.users import User
from .ports import UnitOfWork
from .workspace_ports import AgingTotal, CollectorLoad, DueTask, PromiseDue

FIRST_FEW = 5  # tasks due today listed under each count
PROMISES_SHOWN = 20
WEEK = 7  # "this week": today and the six days after it


@dataclass(frozen=True, slots=True)
class AgingBlock:
    """The company's outstanding in one currency, per bucket of BUCKETS (minor units)."""

    currency: str
    buckets: tuple[tuple[str, int], ...]

    @property
    def total_minor(self) -> int:
        return sum(minor for _, minor in self.buckets)


@dataclass(frozen=True, slots=True)
class CollectorLine:
    """One collector's book: customers, those with something overdue, the overdue amount per currency
    (currencies kept apart, never added), and the open tasks assigned to them."""

    collector: str | None  # None: customers with no collector (and tasks with no assignee)
    customers: int
    overdue_customers: int
    overdue: tuple[tuple[str, int], ...]  # (currency, minor units), by currency; only what is above zero
    open_tasks: int


@dataclass(frozen=True, slots=True)
class TasksDue:
    count: int
    first: list[DueTask]


@dataclass(frozen=True, slots=True)
class PromiseLine:
    promise: PromiseDue
    state: str  # kept, pending or broken (domain.tasks.PromiseState), or done when closed by hand


@dataclass(frozen=True)
class Dashboard:
    today: date
    week_end: date  # the last day of "this week"
    aging: list[AgingBlock]
    collectors: list[CollectorLine]
    due_today_mine: TasksDue
    due_today_everyone: TasksDue | None  # managers and owners only
    promises: list[PromiseLine] = field(default_factory=list)
    promises_count: int = 0
    promises_everyone: bool = False  # managers see every collector's promises; contributors their own


def dashboard(uow: UnitOfWork, user: User) -> Dashboard:
    """Everything the dashboard shows, as of today (the balances refreshed first if they are stale)."""
    require(user, Action.READ)
    manager = allowed(user, Action.UPDATE_ANY_TASK)
    with uow:
        today = uow.clock.today()
        week_end = today + timedelta(days=WEEK - 1)
        totals = uow.dashboard.aging_totals(today)
        loads = uow.dashboard.collector_loads()
        mine = uow.dashboard.tasks_due(today, user.id, FIRST_FEW)
        everyone = uow.dashboard.tasks_due(today, None, FIRST_FEW) if manager else None
        promises = uow.dashboard.promises_due(today, week_end, today, None if manager else user.id, PROMISES_SHOWN)
    return Dashboard(
        today=today,
        week_end=week_end,
        aging=[_aging(total) for total in totals if any(total.buckets)],
        collectors=collector_lines(loads),
        due_today_mine=TasksDue(mine.total or 0, list(mine.items)),
        due_today_everyone=None if everyone is None else TasksDue(everyone.total or 0, list(everyone.items)),
        promises=[PromiseLine(row, promise_state(row, today)) for row in promises.items],
        promises_count=promises.total or 0,
        promises_everyone=manager,
    )


def _aging(total: AgingTotal) -> AgingBlock:
    return AgingBlock(total.currency, tuple(zip(BUCKETS, total.buckets, strict=True)))


def collector_lines(loads: list[CollectorLoad]) -> list[CollectorLine]:
    """The rows of the port folded into one line per collector, by name, the unassigned last."""
    customers: dict[str | None, int] = {}
    overdue_customers: dict[str | None, int] = {}
    overdue: dict[str | None, dict[str, int]] = {}
    open_tasks: dict[str | None, int] = {}
    for load in loads:
        who = load.collector
        customers[who] = customers.get(who, 0) + load.customers
        overdue_customers[who] = overdue_customers.get(who, 0) + load.overdue_customers
        open_tasks[who] = open_tasks.get(who, 0) + load.open_tasks
        amounts = overdue.setdefault(who, {})
        if load.currency is not None and load.overdue_minor:
            amounts[load.currency] = amounts.get(load.currency, 0) + load.overdue_minor
    named = sorted((who for who in customers if who is not None), key=str.casefold)
    order: list[str | None] = [*named, None] if None in customers else list(named)
    return [
        CollectorLine(
            who,
            customers[who],
            overdue_customers[who],
            tuple(sorted(overdue[who].items())),
            open_tasks[who],
        )
        for who in order
        if customers[who] or open_tasks[who]
    ]


def promise_state(row: PromiseDue, today: date) -> str:
    """Kept when the task closed as kept, or when what was paid already reaches the amount (the next
    cycle closes it); broken when it closed as broken; pending while it is open and short."""
    if row.status == "done":
        return row.outcome if row.outcome in (rules.OUTCOME_KEPT, rules.OUTCOME_BROKEN) else "done"
    promise = Promise(row.amount_minor, row.currency, row.expected_date, row.made_on)
    return rules.promise_state(promise, row.paid_minor, today).value
