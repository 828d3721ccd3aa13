"""Each receivables rule and its SQL twin agree (domain/receivables.py, adapters/db/receivables.py).

Hypothesis builds random ledgers: customers in several currencies, on hold or paused, with tags;
invoices paid in part, credited, written off, void, disputed, excluded, paused, with a payment pending; payment plans of
every status with instalments; promises to pay and other tasks, on invoices or whole accounts. Each
ledger is written with SQLAlchemy Core into the tables, on SQLite and on PostgreSQL, read back
through the twins (and through the cycle's selection and the balances the task list reads) for a
random day, compared with the domain's answers, and rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, insert, select

from arrears.adapters.db import receivables as sql
from arrears.adapters.db import tables as t
from arrears.adapters.db.automation.selection import SqlSelection
from arrears.adapters.db.engine import make_engine
from arrears.adapters.db.workspace.balances import SqlBalances
from arrears.domain import receivables as rules
from arrears.domain.plans import Instalment, PlanStatus
from arrears.domain.tasks import Promise, Task, TaskStatus, TaskType
from arrears.domain.workflows import Step, Workflow
from arrears.services import plans
from tests.ledger import payment
from tests.workspace import Desk

START = date(2026, 6, 1)
CURRENCIES = ("USD", "EUR", "JPY", "KWD")
# Lower case only: SQLite's LIKE, which the tag match uses, ignores the case of ASCII letters.
TAGS = ("enterprise", "smb", "key_account")

minor = st.integers(min_value=1, max_value=20_000)
flag = st.sampled_from((False, False, False, True))  # mostly off: enough invoices left to chase


def around(day: date) -> st.SearchStrategy[date]:
    """Days within six weeks of `day`, and often the day itself or one either side (the boundaries)."""
    offsets = st.one_of(st.just(0), st.sampled_from((-1, 1)), st.integers(min_value=-45, max_value=45))
    return offsets.map(lambda n: day + timedelta(days=n))


@dataclass
class Ledger:
    """One random ledger: the rows to insert, and the same facts as the domain's values."""

    as_of: date
    workflows: tuple[Workflow, ...]
    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    customers: list[rules.Customer] = field(default_factory=list)
    invoices: list[rules.Invoice] = field(default_factory=list)
    plans: list[rules.Plan] = field(default_factory=list)
    allocations: list[rules.Allocation] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)

    def add(self, table: Any, **row: Any) -> None:
        self.rows.setdefault(table, []).append(row)

    def customer(self, customer_id: int) -> rules.Customer:
        return next(c for c in self.customers if c.id == customer_id)


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    workflows = tuple(
        Workflow(
            f"w{k}",
            (Step(f"s{k}", days=draw(st.one_of(st.just(0), st.integers(-5, 40))), email="past_due"),),
            tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))),
        )
        for k in range(draw(st.integers(1, 3)))
    )
    ledger = Ledger(draw(around(START)), workflows)
    days = around(ledger.as_of)
    for customer_id in range(1, draw(st.integers(1, 4)) + 1):
        currency = draw(st.sampled_from(CURRENCIES))
        tags = tuple(sorted(draw(st.sets(st.sampled_from(TAGS), max_size=2))))
        on_hold, paused = draw(flag), draw(flag)
        ledger.customers.append(rules.Customer(customer_id, currency, on_hold, paused, tags))
        ledger.add(
            t.customers,
            id=customer_id,
            external_id=f"C{customer_id}",
            name=f"Customer {customer_id}",
            currency=currency,
            tags=";".join(tags),
            on_hold=on_hold,
            workflow_paused=paused,
        )
    cash_id = 0
    invoices: list[tuple[dict[str, Any], list[rules.Allocation]]] = []
    for invoice_id in range(1, draw(st.integers(0, 10)) + 1):
        customer = draw(st.sampled_from(ledger.customers))
        amount = draw(st.integers(0, 20_000))
        totals = {t.payments: 0, t.credit_notes: 0}
        moves = []
        for table in draw(st.lists(st.sampled_from((t.payments, t.credit_notes)), max_size=3)):
            cash_id += 1
            on, paid = draw(days), draw(st.one_of(minor, st.just(max(amount, 1))))
            totals[table] += paid
            moves.append(rules.Allocation(invoice_id, on, paid))
            ledger.add(
                table,
                id=cash_id,
                external_id=f"M{cash_id}",
                customer_id=customer.id,
                invoice_id=invoice_id,
                date=on,
                amount_minor=paid,
                currency=customer.currency,
            )
        row = {
            "id": invoice_id,
            "customer_id": customer.id,
            "currency": customer.currency,
            "amount_minor": amount,
            "due_date": draw(days),
            "paid_minor": totals[t.payments],
            "credited_minor": totals[t.credit_notes],
            "written_off_minor": draw(st.sampled_from((0, 0, amount // 2, max(0, amount - sum(totals.values()))))),
            "is_void": draw(flag),
            "disputed": draw(flag),
            "excluded": draw(flag),
            "paused": draw(flag),
            "payment_pending": draw(flag),
        }
        invoices.append((row, moves))
        ledger.allocations += moves
    for customer in ledger.customers:  # cash on account, on no invoice
        if draw(st.booleans()):
            cash_id += 1
            ledger.allocations.append(rules.Allocation(None, draw(days), draw(minor)))
            ledger.add(
                t.payments,
                id=cash_id,
                external_id=f"M{cash_id}",
                customer_id=customer.id,
                invoice_id=None,
                date=ledger.allocations[-1].date,
                amount_minor=ledger.allocations[-1].amount_minor,
                currency=customer.currency,
            )
    planned: dict[int, int] = {}  # invoice id -> the active plan it is on
    for plan_id in range(1, draw(st.integers(0, 2)) + 1):
        customer = draw(st.sampled_from(ledger.customers))
        free = [row["id"] for row, _ in invoices if row["customer_id"] == customer.id and row["id"] not in planned]
        on_plan = frozenset(draw(st.lists(st.sampled_from(free), unique=True, max_size=3)) if free else [])
        status = draw(st.sampled_from(list(PlanStatus)))
        paid_on = [a.date for a in ledger.allocations if a.invoice_id in on_plan]  # a start on one is a boundary
        start = draw(st.one_of(days, st.sampled_from(paid_on))) if paid_on else draw(days)
        instalments = tuple(
            Instalment(due, draw(minor))
            for due in sorted(draw(st.sets(days, min_size=1, max_size=3)))  # distinct dates, as the service asks
        )
        ledger.plans.append(rules.Plan(plan_id, customer.id, status, start, on_plan, instalments))
        ledger.add(
            t.payment_plans,
            id=plan_id,
            customer_id=customer.id,
            currency=customer.currency,
            status=status.value,
            start_date=start,
            total_minor=sum(i.amount_minor for i in instalments),
        )
        for invoice_id in sorted(on_plan):
            ledger.add(t.plan_invoices, plan_id=plan_id, invoice_id=invoice_id)
            if status is PlanStatus.ACTIVE:  # a plan that ends lets go of its invoices
                planned[invoice_id] = plan_id
        for instalment in instalments:
            ledger.add(
                t.plan_instalments, plan_id=plan_id, due_date=instalment.due_date, amount_minor=instalment.amount_minor
            )
    for row, _ in invoices:
        paused = row.pop("paused")
        invoice = rules.Invoice(**row, paused=paused, plan_id=planned.get(row["id"]))
        ledger.invoices.append(invoice)
        ledger.add(
            t.invoices,
            **row,
            external_id=f"I{row['id']}",
            number=f"I{row['id']}",
            issue_date=row["due_date"] - timedelta(days=30),
            workflow_paused=paused,
            plan_id=invoice.plan_id,
            status=rules.invoice_status(invoice).value,  # what the import keeps in the column
        )
    for task_id in range(1, draw(st.integers(0, 4)) + 1):
        customer = draw(st.sampled_from(ledger.customers))
        kind = draw(st.sampled_from((TaskType.EXPECTED_PAYMENT, TaskType.EXPECTED_PAYMENT, TaskType.CALL)))
        status = draw(st.sampled_from(list(TaskStatus)))
        mine = [i.id for i in ledger.invoices if i.customer_id == customer.id]
        tagged = tuple(sorted(draw(st.sets(st.sampled_from(mine), max_size=2)))) if mine else ()
        due = draw(days)
        promise = Promise(draw(minor), customer.currency, due, START) if kind is TaskType.EXPECTED_PAYMENT else None
        ledger.tasks.append(
            Task(task_id, customer.id, kind, "", None, due, status, invoice_ids=tagged, promise=promise)
        )
        ledger.add(
            t.tasks,
            id=task_id,
            customer_id=customer.id,
            type=kind.value,
            status=status.value,
            due_date=due,
            expected_amount_minor=promise.amount_minor if promise else None,
            expected_currency=promise.currency if promise else None,
            expected_date=promise.due if promise else None,
            promise_made_on=promise.made_on if promise else None,
        )
        for invoice_id in tagged:
            ledger.add(t.task_invoices, task_id=task_id, invoice_id=invoice_id)
    return ledger


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _write(connection: Connection, ledger: Ledger) -> None:
    for table in t.metadata.sorted_tables:  # parents first
        if table in ledger.rows:
            connection.execute(insert(table), ledger.rows[table])


def _pairs(connection: Connection, query: Any) -> dict[int, Any]:
    return {row[0]: row[1] for row in connection.execute(query)}


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ledger=ledgers())
def test_each_rule_selects_in_sql_what_it_decides_in_python(engine: Engine, ledger: Ledger) -> None:
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            _write(connection, ledger)

            _assert_invoice_rules(connection, ledger)
            _assert_chasing(connection, ledger)
            _assert_customer_sums(connection, ledger)
        finally:
            transaction.rollback()


def _assert_invoice_rules(connection: Connection, ledger: Ledger) -> None:
    i = t.invoices
    status = sql.invoice_status(
        i.c.is_void, i.c.amount_minor, i.c.paid_minor, i.c.credited_minor, i.c.written_off_minor
    )

    assert _pairs(connection, select(i.c.id, sql.outstanding())) == {
        invoice.id: rules.outstanding(invoice).minor for invoice in ledger.invoices
    }, "outstanding"
    assert _pairs(connection, select(i.c.id, status)) == {
        invoice.id: rules.invoice_status(invoice).value for invoice in ledger.invoices
    }, "invoice_status"


def _assert_chasing(connection: Connection, ledger: Ledger) -> None:
    i, c, as_of = t.invoices, t.customers, ledger.as_of

    def chaseable(workflows: tuple[Workflow, ...], index: int) -> set[int]:
        return {
            invoice.id
            for invoice in ledger.invoices
            if rules.is_chaseable(
                invoice, ledger.customer(invoice.customer_id), ledger.tasks, as_of, workflows=workflows, index=index
            )
        }

    for workflows, index in [((), 0), *((ledger.workflows, k) for k in range(len(ledger.workflows)))]:
        query = select(i.c.id).join(c, c.c.id == i.c.customer_id)
        chased = set(
            connection.execute(query.where(sql.is_chaseable(as_of, workflows=workflows, index=index))).scalars()
        )
        assert chased == chaseable(workflows, index), (
            f"is_chaseable under {workflows[index].name if workflows else '-'}"
        )
    # The cycle's selection (no step has run yet) and the email preview's invoices.
    selection = SqlSelection(connection)
    due = selection.due_subjects(ledger.workflows, as_of)
    selected = {(d.workflow, d.invoice_ids[0], d.outstanding_minor) for d in due if d.subject.startswith("invoice:")}
    outstanding = {invoice.id: rules.outstanding(invoice).minor for invoice in ledger.invoices}
    expected = {
        (workflow.name, invoice_id, outstanding[invoice_id])
        for index, workflow in enumerate(ledger.workflows)
        for invoice_id in chaseable(ledger.workflows, index)
        if next(x for x in ledger.invoices if x.id == invoice_id).due_date
        <= as_of - timedelta(days=workflow.steps[0].days or 0)
    }
    assert selected == expected, "the cycle's due invoices"
    for index in range(len(ledger.workflows)):
        previewed = {
            invoice.invoice_ids[0]
            for customer in ledger.customers
            for invoice in selection.chaseable_invoices(customer.id, ledger.workflows, index, as_of)
        }
        assert previewed == chaseable(ledger.workflows, index), "chaseable_invoices"


def _assert_customer_sums(connection: Connection, ledger: Ledger) -> None:
    as_of, b = ledger.as_of, t.customer_balances
    overdue = {
        customer.id: rules.overdue_amount(customer, ledger.invoices, ledger.plans, ledger.allocations, as_of).minor
        for customer in ledger.customers
    }
    exposure = {customer.id: rules.exposure(customer, ledger.invoices).minor for customer in ledger.customers}
    open_count = {
        customer.id: sum(
            1
            for invoice in ledger.invoices
            if invoice.customer_id == customer.id and rules.invoice_status(invoice) is rules.InvoiceStatus.OPEN
        )
        for customer in ledger.customers
    }

    assert _pairs(connection, sql.overdue_amount(as_of)) == overdue, "overdue_amount"
    exposed = _pairs(connection, sql.exposure())
    assert {customer_id: exposed.get(customer_id, 0) for customer_id in exposure} == exposure, "exposure"
    # What the task list reads: the balances the refresh writes.
    SqlBalances(connection).refresh_balances(as_of, [customer.id for customer in ledger.customers])
    written = connection.execute(
        select(b.c.customer_id, b.c.outstanding_invoice_count, b.c.outstanding_minor, b.c.overdue_minor)
    )
    assert {row[0]: tuple(row[1:]) for row in written} == {
        customer_id: (open_count[customer_id], exposure[customer_id], overdue[customer_id]) for customer_id in overdue
    }, "customer_balances"


# -- examples the random ledgers found -----------------------------------------------------------------


def test_a_payment_on_one_plan_pays_nothing_of_another(desk: Desk) -> None:
    desk.accounts()  # Acme (C1): I1 100.00 USD; Beta (C2): B1 40.00 EUR, each due before 2026-06-30
    acme_plan = plans.create_plan(desk.uow(), desk["morgan"], ["I1"], [(date(2026, 7, 1), "100.00")])
    beta_plan = plans.create_plan(desk.uow(), desk["morgan"], ["B1"], [(date(2026, 7, 1), "40.00")])
    desk.ledger.load("payments", [payment("P1", invoice="I1", amount="100.00", on=date(2026, 6, 30))])
    desk.task(as_user="sam", customer_id="C2")
    desk.travel(date(2026, 7, 5))
    chase_on_the_day = Workflow("w", (Step("s", days=0, email="past_due"),))

    beta = next(row for row in desk.everyone() if row.customer_external_id == "C2")
    with desk.uow() as uow:
        due = uow.selection.due_subjects((chase_on_the_day,), date(2026, 7, 5))

    assert beta.overdue_minor == 40_00
    assert plans.get_plan(desk.uow(), desk["morgan"], beta_plan.id).paid_minor == 0
    assert plans.get_plan(desk.uow(), desk["morgan"], acme_plan.id).paid_minor == 100_00
    assert [(d.customer_id, d.outstanding_minor) for d in due if d.subject.startswith("instalment:")] == [(2, 40_00)]
