"""Read-model queries for reports: set-based SQL over indexed columns, summed in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Date,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from ...domain.aging import bucket_due_dates
from ...services.ports import AgingRow
from . import tables as t
from .receivables import is_open, outstanding


def _later_allocations(as_of: date) -> Select[tuple[int, int]]:
    """Per invoice, what was paid or credited on it after `as_of` (to be added back)."""
    p, cn = t.payments, t.credit_notes
    moves = union_all(
        select(p.c.invoice_id, p.c.amount_minor).where(p.c.date > as_of, p.c.invoice_id.is_not(None)),
        select(cn.c.invoice_id, cn.c.amount_minor).where(cn.c.date > as_of, cn.c.invoice_id.is_not(None)),
    ).subquery()
    minor = cast(func.sum(moves.c.amount_minor), BigInteger).label("minor")
    return select(moves.c.invoice_id, minor).group_by(moves.c.invoice_id)


def _allocated_after(connection: Connection, as_of: date) -> bool:
    """Whether anything was paid or credited on an invoice after `as_of` (two index lookups)."""
    p, cn = t.payments, t.credit_notes
    query = select(
        or_(
            exists().where(p.c.date > as_of, p.c.invoice_id.is_not(None)),
            exists().where(cn.c.date > as_of, cn.c.invoice_id.is_not(None)),
        )
    )
    return bool(connection.execute(query).scalar())


def _zero(name: str) -> ColumnElement[int]:
    return literal(0, BigInteger).label(name)


def _owed_invoices(connection: Connection, as_of: date) -> list[Select[Any]]:
    """(customer_id, currency, due_date, outstanding, 0, 0) of each invoice with something owed on it
    as of `as_of`: its `outstanding` now, plus what was paid or credited on it after that day."""
    i = t.invoices
    now_outstanding = outstanding(i)
    if not _allocated_after(connection, as_of):
        # Aging as of today, or of any day after the last allocation: what is owed is what is left now.
        return [
            select(
                i.c.customer_id,
                i.c.currency,
                i.c.due_date,
                now_outstanding.label("outstanding"),
                _zero("cash"),
                _zero("credit"),
            ).where(is_open(i), i.c.issue_date <= as_of, now_outstanding > 0)
        ]
    later = _later_allocations(as_of).subquery()
    owed_then = now_outstanding + func.coalesce(later.c.minor, 0)
    columns = (
        i.c.customer_id,
        i.c.currency,
        i.c.due_date,
        owed_then.label("outstanding"),
        _zero("cash"),
        _zero("credit"),
    )
    open_now = (
        select(*columns)
        .select_from(i.outerjoin(later, later.c.invoice_id == i.c.id))
        .where(is_open(i), i.c.issue_date <= as_of, owed_then > 0)
    )
    settled_since = (
        select(*columns)
        .select_from(later.join(i, i.c.id == later.c.invoice_id))
        .where(i.c.status.in_(("paid", "written_off")), i.c.issue_date <= as_of, owed_then > 0)
    )
    return [open_now, settled_since]


def aging_rows(connection: Connection, as_of: date) -> Iterator[AgingRow]:
    """Outstanding per customer and currency, pivoted into the buckets, with unapplied cash and credit.

    An invoice counts when it was issued on or before `as_of`, is not void, and had an amount
    outstanding on that day: its outstanding today plus whatever was paid or credited on it since.
    Open invoices come from the status index; settled ones only when something settled them later.
    One statement, one row per customer and currency: the database sums, Python only reads.
    """
    c, p, cn = t.customers, t.payments, t.credit_notes
    no_date = cast(null(), Date).label("due_date")
    unapplied_cash = select(
        p.c.customer_id, p.c.currency, no_date, _zero("outstanding"), p.c.amount_minor, _zero("credit")
    ).where(p.c.invoice_id.is_(None), p.c.date <= as_of)
    unapplied_credit = select(
        cn.c.customer_id, cn.c.currency, no_date, _zero("outstanding"), _zero("cash"), cn.c.amount_minor
    ).where(cn.c.invoice_id.is_(None), cn.c.date <= as_of)
    owed = union_all(*_owed_invoices(connection, as_of), unapplied_cash, unapplied_credit).subquery()
    customer_id, currency, due_date, amount, cash, credit = owed.c

    def total(value: ColumnElement[Any]) -> ColumnElement[int]:
        return cast(func.sum(value), BigInteger)

    # A bucket holds what is due on or after its bound and before the bound of the bucket before it;
    # unapplied rows have no due date and nothing outstanding, so they add zero to every bucket.
    buckets = bucket_due_dates(as_of)
    sums: list[ColumnElement[int]] = []
    for k, (_, bound) in enumerate(buckets):
        conditions = [] if bound is None else [due_date >= bound]
        if k > 0:
            conditions.append(due_date < buckets[k - 1][1])
        sums.append(total(case((and_(*conditions), amount), else_=0)))
    per_customer = (
        select(customer_id, currency, *sums, total(cash), total(credit)).group_by(customer_id, currency).subquery()
    )
    query = select(c.c.id, c.c.external_id, c.c.name, *per_customer.c[1:]).join(c, c.c.id == per_customer.c[0])
    width = len(sums)
    for row in connection.execute(query).all():  # one fetch of every row, not one call per row
        yield AgingRow(row[0], row[1], row[2], row[3], tuple(row[4 : 4 + width]), row[4 + width], row[5 + width])
