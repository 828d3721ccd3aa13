"""Which workflows are in force, and checking a workflow file.

A file named by ARREARS_WORKFLOWS wins; else the one saved in the database (from the workflows page
or `arrears workflow save`); else the built-in default. A workflow file replaces the default whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..domain.audit import Actor, AuditEntry
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


def preview_cycle(
    uow_factory: UowFactory, user: User | None, workflows: Sequence[Workflow], mailer: Mailer, as_of: date
) -> CycleReport:
    """What the cycle of `as_of` would send and create, as `arrears cycle --dry-run` shows it.

    `uow_factory` must be the rolled-back units of work of a dry run (`Arrears.dry_run`): the cycle
    runs for real inside them, so the preview is exactly what the cycle would do, and nothing stays."""
    require(user, Action.MANAGE_WORKFLOWS)
    return run_cycle(uow_factory, workflows, mailer, as_of, dry_run=True)
