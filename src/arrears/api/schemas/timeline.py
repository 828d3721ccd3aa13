"""The customer's timeline: the audit log read back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ...services.workspace_ports import TimelineRow


class TimelineOut(BaseModel):
    at: datetime
    actor: str | None
    actor_kind: str
    entity: str
    entity_id: str | None
    action: str
    summary: str
    changes: dict[str, Any]

    @classmethod
    def of(cls, row: TimelineRow) -> TimelineOut:
        return cls(
            at=row.at,
            actor=row.actor,
            actor_kind=row.actor_kind,
            entity=row.entity,
            entity_id=row.entity_id,
            action=row.action,
            summary=row.summary,
            changes=row.changes,
        )
