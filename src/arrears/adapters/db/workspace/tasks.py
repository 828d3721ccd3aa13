"""Tasks one by one (load, add, save with a version) and the rules that close or flag them in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from ....domain.tasks import Promise, Task, TaskSource, TaskStatus, TaskType
from .. import tables as t
from .common import SqlArea, chunks


class SqlTasks(SqlArea):
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
        self._promise_moved(task)
        return task_id

    def _promise_moved(self, task: Task) -> None:
        """A promise to pay moves its customer's priority (a future one sinks it, a broken one
        raises it): its balances are refreshed as the transaction commits."""
        if task.type is TaskType.EXPECTED_PAYMENT:
            self.changed.add(task.customer_id)

    def save_task(self, task: Task, expected_version: int) -> bool:
        """Optimistic concurrency: the write lands only if nobody changed the task since it was read."""
        k = t.tasks
        values = self._task_values(task)
        result = self.connection.execute(
            update(k)
            .where(k.c.id == task.id, k.c.version == expected_version)
            .values(**values, updated_at=func.current_timestamp())
        )
        if result.rowcount != 1:
            return False
        self._promise_moved(task)
        return True

    def bulk_update(self, task_ids: Sequence[int], values: dict[str, Any], at: datetime) -> int:
        k = t.tasks
        count = 0
        for chunk in chunks(list(task_ids)):
            count += self.connection.execute(
                update(k).where(k.c.id.in_(chunk)).values(**values, version=k.c.version + 1, updated_at=at)
            ).rowcount
            promises = select(k.c.customer_id).where(k.c.id.in_(chunk), k.c.type == TaskType.EXPECTED_PAYMENT.value)
            self.changed.update(self.connection.execute(promises).scalars())
        return count

    def open_task_ids(self, customer_id: int, assignee_id: int) -> list[int]:
        k = t.tasks
        query = select(k.c.id).where(
            k.c.customer_id == customer_id, k.c.status == "open", k.c.assignee_id == assignee_id
        )
        return [int(task_id) for task_id in self.connection.execute(query.order_by(k.c.id)).scalars()]

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
        for chunk in chunks(ids):
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

    def settled_tasks(self) -> list[int]:
        """One read of every open task to close: the database anti-joins all of them at once (hash
        joins), where walking the tasks by id a batch at a time checked each open task by index."""
        k = t.tasks
        query = select(k.c.id).where(k.c.status == "open", self._settled(k.c.id)).order_by(k.c.id)
        return list(self.connection.execute(query).scalars())

    def close_settled_tasks(self, at: datetime, task_ids: Sequence[int]) -> list[tuple[int, int]]:
        k = t.tasks
        # `status = 'open'` and settled again, on the row itself: on PostgreSQL a task a collector
        # completed while this waited for its lock is read anew and left as they closed it.
        closing = (
            update(k)
            .where(k.c.id.in_(task_ids), k.c.status == "open", self._settled(k.c.id))
            .values(
                status="done",
                outcome="invoices_paid",
                completed_at=at,
                completed_by=None,
                version=k.c.version + 1,
                updated_at=at,
            )
            .returning(k.c.id, k.c.customer_id)
        )
        return sorted((row.id, row.customer_id) for row in self.connection.execute(closing))

    @staticmethod
    def _settled(task_id: ColumnElement[int]) -> ColumnElement[bool]:
        """The task tags invoices, none of them open, and is no promise (promises close as kept or
        broken by their own rule)."""
        k, ti, i = t.tasks, t.task_invoices, t.invoices
        return and_(
            k.c.type != "expected_payment",
            exists().where(ti.c.task_id == task_id),
            ~exists().where(ti.c.task_id == task_id, i.c.id == ti.c.invoice_id, i.c.status == "open"),
        )

    def close_finished_issues(self, at: datetime) -> list[tuple[int, int]]:
        s, k, r = t.issues, t.tasks, t.received_emails
        query = select(s.c.id, s.c.customer_id).where(
            s.c.status == "open",
            exists().where(k.c.issue_id == s.c.id),
            ~exists().where(k.c.issue_id == s.c.id, k.c.status == "open"),
            # not while the customer has mail nobody has read [004 "no unread email"]
            ~exists().where(r.c.customer_id == s.c.customer_id, r.c.read_at.is_(None)),
        )
        found = [(row.id, row.customer_id) for row in self.connection.execute(query)]
        for chunk in chunks([issue_id for issue_id, _ in found]):
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
