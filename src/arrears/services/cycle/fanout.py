"""The day's cycle across workers: the phases of `run_cycle`, cut into jobs that any number of
workers run.

`start` runs the opening phases (balances, auto-close, promises), records the skipped steps, and
stores what fires as numbered batches of customers beside the run. Each batch is then fired by
`fire`, in the transaction that marks it done: a batch fired twice (its job retried, or run by two
workers at once) claims nothing the second time, since the step-run claims are the same. The batch
that leaves none pending says so, and `finish` runs the closing phases (stale-task alerts, credit)
and marks the run finished. Sending is not part of it: the outbox's senders send what the batches
queue as they commit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from ...domain.workflows import Workflow
from .. import email_templates
from ..automation_ports import FannedOut
from ..credit import CreditPolicy
from ..ports import UnitOfWork
from . import close_day, finish_day, open_day
from .firing import BATCH, UowFactory, fire_batch, plan_batches
from .planning import decode_batch, encode_batch
from .report import CycleReport, Mailer


def progress(uow_factory: UowFactory, as_of: date) -> FannedOut | None:
    """The worker's cycle of `as_of`, if one has stored its batches: what is left of it."""
    with uow_factory() as uow:
        run_id = uow.cycle_runs.fanned_out_on(as_of)
        return None if run_id is None else uow.cycle_runs.fanned_out(run_id)


def start(
    uow_factory: UowFactory, workflows: Sequence[Workflow], mailer: Mailer, as_of: date, *, batch: int = BATCH
) -> FannedOut:
    """Open the day and store its batches: then every batch is pending (none when nothing fires)."""
    report = CycleReport(as_of)
    run_id = open_day(uow_factory, mailer, report)
    chunks = plan_batches(uow_factory, workflows, as_of, report, batch=batch)
    summary = json.dumps(report.summary(planned=False))
    with uow_factory() as uow:
        uow.cycle_runs.fan_out(run_id, uow.clock.now(), [encode_batch(chunk) for chunk in chunks], summary)
        uow.commit()
    return FannedOut(run_id, as_of, tuple(range(len(chunks))), False, (summary,))


def fire(uow_factory: UowFactory, workflows: Sequence[Workflow], mailer: Mailer, run_id: int, number: int) -> bool:
    """Fire batch `number` of the run, unless it is done; True when it was the last one pending
    (the run is ready for `finish`)."""
    with uow_factory() as uow:
        found = uow.cycle_runs.batch(run_id, number)
    if found is None:
        return False
    as_of, groups = found
    email_templates.load_stored(uow_factory(), mailer.templates)  # those saved since they were read
    report = CycleReport(as_of)
    left: list[int | None] = []

    def mark_done(uow: UnitOfWork) -> None:
        summary = json.dumps(report.summary(planned=False))
        left.append(uow.cycle_runs.finish_batch(run_id, number, uow.clock.now(), summary))

    fire_batch(uow_factory, decode_batch(groups, workflows), mailer, as_of, report, set(), mark_done)
    return left == [0]


def finish(
    uow_factory: UowFactory, run_id: int, credit_policy: CreditPolicy | None, *, batch: int = BATCH
) -> CycleReport | None:
    """Once every batch is done: the closing phases, then the run marked finished with the day's
    counts (its opening's and every batch's). None (nothing done) while a batch is pending, or when
    the run is finished already."""
    with uow_factory() as uow:
        run = uow.cycle_runs.fanned_out(run_id)
    if run is None or run.pending or run.finished:
        return None
    report = CycleReport(run.as_of)
    for summary in run.summaries:
        report.add(json.loads(summary))
    close_day(uow_factory, report, credit_policy, batch=batch)
    finish_day(uow_factory, run_id, report)
    return report
