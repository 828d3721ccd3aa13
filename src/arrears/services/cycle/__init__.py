"""The daily collections cycle:

refresh balances → auto-close → promises kept/broken → workflows fire → stale-task alerts → credit
(alerts once per crossing, review tasks, the month's behavioural scores) → send.

Every phase is its own transaction and can be re-run: the step-run ledger records each step once
per invoice (or instalment, or customer), so re-running a day — or running an earlier one, or two
cycles at once, or a cycle killed half-way and started again — creates nothing twice and loses nothing.

`planning` holds the decisions that need no database (which step fires, how subjects group and
batch), `firing` the firing phase, `report` what a cycle reports.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import date

from ...domain.workflows import Workflow
from .. import balances, collection_rules, credit, email_templates, outbox
from ..credit import CreditPolicy
from .firing import BATCH, UowFactory, fire_workflows
from .report import CycleReport, Mailer, Planned

__all__ = [
    "BATCH",
    "CycleReport",
    "Mailer",
    "Planned",
    "UowFactory",
    "close_day",
    "finish_day",
    "fire_workflows",
    "open_day",
    "run_cycle",
]


def run_cycle(
    uow_factory: UowFactory,
    workflows: Sequence[Workflow],
    mailer: Mailer,
    as_of: date,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
    credit_policy: CreditPolicy | None = None,
) -> CycleReport:
    """Run the day `as_of`. In a dry run the caller's unit of work rolls everything back and
    nothing is sent; the report lists exactly what would go out and be created. `batch` is how many
    customers the firing phase handles per transaction. With `credit_policy` (the settings'), the
    credit phase runs too (not in a dry run). The report's `phases` holds each phase's duration in
    seconds (not part of the JSON summary)."""
    report = CycleReport(as_of, dry_run)
    timer = _Timer(report.phases)
    run_id = open_day(uow_factory, mailer, report, timer)
    fire_workflows(uow_factory, workflows, mailer, as_of, report, batch=batch)
    timer.lap("workflows")
    close_day(uow_factory, report, None if dry_run else credit_policy, timer, batch=batch)
    if not dry_run:
        sent = outbox.send_due(
            uow_factory,
            mailer.sender,
            mailer.templates,
            mailer.sender_address,
            links=mailer.links,
            reply_to=mailer.reply_to,
        )
        report.emails_sent, report.emails_failed = sent.sent, sent.failed
        report.alerts_raised += sent.alerts_raised
    timer.lap("send")
    finish_day(uow_factory, run_id, report)
    timer.lap("finish")
    return report


def open_day(uow_factory: UowFactory, mailer: Mailer, report: CycleReport, timer: _Timer | None = None) -> int:
    """The cycle's opening phases: its run recorded, the balances refreshed, the settled tasks
    closed, the promises checked (each phase its own transaction). Returns the run's id."""
    timer = timer or _Timer(report.phases)
    as_of = report.as_of
    email_templates.load_stored(uow_factory(), mailer.templates)  # those saved since the last cycle
    with uow_factory() as uow:
        run_id = uow.cycle_runs.start_cycle(as_of, uow.clock.now(), report.dry_run)
        uow.commit()
    timer.lap("start")
    balances.refresh_balances(uow_factory(), as_of)
    timer.lap("balances")
    closed = collection_rules.auto_close(uow_factory())
    timer.lap("auto_close")
    promises = collection_rules.check_promises(uow_factory(), as_of)
    timer.lap("promises")
    report.tasks_closed += closed.tasks_closed + promises.tasks_closed
    report.tasks_created += promises.tasks_created
    report.alerts_raised += promises.alerts_raised
    report.promises_kept, report.promises_broken = promises.promises_kept, promises.promises_broken
    return run_id


def close_day(
    uow_factory: UowFactory,
    report: CycleReport,
    credit_policy: CreditPolicy | None,
    timer: _Timer | None = None,
    *,
    batch: int = BATCH,
) -> None:
    """The phases after the firing: the stale-task alerts, then (with a policy) the credit phase,
    `batch` customers per transaction."""
    timer = timer or _Timer(report.phases)
    report.alerts_raised += collection_rules.stale_task_alerts(uow_factory(), report.as_of).alerts_raised
    timer.lap("stale_alerts")
    if credit_policy is not None:
        ran = credit.run_credit_phase(uow_factory, credit_policy, report.as_of, batch=batch)
        report.alerts_raised += ran.alerts_raised
        report.tasks_created += ran.review_tasks
        report.credit_reviews, report.credit_scores = ran.review_tasks, ran.scores_computed
    timer.lap("credit")


def finish_day(uow_factory: UowFactory, run_id: int, report: CycleReport) -> None:
    """Mark the run finished with its counts."""
    with uow_factory() as uow:
        uow.cycle_runs.finish_cycle(run_id, uow.clock.now(), json.dumps(report.summary(planned=False)))
        uow.commit()


class _Timer:
    """Measures the phases of a cycle (wall time, for the benchmark and the logs)."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.into[phase] = now - self.last
        self.last = now
