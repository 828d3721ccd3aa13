"""What the customer record shows beyond the task list: contacts, issues, invoices, aging, notes, emails."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    update,
)

from ....domain.aging import BUCKETS, bucket_due_dates
from ....services.workspace_ports import (
    CashLine,
    ContactRow,
    EmailFilter,
    EmailRow,
    EmailView,
    InvoiceRow,
    IssueRow,
    Page,
    Reminded,
    StatementLines,
    TimelineRow,
)
from .. import tables as t
from ..receivables import outstanding
from .common import SqlArea, contact_row, timeline_row
from .statements import cash_lines, statement_lines


class SqlCustomerRecords(SqlArea):
    def contact_of(self, customer_id: int, contact_id: int) -> bool:
        k = t.contacts
        query = select(k.c.id).where(k.c.id == contact_id, k.c.customer_id == customer_id)
        return self.connection.execute(query).first() is not None

    def contact(self, customer_id: int, contact_id: int) -> ContactRow | None:
        k, c = t.contacts, t.customers
        row = self.connection.execute(
            select(k, c.c.external_id.label("customer_external_id"))
            .join(c, c.c.id == k.c.customer_id)
            .where(k.c.id == contact_id, k.c.customer_id == customer_id)
        ).first()
        return None if row is None else contact_row(row)

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

    def add_issue(self, customer_id: int, title: str, by: int | None, at: datetime | None = None) -> int:
        s = t.issues
        stamped = {} if at is None else {"created_at": at}
        return int(
            self.connection.execute(
                insert(s).values(customer_id=customer_id, title=title, created_by=by, **stamped).returning(s.c.id)
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
                i.c.excluded,
                i.c.payment_pending,
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

    def customer_emails(self, customer_id: int, limit: int, offset: int = 0, where: EmailFilter | None = None) -> Page:
        e, ei = t.emails, t.email_invoices
        wanted = [e.c.customer_id == customer_id]
        if where is not None and where.status is not None:
            wanted.append(e.c.status == where.status)
        if where is not None and where.step is not None:
            wanted.append(e.c.step == where.step)
        if where is not None and where.invoice_id is not None:
            wanted.append(e.c.id.in_(select(ei.c.email_id).where(ei.c.invoice_id == where.invoice_id)))
        query = (
            select(*_EMAIL_ROW, func.count().over()).where(*wanted).order_by(e.c.id.desc()).limit(limit).offset(offset)
        )
        rows = list(self.connection.execute(query))
        total = int(rows[0][-1]) if rows else (0 if offset == 0 else None)
        items = [_email_row(row) for row in rows]
        more = total is not None and offset + limit < total
        return Page(items, offset + limit if more else None, total)

    def email(self, email_id: int) -> EmailView | None:
        e, c, ei, i = t.emails, t.customers, t.email_invoices, t.invoices
        row = self.connection.execute(
            select(
                *_EMAIL_ROW,
                e.c.customer_id,
                c.c.external_id,
                e.c.message_id,
                e.c.workflow,
                e.c.step,
                e.c.cycle_date,
                e.c.html,
                e.c.text,
            )
            .join(c, c.c.id == e.c.customer_id)
            .where(e.c.id == email_id)
        ).first()
        if row is None:
            return None
        invoices = self.connection.execute(
            select(i.c.external_id, i.c.number)
            .join(ei, ei.c.invoice_id == i.c.id)
            .where(ei.c.email_id == email_id)
            .order_by(i.c.due_date, i.c.id)
        ).all()
        customer_id, customer_external_id, message_id, workflow, step, cycle_date, html, text = row[len(_EMAIL_ROW) :]
        return EmailView(
            _email_row(row),
            customer_id,
            customer_external_id,
            message_id,
            workflow,
            step,
            cycle_date,
            html,
            text,
            [invoice[0] for invoice in invoices],
            [invoice[1] for invoice in invoices],
        )

    def customer_cash(self, customer_id: int, limit: int) -> list[CashLine]:
        return cash_lines(self.connection, customer_id, limit)

    def reminders(self, customer_id: int) -> dict[str, Reminded]:
        e, ei, i = t.emails, t.email_invoices, t.invoices
        counted = (
            select(ei.c.invoice_id, func.count().label("times"), func.max(e.c.id).label("last_id"))
            .join(e, e.c.id == ei.c.email_id)
            .where(e.c.customer_id == customer_id, e.c.status != "failed")
            .group_by(ei.c.invoice_id)
            .subquery()
        )
        last = e.alias("last")
        query = select(i.c.external_id, counted.c.times, last.c.created_at, last.c.step, last.c.id).select_from(
            counted.join(i, i.c.id == counted.c.invoice_id).join(last, last.c.id == counted.c.last_id)
        )
        return {row[0]: Reminded(int(row[1]), row[2], row[3], int(row[4])) for row in self.connection.execute(query)}

    def update_contact(
        self, contact_id: int, name: str, email: str | None, phone: str | None, role: str | None, reminders: bool
    ) -> None:
        k = t.contacts
        values = {"name": name, "email": email, "phone": phone, "role": role, "receives_reminders": reminders}
        self.connection.execute(update(k).where(k.c.id == contact_id).values(values))

    def remove_contact(self, contact_id: int) -> None:
        self.connection.execute(update(t.tasks).where(t.tasks.c.contact_id == contact_id).values(contact_id=null()))
        self.connection.execute(delete(t.contacts).where(t.contacts.c.id == contact_id))

    def statement(self, customer_id: int, as_of: date, since: date, limit: int) -> StatementLines:
        return statement_lines(self.connection, customer_id, as_of, since, limit)

    def set_collector(self, customer_id: int, collector_id: int | None) -> None:
        c = t.customers
        self.connection.execute(update(c).where(c.c.id == customer_id).values(collector_id=collector_id))


_EMAIL_ROW = (
    t.emails.c.id,
    t.emails.c.created_at,
    t.emails.c.to_addresses,
    t.emails.c.subject,
    t.emails.c.template,
    t.emails.c.status,
    t.emails.c.attempts,
    t.emails.c.last_error,
    t.emails.c.sent_at,
)


def _email_row(row: Any) -> EmailRow:
    return EmailRow(row[0], row[1], json.loads(row[2]), *row[3:9])
