"""Read-model queries for reports: set-based SQL over indexed columns, summed in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import Connection, Select, and_, case, func, literal, select, union_all

from ...domain.aging import bucket_due_dates
from ...services.ports import AgingRow
from . import tables as t


def _later_allocations(as_of: date) -> Select[tuple[int, int]]:
    """Per invoice, what was paid or credited on it after `as_of` (to be added back)."""
    p, cn = t.payments, t.credit_notes
    moves = union_all(
        select(p.c.invoice_id, p.c.amount_minor).where(p.c.date > as_of, p.c.invoice_id.is_not(None)),
        select(cn.c.invoice_id, cn.c.amount_minor).where(cn.c.date > as_of, cn.c.invoice_id.is_not(None)),
    ).subquery()
    return select(moves.c.invoice_id, func.sum(moves.c.amount_minor).label("minor")).group_by(moves.c.invoice_id)


def aging_rows(connection: Connection, as_of: date) -> Iterator[AgingRow]:
    """Outstanding per customer, currency and bucket as of a date, plus unapplied cash and credit.

    An invoice counts when it was issued on or before `as_of`, is not void, and had an amount
    outstanding on that day: its outstanding today plus whatever was paid or credited on it since.
    Open invoices come from the status index; settled ones only when something settled them later.
    """
    i, c = t.invoices, t.customers
    later = _later_allocations(as_of).subquery()
    now_outstanding = i.c.amount_minor - i.c.paid_minor - i.c.credited_minor - i.c.written_off_minor
    outstanding = (now_outstanding + func.coalesce(later.c.minor, 0)).label("outstanding")
    open_now = (
        select(i.c.customer_id, i.c.currency, i.c.due_date, outstanding)
        .select_from(i.outerjoin(later, later.c.invoice_id == i.c.id))
        .where(i.c.status == "open", i.c.issue_date <= as_of)
    )
    settled_since = (
        select(i.c.customer_id, i.c.currency, i.c.due_date, outstanding)
        .select_from(later.join(i, i.c.id == later.c.invoice_id))
        .where(i.c.status.in_(("paid", "written_off")), i.c.issue_date <= as_of)
    )
    owed = union_all(open_now, settled_since).subquery()
    bounds = bucket_due_dates(as_of)
    bucket = case(
        *((owed.c.due_date >= bound, literal(name)) for name, bound in bounds if bound is not None),
        else_=literal(bounds[-1][0]),
    ).label("bucket")
    per_bucket = (
        select(owed.c.customer_id, owed.c.currency, bucket, func.sum(owed.c.outstanding).label("minor"))
        .where(owed.c.outstanding > 0)
        .group_by(owed.c.customer_id, owed.c.currency, bucket)
        .subquery()
    )
    query = select(
        c.c.id, c.c.external_id, c.c.name, per_bucket.c.currency, per_bucket.c.bucket, per_bucket.c.minor
    ).join(c, c.c.id == per_bucket.c.customer_id)
    for row in connection.execute(query):
        yield AgingRow(row.id, row.external_id, row.name, row.currency, row.bucket, int(row.minor))
    yield from _unapplied(connection, as_of)


def _unapplied(connection: Connection, as_of: date) -> Iterator[AgingRow]:
    c = t.customers
    for table, label in ((t.payments, "unapplied_cash"), (t.credit_notes, "unapplied_credit")):
        sums = (
            select(table.c.customer_id, table.c.currency, func.sum(table.c.amount_minor).label("minor"))
            .where(and_(table.c.invoice_id.is_(None), table.c.date <= as_of))
            .group_by(table.c.customer_id, table.c.currency)
            .subquery()
        )
        query = select(c.c.id, c.c.external_id, c.c.name, sums.c.currency, sums.c.minor).join(
            c, c.c.id == sums.c.customer_id
        )
        for row in connection.execute(query):
            yield AgingRow(row.id, row.external_id, row.name, row.currency, label, int(row.minor))
