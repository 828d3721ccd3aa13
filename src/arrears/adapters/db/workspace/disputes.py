"""Disputes on invoices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    String,
    cast,
    exists,
    insert,
    literal,
    select,
    update,
)

from ....services.workspace_ports import (
    DisputeFilter,
    DisputeRow,
    InvoiceRef,
    Page,
)
from .. import tables as t
from .common import SqlArea


class SqlDisputes(SqlArea):
    def add_dispute(
        self,
        invoice: InvoiceRef,
        reason: str,
        amount_minor: int,
        owner_id: int | None,
        note: str | None,
        by: int | None,
        at: datetime,
        source: str = "workspace",
    ) -> int:
        d = t.disputes
        dispute_id = int(
            self.connection.execute(
                insert(d)
                .values(
                    invoice_id=invoice.id,
                    customer_id=invoice.customer_id,
                    reason=reason,
                    amount_minor=amount_minor,
                    currency=invoice.currency,
                    owner_id=owner_id,
                    note=note,
                    opened_by=by,
                    source=source,
                    created_at=at,
                    updated_at=at,
                )
                .returning(d.c.id)
            ).scalar_one()
        )
        self.connection.execute(update(t.invoices).where(t.invoices.c.id == invoice.id).values(disputed=True))
        self.changed.add(invoice.customer_id)
        return dispute_id

    def _dispute_query(self) -> Select[Any]:
        """A dispute's row; with the credit note and write-off its resolution recorded, found by
        their external ids (domain/disputes.credit_note_id and write_off_id)."""
        d, i, c, u = t.disputes, t.invoices, t.customers, t.users
        credited, written_off = t.credit_notes.alias("credited"), t.credit_notes.alias("written_off")
        named = literal("DISPUTE-") + cast(d.c.id, String)
        return (
            select(
                d.c.id,
                i.c.external_id,
                c.c.external_id,
                d.c.reason,
                d.c.amount_minor,
                d.c.currency,
                u.c.name,
                d.c.status,
                d.c.resolution,
                d.c.note,
                d.c.created_at,
                d.c.closed_at,
                c.c.name,
                i.c.number,
                d.c.source,
                credited.c.amount_minor,
                written_off.c.amount_minor,
            )
            .join(i, i.c.id == d.c.invoice_id)
            .join(c, c.c.id == d.c.customer_id)
            .outerjoin(u, u.c.id == d.c.owner_id)
            .outerjoin(credited, credited.c.external_id == named + literal("-CN"))
            .outerjoin(written_off, written_off.c.external_id == named + literal("-WO"))
        )

    def dispute(self, dispute_id: int) -> DisputeRow | None:
        row = self.connection.execute(self._dispute_query().where(t.disputes.c.id == dispute_id)).first()
        return None if row is None else DisputeRow(*row)

    def close_dispute(self, dispute_id: int, status: str, resolution: str | None, at: datetime) -> None:
        d = t.disputes
        row = self.connection.execute(
            update(d)
            .where(d.c.id == dispute_id)
            .values(status=status, resolution=resolution, closed_at=at, updated_at=at)
            .returning(d.c.invoice_id, d.c.customer_id)
        ).first()
        if row is None:
            return
        still_open = exists().where(d.c.invoice_id == row.invoice_id, d.c.status == "open")
        self.connection.execute(update(t.invoices).where(t.invoices.c.id == row.invoice_id).values(disputed=still_open))
        self.changed.add(int(row.customer_id))

    def set_owner(self, dispute_id: int, owner_id: int, at: datetime) -> None:
        d = t.disputes
        self.connection.execute(update(d).where(d.c.id == dispute_id).values(owner_id=owner_id, updated_at=at))

    def disputes(self, flt: DisputeFilter, limit: int, offset: int) -> Page:
        d = t.disputes
        query = self._dispute_query()
        if flt.status is not None:
            query = query.where(d.c.status == flt.status)
        if flt.reason is not None:
            query = query.where(d.c.reason == flt.reason)
        if flt.owner_id is not None:
            query = query.where(d.c.owner_id == flt.owner_id)
        if flt.customer_id is not None:
            query = query.where(d.c.customer_id == flt.customer_id)
        rows = list(self.connection.execute(query.order_by(d.c.id.desc()).limit(limit + 1).offset(offset)))
        return Page([DisputeRow(*row) for row in rows[:limit]], offset + limit if len(rows) > limit else None)
