"""Which workflows are in force, and checking a workflow file.

A file named by ARREARS_WORKFLOWS wins; else the one saved in the database (from the workflows page
or `arrears workflow save`); else the built-in default. A workflow file replaces the default whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..domain.audit import Actor, AuditEntry
from ..domain.errors import InvalidValue
from ..domain.permissions import Action, require
from ..domain.users import User
from ..domain.workflows import Workflow, parse_workflows
from .cycle import CycleReport, Mailer, UowFactory, run_cycle
from .ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class InForce:
    """The workflows in force, the text they were read from, and where that text lives."""

    workflows: tuple[Workflow, ...]
    text: str
    source: str  # the file's path, "stored workflow" or "built-in default workflow"
    origin: str  # file (ARREARS_WORKFLOWS), stored (saved from the web page or the CLI) or default


def validate(text: str, source: str, templates: set[str]) -> tuple[Workflow, ...]:
    """Parse and check a workflow file against the email templates that exist; raises WorkflowError."""
    return parse_workflows(text, source, templates)


def active(
    uow: UnitOfWork, file_text: tuple[str, str] | None, default: tuple[str, str], templates: set[str]
) -> tuple[Workflow, ...]:
    """The workflows in force: (text, source name) of the ARREARS_WORKFLOWS file, the stored one, or the default."""
    text, source, _ = _chosen(uow, file_text, default)
    return validate(text, source, templates)


def in_force(
    uow: UnitOfWork,
    user: User | None,
    file_text: tuple[str, str] | None,
    default: tuple[str, str],
    templates: set[str],
) -> InForce:
    """What the workflows page shows: the workflows in force with their text and where it comes from."""
    require(user, Action.READ)
    text, source, origin = _chosen(uow, file_text, default)
    return InForce(validate(text, source, templates), text, source, origin)


def _chosen(uow: UnitOfWork, file_text: tuple[str, str] | None, default: tuple[str, str]) -> tuple[str, str, str]:
    if file_text is not None:
        return file_text[0], file_text[1], "file"
    with uow:
        stored = uow.cycle_runs.workflow_source()
    if stored is not None:
        return stored, "stored workflow", "stored"
    return default[0], default[1], "default"


def save(uow: UnitOfWork, user: User, text: str, source: str, templates: set[str]) -> tuple[Workflow, ...]:
    """Validate a workflow file and store it as the one in force (unless ARREARS_WORKFLOWS names a file)."""
    require(user, Action.MANAGE_WORKFLOWS)
    parsed = validate(text, source, templates)
    with uow:
        uow.cycle_runs.save_workflow_source(text, user.id or None)
        uow.audit.record(
            AuditEntry(
                uow.clock.now(),
                Actor.of(user),
                "workflow",
                None,
                "saved",
                f"Workflow file saved from {source}: {', '.join(w.name for w in parsed)}",
                None,
            )
        )
        uow.commit()
    return parsed


def stored_source(uow: UnitOfWork) -> str | None:
    with uow:
        return uow.cycle_runs.workflow_source()


# The most cycles a preview runs before its day (about a quarter of a second each on PostgreSQL
# at the demo's size: a month ahead takes a few seconds).
MAX_DAYS_BEFORE = 31


@dataclass(frozen=True)
class CyclePreview:
    """The cycle of a day as the workflows page previews it.

    `assumed` are the days whose cycles ran first, in the same rolled-back transaction, because
    the cycles before the previewed day will have run by then (empty when the previewed day is the
    next cycle's, or past). `opened_on` names, by (customer external id, task type), the day of one
    of those cycles that opened a workflow task a step of the previewed day joins (that task does not
    exist yet: its id means nothing)."""

    report: CycleReport
    assumed: tuple[date, ...] = ()
    opened_on: dict[tuple[str, str], date] = field(default_factory=dict)


def cycle_days_before(
    as_of: date, today: date, last_run: date | None, *, business_days_only: bool = False
) -> list[date]:
    """The days whose cycles will have run before the cycle of `as_of`, from the next cycle's day
    (today, or the day after the last real cycle if today's ran) to the day before `as_of`; weekends
    left out when the cycle runs on business days only. Empty for the next cycle's day or a past one:
    that cycle catches up on its own, as the real one would."""
    first = today if last_run is None or last_run < today else last_run + timedelta(days=1)
    days = [first + timedelta(days=n) for n in range((as_of - first).days)]
    return [day for day in days if not business_days_only or day.weekday() < 5]


def preview_cycle(
    uow_factory: UowFactory,
    user: User | None,
    workflows: Sequence[Workflow],
    mailer: Mailer,
    as_of: date,
    *,
    today: date,
    business_days_only: bool = False,
) -> CyclePreview:
    """What the cycle of `as_of` would send and create once the cycles of the days before it have run
    as usual (`cycle_days_before`): those run first, then `as_of`'s, and only its report is kept. A
    step whose day fell between is not lumped into `as_of` (it fired on its own day); the next
    cycle's day is exactly `arrears cycle --dry-run`. The days between assume nothing else happens:
    no payment, no task completed, no new invoice.

    `uow_factory` must be the rolled-back units of work of a dry run (`Arrears.dry_run`): the cycles
    run for real inside them, so the preview is what the cycles would do, and nothing stays."""
    require(user, Action.MANAGE_WORKFLOWS)
    with uow_factory() as uow:
        last_run = uow.cycle_runs.last_cycle_day()
    before = cycle_days_before(as_of, today, last_run, business_days_only=business_days_only)
    if len(before) > MAX_DAYS_BEFORE:
        raise InvalidValue(
            f"a preview runs the cycles of the days before it: pick a day at most {MAX_DAYS_BEFORE} days "
            f"after the next cycle's ({before[0].isoformat()}); `arrears cycle --dry-run --as-of DAY` shows "
            "a later day's cycle as if it ran next"
        )
    opened: dict[tuple[str, str], date] = {}
    for day in before:
        earlier = run_cycle(uow_factory, workflows, mailer, day, dry_run=True)
        for item in earlier.planned:
            if item.kind == "task" and item.task_type is not None and item.joins_task is None:
                opened[(item.customer_external_id, item.task_type)] = day
    report = run_cycle(uow_factory, workflows, mailer, as_of, dry_run=True)
    joined = {
        key: opened[key]
        for item in report.planned
        if item.joins_task is not None and (key := (item.customer_external_id, item.task_type or "")) in opened
    }
    return CyclePreview(report, tuple(before), joined)
