"""The step-run ledger that makes every step run once per subject, and what a fired step writes
with it: its tasks and audit entries, in a few multi-row statements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects import postgresql

from ....domain.audit import AuditEntry
from ....domain.tasks import Task, TaskSource
from ....services.automation_ports import (
    RunLink,
    StepClaim,
)
from .. import tables as t
from ..workspace.tasks import SqlTasks
from .common import SqlAutomationArea, _audit_row, _id_given, _reserved, _unnest_rows, _writes


class SqlStepRuns(SqlAutomationArea):
    def claim(
        self, workflow: str, step: str, status: str, cycle_date: date, subjects: Sequence[tuple[str, int, int | None]]
    ) -> list[str]:
        """Record that a step ran (or was skipped) for these subjects; returns the ones this call
        recorded. A subject some other run already recorded is left out: that is what makes two
        cycles at the same moment create everything once."""
        claims = [
            StepClaim(workflow, step, subject, customer, invoice, status) for subject, customer, invoice in subjects
        ]
        return [subject for _, _, subject in self.claim_runs(cycle_date, claims)]

    def claim_runs(self, cycle_date: date, claims: Sequence[StepClaim]) -> dict[tuple[str, str, str], int]:
        if not claims:
            return {}
        rows = [
            {
                "workflow": c.workflow,
                "step": c.step,
                "subject": c.subject,
                "customer_id": c.customer_id,
                "invoice_id": c.invoice_id,
                "status": c.status,
                "cycle_date": cycle_date,
                "email_id": c.email_id,
                "task_id": c.task_id,
            }
            for c in claims
        ]
        # One statement per CLAIM_CHUNK rows (SQLAlchemy's "insertmanyvalues"), built once per dialect:
        # a first cycle on a large ledger skips tens of thousands of subjects in one step, and one
        # statement may carry at most 65,535 parameters on PostgreSQL (32,766 on SQLite).
        if self.dialect == "postgresql":
            r = t.step_runs
            statement = (
                postgresql.insert(r)
                .from_select(list(rows[0]), _unnest_rows(r, rows))
                .on_conflict_do_nothing(index_elements=["workflow", "step", "subject"])
                .returning(r.c.id, r.c.workflow, r.c.step, r.c.subject)
            )
            result = self.connection.execute(statement)
        else:
            result = self.connection.execute(_writes(self.dialect).claim, rows)
        return {(row.workflow, row.step, row.subject): int(row.id) for row in result}

    def reserve_ids(self, emails: int, tasks: int) -> tuple[list[int], list[int]] | None:
        if self.dialect != "postgresql":
            return None
        # The runs' references to the emails and tasks (DEFERRABLE, migration 0008) are checked at
        # commit, when the rows they name exist. Ids a lost claim leaves unused are only a gap.
        self.connection.execute(
            text("SET CONSTRAINTS fk_step_runs_email_id_emails, fk_step_runs_task_id_tasks DEFERRED")
        )
        reserved = self.connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('emails', 'id')) AS id, 'e' AS kind "
                "FROM generate_series(1, :emails) UNION ALL "
                "SELECT nextval(pg_get_serial_sequence('tasks', 'id')), 't' FROM generate_series(1, :tasks)"
            ),
            {"emails": emails, "tasks": tasks},
        ).all()
        return [int(r.id) for r in reserved if r.kind == "e"], [int(r.id) for r in reserved if r.kind == "t"]

    def link_runs_many(self, links: Sequence[RunLink]) -> None:
        if not links:
            return
        # By the runs' ids (the claim returned them): a primary-key lookup per run, where the
        # (workflow, step, subject) key cost three text comparisons in a wider index.
        if self.dialect == "postgresql":
            r = t.step_runs
            rows = [{"id": k.run_id, "email_id": k.email_id, "task_id": k.task_id} for k in links]
            v = _unnest_rows(r, rows).subquery("v")
            self.connection.execute(
                update(r).where(r.c.id == v.c.id).values(email_id=v.c.email_id, task_id=v.c.task_id)
            )
            return
        self.connection.execute(
            _writes(self.dialect).link,
            [{"l_run": k.run_id, "l_email": k.email_id, "l_task": k.task_id} for k in links],
        )

    def add_tasks(self, tasks: Sequence[Task]) -> list[int]:
        if not tasks:
            return []
        reserved = _reserved([task.id for task in tasks])
        rows = [{**_id_given(task.id), **SqlTasks._task_values(task), "created_by": None} for task in tasks]
        k = t.tasks
        if self.dialect == "postgresql" and reserved:
            self.connection.execute(insert(k).from_select(list(rows[0]), _unnest_rows(k, rows)))
            ids = reserved
        elif self.dialect == "postgresql":
            # One INSERT … SELECT: the ids come from the sequence in the arrays' order, so sorted
            # they are the tasks' ids in order (what SQLAlchemy's own sorted RETURNING relies on).
            statement = insert(k).from_select(list(rows[0]), _unnest_rows(k, rows)).returning(k.c.id)
            ids = sorted(int(row.id) for row in self.connection.execute(statement))
        else:
            ids = [int(row.id) for row in self.connection.execute(_writes(self.dialect).task, rows)]
        tags = [
            {"task_id": task_id, "invoice_id": invoice_id}
            for task_id, task in zip(ids, tasks, strict=True)
            for invoice_id in task.invoice_ids
        ]
        if tags:
            self._insert_pairs(t.task_invoices, "task_id", tags)
        return ids

    def open_workflow_tasks(self, customer_ids: Sequence[int]) -> dict[tuple[int, str], int]:
        k = t.tasks
        out: dict[tuple[int, str], int] = {}
        for chunk in self._id_chunks(sorted(set(customer_ids))):
            rows = self.connection.execute(
                select(k.c.customer_id, k.c.type, func.min(k.c.id))
                .where(
                    self._id_in(k.c.customer_id, chunk), k.c.status == "open", k.c.source == TaskSource.WORKFLOW.value
                )
                .group_by(k.c.customer_id, k.c.type)
            )
            out.update({(int(row[0]), str(row[1])): int(row[2]) for row in rows})
        return out

    def tag_tasks(self, tags: Sequence[tuple[int, Sequence[int]]]) -> None:
        rows = [{"task_id": task_id, "invoice_id": i} for task_id, invoices in tags for i in invoices]
        if not rows:
            return
        self.connection.execute(self._insert(t.task_invoices).on_conflict_do_nothing(), rows)
        k = t.tasks
        self.connection.execute(
            update(k).where(k.c.id.in_(sorted({task_id for task_id, _ in tags}))).values(version=k.c.version + 1)
        )

    def record_all(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        if self.dialect == "postgresql":
            a = t.audit_log
            rows = [{name.removeprefix("audit_"): value for name, value in _audit_row(e).items()} for e in entries]
            self.connection.execute(insert(a).from_select(list(rows[0]), _unnest_rows(a, rows)))
            return
        self.connection.execute(_writes(self.dialect).audit, [_audit_row(entry) for entry in entries]).all()
