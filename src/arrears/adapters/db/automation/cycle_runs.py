"""The cycles that ran, the marks from which events count as new, and the stored workflow file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    false,
    func,
    insert,
    select,
    update,
)

from ....services.automation_ports import FannedOut
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
        return None if value is None else _day(value)

    def fan_out(self, run_id: int, at: datetime, batches: Sequence[str], summary: str) -> None:
        if batches:
            self.connection.execute(
                insert(t.cycle_batches),
                [{"run_id": run_id, "number": number, "groups": groups} for number, groups in enumerate(batches)],
            )
        c = t.cycle_runs
        self.connection.execute(update(c).where(c.c.id == run_id).values(fanned_out_at=at, summary=summary))

    def fanned_out_on(self, as_of: date) -> int | None:
        c = t.cycle_runs
        found = self.connection.execute(
            select(func.max(c.c.id)).where(c.c.as_of == as_of, c.c.dry_run == false(), c.c.fanned_out_at.is_not(None))
        ).scalar()
        return None if found is None else int(found)

    def fanned_out(self, run_id: int) -> FannedOut | None:
        c, b = t.cycle_runs, t.cycle_batches
        run = self.connection.execute(
            select(c.c.as_of, c.c.finished_at, c.c.summary).where(c.c.id == run_id, c.c.fanned_out_at.is_not(None))
        ).first()
        if run is None:
            return None
        batches = list(
            self.connection.execute(
                select(b.c.number, b.c.done_at, b.c.summary).where(b.c.run_id == run_id).order_by(b.c.number)
            )
        )
        return FannedOut(
            run_id,
            _day(run.as_of),
            tuple(row.number for row in batches if row.done_at is None),
            run.finished_at is not None,
            # the opening phases' counts, then each fired batch's (a finished run's summary is its total)
            (run.summary or "{}", *(row.summary for row in batches if row.summary is not None)),
        )

    def batch(self, run_id: int, number: int) -> tuple[date, str] | None:
        c, b = t.cycle_runs, t.cycle_batches
        row = self.connection.execute(
            select(c.c.as_of, b.c.groups)
            .select_from(b.join(c, c.c.id == b.c.run_id))
            .where(b.c.run_id == run_id, b.c.number == number, b.c.done_at.is_(None))
        ).first()
        if row is None:
            return None
        return _day(row.as_of), str(row.groups)

    def finish_batch(self, run_id: int, number: int, at: datetime, summary: str) -> int | None:
        c, b = t.cycle_runs, t.cycle_batches
        # The run's row first: the batches that finish at once take turns here, so the last of them
        # sees every other one done (SQLite has one writer at a time anyway).
        self.connection.execute(select(c.c.id).where(c.c.id == run_id).with_for_update())
        marked = self.connection.execute(
            update(b)
            .where(b.c.run_id == run_id, b.c.number == number, b.c.done_at.is_(None))
            .values(done_at=at, summary=summary, groups="")  # fired: its groups are not needed any more
        )
        if marked.rowcount == 0:
            return None
        return int(
            self.connection.execute(
                select(func.count()).select_from(b).where(b.c.run_id == run_id, b.c.done_at.is_(None))
            ).scalar_one()
        )

    def workflow_source(self) -> str | None:
        w = t.workflow_files
        value = self.connection.execute(select(w.c.source).order_by(w.c.id.desc()).limit(1)).scalar()
        return None if value is None else str(value)

    def save_workflow_source(self, source: str, by: int | None) -> None:
        self.connection.execute(insert(t.workflow_files).values(source=source, updated_by=by))


def _day(value: object) -> date:
    """A date column's value (SQLite may hand back its text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
