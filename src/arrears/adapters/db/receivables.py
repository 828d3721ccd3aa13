"""The rules of `domain/receivables.py` in SQL: each builder here is the twin of the domain function
of the same name and selects or sums the same thing set-based, so that the reports, the task list's
balances and the cycle's selection never loop over invoices in Python. Every query that needs one of
these rules takes it from here; tests/integration/test_receivables_sql.py checks on random ledgers
that each twin and its domain function agree, on SQLite and on PostgreSQL.

The builders return expressions over the tables of `tables.py` (or over the aliases they are given),
shaped as the hot queries had them written out, so that the plans stay those of the indexes
(`ix_invoices_open_due_id`, `ix_invoices_customer_status`, `ix_invoices_status_due`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from ...domain.workflows import Workflow
from . import tables as t


def outstanding(i: Any = t.invoices) -> ColumnElement[int]:
    """`receivables.outstanding`: amount − paid − credited − written off, from the invoice's cached
    allocation columns (`paid_minor`, `credited_minor`, kept in step by the import)."""
    return i.c.amount_minor - i.c.paid_minor - i.c.credited_minor - i.c.written_off_minor  # type: ignore[no-any-return]


def invoice_status(
    is_void: ColumnElement[Any],
    amount: ColumnElement[Any],
    paid: ColumnElement[Any],
    credited: ColumnElement[Any],
    written_off: ColumnElement[Any],
) -> ColumnElement[str]:
    """`receivables.invoice_status`: open, paid, void or written_off, from what the ERP says and what
    is allocated (the import writes it into `invoices.status`; the columns may be those of a file
    being imported)."""
    settled = amount - paid - credited - written_off <= 0
    return case(
        (is_void == true(), literal("void")),
        (and_(settled, written_off > 0), literal("written_off")),
        (settled, literal("paid")),
        else_=literal("open"),
    )


def is_open(i: Any = t.invoices) -> ColumnElement[bool]:
    """The invoice's status, as the import keeps it, is open."""
    return i.c.status == "open"  # type: ignore[no-any-return]


# -- chasing -----------------------------------------------------------------------------------------


def has_tag(tag: str, c: Any = t.customers) -> ColumnElement[bool]:
    """The customer's `;`-separated tags hold `tag`."""
    return (literal(";") + c.c.tags + literal(";")).contains(f";{tag};", autoescape=True)  # type: ignore[no-any-return]


def matches(workflow: Workflow, c: Any = t.customers) -> ColumnElement[bool]:
    """`Workflow.applies_to`: the customer has one of the workflow's tags (every customer if none)."""
    if not workflow.match_tags:
        return true()
    return or_(*(has_tag(tag, c) for tag in workflow.match_tags))


def first_match(workflows: Sequence[Workflow], index: int, c: Any = t.customers) -> ColumnElement[bool]:
    """`receivables.first_match`: customers of workflow `index`: it matches them and no workflow
    before it in the file does."""
    earlier = [not_(matches(w, c)) for w in workflows[:index]]
    return and_(matches(workflows[index], c), *earlier)


def is_promised(as_of: date, i: Any = t.invoices) -> ColumnElement[bool]:
    """`receivables.is_promised`: an open promise to pay dated `as_of` or later names the invoice,
    or names no invoice and is on its customer. Each subquery is computed once per statement, not
    per invoice: the invoices under a tagged promise, the customers with one on the whole account."""
    k, ti = t.tasks, t.task_invoices
    promise = and_(k.c.status == "open", k.c.type == "expected_payment", k.c.expected_date >= as_of)
    promised_invoices = select(ti.c.invoice_id).join(k, k.c.id == ti.c.task_id).where(promise)
    promised_accounts = select(k.c.customer_id).where(promise, ~exists().where(ti.c.task_id == k.c.id))
    return or_(i.c.id.in_(promised_invoices), i.c.customer_id.in_(promised_accounts))


def is_chaseable(
    as_of: date,
    *,
    workflows: Sequence[Workflow] = (),
    index: int = 0,
    i: Any = t.invoices,
    c: Any = t.customers,
) -> ColumnElement[bool]:
    """`receivables.is_chaseable`, a WHERE clause over an invoice `i` joined to its customer `c`:
    open, outstanding above zero, not disputed, excluded, on a plan, paused or with a payment
    pending; the customer neither on hold nor paused; with `workflows`, falling to
    `workflows[index]`; no promise covering it."""
    return and_(
        is_open(i),
        outstanding(i) > 0,
        i.c.disputed == false(),
        i.c.excluded == false(),
        i.c.plan_id.is_(None),
        i.c.workflow_paused == false(),
        i.c.payment_pending == false(),
        c.c.on_hold == false(),
        c.c.workflow_paused == false(),
        first_match(workflows, index, c) if workflows else true(),
        ~is_promised(as_of, i),
    )


# -- what a customer owes and has overdue --------------------------------------------------------------


def paid_on_plan(p: Any = t.payment_plans) -> ColumnElement[int]:
    """`receivables.paid_on_plan`: payments plus credit notes on the plan's invoices dated from its
    start, correlated to the plan `p` (per plan, its invoices by the plan_invoices key, then their
    payments and credit notes by invoice)."""
    pi, pay, cn = t.plan_invoices, t.payments, t.credit_notes
    # Correlated by name: two subqueries down, SQLAlchemy would otherwise give this one a FROM
    # payment_plans of its own, and every plan would count what was paid on the invoices of all plans.
    on_plan = select(pi.c.invoice_id).where(pi.c.plan_id == p.c.id).correlate(p)
    paid = (
        select(func.coalesce(func.sum(pay.c.amount_minor), 0))
        .where(pay.c.invoice_id.in_(on_plan), pay.c.date >= p.c.start_date)
        .scalar_subquery()
    )
    credited = (
        select(func.coalesce(func.sum(cn.c.amount_minor), 0))
        .where(cn.c.invoice_id.in_(on_plan), cn.c.date >= p.c.start_date)
        .scalar_subquery()
    )
    return paid + credited


def overdue_on_plan(as_of: date, p: Any = t.payment_plans) -> ColumnElement[int]:
    """`plans.overdue_on_plan` of the plan `p`: its instalments due before `as_of`, less
    `paid_on_plan`, never below zero."""
    inst = t.plan_instalments
    fallen_due = (
        select(func.coalesce(func.sum(inst.c.amount_minor), 0))
        .where(inst.c.plan_id == p.c.id, inst.c.due_date < as_of)
        .scalar_subquery()
    )
    left = fallen_due - paid_on_plan(p)
    return case((left > 0, left), else_=literal(0))


def counts_as_overdue(as_of: date, i: Any = t.invoices) -> ColumnElement[bool]:
    """`receivables.counts_as_overdue`, for an open invoice: due before `as_of`, not excluded, not
    disputed, not on a plan."""
    return and_(i.c.due_date < as_of, ~i.c.excluded, ~i.c.disputed, i.c.plan_id.is_(None))


def _open_invoices(customer_ids: Sequence[int] | None, *columns: ColumnElement[Any]) -> Select[Any]:
    """Per customer with open invoices (of `customer_ids`, or all), `columns` aggregated over them."""
    i = t.invoices
    query = select(i.c.customer_id, *columns).where(is_open(i)).group_by(i.c.customer_id)
    if customer_ids is not None:
        query = query.where(i.c.customer_id.in_(customer_ids))
    return query


def exposure(customer_ids: Sequence[int] | None = None) -> Select[Any]:
    """`receivables.exposure`: (customer_id, exposure), the outstanding of its open invoices, per
    customer that has any; every other customer owes 0."""
    return _open_invoices(customer_ids, func.sum(outstanding()).label("exposure"))


def _balance_parts(as_of: date, customer_ids: Sequence[int] | None) -> tuple[FromClause, dict[str, Any]]:
    """The customers joined to their open invoices' sums and their active plans' overdue, and the
    columns of a balance over them: one pass over the open invoices, one over the plans."""
    c, p = t.customers, t.payment_plans
    overdue_invoices = func.sum(case((counts_as_overdue(as_of), outstanding()), else_=literal(0)))
    counting = and_(~t.invoices.c.excluded, ~t.invoices.c.disputed, t.invoices.c.plan_id.is_(None))
    ledger = _open_invoices(
        customer_ids,
        func.count().label("n"),
        func.sum(outstanding()).label("outstanding"),
        overdue_invoices.label("overdue"),
        func.min(case((counting, t.invoices.c.due_date))).label("oldest_due"),
    )
    plans = (
        select(p.c.customer_id, func.sum(overdue_on_plan(as_of, p)).label("overdue"))
        .where(p.c.status == "active")
        .group_by(p.c.customer_id)
    )
    if customer_ids is not None:
        plans = plans.where(p.c.customer_id.in_(customer_ids))
    led, pl = ledger.subquery(), plans.subquery()
    columns = {
        "oldest_due": led.c.oldest_due,
        "count": func.coalesce(led.c.n, 0),
        "exposure": func.coalesce(led.c.outstanding, 0),
        "overdue": case(
            (c.c.on_hold, literal(0)),
            else_=func.coalesce(led.c.overdue, 0) + func.coalesce(pl.c.overdue, 0),
        ),
    }
    joined = c.outerjoin(led, led.c.customer_id == c.c.id).outerjoin(pl, pl.c.customer_id == c.c.id)
    return joined, columns


def overdue_amount(as_of: date, customer_ids: Sequence[int] | None = None) -> Select[Any]:
    """`receivables.overdue_amount`: (customer_id, overdue) of every customer (of `customer_ids`)
    on `as_of`: its open invoices that count as overdue, plus its active plans' overdue instalments;
    0 on credit hold."""
    c = t.customers
    joined, columns = _balance_parts(as_of, customer_ids)
    query = select(c.c.id.label("customer_id"), columns["overdue"].label("overdue")).select_from(joined)
    return query if customer_ids is None else query.where(c.c.id.in_(customer_ids))


def promises(customer_ids: Sequence[int] | None = None) -> Select[Any]:
    """Per customer with promises to pay (of `customer_ids`, or all): the latest date of its open
    ones (`promised_until`) and of its broken ones (`broken_on`), what the worklist's priority reads."""
    k = t.tasks
    query = (
        select(
            k.c.customer_id,
            func.max(case((k.c.status == "open", k.c.expected_date))).label("promised_until"),
            func.max(case((k.c.outcome == "broken", k.c.expected_date))).label("broken_on"),
        )
        .where(k.c.type == "expected_payment")
        .group_by(k.c.customer_id)
    )
    return query if customer_ids is None else query.where(k.c.customer_id.in_(customer_ids))


BALANCE_COLUMNS = (
    "customer_id",
    "currency",
    "as_of",
    "outstanding_invoice_count",
    "outstanding_minor",
    "overdue_minor",
    "oldest_due",
    "promised_until",
    "broken_on",
)


def balances(as_of: date, customer_ids: Sequence[int] | None = None) -> Select[Any]:
    """What `customer_balances` holds per customer (of `customer_ids`, or all), in the order of
    `BALANCE_COLUMNS`: id, currency, `as_of`, the count of open invoices, `exposure`,
    `overdue_amount`, the oldest due date of the open invoices that count, and its promises' dates,
    in one statement (the task list's per-customer figures; the priority is computed from them)."""
    c = t.customers
    joined, columns = _balance_parts(as_of, customer_ids)
    kept = promises(customer_ids).subquery()
    query = (
        select(
            c.c.id,
            c.c.currency,
            literal(as_of).label("as_of"),
            columns["count"],
            columns["exposure"],
            columns["overdue"],
            columns["oldest_due"],
            kept.c.promised_until,
            kept.c.broken_on,
        )
        .select_from(joined.outerjoin(kept, kept.c.customer_id == c.c.id))
        .where(literal(True))
    )
    return query if customer_ids is None else query.where(c.c.id.in_(customer_ids))
