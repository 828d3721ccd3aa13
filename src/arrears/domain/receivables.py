"""Receivables: what an invoice still owes, its status, whether the daily cycle chases it, and what a
customer has overdue and owes in all. The reports, the task list, the credit checks, the cycle and
the email preview all rest on these rules.

Each function here has one SQL twin of the same name in `adapters/db/receivables.py`, which selects
or sums the same thing set-based over the tables; tests/integration/test_receivables_sql.py builds
random ledgers and checks that both give the same answers on both databases. A rule changes in
both places or in neither.

Amounts are integer minor units of the invoice's currency; an account is kept in one currency (the
import refuses an invoice, a payment or a credit note in another), so a customer's sums are `Money`
of the customer's currency, and an invoice in another currency raises `CurrencyMismatch`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .money import Money
from .plans import Instalment, PlanStatus, overdue_on_plan
from .tasks import Task, TaskType
from .workflows import Workflow


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    WRITTEN_OFF = "written_off"


@dataclass(frozen=True, slots=True)
class Invoice:
    """What the rules read of an invoice: its amount and what was put against it (the payments and
    credit notes that name it, and the part written off), and the flags that hold back its chasing."""

    id: int
    customer_id: int
    currency: str
    amount_minor: int
    due_date: date
    paid_minor: int = 0
    credited_minor: int = 0
    written_off_minor: int = 0
    is_void: bool = False
    disputed: bool = False  # an open dispute on it
    excluded: bool = False  # excluded from chasing (it counts as overdue nowhere)
    paused: bool = False  # its workflows paused
    plan_id: int | None = None  # the active payment plan it is on; a plan that ends lets go of it
    payment_pending: bool = False  # an online payment by a delayed method (ACH, SEPA debit) is on its way


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    currency: str
    on_hold: bool = False  # credit hold: not chased, nothing overdue on the task list
    paused: bool = False  # its workflows paused
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Allocation:
    """A payment or a credit note put against an invoice (`invoice_id`; None: unapplied on account)."""

    invoice_id: int | None
    date: date
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Plan:
    """A payment plan: its invoices are chased by instalment while it is active."""

    id: int
    customer_id: int
    status: PlanStatus
    start_date: date
    invoice_ids: frozenset[int]
    instalments: tuple[Instalment, ...]


def outstanding(invoice: Invoice) -> Money:
    """Amount − paid − credited − written off. Below zero only if more was allocated than the
    amount (the import refuses that); it is the invoice's figure whatever its status: read it
    through `invoice_status` (a void invoice owes nothing, whatever this says)."""
    left = invoice.amount_minor - invoice.paid_minor - invoice.credited_minor - invoice.written_off_minor
    return Money(left, invoice.currency)


def invoice_status(invoice: Invoice) -> InvoiceStatus:
    """Void when the ERP says so; once nothing is outstanding, written off if any of it was written
    off, else paid; open otherwise. (The database keeps it in `invoices.status`, set by the import
    whenever the invoice or an allocation changes, so the queries read that column.)"""
    if invoice.is_void:
        return InvoiceStatus.VOID
    settled = outstanding(invoice).minor <= 0
    if settled and invoice.written_off_minor > 0:
        return InvoiceStatus.WRITTEN_OFF
    if settled:
        return InvoiceStatus.PAID
    return InvoiceStatus.OPEN


def is_promised(invoice: Invoice, tasks: Iterable[Task], as_of: date) -> bool:
    """Whether an open promise to pay whose date is `as_of` or later covers the invoice: one that
    names it, or one on its customer's whole account (naming no invoice). The day after the
    promised date the invoice is chased again (and the promise is broken, `tasks.promise_state`)."""
    for task in tasks:
        promise = task.promise
        if task.type is not TaskType.EXPECTED_PAYMENT or not task.is_open or promise is None or promise.due < as_of:
            continue
        if invoice.id in task.invoice_ids or (not task.invoice_ids and task.customer_id == invoice.customer_id):
            return True
    return False


def first_match(workflows: Sequence[Workflow], index: int, customer: Customer) -> bool:
    """Whether the customer is chased under `workflows[index]`: that workflow matches its tags (one
    without tags matches everyone) and no workflow before it in the file does."""
    return workflows[index].applies_to(customer.tags) and not any(
        earlier.applies_to(customer.tags) for earlier in workflows[:index]
    )


def is_chaseable(
    invoice: Invoice,
    customer: Customer,
    tasks: Iterable[Task],
    as_of: date,
    *,
    workflows: Sequence[Workflow] = (),
    index: int = 0,
) -> bool:
    """Whether the daily cycle of `as_of` chases the invoice (docs/workflows.md):
    open with something outstanding, not disputed, not excluded, not on a payment plan (plans are
    chased by instalment), not paused, no online payment pending on it (a bank debit on its way),
    its customer neither on hold nor paused, and no promise to pay covering it (`is_promised`;
    `tasks` are the customer's). With `workflows` (the workflow file, in order), also that the
    customer falls to `workflows[index]` (`first_match`). When the invoice's steps come due is the
    workflow's rule (`workflows.step_to_fire`), not this one."""
    return (
        invoice_status(invoice) is InvoiceStatus.OPEN
        and outstanding(invoice).minor > 0
        and not invoice.disputed
        and not invoice.excluded
        and invoice.plan_id is None
        and not invoice.paused
        and not invoice.payment_pending
        and not customer.on_hold
        and not customer.paused
        and (not workflows or first_match(workflows, index, customer))
        and not is_promised(invoice, tasks, as_of)
    )


def paid_on_plan(plan: Plan, allocations: Iterable[Allocation]) -> int:
    """Minor units paid or credited on the plan's invoices from the day it starts: what has gone to
    its instalments, in date order (`plans.overdue_on_plan`, `plans.plan_status`).

    Credit notes count as payments do. The instalments add up to what the invoices owed when the
    plan was made; a credit note dated since lowers what they owe just as a payment does, so it
    pays the earliest instalments rather than leaving them overdue while the customer owes less than
    they add up to. What was paid or credited before the start is in the instalments already, and
    a write-off has no date and does not count (the plan is then ended by hand)."""
    return sum(a.amount_minor for a in allocations if a.invoice_id in plan.invoice_ids and a.date >= plan.start_date)


def counts_as_overdue(invoice: Invoice, as_of: date) -> bool:
    """Whether an open invoice's outstanding counts in its customer's overdue amount on `as_of`:
    due before that day (due today is not overdue), not excluded, not disputed, and not on a
    payment plan, whose overdue instalments count instead. Paused invoices and promised ones still
    count: they are owed and late, only not chased."""
    return invoice.due_date < as_of and not invoice.excluded and not invoice.disputed and invoice.plan_id is None


def overdue_amount(
    customer: Customer,
    invoices: Iterable[Invoice],
    plans: Iterable[Plan],
    allocations: Sequence[Allocation],
    as_of: date,
) -> Money:
    """What the customer has overdue on `as_of` (the task list's amount, its largest-first order and
    the dashboard): the outstanding of its open invoices that `counts_as_overdue`, plus for each of
    its active payment plans the instalments due before `as_of` less what was paid or credited on
    the plan (`paid_on_plan`, `plans.overdue_on_plan`), never below zero per plan. Nothing while the
    customer is on credit hold. `allocations`: the payments and credit notes of its invoices."""
    total = Money.zero(customer.currency)
    if customer.on_hold:
        return total
    for invoice in invoices:
        if invoice.customer_id != customer.id or invoice_status(invoice) is not InvoiceStatus.OPEN:
            continue
        if counts_as_overdue(invoice, as_of):
            total += outstanding(invoice)
    for plan in plans:
        if plan.customer_id == customer.id and plan.status is PlanStatus.ACTIVE:
            paid = paid_on_plan(plan, allocations)
            total += Money(overdue_on_plan(plan.instalments, paid, as_of), customer.currency)
    return total


def exposure(customer: Customer, invoices: Iterable[Invoice]) -> Money:
    """What the customer owes in all, for its credit limit: the outstanding of its open invoices,
    disputed, planned, excluded and not yet due ones included. Unapplied cash is not netted."""
    total = Money.zero(customer.currency)
    for invoice in invoices:
        if invoice.customer_id == customer.id and invoice_status(invoice) is InvoiceStatus.OPEN:
            total += outstanding(invoice)
    return total
