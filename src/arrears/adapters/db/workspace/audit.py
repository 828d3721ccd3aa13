"""The audit log, and each customer's timeline read from it."""

from __future__ import annotations

import json

from sqlalchemy import (
    insert,
    select,
)

from ....domain.audit import AuditEntry
from ....services.workspace_ports import (
    Page,
)
from .. import tables as t
from .common import SqlArea, timeline_row


class SqlAudit(SqlArea):
    def record(self, entry: AuditEntry) -> None:
        self.connection.execute(
            insert(t.audit_log).values(
                at=entry.at,
                actor_kind=entry.actor.kind.value,
                actor_id=entry.actor.user_id,
                actor_name=entry.actor.name,
                entity=entry.entity,
                entity_id=entry.entity_id,
                customer_id=entry.customer_id,
                action=entry.action,
                summary=entry.summary,
                changes=json.dumps(entry.changes, default=str, ensure_ascii=False) if entry.changes else None,
            )
        )

    def timeline(self, customer_id: int, limit: int, offset: int) -> Page:
        a = t.audit_log
        rows = list(
            self.connection.execute(
                select(a)
                .where(a.c.customer_id == customer_id)
                .order_by(a.c.at.desc(), a.c.id.desc())
                .limit(limit + 1)
                .offset(offset)
            )
        )
        items = [timeline_row(row) for row in rows[:limit]]
        return Page(items, offset + limit if len(rows) > limit else None)
