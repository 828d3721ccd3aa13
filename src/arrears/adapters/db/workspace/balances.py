"""Per-customer balances (exposure, overdue amount) kept for the task list, refreshed set-based."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, case, func, literal, or_, select, union, update
from sqlalchemy.dialects.postgresql import ARRAY

from ....domain import worklist
from ....domain.currencies import MINOR_UNITS
from .. import tables as t
from ..receivables import BALANCE_COLUMNS, balances
from .common import BALANCES_KEY, SqlArea, chunks, read_setting, write_setting

# The PostgreSQL advisory lock that a roll of every balance holds until it commits.
ROLL_LOCK = 0x4152_4241  # "ARBA"


def priority(as_of: date, rates: Mapping[str, int], b: Any = t.customer_balances) -> ColumnElement[int]:
    """`worklist.priority` over the stored columns of `customer_balances` (the same integers: floor
    divisions of non-negative numbers, dates compared rather than subtracted)."""
    currency, overdue, oldest = b.c.currency, b.c.overdue_minor, b.c.oldest_due
    divisors = [(currency.in_(codes), 10**e) for e, codes in _by_exponent().items() if e != 2]
    units = overdue // case(*divisors, else_=literal(100)) if divisors else overdue // 100
    units = case((units > worklist.MAX_UNITS, literal(worklist.MAX_UNITS)), else_=units)
    micro = case(*((currency == code, literal(rate)) for code, rate in rates.items()), else_=literal(worklist.MICRO))
    ranked = units * micro // worklist.MICRO if rates else units
    age = case(
        *((oldest < literal(as_of - timedelta(days=above)), literal(weight)) for above, weight in worklist.AGE_WEIGHTS),
        else_=literal(1),
    )
    late = b.c.days_late
    lateness = case(
        (or_(late.is_(None), late <= 0), literal(100)),
        (late >= worklist.LATENESS_CAP, literal(100 + worklist.LATENESS_CAP)),
        else_=100 + late,
    )
    since = as_of - timedelta(days=worklist.BROKEN_WINDOW_DAYS)
    recently = and_(b.c.broken_on >= literal(since), b.c.broken_on < literal(as_of))
    boost = case((recently, literal(worklist.BOOST)), else_=literal(worklist.USUAL))
    return case(
        (overdue <= 0, literal(0)),
        (b.c.promised_until >= literal(as_of), literal(0)),
        else_=ranked * age * lateness * boost,
    )


def _by_exponent() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for code, exponent in sorted(MINOR_UNITS.items()):
        found.setdefault(exponent, []).append(code)
    return found


class SqlBalances(SqlArea):
    def __init__(
        self, connection: Connection, changed: set[int] | None = None, rates: Mapping[str, int] | None = None
    ) -> None:
        super().__init__(connection, changed)
        self.rates: Mapping[str, int] = rates or {}

    def customer_balance(self, customer_id: int) -> tuple[int, int, int] | None:
        b = t.customer_balances
        row = self.connection.execute(
            select(b.c.outstanding_invoice_count, b.c.outstanding_minor, b.c.overdue_minor).where(
                b.c.customer_id == customer_id
            )
        ).first()
        return None if row is None else (int(row[0]), int(row[1]), int(row[2]))

    def balances_as_of(self) -> date | None:
        value = read_setting(self.connection, BALANCES_KEY)
        return date.fromisoformat(value) if value else None

    def refresh_balances(self, as_of: date, customer_ids: Sequence[int] | None = None) -> int:
        """Outstanding and overdue per customer as of a day, in one statement per chunk of customers.

        The figures are the rules of `domain/receivables.py` in SQL (`adapters/db/receivables.py`):
        `exposure` (the outstanding of open invoices) and `overdue_amount` (open invoices due before
        `as_of`, not excluded, disputed or on a plan, plus the overdue instalments of active plans;
        nothing for a customer on hold).

        Without `customer_ids`, every customer as of `as_of`: the balances were all right as of the
        day last refreshed (the unit of work refreshes the customers of every change to the ledger,
        a plan, a dispute or a chasing flag as it commits), and from that day to a later one only
        the overdue amounts of the customers with an invoice or an instalment falling due in between
        can change: just those are refreshed (the daily roll, a few thousand customers instead of
        all). The first time, or for an earlier day, all of them.
        """
        if customer_ids is None:
            if self.dialect == "postgresql":  # one roll at a time; a second one then finds nothing left to do
                self.connection.execute(select(func.pg_advisory_xact_lock(ROLL_LOCK)))
            since = self.balances_as_of()
            if since is None or since > as_of:
                count = self._refresh(as_of, None)
            else:
                count = sum(self._refresh(as_of, chunk) for chunk in chunks(self._falling_due(since, as_of)))
                # The calendar moves priorities too (an invoice into the next aging bucket, a promise
                # lapsing or a broken one ageing): only the rows whose priority differs are written.
                self._reprioritise(as_of, None)
            write_setting(self.connection, BALANCES_KEY, as_of.isoformat())
            return count
        return sum(self._refresh(as_of, chunk) for chunk in chunks(sorted(set(customer_ids))))

    def refresh_changed(self, today: date) -> int:
        """Refresh the customers this transaction's writes moved, as of the day the balances were
        last rolled to (so that the next roll's "only what fell due since" stays right), or as of
        `today` before the first roll."""
        if not self.changed:
            return 0
        count = self.refresh_balances(self.balances_as_of() or today, sorted(self.changed))
        self.changed.clear()
        return count

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
        # In customer order, as every writer locks customers: two refreshes never wait on each other in a circle.
        source = balances(as_of, customer_ids).order_by(t.customers.c.id)
        statement = self._insert(b).from_select(list(BALANCE_COLUMNS), source)
        statement = statement.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={name: statement.excluded[name] for name in BALANCE_COLUMNS[1:]},
        )
        # SQLAlchemy keeps the rowcount of UPDATE and DELETE only, unless asked (it was -1 on PostgreSQL).
        count = int(self.connection.execute(statement, execution_options={"preserve_rowcount": True}).rowcount)
        self._reprioritise(as_of, customer_ids)
        return count

    def _reprioritise(self, as_of: date, customer_ids: Sequence[int] | None) -> None:
        """Write the priority of the customers (of `customer_ids`, or all) whose stored priority
        differs from the one their stored figures give on `as_of`."""
        b = t.customer_balances
        wanted = priority(as_of, self.rates)
        statement = update(b).where(b.c.priority != wanted).values(priority=wanted)
        if customer_ids is not None:
            statement = statement.where(b.c.customer_id.in_(customer_ids))
        self.connection.execute(statement)

    def set_days_late(self, days_late: Mapping[int, int], as_of: date) -> None:
        """Each customer's average days late (the month's behavioural scores), then every priority
        again as of the day the balances were rolled to (or `as_of` before the first roll)."""
        b = t.customer_balances
        if days_late:
            ids, days = list(days_late), list(days_late.values())
            if self.dialect == "postgresql":  # one statement: two arrays, unnested
                pairs = (
                    func.unnest(
                        bindparam("ids", ids, type_=ARRAY(b.c.customer_id.type)),
                        bindparam("days", days, type_=ARRAY(b.c.days_late.type)),
                    )
                    .table_valued("customer_id", "days_late")
                    .render_derived()
                )
                self.connection.execute(
                    update(b).where(b.c.customer_id == pairs.c.customer_id).values(days_late=pairs.c.days_late)
                )
            else:
                self.connection.execute(
                    update(b).where(b.c.customer_id == bindparam("id")).values(days_late=bindparam("days")),
                    [{"id": i, "days": d} for i, d in zip(ids, days, strict=True)],
                )
        self._reprioritise(self.balances_as_of() or as_of, None)
