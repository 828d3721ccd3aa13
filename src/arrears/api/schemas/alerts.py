"""Alerts: stale tasks, disputes, broken promises, failed emails."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from ...services.workspace_ports import AlertRow


class AlertOut(BaseModel):
    id: int
    kind: str
    status: Literal["open", "closed"]
    message: str
    customer_external_id: str | None
    task_id: int | None
    user: str | None
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: AlertRow) -> AlertOut:
        return cls(
            id=row.id,
            kind=row.kind,
            status=row.status,  # type: ignore[arg-type]  # the table's check constraint holds it to these
            message=row.message,
            customer_external_id=row.customer_external_id,
            task_id=row.task_id,
            user=row.user,
            created_at=row.created_at,
            closed_at=row.closed_at,
        )
