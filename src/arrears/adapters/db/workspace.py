"""The collector's workspace in SQL: tasks, issues, alerts, audit, balances, plans, disputes, views.

The task list is one read-model query over tasks, customers and `customer_balances` (overdue amounts
kept per customer, refreshed set-based when the ledger changes and once a day), so a page never sums
invoices row by row.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from ...domain import receivables
from ...domain.aging import BUCKETS, bucket_due_dates
from ...domain.audit import AuditEntry
from ...domain.currencies import MINOR_UNITS
from ...domain.plans import Instalment
from ...domain.tasks import Promise, Task, TaskSource, TaskStatus, TaskType
from ...domain.users import Role, User
from ...services.workspace_ports import (
    AgingTotal,
    AlertRow,
    CashRow,
    CollectorLoad,
    ContactRow,
    CustomerRef,
    CustomerRow,
    DisputeRow,
    DueTask,
    EmailRow,
    InvoiceRef,
    InvoiceRow,
    IssueRow,
    NewAlert,
    Page,
    PlanRow,
    PromiseDue,
    SavedView,
    TaskFilter,
    TaskRow,
    TimelineRow,
)
from . import tables as t
from .export import EXPORTS
from .receivables import balances, outstanding, paid_on_plan
from .reports import _owed_invoices

CHUNK = 900  # ids per IN (...) list: well under SQLite's limit on bound parameters
ALERTS_PER_STATEMENT = 100  # rows of 7 values per multi-row INSERT: under the same limit
BALANCES_KEY = "balances_as_of"


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _user(row: Any) -> User:
    return User(row.id, row.name, Role(row.role), row.email)


def _in_minor_units_of_each_currency(amount: Decimal, currency: ColumnElement[str]) -> ColumnElement[int]:
    """`amount` (major units) as the least whole number of minor units of the row's currency that is
    not below it: 12.5 is 1250 for USD, 13 for JPY, 12500 for KWD."""
    exponents: dict[int, list[str]] = defaultdict(list)
    for code, exponent in MINOR_UNITS.items():
        exponents[exponent].append(code)
    usual = 2

    def minor(exponent: int) -> int:
        return int(amount.scaleb(exponent).to_integral_value(rounding=ROUND_CEILING))

    cases = [(currency.in_(codes), minor(e)) for e, codes in sorted(exponents.items()) if e != usual]
    return case(*cases, else_=minor(usual))


class SqlWorkspace:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    # -- references ------------------------------------------------------------------------------

    def _customer(self, where: ColumnElement[bool]) -> CustomerRef | None:
        c = t.customers
        row = self.connection.execute(
            select(c.c.id, c.c.external_id, c.c.name, c.c.currency, c.c.collector_id, c.c.on_hold).where(where)
        ).first()
        return None if row is None else CustomerRef(*row)

    def customer(self, external_id: str) -> CustomerRef | None:
        return self._customer(t.customers.c.external_id == external_id)

    def customer_by_id(self, customer_id: int) -> CustomerRef | None:
        return self._customer(t.customers.c.id == customer_id)

    def _invoices(self, where: ColumnElement[bool]) -> list[InvoiceRef]:
        i = t.invoices
        query = select(
            i.c.id,
            i.c.external_id,
            i.c.customer_id,
            i.c.currency,
            i.c.status,
            i.c.due_date,
            outstanding(i),
            i.c.disputed,
            i.c.plan_id,
        ).where(where)
        return [InvoiceRef(*row) for row in self.connection.execute(query)]

    def invoices(self, external_ids: Sequence[str]) -> list[InvoiceRef]:
        out: list[InvoiceRef] = []
        for start in range(0, len(external_ids), CHUNK):
            out += self._invoices(t.invoices.c.external_id.in_(external_ids[start : start + CHUNK]))
        return out

    def invoices_by_id(self, invoice_ids: Sequence[int]) -> list[InvoiceRef]:
        out: list[InvoiceRef] = []
        for chunk in _chunks(invoice_ids):
            out += self._invoices(t.invoices.c.id.in_(chunk))
        return out

    def user(self, name: str) -> User | None:
        row = self.connection.execute(select(t.users).where(t.users.c.name == name, t.users.c.active)).first()
        return None if row is None else _user(row)

    def user_by_id(self, user_id: int) -> User | None:
        row = self.connection.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def managers(self) -> list[User]:
        rows = self.connection.execute(
            select(t.users).where(t.users.c.role.in_(("owner", "manager")), t.users.c.active)
        )
        return [_user(row) for row in rows]

    def contact_of(self, customer_id: int, contact_id: int) -> bool:
        k = t.contacts
        query = select(k.c.id).where(k.c.id == contact_id, k.c.customer_id == customer_id)
        return self.connection.execute(query).first() is not None

    def add_contact(self, customer_id: int, name: str, email: str | None, phone: str | None, role: str | None) -> int:
        k = t.contacts
        key = f"name:{name.casefold()}"
        existing = self.connection.execute(
            select(k.c.id).where(k.c.customer_id == customer_id, k.c.contact_key == key)
        ).scalar()
        if existing is not None:
            return int(existing)
        return int(
            self.connection.execute(
                insert(k)
                .values(customer_id=customer_id, contact_key=key, name=name, email=email, phone=phone, role=role)
                .returning(k.c.id)
            ).scalar_one()
        )

    def issue_of(self, customer_id: int, issue_id: int) -> bool:
        s = t.issues
        return (
            self.connection.execute(select(s.c.id).where(s.c.id == issue_id, s.c.customer_id == customer_id)).first()
            is not None
        )

    def add_issue(self, customer_id: int, title: str, by: int | None) -> int:
        s = t.issues
        return int(
            self.connection.execute(
                insert(s).values(customer_id=customer_id, title=title, created_by=by).returning(s.c.id)
            ).scalar_one()
        )

    def issues(self, customer_id: int | None, status: str | None) -> list[IssueRow]:
        s, c, k = t.issues, t.customers, t.tasks
        open_tasks = select(func.count()).where(k.c.issue_id == s.c.id, k.c.status == "open").scalar_subquery()
        query = select(s.c.id, c.c.external_id, s.c.title, s.c.status, open_tasks, s.c.created_at, s.c.closed_at).join(
            c, c.c.id == s.c.customer_id
        )
        if customer_id is not None:
            query = query.where(s.c.customer_id == customer_id)
        if status is not None:
            query = query.where(s.c.status == status)
        return [IssueRow(*row) for row in self.connection.execute(query.order_by(s.c.created_at.desc(), s.c.id.desc()))]

    # -- tasks -----------------------------------------------------------------------------------

    def task(self, task_id: int) -> Task | None:
        k = t.tasks
        row = self.connection.execute(select(k).where(k.c.id == task_id)).first()
        if row is None:
            return None
        invoice_ids = tuple(
            self.connection.execute(
                select(t.task_invoices.c.invoice_id)
                .where(t.task_invoices.c.task_id == task_id)
                .order_by(t.task_invoices.c.invoice_id)
            ).scalars()
        )
        return self._task(row, invoice_ids)

    @staticmethod
    def _task(row: Any, invoice_ids: tuple[int, ...]) -> Task:
        promise = None
        if row.expected_amount_minor is not None:
            promise = Promise(row.expected_amount_minor, row.expected_currency, row.expected_date, row.promise_made_on)
        return Task(
            id=row.id,
            customer_id=row.customer_id,
            type=TaskType(row.type),
            description=row.description,
            assignee_id=row.assignee_id,
            due_date=row.due_date,
            status=TaskStatus(row.status),
            source=TaskSource(row.source),
            issue_id=row.issue_id,
            contact_id=row.contact_id,
            invoice_ids=invoice_ids,
            outcome=row.outcome,
            note=row.note,
            completed_at=row.completed_at,
            completed_by=row.completed_by,
            follow_up_date=row.follow_up_date,
            promise=promise,
            version=row.version,
        )

    @staticmethod
    def _task_values(task: Task) -> dict[str, Any]:
        promise = task.promise
        return {
            "customer_id": task.customer_id,
            "type": task.type.value,
            "description": task.description,
            "assignee_id": task.assignee_id,
            "due_date": task.due_date,
            "status": task.status.value,
            "source": task.source.value,
            "issue_id": task.issue_id,
            "contact_id": task.contact_id,
            "outcome": task.outcome,
            "note": task.note,
            "completed_at": task.completed_at,
            "completed_by": task.completed_by,
            "follow_up_date": task.follow_up_date,
            "expected_amount_minor": promise.amount_minor if promise else None,
            "expected_currency": promise.currency if promise else None,
            "expected_date": promise.due if promise else None,
            "promise_made_on": promise.made_on if promise else None,
            "version": task.version,
        }

    def add_task(self, task: Task, created_by: int | None) -> int:
        k = t.tasks
        task_id = int(
            self.connection.execute(
                insert(k).values(**self._task_values(task), created_by=created_by).returning(k.c.id)
            ).scalar_one()
        )
        if task.invoice_ids:
            self.connection.execute(
                insert(t.task_invoices), [{"task_id": task_id, "invoice_id": i} for i in task.invoice_ids]
            )
        return task_id

    def save_task(self, task: Task, expected_version: int) -> bool:
        """Optimistic concurrency: the write lands only if nobody changed the task since it was read."""
        k = t.tasks
        values = self._task_values(task)
        result = self.connection.execute(
            update(k)
            .where(k.c.id == task.id, k.c.version == expected_version)
            .values(**values, updated_at=func.current_timestamp())
        )
        return result.rowcount == 1

    def _list_query(self, flt: TaskFilter, today: date | None) -> tuple[Select[Any], dict[str, Any]]:
        k, c, b, i, ti = t.tasks, t.customers, t.customer_balances, t.invoices, t.task_invoices
        assignee = aliased(t.users, name="assignee")
        completer = aliased(t.users, name="completer")
        overdue = func.coalesce(b.c.overdue_minor, 0)
        query = (
            select(
                k.c.id,
                k.c.customer_id,
                c.c.external_id.label("customer_external_id"),
                c.c.name.label("customer_name"),
                k.c.type,
                k.c.status,
                assignee.c.name.label("assignee"),
                k.c.assignee_id,
                k.c.due_date,
                k.c.description,
                func.coalesce(b.c.outstanding_invoice_count, 0).label("outstanding_invoice_count"),
                overdue.label("overdue_minor"),
                c.c.currency,
                k.c.source,
                k.c.outcome,
                k.c.note,
                k.c.completed_at,
                completer.c.name.label("completed_by"),
                k.c.follow_up_date,
                k.c.issue_id,
                k.c.contact_id,
                k.c.expected_amount_minor,
                k.c.expected_date,
                k.c.version,
            )
            .select_from(k)
            .join(c, c.c.id == k.c.customer_id)
            .outerjoin(b, b.c.customer_id == k.c.customer_id)
            .outerjoin(assignee, assignee.c.id == k.c.assignee_id)
            .outerjoin(completer, completer.c.id == k.c.completed_by)
        )
        if flt.ids is not None:
            query = query.where(k.c.id.in_(flt.ids))
        if flt.assignee_ids is not None:
            query = query.where(k.c.assignee_id.in_(flt.assignee_ids))
        if flt.status != "all":
            query = query.where(k.c.status == flt.status)
        day_start = datetime.combine(today or date.min, time(), UTC)
        if flt.done_today is True:
            query = query.where(k.c.status == "done", k.c.completed_at >= day_start)
        elif flt.done_today is False:
            query = query.where(or_(k.c.completed_at.is_(None), k.c.completed_at < day_start))
        if flt.types:
            query = query.where(k.c.type.in_(flt.types))
        if flt.due_from is not None:
            query = query.where(k.c.due_date >= flt.due_from)
        if flt.due_to is not None:
            query = query.where(k.c.due_date <= flt.due_to)
        if flt.customer_external_id is not None:
            query = query.where(c.c.external_id == flt.customer_external_id)
        if flt.min_overdue_minor is not None:
            query = query.where(overdue >= flt.min_overdue_minor)
        if flt.min_overdue is not None:
            query = query.where(overdue >= _in_minor_units_of_each_currency(flt.min_overdue, c.c.currency))
        if flt.tag:
            query = query.where((literal(";") + c.c.tags + literal(";")).contains(f";{flt.tag};", autoescape=True))
        if flt.q:
            needle = flt.q.strip()
            tagged_number = exists().where(
                ti.c.task_id == k.c.id,
                i.c.id == ti.c.invoice_id,
                or_(i.c.number.icontains(needle, autoescape=True), i.c.external_id.icontains(needle, autoescape=True)),
            )
            query = query.where(
                or_(
                    c.c.name.icontains(needle, autoescape=True),
                    c.c.external_id.icontains(needle, autoescape=True),
                    k.c.description.icontains(needle, autoescape=True),
                    tagged_number,
                )
            )
        sorts = {
            "due_date": (k.c.due_date.asc(), k.c.id.asc()),
            "-due_date": (k.c.due_date.desc(), k.c.id.desc()),
            "overdue_amount": (overdue.asc(), k.c.customer_id.asc(), k.c.due_date.asc(), k.c.id.asc()),
            "-overdue_amount": (overdue.desc(), k.c.customer_id.asc(), k.c.due_date.asc(), k.c.id.asc()),
            "customer": (c.c.name.asc(), k.c.due_date.asc(), k.c.id.asc()),
            "-customer": (c.c.name.desc(), k.c.due_date.asc(), k.c.id.asc()),
            "assignee": (assignee.c.name.asc(), k.c.due_date.asc(), k.c.id.asc()),
            "-assignee": (assignee.c.name.desc(), k.c.due_date.asc(), k.c.id.asc()),
        }
        return query, sorts

    def list_tasks(
        self, flt: TaskFilter, today: date, sort: str, limit: int, offset: int, *, count: bool = False
    ) -> Page:
        query, sorts = self._list_query(flt, today)
        if sort == "-overdue_amount":
            rows = self._largest_overdue_first(query, sorts[sort], limit + 1, offset)
        else:
            rows = list(self.connection.execute(query.order_by(*sorts[sort]).limit(limit + 1).offset(offset)))
        more = len(rows) > limit
        items = self._rows(rows[:limit])
        total = None
        if count:
            total = int(self.connection.execute(select(func.count()).select_from(query.subquery())).scalar_one())
        return Page(items, offset + limit if more else None, total)

    def _largest_overdue_first(self, query: Select[Any], order: Sequence[Any], wanted: int, offset: int) -> list[Any]:
        """`wanted` rows from `offset` of the list by overdue amount, largest first, in two parts.

        First the tasks of customers with something overdue: `overdue_minor > 0` makes the balances an
        inner join, so the database walks their index from the largest amount, picks up each customer's
        open tasks and stops after a page (one sort of every open task took seconds at 1M tasks). Only a
        page that reaches past them reads the rest (no balance, or nothing overdue), in the same order.
        """
        k, b = t.tasks, t.customer_balances
        owing = query.where(b.c.overdue_minor > 0)
        rows = list(
            self.connection.execute(
                owing.order_by(b.c.overdue_minor.desc(), k.c.customer_id.asc(), k.c.due_date.asc(), k.c.id.asc())
                .limit(wanted)
                .offset(offset)
            )
        )
        if len(rows) == wanted:
            return rows
        if rows:
            skip = 0
        else:
            owing_count = self.connection.execute(select(func.count()).select_from(owing.subquery())).scalar_one()
            skip = offset - int(owing_count)
        rest = query.where(or_(b.c.overdue_minor.is_(None), b.c.overdue_minor <= 0)).order_by(*order)
        return rows + list(self.connection.execute(rest.limit(wanted - len(rows)).offset(skip)))

    def _rows(self, rows: Sequence[Any]) -> list[TaskRow]:
        if not rows:
            return []
        task_ids = [row.id for row in rows]
        customer_ids = sorted({row.customer_id for row in rows})
        ti, i, k, c = t.task_invoices, t.invoices, t.contacts, t.customers
        invoices: dict[int, list[str]] = defaultdict(list)
        for task_id, external_id in self.connection.execute(
            select(ti.c.task_id, i.c.external_id)
            .join(i, i.c.id == ti.c.invoice_id)
            .where(ti.c.task_id.in_(task_ids))
            .order_by(ti.c.task_id, i.c.external_id)
        ):
            invoices[task_id].append(external_id)
        # The customer's own number first, then its contacts' in the order they were added (one round trip).
        numbers = (
            select(c.c.id.label("customer_id"), c.c.phone, literal(0).label("rank"))
            .where(c.c.id.in_(customer_ids), c.c.phone.is_not(None))
            .union_all(
                select(k.c.customer_id, k.c.phone, k.c.id).where(
                    k.c.customer_id.in_(customer_ids), k.c.phone.is_not(None)
                )
            )
            .subquery()
        )
        phones: dict[int, list[str]] = defaultdict(list)
        for customer_id, phone in self.connection.execute(
            select(numbers.c.customer_id, numbers.c.phone).order_by(numbers.c.customer_id, numbers.c.rank)
        ):
            if phone not in phones[customer_id]:
                phones[customer_id].append(phone)
        return [
            TaskRow(
                id=row.id,
                customer_id=row.customer_id,
                customer_external_id=row.customer_external_id,
                customer_name=row.customer_name,
                type=row.type,
                status=row.status,
                assignee=row.assignee,
                assignee_id=row.assignee_id,
                due_date=row.due_date,
                description=row.description,
                invoice_external_ids=invoices[row.id],
                outstanding_invoice_count=int(row.outstanding_invoice_count),
                overdue_minor=int(row.overdue_minor),
                currency=row.currency,
                phones=phones[row.customer_id],
                source=row.source,
                outcome=row.outcome,
                note=row.note,
                completed_at=row.completed_at,
                completed_by=row.completed_by,
                follow_up_date=row.follow_up_date,
                issue_id=row.issue_id,
                contact_id=row.contact_id,
                expected_amount_minor=row.expected_amount_minor,
                expected_date=row.expected_date,
                version=row.version,
            )
            for row in rows
        ]

    def task_rows(self, task_ids: Sequence[int]) -> list[TaskRow]:
        query, _ = self._list_query(TaskFilter(status="all", ids=tuple(task_ids)), None)
        by_id = {row.id: row for row in self._rows(list(self.connection.execute(query)))}
        return [by_id[i] for i in task_ids if i in by_id]

    def matching_task_ids(self, flt: TaskFilter, today: date, limit: int) -> list[tuple[int, int | None, str]]:
        query, sorts = self._list_query(flt, today)
        inner = query.order_by(*sorts["due_date"]).limit(limit).subquery()
        return [
            (row.id, row.assignee_id, row.status)
            for row in self.connection.execute(select(inner.c.id, inner.c.assignee_id, inner.c.status))
        ]

    def count_tasks(self, flt: TaskFilter, today: date, cap: int) -> int:
        """At most `cap`. A filter on the tasks' own columns counts on the tasks alone (an index-only
        scan of a task index: no join to the customers for each of ten thousand tasks)."""
        query, _ = self._list_query(flt, today)
        on_tasks_alone = (
            flt.customer_external_id is None
            and not flt.tag
            and not flt.q
            and flt.min_overdue_minor is None
            and flt.min_overdue is None
        )
        if on_tasks_alone:
            lean = select(t.tasks.c.id)
            query = lean if query.whereclause is None else lean.where(query.whereclause)
        else:
            query = query.with_only_columns(t.tasks.c.id)
        capped = query.limit(cap).subquery()
        return int(self.connection.execute(select(func.count()).select_from(capped)).scalar_one())

    def bulk_update(self, task_ids: Sequence[int], values: dict[str, Any], at: datetime) -> int:
        k = t.tasks
        count = 0
        for chunk in _chunks(list(task_ids)):
            count += self.connection.execute(
                update(k).where(k.c.id.in_(chunk)).values(**values, version=k.c.version + 1, updated_at=at)
            ).rowcount
        return count

    def open_promises(self) -> list[Task]:
        k = t.tasks
        rows = list(
            self.connection.execute(
                select(k)
                .where(k.c.status == "open", k.c.type == "expected_payment", k.c.expected_amount_minor.is_not(None))
                .order_by(k.c.id)
            )
        )
        tags: dict[int, list[int]] = defaultdict(list)
        ids = [row.id for row in rows]
        for chunk in _chunks(ids):
            for task_id, invoice_id in self.connection.execute(
                select(t.task_invoices.c.task_id, t.task_invoices.c.invoice_id).where(
                    t.task_invoices.c.task_id.in_(chunk)
                )
            ):
                tags[task_id].append(invoice_id)
        return [self._task(row, tuple(sorted(tags[row.id]))) for row in rows]

    def paid_between(self, customer_id: int, invoice_ids: Sequence[int], start: date, end: date) -> int:
        p = t.payments
        query = select(func.coalesce(func.sum(p.c.amount_minor), 0)).where(p.c.date >= start, p.c.date <= end)
        if invoice_ids:
            query = query.where(p.c.invoice_id.in_(invoice_ids))
        else:
            query = query.where(p.c.customer_id == customer_id)
        return int(self.connection.execute(query).scalar_one())

    def close_tasks_with_invoices_settled(self, at: datetime) -> list[tuple[int, int]]:
        k, ti, i = t.tasks, t.task_invoices, t.invoices
        query = select(k.c.id, k.c.customer_id).where(
            k.c.status == "open",
            k.c.type != "expected_payment",  # promises close as kept or broken by their own rule
            exists().where(ti.c.task_id == k.c.id),
            ~exists().where(ti.c.task_id == k.c.id, i.c.id == ti.c.invoice_id, i.c.status == "open"),
        )
        found = [(row.id, row.customer_id) for row in self.connection.execute(query)]
        self.bulk_update(
            [task_id for task_id, _ in found],
            {"status": "done", "outcome": "invoices_paid", "completed_at": at, "completed_by": None},
            at,
        )
        return found

    def close_finished_issues(self, at: datetime) -> list[tuple[int, int]]:
        s, k = t.issues, t.tasks
        query = select(s.c.id, s.c.customer_id).where(
            s.c.status == "open",
            exists().where(k.c.issue_id == s.c.id),
            ~exists().where(k.c.issue_id == s.c.id, k.c.status == "open"),
        )
        found = [(row.id, row.customer_id) for row in self.connection.execute(query)]
        for chunk in _chunks([issue_id for issue_id, _ in found]):
            self.connection.execute(update(s).where(s.c.id.in_(chunk)).values(status="closed", closed_at=at))
        return found

    def stale_tasks(self, before: date) -> list[tuple[int, int, int | None, date, str]]:
        """Open tasks due before `before` that have no open stale-task alert yet: each day's cycle
        reads the newly stale ones, not every stale task again."""
        k, c, a = t.tasks, t.customers, t.alerts
        alerted = exists().where(a.c.status == "open", a.c.key == literal("stale_task:") + cast(k.c.id, String))
        query = (
            select(k.c.id, k.c.customer_id, k.c.assignee_id, k.c.due_date, c.c.name)
            .join(c, c.c.id == k.c.customer_id)
            .where(k.c.status == "open", k.c.due_date < before, ~alerted)
            .order_by(k.c.due_date, k.c.id)
        )
        return [
            (row.id, row.customer_id, row.assignee_id, row.due_date, row.name) for row in self.connection.execute(query)
        ]

    # -- alerts ----------------------------------------------------------------------------------

    def raise_alert(
        self,
        kind: str,
        key: str,
        message: str,
        *,
        customer_id: int | None,
        task_id: int | None,
        user_id: int | None,
        at: datetime,
    ) -> bool:
        return self.raise_alerts([NewAlert(kind, key, message, customer_id, task_id, user_id)], at) == 1

    def raise_alerts(self, alerts: Sequence[NewAlert], at: datetime) -> int:
        a = t.alerts
        raised = 0
        for start in range(0, len(alerts), ALERTS_PER_STATEMENT):
            rows = [
                {
                    "kind": alert.kind,
                    "key": alert.key,
                    "message": alert.message,
                    "customer_id": alert.customer_id,
                    "task_id": alert.task_id,
                    "user_id": alert.user_id,
                    "created_at": at,  # the workspace's clock, like the audit log (not the database's)
                }
                for alert in alerts[start : start + ALERTS_PER_STATEMENT]
            ]
            statement = (
                self._insert(a)
                .values(rows)
                # The predicate of the partial unique index, as a literal: with a bound parameter
                # PostgreSQL cannot match the index once psycopg prepares the statement.
                .on_conflict_do_nothing(index_elements=["key"], index_where=a.c.status == literal_column("'open'"))
                .returning(a.c.id)
            )
            raised += len(self.connection.execute(statement).all())
        return raised

    def close_alerts(self, keys: Sequence[str], at: datetime) -> int:
        a = t.alerts
        count = 0
        for start in range(0, len(keys), CHUNK):
            count += self.connection.execute(
                update(a)
                .where(a.c.key.in_(keys[start : start + CHUNK]), a.c.status == "open")
                .values(status="closed", closed_at=at)
            ).rowcount
        return count

    def close_alert(self, alert_id: int, at: datetime) -> bool:
        a = t.alerts
        result = self.connection.execute(
            update(a).where(a.c.id == alert_id, a.c.status == "open").values(status="closed", closed_at=at)
        )
        return bool(result.rowcount == 1)

    def alerts(
        self, status: str | None, user_id: int | None, limit: int, offset: int, *, kind: str | None = None
    ) -> Page:
        a, c, u = t.alerts, t.customers, t.users
        query = (
            select(
                a.c.id,
                a.c.kind,
                a.c.status,
                a.c.message,
                c.c.external_id,
                a.c.task_id,
                u.c.name,
                a.c.created_at,
                a.c.closed_at,
                c.c.name,
            )
            .outerjoin(c, c.c.id == a.c.customer_id)
            .outerjoin(u, u.c.id == a.c.user_id)
        )
        if status is not None:
            query = query.where(a.c.status == status)
        if user_id is not None:
            query = query.where(a.c.user_id == user_id)
        if kind is not None:
            query = query.where(a.c.kind == kind)
        rows = list(
            self.connection.execute(
                query.order_by(a.c.created_at.desc(), a.c.id.desc()).limit(limit + 1).offset(offset)
            )
        )
        return Page([AlertRow(*tuple(row)) for row in rows[:limit]], offset + limit if len(rows) > limit else None)

    # -- the dashboard ---------------------------------------------------------------------------

    def aging_totals(self, as_of: date) -> list[AgingTotal]:
        """The aging report's buckets summed per currency only: the invoices of `aging_rows`, one
        aggregate, a few rows (the per-customer report reads a row per customer: seconds at 100k)."""
        owed = union_all(*_owed_invoices(self.connection, as_of)).subquery()
        buckets = bucket_due_dates(as_of)
        sums: list[ColumnElement[int]] = []
        for k, (_, bound) in enumerate(buckets):
            conditions = [] if bound is None else [owed.c.due_date >= bound]
            if k > 0:
                conditions.append(owed.c.due_date < buckets[k - 1][1])
            sums.append(cast(func.sum(case((and_(*conditions), owed.c.outstanding), else_=0)), BigInteger))
        query = select(owed.c.currency, *sums).group_by(owed.c.currency).order_by(owed.c.currency)
        return [AgingTotal(row[0], tuple(int(v or 0) for v in row[1:])) for row in self.connection.execute(query).all()]

    def collector_loads(self) -> list[CollectorLoad]:
        c, b, k, u = t.customers, t.customer_balances, t.tasks, t.users
        overdue = func.coalesce(b.c.overdue_minor, 0)
        book = (
            select(
                c.c.collector_id.label("user_id"),
                c.c.currency.label("currency"),
                func.count().label("customers"),
                func.count(case((overdue > 0, literal(1)))).label("overdue_customers"),
                cast(func.sum(overdue), BigInteger).label("overdue_minor"),
                literal(0, BigInteger).label("open_tasks"),
            )
            .select_from(c.outerjoin(b, b.c.customer_id == c.c.id))
            .group_by(c.c.collector_id, c.c.currency)
        )
        work = (
            select(
                k.c.assignee_id,
                cast(null(), String(3)),
                literal(0, BigInteger),
                literal(0, BigInteger),
                literal(0, BigInteger),
                cast(func.count(), BigInteger),
            )
            .where(k.c.status == "open")
            .group_by(k.c.assignee_id)
        )
        rows = union_all(book, work).subquery()
        query = select(
            u.c.name,
            rows.c.currency,
            rows.c.customers,
            rows.c.overdue_customers,
            rows.c.overdue_minor,
            rows.c.open_tasks,
        ).select_from(rows.outerjoin(u, u.c.id == rows.c.user_id))
        return [
            CollectorLoad(row[0], row[1], int(row[2]), int(row[3]), int(row[4] or 0), int(row[5]))
            for row in self.connection.execute(query)
        ]

    def tasks_due(self, day: date, assignee_id: int | None, limit: int) -> Page:
        """The count is a subquery of its own, read from the (assignee,) status, due date index alone:
        a window count would join every task of the day to its customer before keeping `limit`."""
        k, c, u = t.tasks, t.customers, t.users
        wanted = [k.c.status == "open", k.c.due_date == day]
        if assignee_id is not None:
            wanted.append(k.c.assignee_id == assignee_id)
        total = select(func.count()).select_from(k).where(*wanted).scalar_subquery()
        query = (
            select(k.c.id, c.c.external_id, c.c.name, k.c.type, k.c.description, u.c.name, k.c.due_date, total)
            .join(c, c.c.id == k.c.customer_id)
            .outerjoin(u, u.c.id == k.c.assignee_id)
            .where(*wanted)
            .order_by(k.c.id)
            .limit(limit)
        )
        rows = list(self.connection.execute(query))
        count = int(rows[0][7]) if rows else 0
        return Page([DueTask(*row[:7]) for row in rows], limit if count > limit else None, count)

    def promises_due(self, start: date, end: date, paid_up_to: date, assignee_id: int | None, limit: int) -> Page:
        """Paid so far counts as `collection_rules.check_promises` does (`paid_between`): payments
        from the day of the promise, on its tagged invoices, or on the account when none is tagged."""
        k, c, u, p, ti = t.tasks, t.customers, t.users, t.payments, t.task_invoices
        since = and_(p.c.date >= k.c.promise_made_on, p.c.date <= paid_up_to)
        # Two sums, each on its own index (payments by invoice, by customer), rather than one OR over
        # the payments of the period: the second counts only when the promise tags no invoice.
        on_tagged = (
            select(func.coalesce(func.sum(p.c.amount_minor), 0))
            .select_from(ti.join(p, p.c.invoice_id == ti.c.invoice_id))
            .where(ti.c.task_id == k.c.id, since)
            .correlate(k)
            .scalar_subquery()
        )
        on_account = (
            select(func.coalesce(func.sum(p.c.amount_minor), 0))
            .where(p.c.customer_id == k.c.customer_id, since, ~exists().where(ti.c.task_id == k.c.id).correlate(k))
            .correlate(k)
            .scalar_subquery()
        )
        paid = on_tagged + on_account
        wanted = [
            k.c.type == "expected_payment",
            k.c.status.in_(("open", "done")),
            k.c.expected_amount_minor.is_not(None),
            k.c.expected_date >= start,
            k.c.expected_date <= end,
        ]
        if assignee_id is not None:
            wanted.append(k.c.assignee_id == assignee_id)
        total = select(func.count()).select_from(k).where(*wanted).scalar_subquery()
        query = (
            select(
                k.c.id,
                c.c.external_id,
                c.c.name,
                u.c.name,
                k.c.expected_amount_minor,
                k.c.expected_currency,
                k.c.expected_date,
                k.c.promise_made_on,
                k.c.status,
                k.c.outcome,
                paid,
                total,
            )
            .join(c, c.c.id == k.c.customer_id)
            .outerjoin(u, u.c.id == k.c.assignee_id)
            .where(*wanted)
            .order_by(k.c.expected_date, k.c.id)
            .limit(limit)
        )
        rows = list(self.connection.execute(query))
        count = int(rows[0][11]) if rows else 0
        items = [PromiseDue(*row[:10], int(row[10])) for row in rows]
        return Page(items, limit if count > limit else None, count)

    # -- audit -----------------------------------------------------------------------------------

    def record(self, entry: AuditEntry) -> None:
        self.connection.execute(
            insert(t.audit_log).values(
                at=entry.at,
                actor_kind=entry.actor.kind.value,
                actor_id=entry.actor.user_id,
                actor_name=entry.actor.name,
                entity=entry.entity,
                entity_id=entry.entity_id,
                customer_id=entry.customer_id,
                action=entry.action,
                summary=entry.summary,
                changes=json.dumps(entry.changes, default=str, ensure_ascii=False) if entry.changes else None,
            )
        )

    def timeline(self, customer_id: int, limit: int, offset: int) -> Page:
        a = t.audit_log
        rows = list(
            self.connection.execute(
                select(a)
                .where(a.c.customer_id == customer_id)
                .order_by(a.c.at.desc(), a.c.id.desc())
                .limit(limit + 1)
                .offset(offset)
            )
        )
        items = [_timeline_row(row) for row in rows[:limit]]
        return Page(items, offset + limit if len(rows) > limit else None)

    # -- balances --------------------------------------------------------------------------------

    def customer_balance(self, customer_id: int) -> tuple[int, int, int] | None:
        b = t.customer_balances
        row = self.connection.execute(
            select(b.c.outstanding_invoice_count, b.c.outstanding_minor, b.c.overdue_minor).where(
                b.c.customer_id == customer_id
            )
        ).first()
        return None if row is None else (int(row[0]), int(row[1]), int(row[2]))

    def balances_as_of(self) -> date | None:
        value = self.setting(BALANCES_KEY)
        return date.fromisoformat(value) if value else None

    def refresh_balances(self, as_of: date, customer_ids: Sequence[int] | None = None) -> int:
        """Outstanding and overdue per customer as of a day, in one statement per chunk of customers.

        The figures are the rules of `domain/receivables.py` in SQL (`adapters/db/receivables.py`):
        `exposure` (the outstanding of open invoices) and `overdue_amount` (open invoices due before
        `as_of`, not excluded, disputed or on a plan, plus the overdue instalments of active plans;
        nothing for a customer on hold).

        Without `customer_ids`, every customer as of `as_of`: the balances were all right as of the
        day last refreshed (every change to the ledger, a plan, a dispute or a hold refreshes its
        customers), and from that day to a later one only the overdue amounts of the customers with an
        invoice or an instalment falling due in between can change: just those are refreshed (the
        daily cycle's step, a few thousand customers instead of all). The first time, or for an
        earlier day, all of them.
        """
        if customer_ids is None:
            since = self.balances_as_of()
            if since is None or since > as_of:
                count = self._refresh(as_of, None)
            else:
                count = sum(self._refresh(as_of, chunk) for chunk in _chunks(self._falling_due(since, as_of)))
            self.set_setting(BALANCES_KEY, as_of.isoformat())
            return count
        return sum(self._refresh(as_of, chunk) for chunk in _chunks(sorted(set(customer_ids))))

    def _falling_due(self, since: date, as_of: date) -> list[int]:
        """Customers with an open invoice, or an instalment of an active plan, due on or after
        `since` and before `as_of`: the ones whose overdue amount moves between the two days."""
        i, p, inst = t.invoices, t.payment_plans, t.plan_instalments
        invoices = select(i.c.customer_id).where(i.c.status == "open", i.c.due_date >= since, i.c.due_date < as_of)
        plans = (
            select(p.c.customer_id)
            .join(inst, inst.c.plan_id == p.c.id)
            .where(p.c.status == "active", inst.c.due_date >= since, inst.c.due_date < as_of)
        )
        return sorted(set(self.connection.execute(union(invoices, plans)).scalars()))

    def _refresh(self, as_of: date, customer_ids: Sequence[int] | None) -> int:
        """Write the balances of `receivables.balances` (the twins of `exposure` and `overdue_amount`)."""
        b = t.customer_balances
        source = balances(as_of, customer_ids)
        statement = self._insert(b).from_select(
            ["customer_id", "currency", "as_of", "outstanding_invoice_count", "outstanding_minor", "overdue_minor"],
            source,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={
                name: statement.excluded[name]
                for name in ("currency", "as_of", "outstanding_invoice_count", "outstanding_minor", "overdue_minor")
            },
        )
        # SQLAlchemy keeps the rowcount of UPDATE and DELETE only, unless asked (it was -1 on PostgreSQL).
        return int(self.connection.execute(statement, execution_options={"preserve_rowcount": True}).rowcount)

    # -- plans and disputes ----------------------------------------------------------------------

    def add_plan(
        self,
        customer_id: int,
        currency: str,
        invoices: Sequence[int],
        instalments: Sequence[Instalment],
        start: date,
        total_minor: int,
        by: int | None,
    ) -> int:
        p = t.payment_plans
        plan_id = int(
            self.connection.execute(
                insert(p)
                .values(
                    customer_id=customer_id, currency=currency, start_date=start, total_minor=total_minor, created_by=by
                )
                .returning(p.c.id)
            ).scalar_one()
        )
        self.connection.execute(insert(t.plan_invoices), [{"plan_id": plan_id, "invoice_id": i} for i in invoices])
        self.connection.execute(
            insert(t.plan_instalments),
            [{"plan_id": plan_id, "due_date": i.due_date, "amount_minor": i.amount_minor} for i in instalments],
        )
        self.connection.execute(update(t.invoices).where(t.invoices.c.id.in_(invoices)).values(plan_id=plan_id))
        return plan_id

    def _plan_rows(self, where: ColumnElement[bool] | None) -> list[PlanRow]:
        p, pi, inst, i, c = t.payment_plans, t.plan_invoices, t.plan_instalments, t.invoices, t.customers
        query = select(p, c.c.external_id.label("customer_external_id"), paid_on_plan(p).label("paid_on_plan")).join(
            c, c.c.id == p.c.customer_id
        )
        if where is not None:
            query = query.where(where)
        plans = list(self.connection.execute(query.order_by(p.c.id)))
        out = []
        for plan in plans:
            invoice_rows = list(
                self.connection.execute(
                    select(i.c.external_id)
                    .join(pi, pi.c.invoice_id == i.c.id)
                    .where(pi.c.plan_id == plan.id)
                    .order_by(i.c.external_id)
                )
            )
            instalments = [
                Instalment(row.due_date, row.amount_minor)
                for row in self.connection.execute(
                    select(inst.c.due_date, inst.c.amount_minor)
                    .where(inst.c.plan_id == plan.id)
                    .order_by(inst.c.due_date)
                )
            ]
            out.append(
                PlanRow(
                    plan.id,
                    plan.customer_external_id,
                    plan.currency,
                    plan.status,
                    plan.start_date,
                    plan.total_minor,
                    int(plan.paid_on_plan),
                    [row.external_id for row in invoice_rows],
                    instalments,
                )
            )
        return out

    def plan(self, plan_id: int) -> PlanRow | None:
        rows = self._plan_rows(t.payment_plans.c.id == plan_id)
        return rows[0] if rows else None

    def plans(self, status: str | None) -> list[PlanRow]:
        return self._plan_rows(None if status is None else t.payment_plans.c.status == status)

    def set_plan_status(self, plan_id: int, status: str) -> None:
        """A plan that is no longer active lets go of its invoices: they are chased as usual again."""
        self.connection.execute(update(t.payment_plans).where(t.payment_plans.c.id == plan_id).values(status=status))
        if status != "active":
            self.connection.execute(update(t.invoices).where(t.invoices.c.plan_id == plan_id).values(plan_id=None))

    def add_dispute(
        self,
        invoice: InvoiceRef,
        reason: str,
        amount_minor: int,
        owner_id: int | None,
        note: str | None,
        by: int | None,
    ) -> int:
        d = t.disputes
        dispute_id = int(
            self.connection.execute(
                insert(d)
                .values(
                    invoice_id=invoice.id,
                    customer_id=invoice.customer_id,
                    reason=reason,
                    amount_minor=amount_minor,
                    currency=invoice.currency,
                    owner_id=owner_id,
                    note=note,
                    opened_by=by,
                )
                .returning(d.c.id)
            ).scalar_one()
        )
        self.connection.execute(update(t.invoices).where(t.invoices.c.id == invoice.id).values(disputed=True))
        return dispute_id

    def _dispute_query(self) -> Select[Any]:
        d, i, c, u = t.disputes, t.invoices, t.customers, t.users
        return (
            select(
                d.c.id,
                i.c.external_id,
                c.c.external_id,
                d.c.reason,
                d.c.amount_minor,
                d.c.currency,
                u.c.name,
                d.c.status,
                d.c.resolution,
                d.c.note,
                d.c.created_at,
                d.c.closed_at,
            )
            .join(i, i.c.id == d.c.invoice_id)
            .join(c, c.c.id == d.c.customer_id)
            .outerjoin(u, u.c.id == d.c.owner_id)
        )

    def dispute(self, dispute_id: int) -> DisputeRow | None:
        row = self.connection.execute(self._dispute_query().where(t.disputes.c.id == dispute_id)).first()
        return None if row is None else DisputeRow(*row)

    def dispute_invoice_id(self, dispute_id: int) -> int | None:
        d = t.disputes
        value = self.connection.execute(select(d.c.invoice_id).where(d.c.id == dispute_id)).scalar()
        return None if value is None else int(value)

    def close_dispute(self, dispute_id: int, status: str, resolution: str | None, at: datetime) -> None:
        d = t.disputes
        invoice_id = self.dispute_invoice_id(dispute_id)
        self.connection.execute(
            update(d)
            .where(d.c.id == dispute_id)
            .values(status=status, resolution=resolution, closed_at=at, updated_at=at)
        )
        still_open = exists().where(d.c.invoice_id == invoice_id, d.c.status == "open")
        self.connection.execute(update(t.invoices).where(t.invoices.c.id == invoice_id).values(disputed=still_open))

    def disputes(self, status: str | None, limit: int, offset: int) -> Page:
        d = t.disputes
        query = self._dispute_query()
        if status is not None:
            query = query.where(d.c.status == status)
        rows = list(self.connection.execute(query.order_by(d.c.id.desc()).limit(limit + 1).offset(offset)))
        return Page([DisputeRow(*row) for row in rows[:limit]], offset + limit if len(rows) > limit else None)

    # -- chasing flags ---------------------------------------------------------------------------

    def set_flag(self, kind: str, external_id: str, flag: str, value: bool) -> int | None:
        table = t.customers if kind == "customer" else t.invoices
        customer = table.c.id if kind == "customer" else table.c.customer_id
        row = self.connection.execute(
            update(table).where(table.c.external_id == external_id).values({flag: value}).returning(customer)
        ).first()
        return None if row is None else int(row[0])

    # -- settings, views, tokens -----------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        s = t.app_settings
        value = self.connection.execute(select(s.c.value).where(s.c.key == key)).scalar()
        return None if value is None else str(value)

    def set_setting(self, key: str, value: str) -> None:
        statement = self._insert(t.app_settings).values(key=key, value=value)
        self.connection.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": value}))

    def views(self, user_id: int) -> list[SavedView]:
        v = t.saved_views
        rows = self.connection.execute(select(v).where(v.c.user_id == user_id).order_by(v.c.name))
        return [SavedView(row.id, row.name, json.loads(row.filters), row.is_default) for row in rows]

    def save_view(self, user_id: int, name: str, filters: dict[str, Any], is_default: bool) -> SavedView:
        v = t.saved_views
        if is_default:
            self.connection.execute(update(v).where(v.c.user_id == user_id).values(is_default=False))
        statement = self._insert(v).values(
            user_id=user_id, name=name, filters=json.dumps(filters, default=str), is_default=is_default
        )
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "name"],
                set_={"filters": statement.excluded.filters, "is_default": statement.excluded.is_default},
            )
        )
        row = self.connection.execute(select(v).where(v.c.user_id == user_id, v.c.name == name)).one()
        return SavedView(row.id, row.name, json.loads(row.filters), row.is_default)

    def delete_view(self, user_id: int, view_id: int) -> bool:
        v = t.saved_views
        return bool(self.connection.execute(delete(v).where(v.c.id == view_id, v.c.user_id == user_id)).rowcount == 1)

    def add_token(self, user_id: int, token_hash: str, name: str | None) -> int:
        a = t.api_tokens
        return int(
            self.connection.execute(
                insert(a).values(user_id=user_id, token_hash=token_hash, name=name).returning(a.c.id)
            ).scalar_one()
        )

    def user_by_token(self, token_hash: str, at: datetime) -> User | None:
        a, u = t.api_tokens, t.users
        row = self.connection.execute(
            select(u, a.c.id.label("token_id"))
            .join(a, a.c.user_id == u.c.id)
            .where(a.c.token_hash == token_hash, a.c.revoked_at.is_(None), u.c.active)
        ).first()
        if row is None:
            return None
        self.connection.execute(update(a).where(a.c.id == row.token_id).values(last_used_at=at))
        return User(row.id, row.name, Role(row.role), row.email)

    def revoke_tokens(self, user_id: int, at: datetime) -> int:
        a = t.api_tokens
        return int(
            self.connection.execute(
                update(a).where(a.c.user_id == user_id, a.c.revoked_at.is_(None)).values(revoked_at=at)
            ).rowcount
        )

    # -- ledger records (the API's reads) ----------------------------------------------------------

    def ledger_records(
        self,
        kind: str,
        limit: int,
        offset: int,
        *,
        external_id: str | None = None,
        customer_external_id: str | None = None,
    ) -> Page:
        """The export's query of `kind` (same order), filtered and paged, as typed rows."""
        tables = {
            "customers": t.customers,
            "contacts": t.contacts,
            "invoices": t.invoices,
            "payments": t.payments,
            "credit-notes": t.credit_notes,
        }
        _, query, _ = EXPORTS[kind]()
        if external_id is not None:
            query = query.where(tables[kind].c.external_id == external_id)
        if customer_external_id is not None:
            query = query.where(t.customers.c.external_id == customer_external_id)
        rows = list(self.connection.execute(query.limit(limit + 1).offset(offset)))
        shape = _LEDGER_ROWS[kind]
        return Page([shape(row) for row in rows[:limit]], offset + limit if len(rows) > limit else None)

    # -- the customer record (services/customer_record.py) ------------------------------------------

    def customer_invoices(self, customer_id: int, limit: int) -> Page:
        i, c = t.invoices, t.customers
        is_open = i.c.status == "open"
        query = (
            select(
                i.c.external_id,
                c.c.external_id,
                i.c.number,
                i.c.issue_date,
                i.c.due_date,
                i.c.amount_minor,
                case((is_open, outstanding(i)), else_=literal(0)),
                i.c.currency,
                i.c.status,
                i.c.disputed,
                i.c.plan_id,
                func.count().over(),
            )
            .join(c, c.c.id == i.c.customer_id)
            .where(i.c.customer_id == customer_id)
            .order_by(case((is_open, 0), else_=1), case((is_open, i.c.due_date)), i.c.due_date.desc(), i.c.id)
            .limit(limit)
        )
        rows = self.connection.execute(query).all()
        total = int(rows[0][-1]) if rows else 0
        # The columns are InvoiceRow's, in its order: a page reads up to 500 rows, unpacked by position.
        return Page([InvoiceRow(*row[:-1]) for row in rows], limit if total > limit else None, total)

    def customer_aging(self, customer_id: int, as_of: date) -> tuple[int, ...]:
        i = t.invoices
        bounds = [(index, since) for index, (_, since) in enumerate(bucket_due_dates(as_of)) if since is not None]
        bucket = case(*((i.c.due_date >= since, literal(index)) for index, since in bounds), else_=literal(len(bounds)))
        query = (
            select(bucket.label("bucket"), func.sum(outstanding(i)))
            .where(i.c.customer_id == customer_id, i.c.status == "open")
            .group_by(bucket)
        )
        minors = [0] * len(BUCKETS)
        for index, minor in self.connection.execute(query):
            minors[int(index)] = int(minor or 0)
        return tuple(minors)

    def customer_notes(self, customer_id: int, limit: int) -> tuple[str | None, list[TimelineRow]]:
        c, a = t.customers, t.audit_log
        rows = list(
            self.connection.execute(
                select(c.c.notes, a)
                .select_from(c.outerjoin(a, and_(a.c.customer_id == c.c.id, a.c.action == "note")))
                .where(c.c.id == customer_id)
                .order_by(a.c.at.desc(), a.c.id.desc())
                .limit(limit)
            )
        )
        standing = rows[0].notes if rows else None
        return standing, [_timeline_row(row) for row in rows if row.id is not None]

    def customer_emails(self, customer_id: int, limit: int) -> list[EmailRow]:
        e = t.emails
        query = (
            select(
                e.c.id,
                e.c.created_at,
                e.c.to_addresses,
                e.c.subject,
                e.c.template,
                e.c.status,
                e.c.attempts,
                e.c.last_error,
                e.c.sent_at,
            )
            .where(e.c.customer_id == customer_id)
            .order_by(e.c.id.desc())
            .limit(limit)
        )
        return [EmailRow(r[0], r[1], json.loads(r[2]), *r[3:]) for r in self.connection.execute(query)]


def _timeline_row(row: Any) -> TimelineRow:
    return TimelineRow(
        row.at,
        row.actor_name,
        row.actor_kind,
        row.entity,
        row.entity_id,
        row.action,
        row.summary,
        json.loads(row.changes) if row.changes else {},
    )


def _customer_row(r: Any) -> CustomerRow:
    return CustomerRow(
        r.external_id,
        r.name,
        r.currency,
        r.payment_terms_days,
        r.credit_limit_minor,
        r.collector,
        r.email,
        r.phone,
        [tag for tag in r.tags.split(";") if tag],
        r.on_hold,
    )


def _contact_row(r: Any) -> ContactRow:
    return ContactRow(
        r.id, r.customer_external_id, r.external_id, r.name, r.email, r.phone, r.role, r.receives_reminders
    )


def _invoice_row(r: Any) -> InvoiceRow:
    owed = receivables.outstanding(
        receivables.Invoice(
            r.id,
            r.customer_id,
            r.currency,
            r.amount_minor,
            r.due_date,
            r.paid_minor,
            r.credited_minor,
            r.written_off_minor,
        )
    )
    return InvoiceRow(
        r.external_id,
        r.customer_external_id,
        r.number,
        r.issue_date,
        r.due_date,
        r.amount_minor,
        owed.minor if r.status == "open" else 0,
        r.currency,
        r.status,
        r.disputed,
        r.plan_id,
    )


def _cash_row(note: str) -> Callable[[Any], CashRow]:
    def shape(r: Any) -> CashRow:
        return CashRow(
            r.external_id,
            r.customer_external_id,
            r.date,
            r.amount_minor,
            r.currency,
            r.invoice_external_id,
            getattr(r, note),
        )

    return shape


_LEDGER_ROWS: dict[str, Callable[[Any], CustomerRow | ContactRow | InvoiceRow | CashRow]] = {
    "customers": _customer_row,
    "contacts": _contact_row,
    "invoices": _invoice_row,
    "payments": _cash_row("method"),
    "credit-notes": _cash_row("reason"),
}
