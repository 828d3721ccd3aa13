"""The audit log, and each customer's timeline read from it."""

from __future__ import annotations

import json

from sqlalchemy import (
    String,
    and_,
    cast,
    insert,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from ....domain.audit import AuditEntry
from ....services.workspace_ports import (
    Page,
    TimelineFilter,
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

    def timeline(self, customer_id: int, limit: int, offset: int, where: TimelineFilter | None = None) -> Page:
        a = t.audit_log
        query = select(a).where(a.c.customer_id == customer_id, *_narrowed(customer_id, where or TimelineFilter()))
        rows = list(
            self.connection.execute(query.order_by(a.c.at.desc(), a.c.id.desc()).limit(limit + 1).offset(offset))
        )
        items = [timeline_row(row) for row in rows[:limit]]
        return Page(items, offset + limit if len(rows) > limit else None)

    def timeline_kinds(self, customer_id: int) -> list[str]:
        a = t.audit_log
        query = select(a.c.entity).where(a.c.customer_id == customer_id).distinct().order_by(a.c.entity)
        return [str(kind) for kind in self.connection.execute(query).scalars()]


def _ids(column: ColumnElement[int]) -> ColumnElement[str]:
    return cast(column, String)


def _narrowed(customer_id: int, where: TimelineFilter) -> list[ColumnElement[bool]]:
    """The conditions on the audit log for `where`: an entry is about an invoice when its entity is
    the invoice, or an email, a task or a dispute that lists it; about a step when it is an email the
    step queued or a task it created or added invoices to."""
    a, e, ei, ti, d, r = t.audit_log, t.emails, t.email_invoices, t.task_invoices, t.disputes, t.step_runs
    conditions: list[ColumnElement[bool]] = []
    if where.kind is not None:
        conditions.append(a.c.entity == where.kind)
    if where.invoice_id is not None:
        invoice = where.invoice_id
        external_id = select(t.invoices.c.external_id).where(t.invoices.c.id == invoice).scalar_subquery()
        conditions.append(
            or_(
                and_(a.c.entity == "invoice", a.c.entity_id == external_id),
                and_(
                    a.c.entity == "email",
                    a.c.entity_id.in_(select(_ids(ei.c.email_id)).where(ei.c.invoice_id == invoice)),
                ),
                and_(
                    a.c.entity == "task",
                    a.c.entity_id.in_(select(_ids(ti.c.task_id)).where(ti.c.invoice_id == invoice)),
                ),
                and_(a.c.entity == "dispute", a.c.entity_id.in_(select(_ids(d.c.id)).where(d.c.invoice_id == invoice))),
            )
        )
    if where.step is not None:
        by_step = and_(r.c.customer_id == customer_id, r.c.step == where.step)
        conditions.append(
            or_(
                and_(
                    a.c.entity == "email",
                    a.c.entity_id.in_(
                        select(_ids(e.c.id)).where(e.c.customer_id == customer_id, e.c.step == where.step)
                    ),
                ),
                and_(
                    a.c.entity == "task",
                    a.c.entity_id.in_(select(_ids(r.c.task_id)).where(by_step, r.c.task_id.is_not(None))),
                ),
            )
        )
    return conditions
