"""The task list: one read-model query over tasks, customers and `customer_balances`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    Select,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from ....domain.worklist import Standing
from ....services.workspace_ports import (
    Page,
    TaskFilter,
    TaskRow,
)
from .. import tables as t
from ..calls import SqlCalls
from .common import SqlArea, in_minor_units_of_each_currency

# The sorts read largest first from an index of `customer_balances`, and the column they read.
LARGEST_FIRST = {"-overdue_amount": "overdue_minor", "priority": "priority"}


class SqlTaskList(SqlArea):
    def _list_query(self, flt: TaskFilter, today: date | None) -> tuple[Select[Any], dict[str, Any]]:
        k, c, b, i, ti = t.tasks, t.customers, t.customer_balances, t.invoices, t.task_invoices
        assignee = aliased(t.users, name="assignee")
        completer = aliased(t.users, name="completer")
        overdue = func.coalesce(b.c.overdue_minor, 0)
        priority = func.coalesce(b.c.priority, 0)
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
                c.c.credit_hold,
                b.c.oldest_due,
                b.c.days_late,
                b.c.promised_until,
                b.c.broken_on,
                func.coalesce(b.c.priority, 0).label("priority"),
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
            query = query.where(overdue >= in_minor_units_of_each_currency(flt.min_overdue, c.c.currency))
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
                    # a call found by a word said in it (its transcript)
                    exists().where(
                        t.call_recordings.c.task_id == k.c.id,
                        t.call_recordings.c.transcript.icontains(needle, autoescape=True),
                    ),
                )
            )
        sorts = {
            "due_date": (k.c.due_date.asc(), k.c.id.asc()),
            "-due_date": (k.c.due_date.desc(), k.c.id.desc()),
            "overdue_amount": (overdue.asc(), k.c.customer_id.asc(), k.c.due_date.asc(), k.c.id.asc()),
            "-overdue_amount": (overdue.desc(), k.c.customer_id.asc(), k.c.due_date.asc(), k.c.id.asc()),
            "priority": (priority.desc(), k.c.customer_id.asc(), k.c.due_date.asc(), k.c.id.asc()),
            "-priority": (priority.asc(), k.c.customer_id.asc(), k.c.due_date.asc(), k.c.id.asc()),
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
        if sort in LARGEST_FIRST:
            rows = self._largest_first(query, LARGEST_FIRST[sort], sorts[sort], limit + 1, offset)
        else:
            rows = list(self.connection.execute(query.order_by(*sorts[sort]).limit(limit + 1).offset(offset)))
        more = len(rows) > limit
        items = self._rows(rows[:limit])
        total = None
        if count:
            total = int(self.connection.execute(select(func.count()).select_from(query.subquery())).scalar_one())
        return Page(items, offset + limit if more else None, total)

    def _largest_first(
        self, query: Select[Any], column: str, order: Sequence[Any], wanted: int, offset: int
    ) -> list[Any]:
        """`wanted` rows from `offset` of the list by a balance `column` (the overdue amount, the
        priority), largest first, in two parts.

        First the tasks of customers whose `column` is above 0: that makes the balances an inner join,
        so the database walks the column's index from the largest, picks up each customer's open tasks
        and stops after a page (one sort of every open task took seconds at 1M tasks). Only a page that
        reaches past them reads the rest (no balance, or 0), in the same order.
        """
        k, b = t.tasks, t.customer_balances
        owing = query.where(b.c[column] > 0)
        rows = list(
            self.connection.execute(
                owing.order_by(b.c[column].desc(), k.c.customer_id.asc(), k.c.due_date.asc(), k.c.id.asc())
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
        rest = query.where(or_(b.c[column].is_(None), b.c[column] <= 0)).order_by(*order)
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
        # The page's customers' unread mail, counted on the unread mail's partial index (one round trip).
        r = t.received_emails
        unread: dict[int, int] = {
            customer_id: int(count)
            for customer_id, count in self.connection.execute(
                select(r.c.customer_id, func.count())
                .where(r.c.customer_id.in_(customer_ids), r.c.read_at.is_(None))
                .group_by(r.c.customer_id)
            )
        }
        # The page's call tasks' recordings and transcripts (one round trip).
        calls = [row.id for row in rows if row.type == "call"]
        recordings = SqlCalls(self.connection).of_tasks(calls) if calls else {}
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
                unread_mail=unread.get(row.customer_id, 0),
                credit_hold=bool(row.credit_hold),
                recording=recordings.get(row.id),
                standing=Standing(
                    row.currency,
                    int(row.overdue_minor),
                    row.oldest_due,
                    row.days_late,
                    row.promised_until,
                    row.broken_on,
                ),
                priority=int(row.priority),
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
