"""Alerts: raised once per key while open, closed, listed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    func,
    literal_column,
    select,
    update,
)

from ....services.workspace_ports import (
    AlertRow,
    NewAlert,
    Page,
)
from .. import tables as t
from ..bulk import unnested
from .common import CHUNK, SqlArea


class SqlAlerts(SqlArea):
    def raise_alert(
        self,
        kind: str,
        key: str,
        message: str,
        *,
        customer_id: int | None,
        task_id: int | None,
        user_id: int | None,
        at: datetime,
    ) -> bool:
        return self.raise_alerts([NewAlert(kind, key, message, customer_id, task_id, user_id)], at) == 1

    def raise_alerts(self, alerts: Sequence[NewAlert], at: datetime) -> int:
        """Insert the alerts whose key has no open alert; how many. On PostgreSQL one statement
        whatever their number (bulk.unnested); on SQLite one statement compiled once and run for
        every row (SQLAlchemy packs the rows into multi-row INSERTs within SQLite's limit on bound
        parameters)."""
        if not alerts:
            return 0
        a = t.alerts
        statement = (
            self._insert(a)
            # The predicate of the partial unique index, as a literal: with a bound parameter
            # PostgreSQL cannot match the index once psycopg prepares the statement.
            .on_conflict_do_nothing(index_elements=["key"], index_where=a.c.status == literal_column("'open'"))
            .returning(a.c.id)
        )
        if self.dialect == "postgresql":
            columns = ("kind", "key", "message", "customer_id", "task_id", "user_id")
            values = [
                (alert.kind, alert.key, alert.message, alert.customer_id, alert.task_id, alert.user_id)
                for alert in alerts
            ]
            many = statement.from_select([*columns, "created_at"], unnested(a, columns, values, created_at=at))
            return len(self.connection.execute(many).all())
        rows = [
            {
                "kind": alert.kind,
                "key": alert.key,
                "message": alert.message,
                "customer_id": alert.customer_id,
                "task_id": alert.task_id,
                "user_id": alert.user_id,
                "created_at": at,  # the workspace's clock, like the audit log (not the database's)
            }
            for alert in alerts
        ]
        return len(self.connection.execute(statement, rows).all())

    def close_alerts(self, keys: Sequence[str], at: datetime) -> int:
        a = t.alerts
        count = 0
        for start in range(0, len(keys), CHUNK):
            count += self.connection.execute(
                update(a)
                .where(a.c.key.in_(keys[start : start + CHUNK]), a.c.status == "open")
                .values(status="closed", closed_at=at)
            ).rowcount
        return count

    def close_alert(self, alert_id: int, at: datetime) -> bool:
        a = t.alerts
        result = self.connection.execute(
            update(a).where(a.c.id == alert_id, a.c.status == "open").values(status="closed", closed_at=at)
        )
        return bool(result.rowcount == 1)

    def close_open(self, alert_ids: Sequence[int] | None, kind: str | None, at: datetime) -> list[int]:
        a = t.alerts
        wanted = [a.c.status == "open"] + ([a.c.kind == kind] if kind is not None else [])
        groups = [None] if alert_ids is None else [alert_ids[k : k + CHUNK] for k in range(0, len(alert_ids), CHUNK)]
        closed: list[int] = []
        for group in groups:
            where = wanted if group is None else [*wanted, a.c.id.in_(group)]
            statement = update(a).where(*where).values(status="closed", closed_at=at).returning(a.c.id)
            closed.extend(int(alert_id) for alert_id in self.connection.execute(statement).scalars())
        return sorted(closed)

    def open_counts(self, user_id: int | None) -> dict[str, int]:
        a = t.alerts
        query = select(a.c.kind, func.count()).where(a.c.status == "open").group_by(a.c.kind)
        if user_id is not None:
            query = query.where(a.c.user_id == user_id)
        return {str(kind): int(count) for kind, count in self.connection.execute(query)}

    def alerts(
        self, status: str | None, user_id: int | None, limit: int, offset: int, *, kind: str | None = None
    ) -> Page:
        a, c, u = t.alerts, t.customers, t.users
        query = (
            select(
                a.c.id,
                a.c.kind,
                a.c.status,
                a.c.message,
                c.c.external_id,
                a.c.task_id,
                u.c.name,
                a.c.created_at,
                a.c.closed_at,
                c.c.name,
            )
            .outerjoin(c, c.c.id == a.c.customer_id)
            .outerjoin(u, u.c.id == a.c.user_id)
        )
        if status is not None:
            query = query.where(a.c.status == status)
        if user_id is not None:
            query = query.where(a.c.user_id == user_id)
        if kind is not None:
            query = query.where(a.c.kind == kind)
        rows = list(
            self.connection.execute(
                query.order_by(a.c.created_at.desc(), a.c.id.desc()).limit(limit + 1).offset(offset)
            )
        )
        return Page([AlertRow(*tuple(row)) for row in rows[:limit]], offset + limit if len(rows) > limit else None)
