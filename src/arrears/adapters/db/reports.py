"""Read-model queries for reports: set-based SQL over indexed columns, summed in the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
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
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from ...domain.aging import bucket_due_dates
from ...domain.reports import Period, Receivables
from ...services.ports import AgingRow
from ...services.report_ports import ClosedDispute, DisputeActivity, DisputeCount, PromiseCount, UserActivity
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


# -- DSO, CEI and their trend: what is receivable as of several days, in one statement ----------------


def receivables(connection: Connection, periods: Sequence[Period]) -> dict[str, list[Receivables]]:
    """Per currency, `domain.reports.receivables` of each period, in one statement.

    AR(D) is linear in the ledger (nothing is ever allocated beyond an invoice's amount), so it is
    the sum of the invoices issued on or before D less the sum of the allocations dated on or before
    D on those invoices: one pass over the invoices and one over the allocations, each summing a
    column per day (AR, current AR) and per period (sales), grouped by currency. No row is joined
    to a day: a year's trend is 26 sums a row, not 13 copies of the ledger.
    """
    if not periods:
        return {}
    i = t.invoices
    days = sorted({d for p in periods for d in (p.day_before, p.end)})
    last = max(days)
    net = i.c.amount_minor - i.c.written_off_minor

    def total(value: ColumnElement[Any]) -> ColumnElement[int]:
        return func.coalesce(cast(func.sum(value), BigInteger), 0)

    def issued(d: date) -> ColumnElement[bool]:
        return i.c.issue_date <= d

    invoice_sums = [total(case((issued(d), net), else_=0)) for d in days]
    invoice_sums += [total(case((and_(issued(d), i.c.due_date >= d), net), else_=0)) for d in days]
    invoice_sums += [total(case((i.c.issue_date.between(p.start, p.end), i.c.amount_minor), else_=0)) for p in periods]
    on_invoices = select(i.c.currency, *invoice_sums).where(i.c.is_void == false()).group_by(i.c.currency)
    p, cn = t.payments, t.credit_notes
    moves = union_all(
        select(p.c.invoice_id, p.c.date, p.c.amount_minor).where(p.c.invoice_id.is_not(None), p.c.date <= last),
        select(cn.c.invoice_id, cn.c.date, cn.c.amount_minor).where(cn.c.invoice_id.is_not(None), cn.c.date <= last),
    ).subquery()

    def allocated(d: date) -> ColumnElement[bool]:
        return and_(moves.c.date <= d, issued(d))

    move_sums = [total(case((allocated(d), moves.c.amount_minor), else_=0)) for d in days]
    move_sums += [total(case((and_(allocated(d), i.c.due_date >= d), moves.c.amount_minor), else_=0)) for d in days]
    on_moves = (
        select(i.c.currency, *move_sums)
        .select_from(moves.join(i, i.c.id == moves.c.invoice_id))
        .where(i.c.is_void == false(), i.c.issue_date <= last)
        .group_by(i.c.currency)
    )
    n = len(days)
    ar: dict[str, list[int]] = {}
    current: dict[str, list[int]] = {}
    sales: dict[str, list[int]] = {}
    for row in connection.execute(on_invoices).all():
        ar[row[0]] = list(row[1 : 1 + n])
        current[row[0]] = list(row[1 + n : 1 + 2 * n])
        sales[row[0]] = list(row[1 + 2 * n :])
    for row in connection.execute(on_moves).all():
        for k in range(n):
            ar[row[0]][k] -= row[1 + k]
            current[row[0]][k] -= row[1 + n + k]
    at = {d: k for k, d in enumerate(days)}
    return {
        currency: [
            Receivables(
                ar[currency][at[period.day_before]],
                sales[currency][j],
                ar[currency][at[period.end]],
                current[currency][at[period.end]],
            )
            for j, period in enumerate(periods)
        ]
        for currency in sorted(ar)
    }


# -- promises, disputes and the team's work -----------------------------------------------------------


def promises(connection: Connection, start: date, end: date) -> list[PromiseCount]:
    k = t.tasks
    state = case(
        (k.c.status == "open", literal("open")),
        (k.c.outcome.in_(("kept", "broken")), k.c.outcome),
        else_=literal("done"),
    ).label("state")
    query = (
        select(
            k.c.expected_currency,
            state,
            func.count(),
            func.coalesce(cast(func.sum(k.c.expected_amount_minor), BigInteger), 0),
        )
        .where(
            k.c.type == "expected_payment",
            k.c.status != "cancelled",
            k.c.expected_date.between(start, end),
            k.c.expected_currency.is_not(None),
        )
        .group_by(k.c.expected_currency, state)
    )
    return [PromiseCount(*row) for row in connection.execute(query).all()]


def disputes(connection: Connection, since: datetime, until: datetime) -> DisputeActivity:
    d = t.disputes

    def counted(*where: ColumnElement[bool]) -> list[DisputeCount]:
        query = (
            select(d.c.reason, d.c.currency, func.count(), cast(func.sum(d.c.amount_minor), BigInteger))
            .where(*where)
            .group_by(d.c.reason, d.c.currency)
        )
        return [DisputeCount(*row) for row in connection.execute(query).all()]

    opened = counted(d.c.created_at >= since, d.c.created_at < until)
    still_open = counted(d.c.created_at < until, or_(d.c.closed_at.is_(None), d.c.closed_at >= until))
    closed = connection.execute(
        select(d.c.reason, d.c.currency, d.c.status, d.c.created_at, d.c.closed_at).where(
            d.c.status.in_(("resolved", "rejected")), d.c.closed_at >= since, d.c.closed_at < until
        )
    ).all()
    return DisputeActivity(opened, still_open, [ClosedDispute(*row) for row in closed])


def productivity(connection: Connection, period: Period, since: datetime, until: datetime) -> list[UserActivity]:
    """Each figure grouped by user in its own small statement. The emails sent and the payments
    count for the customer's collector (today's), and for a row of no user on the customers without one."""
    u, k, c, e, p = t.users, t.tasks, t.customers, t.emails, t.payments
    # Tasks closed by a rule, or promises made on the portal, have no user: they count for nobody.
    done_in_period = and_(
        k.c.status == "done", k.c.completed_by.is_not(None), k.c.completed_at >= since, k.c.completed_at < until
    )
    completed: dict[int | None, int] = dict(
        connection.execute(
            select(k.c.completed_by, func.count()).where(done_in_period).group_by(k.c.completed_by)
        ).all()
    )
    calls: dict[int | None, dict[str, int]] = {}
    for who, outcome, count in connection.execute(
        select(k.c.completed_by, k.c.outcome, func.count())
        .where(done_in_period, k.c.type == "call")
        .group_by(k.c.completed_by, k.c.outcome)
    ).all():
        calls.setdefault(who, {})[outcome or "done"] = count
    promised: dict[int | None, int] = dict(
        connection.execute(
            select(k.c.created_by, func.count())
            .where(
                k.c.type == "expected_payment",
                k.c.created_by.is_not(None),
                k.c.promise_made_on.between(period.start, period.end),
            )
            .group_by(k.c.created_by)
        ).all()
    )
    sent: dict[int | None, int] = dict(
        connection.execute(
            select(c.c.collector_id, func.count())
            .select_from(e.join(c, c.c.id == e.c.customer_id))
            .where(e.c.status.in_(("sent", "bounced")), e.c.sent_at >= since, e.c.sent_at < until)
            .group_by(c.c.collector_id)
        ).all()
    )
    collected: dict[int | None, dict[str, int]] = {}
    for who, currency, minor in connection.execute(
        select(c.c.collector_id, p.c.currency, cast(func.sum(p.c.amount_minor), BigInteger))
        .select_from(p.join(c, c.c.id == p.c.customer_id))
        .where(p.c.date.between(period.start, period.end))
        .group_by(c.c.collector_id, p.c.currency)
    ).all():
        collected.setdefault(who, {})[currency] = minor
    users = connection.execute(select(u.c.id, u.c.name, u.c.active).order_by(u.c.name)).all()
    out = []
    for user_id, name, active in [*users, (None, None, True)]:
        activity = UserActivity(
            user_id,
            name,
            completed.get(user_id, 0),
            calls.get(user_id, {}),
            promised.get(user_id, 0),
            sent.get(user_id, 0),
            collected.get(user_id, {}),
        )
        busy = activity.tasks_completed or activity.calls or activity.promises_taken or activity.emails_sent
        if (active and user_id is not None) or busy or activity.collected:
            out.append(activity)
    return out


class SqlReports:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def aging(self, as_of: date) -> list[AgingRow]:
        return list(aging_rows(self.connection, as_of))

    def receivables(self, periods: Sequence[Period]) -> dict[str, list[Receivables]]:
        return receivables(self.connection, periods)

    def promises(self, start: date, end: date) -> list[PromiseCount]:
        return promises(self.connection, start, end)

    def disputes(self, since: datetime, until: datetime) -> DisputeActivity:
        return disputes(self.connection, since, until)

    def productivity(self, period: Period, since: datetime, until: datetime) -> list[UserActivity]:
        return productivity(self.connection, period, since, until)
