"""What the customer record shows beyond the task list: contacts, issues, invoices, aging, notes, emails."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import (
    and_,
    case,
    func,
    insert,
    literal,
    select,
)

from ....domain.aging import BUCKETS, bucket_due_dates
from ....services.workspace_ports import (
    EmailRow,
    InvoiceRow,
    IssueRow,
    Page,
    TimelineRow,
)
from .. import tables as t
from ..receivables import outstanding
from .common import SqlArea, timeline_row


class SqlCustomerRecords(SqlArea):
    def contact_of(self, customer_id: int, contact_id: int) -> bool:
        k = t.contacts
        query = select(k.c.id).where(k.c.id == contact_id, k.c.customer_id == customer_id)
        return self.connection.execute(query).first() is not None

    def add_contact(
        self,
        customer_id: int,
        name: str,
        email: str | None,
        phone: str | None,
        role: str | None,
        receives_reminders: bool = False,
    ) -> int:
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
                .values(
                    customer_id=customer_id,
                    contact_key=key,
                    name=name,
                    email=email,
                    phone=phone,
                    role=role,
                    receives_reminders=receives_reminders,
                )
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
        return standing, [timeline_row(row) for row in rows if row.id is not None]

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
