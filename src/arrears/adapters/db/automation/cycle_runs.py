"""The cycles that ran, the marks from which events count as new, and the stored workflow file."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import (
    false,
    func,
    insert,
    select,
    update,
)

from .. import tables as t
from .common import HIGH_WATER_KEY, SqlAutomationArea


class SqlCycleRuns(SqlAutomationArea):
    def high_water(self) -> tuple[int, int] | None:
        s = t.app_settings
        value = self.connection.execute(select(s.c.value).where(s.c.key == HIGH_WATER_KEY)).scalar()
        if value is None:
            return None
        marks = json.loads(value)
        return int(marks["customer_id"]), int(marks["invoice_id"])

    def set_high_water(self) -> tuple[int, int]:
        """Remember the last customer and invoice that existed when the first cycle ran: events fire
        only for what comes after (importing a historical ledger sends no welcome and no old invoices)."""
        customer = int(self.connection.execute(select(func.coalesce(func.max(t.customers.c.id), 0))).scalar_one())
        invoice = int(self.connection.execute(select(func.coalesce(func.max(t.invoices.c.id), 0))).scalar_one())
        value = json.dumps({"customer_id": customer, "invoice_id": invoice})
        statement = self._insert(t.app_settings).values(key=HIGH_WATER_KEY, value=value)
        self.connection.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
        marks = self.high_water()
        assert marks is not None
        return marks

    def start_cycle(self, as_of: date, at: datetime, dry_run: bool) -> int:
        c = t.cycle_runs
        return int(
            self.connection.execute(
                insert(c).values(as_of=as_of, started_at=at, dry_run=dry_run).returning(c.c.id)
            ).scalar_one()
        )

    def finish_cycle(self, run_id: int, at: datetime, summary: str) -> None:
        c = t.cycle_runs
        self.connection.execute(update(c).where(c.c.id == run_id).values(finished_at=at, summary=summary))

    def last_cycle_day(self) -> date | None:
        """The latest day a real (not dry) cycle finished for."""
        c = t.cycle_runs
        value = self.connection.execute(
            select(func.max(c.c.as_of)).where(c.c.dry_run == false(), c.c.finished_at.is_not(None))
        ).scalar()
        return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))

    def workflow_source(self) -> str | None:
        w = t.workflow_files
        value = self.connection.execute(select(w.c.source).order_by(w.c.id.desc()).limit(1)).scalar()
        return None if value is None else str(value)

    def save_workflow_source(self, source: str, by: int | None) -> None:
        self.connection.execute(insert(t.workflow_files).values(source=source, updated_by=by))
