"""Which workflows are in force, and checking a workflow file.

A file named by ARREARS_WORKFLOWS wins; else the one saved in the database (from the web UI, later);
else the built-in default. A workflow file replaces the default whole.
"""

from __future__ import annotations

from ..domain.audit import Actor, AuditEntry
from ..domain.permissions import Action, require
from ..domain.users import User
from ..domain.workflows import Workflow, parse_workflows
from .ports import UnitOfWork


def validate(text: str, source: str, templates: set[str]) -> tuple[Workflow, ...]:
    """Parse and check a workflow file against the email templates that exist; raises WorkflowError."""
    return parse_workflows(text, source, templates)


def active(
    uow: UnitOfWork, file_text: tuple[str, str] | None, default: tuple[str, str], templates: set[str]
) -> tuple[Workflow, ...]:
    """The workflows in force: (text, source name) of the ARREARS_WORKFLOWS file, the stored one, or the default."""
    if file_text is not None:
        return validate(file_text[0], file_text[1], templates)
    with uow:
        stored = uow.automation.workflow_source()
    if stored is not None:
        return validate(stored, "stored workflow", templates)
    return validate(default[0], default[1], templates)


def save(uow: UnitOfWork, user: User, text: str, source: str, templates: set[str]) -> tuple[Workflow, ...]:
    """Validate a workflow file and store it as the one in force (unless ARREARS_WORKFLOWS names a file)."""
    require(user, Action.MANAGE_SETTINGS)
    parsed = validate(text, source, templates)
    with uow:
        uow.automation.save_workflow_source(text, user.id or None)
        uow.workspace.record(
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
        return uow.automation.workflow_source()
