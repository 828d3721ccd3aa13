"""The customer portal's links and the online payments started on it (services/portal_ports.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, func, insert, or_, select, update

from ...domain.portal import PortalLink
from ...services.portal_ports import OnlinePayment
from . import tables as t


class SqlPortal:
    def __init__(self, connection: Connection, changed: set[int]) -> None:
        self.connection = connection
        self.changed = changed  # the customers whose balances this transaction's writes moved
        self.dialect = connection.dialect.name

    # -- links ---------------------------------------------------------------------------------------
    def add_link(
        self,
        customer_id: int,
        contact_id: int | None,
        token_hash: str,
        issued_at: datetime,
        expires_at: datetime,
        issued_by: str,
    ) -> int:
        pl = t.portal_links
        statement = (
            insert(pl)
            .values(
                customer_id=customer_id,
                contact_id=contact_id,
                token_hash=token_hash,
                issued_at=issued_at,
                expires_at=expires_at,
                issued_by=issued_by[:200],
            )
            .returning(pl.c.id)
        )
        return int(self.connection.execute(statement).scalar_one())

    def link(self, token_hash: str) -> PortalLink | None:
        pl = t.portal_links
        row = self.connection.execute(
            select(pl.c.id, pl.c.customer_id, pl.c.contact_id, pl.c.issued_at, pl.c.expires_at, pl.c.revoked_at).where(
                pl.c.token_hash == token_hash
            )
        ).first()
        return None if row is None else PortalLink(*row)

    def mark_seen(self, link_id: int, at: datetime, quiet_for: float) -> bool:
        pl = t.portal_links
        before = at - timedelta(seconds=quiet_for)
        quiet = or_(pl.c.last_seen_at.is_(None), pl.c.last_seen_at <= before)
        first = self.connection.execute(
            update(pl).where(pl.c.id == link_id, quiet).values(last_seen_at=at).returning(pl.c.id)
        ).first()
        if first is None:
            self.connection.execute(update(pl).where(pl.c.id == link_id).values(last_seen_at=at))
        return first is not None

    def revoke_links(self, customer_id: int, at: datetime) -> int:
        pl = t.portal_links
        result = self.connection.execute(
            update(pl).where(pl.c.customer_id == customer_id, pl.c.revoked_at.is_(None)).values(revoked_at=at)
        )
        return int(result.rowcount)

    def active_links(self, customer_id: int, at: datetime) -> int:
        pl = t.portal_links
        query = select(func.count()).where(
            pl.c.customer_id == customer_id, pl.c.revoked_at.is_(None), pl.c.expires_at > at
        )
        return int(self.connection.execute(query).scalar_one())

    # -- online payments -----------------------------------------------------------------------------
    def add_payment(
        self,
        provider: str,
        customer_id: int,
        currency: str,
        amount_minor: int,
        invoice_ids: Sequence[int],
        at: datetime,
        *,
        portal_link_id: int | None = None,
        checkout_session_id: str | None = None,
        payment_intent_id: str | None = None,
        status: str = "started",
    ) -> int:
        op = t.online_payments
        payment_id = int(
            self.connection.execute(
                insert(op)
                .values(
                    provider=provider,
                    customer_id=customer_id,
                    currency=currency,
                    amount_minor=amount_minor,
                    status=status,
                    portal_link_id=portal_link_id,
                    checkout_session_id=checkout_session_id,
                    payment_intent_id=payment_intent_id,
                    created_at=at,
                    updated_at=at,
                )
                .returning(op.c.id)
            ).scalar_one()
        )
        wanted = sorted(set(invoice_ids))
        if wanted:
            self.connection.execute(
                insert(t.online_payment_invoices),
                [{"online_payment_id": payment_id, "invoice_id": invoice_id} for invoice_id in wanted],
            )
        if status == "pending":
            self._flag_pending(wanted)
        return payment_id

    def set_checkout_session(self, payment_id: int, checkout_session_id: str, at: datetime) -> None:
        op = t.online_payments
        self.connection.execute(
            update(op).where(op.c.id == payment_id).values(checkout_session_id=checkout_session_id, updated_at=at)
        )

    def _payments(self, *where: Any, limit: int | None = None, for_update: bool = False) -> list[OnlinePayment]:
        op = t.online_payments
        query = (
            select(
                op.c.id,
                op.c.provider,
                op.c.customer_id,
                op.c.currency,
                op.c.amount_minor,
                op.c.status,
                op.c.checkout_session_id,
                op.c.payment_intent_id,
                op.c.created_at,
                op.c.updated_at,
                op.c.error,
            )
            .where(*where)
            .order_by(op.c.id.desc())
            .limit(limit)
        )
        if for_update and self.dialect == "postgresql":
            query = query.with_for_update()
        rows = list(self.connection.execute(query))
        invoices: dict[int, list[int]] = defaultdict(list)
        if rows:
            opi = t.online_payment_invoices
            for payment_id, invoice_id in self.connection.execute(
                select(opi.c.online_payment_id, opi.c.invoice_id)
                .where(opi.c.online_payment_id.in_([row.id for row in rows]))
                .order_by(opi.c.invoice_id)
            ):
                invoices[payment_id].append(invoice_id)
        return [
            OnlinePayment(
                row.id,
                row.provider,
                row.customer_id,
                row.currency,
                row.amount_minor,
                row.status,
                row.checkout_session_id,
                row.payment_intent_id,
                tuple(invoices[row.id]),
                row.created_at,
                row.updated_at,
                row.error,
            )
            for row in rows
        ]

    def payment(self, payment_id: int) -> OnlinePayment | None:
        found = self._payments(t.online_payments.c.id == payment_id)
        return found[0] if found else None

    def payment_for_update(
        self, provider: str, *, checkout_session_id: str | None = None, payment_intent_id: str | None = None
    ) -> OnlinePayment | None:
        op = t.online_payments
        keys = ((op.c.checkout_session_id, checkout_session_id), (op.c.payment_intent_id, payment_intent_id))
        for column, value in keys:
            if value:
                found = self._payments(op.c.provider == provider, column == value, for_update=True)
                if found:
                    return found[0]
        return None

    def update_payment(
        self,
        payment_id: int,
        status: str,
        at: datetime,
        *,
        payment_intent_id: str | None = None,
        event_id: str | None = None,
        error: str | None = None,
    ) -> None:
        op = t.online_payments
        values: dict[str, Any] = {"status": status, "updated_at": at, "error": error}
        if payment_intent_id is not None:
            values["payment_intent_id"] = payment_intent_id
        if event_id is not None:
            values["last_event_id"] = event_id
        self.connection.execute(update(op).where(op.c.id == payment_id).values(**values))
        opi = t.online_payment_invoices
        invoice_ids = list(
            self.connection.execute(select(opi.c.invoice_id).where(opi.c.online_payment_id == payment_id)).scalars()
        )
        self._flag_pending(invoice_ids)

    def _flag_pending(self, invoice_ids: Sequence[int]) -> None:
        """Set each invoice's `payment_pending` to whether a pending online payment names it now."""
        if not invoice_ids:
            return
        i, op, opi = t.invoices, t.online_payments, t.online_payment_invoices
        pending = exists().where(
            opi.c.invoice_id == i.c.id, opi.c.online_payment_id == op.c.id, op.c.status == "pending"
        )
        changed = self.connection.execute(
            update(i)
            .where(i.c.id.in_(list(invoice_ids)), i.c.payment_pending != pending)
            .values(payment_pending=pending)
            .returning(i.c.customer_id)
        )
        self.changed.update(changed.scalars())

    def customer_payments(self, customer_id: int, limit: int) -> list[OnlinePayment]:
        return self._payments(t.online_payments.c.customer_id == customer_id, limit=limit)
