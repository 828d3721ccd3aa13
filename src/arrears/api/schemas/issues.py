"""Issues: the subjects of an account that tasks are grouped under."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from ...services.workspace_ports import IssueRow


class IssueOut(BaseModel):
    id: int
    customer_external_id: str
    title: str
    status: Literal["open", "closed"]
    open_tasks: int
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: IssueRow) -> IssueOut:
        return cls(
            id=row.id,
            customer_external_id=row.customer_external_id,
            title=row.title,
            status=row.status,  # type: ignore[arg-type]  # the table's check constraint holds it to these
            open_tasks=row.open_tasks,
            created_at=row.created_at,
            closed_at=row.closed_at,
        )
