"""The dashboard: one statement each, summed by the database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)

from ....domain.aging import bucket_due_dates
from ....services.workspace_ports import (
    AgingTotal,
    CollectorLoad,
    DueTask,
    Page,
    PromiseDue,
)
from .. import tables as t
from ..reports import _owed_invoices
from .common import SqlArea


class SqlDashboard(SqlArea):
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

    def promises_due(
        self,
        start: date | None,
        end: date | None,
        paid_up_to: date,
        assignee_id: int | None,
        limit: int,
        customer_id: int | None = None,
    ) -> Page:
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
        ]
        if start is not None:
            wanted.append(k.c.expected_date >= start)
        if end is not None:
            wanted.append(k.c.expected_date <= end)
        if assignee_id is not None:
            wanted.append(k.c.assignee_id == assignee_id)
        if customer_id is not None:
            wanted.append(k.c.customer_id == customer_id)
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
