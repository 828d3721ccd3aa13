"""Per-customer balances (exposure, overdue amount) kept for the task list, refreshed set-based."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, union

from .. import tables as t
from ..receivables import balances
from .common import BALANCES_KEY, SqlArea, chunks, read_setting, write_setting

# The PostgreSQL advisory lock that a roll of every balance holds until it commits.
ROLL_LOCK = 0x4152_4241  # "ARBA"


class SqlBalances(SqlArea):
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
        statement = self._insert(b).from_select(
            ["customer_id", "currency", "as_of", "outstanding_invoice_count", "outstanding_minor", "overdue_minor"],
            source,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={
                name: statement.excluded[name]
                for name in ("currency", "as_of", "outstanding_invoice_count", "outstanding_minor", "overdue_minor")
            },
        )
        # SQLAlchemy keeps the rowcount of UPDATE and DELETE only, unless asked (it was -1 on PostgreSQL).
        return int(self.connection.execute(statement, execution_options={"preserve_rowcount": True}).rowcount)
