"""The ledger's own port: its reads (customers and invoices as references, records for the API, the
chasing flags), the locks that serialise writes to a customer's money, and the inbox of events
received from outside (payment webhooks, inbound mail) that become ledger writes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ...services.ledger_ports import InboxEvent
from . import tables as t
from .locks import lock_customers
from .workspace.ledger_reads import SqlLedgerReads


class SqlLedger(SqlLedgerReads):
    def lock_customers(self, customer_ids: Sequence[int]) -> None:
        """On PostgreSQL, lock these customers' rows in id order until the transaction ends (the same
        locks a ledger import takes); SQLite runs one writer at a time already."""
        if self.dialect == "postgresql" and customer_ids:
            ids = select(t.customers.c.id).where(t.customers.c.id.in_(sorted(set(customer_ids))))
            self.connection.execute(lock_customers(ids))

    # -- inbox -----------------------------------------------------------------------------------

    def receive_event(self, provider: str, event_id: str, kind: str, payload: dict[str, Any], at: datetime) -> bool:
        e = t.inbox_events
        values = {
            "provider": provider,
            "event_id": event_id,
            "kind": kind,
            "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            "received_at": at,
            "next_attempt_at": at,
        }
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = insert(e).values(**values).on_conflict_do_nothing(index_elements=["provider", "event_id"])
        return bool(self.connection.execute(statement.returning(e.c.id)).first())

    def inbox_id(self, provider: str, event_id: str) -> int | None:
        e = t.inbox_events
        found = self.connection.execute(
            select(e.c.id).where(e.c.provider == provider, e.c.event_id == event_id)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def next_event(self, at: datetime) -> InboxEvent | None:
        e = t.inbox_events
        query = (
            select(e.c.id, e.c.provider, e.c.event_id, e.c.kind, e.c.payload, e.c.attempts)
            .where(e.c.status == "pending", e.c.next_attempt_at <= at)
            .order_by(e.c.id)
            .limit(1)
        )
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = self.connection.execute(query).first()
        if row is None:
            return None
        return InboxEvent(row.id, row.provider, row.event_id, row.kind, json.loads(row.payload), row.attempts)

    def mark_event(
        self, event_id: int, status: str, at: datetime, *, attempts: int, next_at: datetime | None, error: str | None
    ) -> None:
        e = t.inbox_events
        values: dict[str, Any] = {"status": status, "attempts": attempts, "last_error": error}
        if status == "processed":
            values["processed_at"] = at
        if next_at is not None:
            values["next_attempt_at"] = next_at
        self.connection.execute(update(e).where(e.c.id == event_id).values(**values))

    def event_counts(self) -> dict[str, int]:
        e = t.inbox_events
        return {
            status: int(n)
            for status, n in self.connection.execute(select(e.c.status, func.count()).group_by(e.c.status))
        }
