"""The email templates page: list the templates, show one, preview an edit, save it, reset it.

Saved parts are stored in the database and win over ARREARS_TEMPLATES_DIR and the built-in
templates, in every process: `load_stored` brings them into a process's templates when their
version changed (one read by key when it did not), at the start of a cycle, of a send and of
each preview, so the next email rendered uses them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..domain.audit import Actor, AuditEntry
from ..domain.email_templates import (
    MAX_PART_CHARS,
    PART_LABELS,
    PARTS,
    StoredPart,
    TemplateProblem,
    TemplateRefused,
    check_name,
    sample_context,
)
from ..domain.errors import InvalidValue
from ..domain.permissions import Action, require
from ..domain.users import User
from . import portal
from .automation_ports import Rendered, Renderer
from .ports import UnitOfWork

STARTER = "past_due"  # what a new template's form starts from


def load_stored(uow: UnitOfWork, templates: Renderer) -> None:
    """Bring the stored parts into `templates` if they changed since it last read them."""
    with uow:
        version = uow.email_templates.version()
        if version == templates.stored_version:
            return
        sources = uow.email_templates.sources()
    templates.use_stored(version, sources)


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    """A row of the templates page: where the template comes from and, if edited here, who and when."""

    name: str
    origin: str  # "built-in", "folder" (ARREARS_TEMPLATES_DIR), or "stored" (edited here)
    based_on: str | None  # what a reset goes back to: "built-in", "folder", or None for a new template
    updated_by: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TemplateForm:
    """One template's parts as the page shows them, and where each comes from."""

    name: str
    parts: dict[str, str]
    origins: dict[str, str]  # part -> stored, folder, built-in; absent for a new template's parts
    exists: bool
    based_on: str | None
    stored: list[StoredPart] = field(default_factory=list)


def _same(part: str, typed: str, found: tuple[str, str] | None) -> bool:
    """Whether `typed` is the text of `found`. A subject is typed in a one-line input, which drops the
    final line break of a subject file (and it is rendered on one line), so its ends do not count."""
    if found is None:
        return False
    return typed.strip() == found[0].strip() if part == "subject" else typed == found[0]


def _base(templates: Renderer, name: str) -> str | None:
    found = {s[1] for s in (templates.source(name, p, stored=False) for p in PARTS) if s is not None}
    return "folder" if "folder" in found else "built-in" if found else None


def listing(uow: UnitOfWork, user: User | None, templates: Renderer) -> list[TemplateSummary]:
    """Every email template, by name, with where it comes from."""
    require(user, Action.MANAGE_WORKFLOWS)
    load_stored(uow, templates)
    with uow:
        stored = uow.email_templates.stored()
    latest: dict[str, StoredPart] = {}
    for part in stored:
        if part.name not in latest or part.updated_at > latest[part.name].updated_at:
            latest[part.name] = part
    rows = []
    for name in sorted(templates.names() | set(latest)):
        base = _base(templates, name)
        edit = latest.get(name)
        if edit is not None:
            rows.append(TemplateSummary(name, "stored", base, edit.updated_by, edit.updated_at))
        else:
            rows.append(TemplateSummary(name, base or "built-in", base))
    return rows


def template(uow: UnitOfWork, user: User | None, templates: Renderer, name: str) -> TemplateForm:
    """The parts of template `name` as they are used now; a name not yet used gives a new template's
    form, started from the past-due reminder."""
    require(user, Action.MANAGE_WORKFLOWS)
    check_name(name)
    load_stored(uow, templates)
    with uow:
        stored = [p for p in uow.email_templates.stored() if p.name == name]
    found = {part: templates.source(name, part) for part in PARTS}
    exists = any(found.values())
    if not exists:
        starter = {part: templates.source(STARTER, part) for part in PARTS}
        parts = {part: s[0] if s else "" for part, s in starter.items()}
        return TemplateForm(name, parts, {}, False, None)
    parts = {part: s[0] if s else "" for part, s in found.items()}
    origins = {part: s[1] for part, s in found.items() if s is not None}
    return TemplateForm(name, parts, origins, True, _base(templates, name), stored)


def _checked(name: str, parts: Mapping[str, str]) -> dict[str, str]:
    check_name(name)
    problems = [
        TemplateProblem(part, None, f"too long: at most {MAX_PART_CHARS:,} characters")
        for part in PARTS
        if len(parts.get(part, "")) > MAX_PART_CHARS
    ]
    problems += (
        [TemplateProblem("subject", None, "a template needs a subject")] if not parts.get("subject", "").strip() else []
    )
    if problems:
        raise TemplateRefused(name, problems)
    return {part: parts.get(part, "") for part in PARTS}


def _sample(templates: Renderer, as_of: date, base_url: str) -> dict[str, Any]:
    """The sample customer, in the locale's currency, with an example portal link (none is issued)."""
    return sample_context(as_of, templates.currency, portal.example_url(base_url))


def preview(
    uow: UnitOfWork,
    user: User | None,
    templates: Renderer,
    name: str,
    parts: Mapping[str, str],
    as_of: date,
    *,
    base_url: str = "",
) -> Rendered:
    """The email `parts` make for the sample customer (two overdue invoices, in the locale's currency,
    and an example portal link under `base_url`, ARREARS_BASE_URL), without saving anything; raises
    TemplateRefused naming each part that fails, with its line."""
    require(user, Action.MANAGE_WORKFLOWS)
    edited = _checked(name, parts)
    load_stored(uow, templates)
    return templates.trial(name, edited, _sample(templates, as_of, base_url))


def save(
    uow: UnitOfWork,
    user: User,
    templates: Renderer,
    name: str,
    parts: Mapping[str, str],
    as_of: date,
    *,
    base_url: str = "",
) -> list[str]:
    """Store the parts of template `name` that differ from the folder's or the built-in ones, once
    they parse and render with the sample; returns the parts stored. A refused template (TemplateRefused)
    leaves the stored one as it was."""
    require(user, Action.MANAGE_WORKFLOWS)
    edited = _checked(name, parts)
    load_stored(uow, templates)
    templates.trial(name, edited, _sample(templates, as_of, base_url))
    changed = {
        part: text for part, text in edited.items() if not _same(part, text, templates.source(name, part, stored=False))
    }
    edited_now = [part for part in PARTS if not _same(part, edited[part], templates.source(name, part))]
    with uow:
        uow.email_templates.save(name, changed, user.id or None, uow.clock.now())
        labels = ", ".join(PART_LABELS[p].lower() for p in edited_now) or "nothing changed"
        uow.audit.record(
            AuditEntry(
                uow.clock.now(),
                Actor.of(user),
                "template",
                name,
                "saved",
                f"Email template {name} saved ({labels})",
                None,
                {"parts_changed": edited_now, "parts_stored": list(changed)},
            )
        )
        uow.commit()
    load_stored(uow, templates)
    return list(changed)


def reset(uow: UnitOfWork, user: User, templates: Renderer, name: str, in_use: Collection[str] = ()) -> int:
    """Forget what was saved for template `name`: the folder's or the built-in one is used again. A
    template created here goes altogether, unless a workflow step in force sends it (`in_use`).
    Returns how many parts were forgotten."""
    require(user, Action.MANAGE_WORKFLOWS)
    check_name(name)
    load_stored(uow, templates)
    base = _base(templates, name)
    if base is None and name in in_use:
        raise InvalidValue(
            f"template {name!r} was created here and a workflow step sends it: change the workflow file first"
        )
    with uow:
        removed = uow.email_templates.reset(name)
        if removed:
            goes_back_to = {"folder": "the folder's template", "built-in": "the built-in template"}.get(
                base or "", "nothing: the template is removed"
            )
            uow.audit.record(
                AuditEntry(
                    uow.clock.now(),
                    Actor.of(user),
                    "template",
                    name,
                    "reset",
                    f"Email template {name} reset to {goes_back_to}",
                    None,
                )
            )
            uow.commit()
    load_stored(uow, templates)
    return removed
