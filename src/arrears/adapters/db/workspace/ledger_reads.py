"""Customers and invoices as references, the API's pages of ledger records, and the chasing flags."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    select,
    update,
)

from ....services.workspace_ports import (
    CustomerRef,
    InvoiceRef,
    Page,
)
from .. import tables as t
from ..export import EXPORTS
from ..receivables import outstanding
from .common import CHUNK, LEDGER_ROWS, SqlArea, chunks


class SqlLedgerReads(SqlArea):
    def _customer(self, where: ColumnElement[bool]) -> CustomerRef | None:
        c = t.customers
        row = self.connection.execute(
            select(
                c.c.id, c.c.external_id, c.c.name, c.c.currency, c.c.collector_id, c.c.on_hold, c.c.workflow_paused
            ).where(where)
        ).first()
        return None if row is None else CustomerRef(*row)

    def customer(self, external_id: str) -> CustomerRef | None:
        return self._customer(t.customers.c.external_id == external_id)

    def customer_by_id(self, customer_id: int) -> CustomerRef | None:
        return self._customer(t.customers.c.id == customer_id)

    def _invoices(self, where: ColumnElement[bool]) -> list[InvoiceRef]:
        i = t.invoices
        query = select(
            i.c.id,
            i.c.external_id,
            i.c.customer_id,
            i.c.currency,
            i.c.status,
            i.c.due_date,
            outstanding(i),
            i.c.disputed,
            i.c.plan_id,
            i.c.payment_pending,
        ).where(where)
        return [InvoiceRef(*row) for row in self.connection.execute(query)]

    def invoices(self, external_ids: Sequence[str]) -> list[InvoiceRef]:
        out: list[InvoiceRef] = []
        for start in range(0, len(external_ids), CHUNK):
            out += self._invoices(t.invoices.c.external_id.in_(external_ids[start : start + CHUNK]))
        return out

    def invoices_by_id(self, invoice_ids: Sequence[int]) -> list[InvoiceRef]:
        out: list[InvoiceRef] = []
        for chunk in chunks(invoice_ids):
            out += self._invoices(t.invoices.c.id.in_(chunk))
        return out

    def set_flag(self, kind: str, external_id: str, flag: str, value: bool) -> int | None:
        table = t.customers if kind == "customer" else t.invoices
        customer = table.c.id if kind == "customer" else table.c.customer_id
        row = self.connection.execute(
            update(table).where(table.c.external_id == external_id).values({flag: value}).returning(customer)
        ).first()
        if row is None:
            return None
        self.changed.add(int(row[0]))
        return int(row[0])

    def ledger_records(
        self,
        kind: str,
        limit: int,
        offset: int,
        *,
        external_id: str | None = None,
        customer_external_id: str | None = None,
    ) -> Page:
        """The export's query of `kind` (same order), filtered and paged, as typed rows."""
        tables = {
            "customers": t.customers,
            "contacts": t.contacts,
            "invoices": t.invoices,
            "payments": t.payments,
            "credit-notes": t.credit_notes,
        }
        _, query, _ = EXPORTS[kind]()
        if external_id is not None:
            query = query.where(tables[kind].c.external_id == external_id)
        if customer_external_id is not None:
            query = query.where(t.customers.c.external_id == customer_external_id)
        rows = list(self.connection.execute(query.limit(limit + 1).offset(offset)))
        shape = LEDGER_ROWS[kind]
        return Page([shape(row) for row in rows[:limit]], offset + limit if len(rows) > limit else None)
