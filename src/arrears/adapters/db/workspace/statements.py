"""A customer's statement (`CustomerRecords.statement`): its open invoices, its aging per currency and
its recent payments and credit notes, in three bounded statements over indexed columns
(`ix_invoices_customer_status`, the payments' and credit notes' `customer_id`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, case, func, literal, select, union_all

from ....domain.aging import BUCKETS, AgingLine, bucket_due_dates
from ....services.workspace_ports import CashLine, InvoiceRow, StatementLines
from .. import tables as t
from ..receivables import outstanding


def statement_lines(connection: Connection, customer_id: int, as_of: date, since: date, limit: int) -> StatementLines:
    i, c = t.invoices, t.customers
    owed = outstanding(i)
    is_owed = (i.c.customer_id == customer_id) & (i.c.status == "open") & (owed > 0)
    items = (
        select(
            i.c.external_id,
            c.c.external_id,
            i.c.number,
            i.c.issue_date,
            i.c.due_date,
            i.c.amount_minor,
            owed,
            i.c.currency,
            i.c.status,
            i.c.disputed,
            i.c.plan_id,
            i.c.excluded,
            i.c.payment_pending,
            func.count().over(),
        )
        .join(c, c.c.id == i.c.customer_id)
        .where(is_owed)
        .order_by(i.c.due_date, i.c.id)
        .limit(limit)
    )
    rows = connection.execute(items).all()
    open_count = int(rows[0][-1]) if rows else 0

    bounds = [(index, start) for index, (_, start) in enumerate(bucket_due_dates(as_of)) if start is not None]
    bucket = case(*((i.c.due_date >= start, literal(index)) for index, start in bounds), else_=literal(len(bounds)))
    aging_query = (
        select(i.c.currency, bucket.label("bucket"), func.sum(owed)).where(is_owed).group_by(i.c.currency, bucket)
    )
    minors: dict[str, list[int]] = {}
    for currency, index, minor in connection.execute(aging_query):
        minors.setdefault(currency, [0] * len(BUCKETS))[int(index)] += int(minor or 0)

    cash = cash_lines(connection, customer_id, limit + 1, since)
    return StatementLines(
        [InvoiceRow(*row[:-1]) for row in rows],
        open_count,
        [AgingLine(currency, tuple(minors[currency])) for currency in sorted(minors)],
        cash[:limit],
        len(cash) > limit,
    )


def cash_lines(connection: Connection, customer_id: int, limit: int, since: date | None = None) -> list[CashLine]:
    """The customer's payments and credit notes (dated `since` or later), newest first, with the
    invoice each went to: what the record and the statement list."""
    p, n, i = t.payments, t.credit_notes, t.invoices

    def part(table: Any, kind: str, note: Any) -> Any:
        return (
            select(
                literal(kind).label("kind"),
                table.c.external_id,
                table.c.date,
                table.c.amount_minor,
                table.c.currency,
                i.c.external_id.label("invoice_external_id"),
                i.c.number,
                note.label("note"),
                table.c.id,
            )
            .select_from(table.outerjoin(i, i.c.id == table.c.invoice_id))
            .where(table.c.customer_id == customer_id, *([table.c.date >= since] if since else []))
        )

    both = union_all(part(p, "payment", p.c.method), part(n, "credit_note", n.c.reason)).subquery()
    query = select(both).order_by(both.c.date.desc(), both.c.kind, both.c.id.desc()).limit(limit)
    return [CashLine(*row[:8]) for row in connection.execute(query)]
