"""Workspace settings that owners change at run time, stored in the database: the rules (key "rules")
and the workspace's company name, time zone, locale and sender (key "workspace"), whose defaults
are the environment's."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain.audit import Actor, AuditEntry, diff
from ..domain.disputes import DEFAULT_REASONS, EARLIER_DEFAULT_REASONS, check_reason_code
from ..domain.errors import Conflict, InvalidValue
from ..domain.permissions import Action, require
from ..domain.plans import DEFAULT_DEFAULT_AFTER_DAYS
from ..domain.users import User, check_email
from .ports import UnitOfWork

KEY = "rules"


@dataclass(frozen=True)
class RuleSettings:
    """Each rule of the workspace can be switched off or tuned (issue: "each rule can be switched off")."""

    auto_close_paid_tasks: bool = True  # open tasks whose tagged invoices are all paid close themselves
    auto_close_issues: bool = True  # an issue closes when its last task closes
    promises_close_tasks: bool = True  # a kept or broken promise closes its task
    stale_after_days: int = 3  # open tasks more than N days past due raise an alert
    plan_default_after_days: int = DEFAULT_DEFAULT_AFTER_DAYS
    dispute_reasons: tuple[str, ...] = DEFAULT_REASONS


def _stored_rules(uow: UnitOfWork) -> dict[str, Any]:
    """The rules an owner stored, by name (lists as tuples). Dispute reasons equal to the earlier
    default are left out: they were stored because every rule used to be saved together, so the
    default in force now applies to them."""
    raw = uow.accounts.setting(KEY)
    if raw is None:
        return {}
    stored = json.loads(raw)
    known = {f.name for f in fields(RuleSettings)}
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in stored.items() if k in known}
    if values.get("dispute_reasons") == EARLIER_DEFAULT_REASONS:
        del values["dispute_reasons"]
    return values


def load(uow: UnitOfWork) -> RuleSettings:
    """The rules in force (in an open unit of work): each stored one over its default; the dispute
    reasons of ARREARS_DISPUTE_REASONS, when it is set, over any stored ones."""
    settings = replace(RuleSettings(), **_stored_rules(uow))
    if uow.dispute_reasons is not None:
        settings = replace(settings, dispute_reasons=uow.dispute_reasons)
    return settings


def get_settings(uow: UnitOfWork, user: User) -> RuleSettings:
    require(user, Action.READ)
    with uow:
        return load(uow)


def update_settings(uow: UnitOfWork, user: User, changes: dict[str, Any]) -> RuleSettings:
    """Owners only. Unknown keys and wrong types are refused; nothing else changes."""
    require(user, Action.MANAGE_SETTINGS)
    defaults = RuleSettings()
    for key, value in changes.items():
        if not hasattr(defaults, key):
            raise InvalidValue(
                f"{key!r} is not a setting: use one of {', '.join(f.name for f in fields(RuleSettings))}"
            )
        expected = type(getattr(defaults, key))
        if expected is tuple:
            if not isinstance(value, list | tuple) or not value or not all(isinstance(v, str) for v in value):
                raise InvalidValue(f"{key} must be a non-empty list of reason codes")
            changes[key] = tuple(check_reason_code(v) for v in value)
        elif expected is bool and not isinstance(value, bool):
            raise InvalidValue(f"{key} must be true or false")
        elif expected is int and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650):
            raise InvalidValue(f"{key} must be a whole number of days from 0 to 3650")
    with uow:
        given = changes.get("dispute_reasons")
        if given is not None and uow.dispute_reasons is not None and given != uow.dispute_reasons:
            raise Conflict(
                "the dispute reasons are set by ARREARS_DISPUTE_REASONS on the server "
                f"({', '.join(uow.dispute_reasons)}): change them there, or unset it to choose them here"
            )
        # Only what an owner set is stored: a default that changes with a new version applies to
        # the rules nobody chose.
        stored = {**_stored_rules(uow), **changes}
        uow.accounts.set_setting(
            KEY, json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in stored.items()})
        )
        uow.commit()
        return load(uow)


# -- the workspace: company, time zone, locale, sender -------------------------------------------------

WORKSPACE_KEY = "workspace"
MAX_COMPANY_NAME = 200


@dataclass(frozen=True)
class WorkspaceSettings:
    """Who the emails come from and how they read, and what "today" is. The environment's values
    (ARREARS_COMPANY_NAME, ARREARS_TIMEZONE, ARREARS_LOCALE, ARREARS_EMAIL_FROM) are the defaults;
    an owner's stored value wins over each."""

    company_name: str
    timezone: str
    locale: str
    email_from: str


WORKSPACE_FIELDS = {
    "company_name": "company name",
    "timezone": "time zone",
    "locale": "locale",
    "email_from": "sender address",
}


class InvalidSetting(InvalidValue):
    """A workspace setting's value is refused: `field` says which, the message why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{WORKSPACE_FIELDS[field]}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class WorkspaceView:
    """What the settings page shows: the values in force, the environment's, and which are stored."""

    effective: WorkspaceSettings
    defaults: WorkspaceSettings
    stored: dict[str, str]


def _stored_workspace(uow: UnitOfWork) -> dict[str, str]:
    raw = uow.accounts.setting(WORKSPACE_KEY)
    if raw is None:
        return {}
    stored = json.loads(raw)
    return {k: v for k, v in stored.items() if k in WORKSPACE_FIELDS and isinstance(v, str)}


def load_workspace(uow: UnitOfWork, defaults: WorkspaceSettings) -> WorkspaceSettings:
    """The workspace settings in force: each stored value over the environment's (in an open unit
    of work)."""
    return replace(defaults, **_stored_workspace(uow))


def workspace(uow: UnitOfWork, defaults: WorkspaceSettings) -> WorkspaceSettings:
    """The workspace settings in force, read in a unit of work of its own: what a process applies to
    its clock, its email templates and its sender before it renders or sends (every role's work uses
    them, so no role is checked)."""
    with uow:
        return load_workspace(uow, defaults)


def workspace_settings(uow: UnitOfWork, user: User, defaults: WorkspaceSettings) -> WorkspaceView:
    """Owners: the settings page."""
    require(user, Action.MANAGE_SETTINGS)
    with uow:
        stored = _stored_workspace(uow)
    return WorkspaceView(replace(defaults, **stored), defaults, stored)


def check_workspace_value(field: str, value: str, is_locale: Callable[[str], bool]) -> str:
    """The value, stripped, if the setting may hold it; else InvalidSetting naming the field."""
    if field not in WORKSPACE_FIELDS:
        raise InvalidValue(f"{field!r} is not a workspace setting: use one of {', '.join(WORKSPACE_FIELDS)}")
    if "\x00" in value:
        raise InvalidSetting(field, "may not hold a NUL byte (0x00)")
    value = value.strip()
    if field == "company_name":
        if not 1 <= len(value) <= MAX_COMPANY_NAME:
            raise InvalidSetting(field, f"give 1 to {MAX_COMPANY_NAME} characters")
    elif field == "timezone":
        try:
            if not value or len(value) > 64:
                raise ValueError
            ZoneInfo(value)
        except (ValueError, OSError, ZoneInfoNotFoundError):
            raise InvalidSetting(
                field, f"{value[:64]!r} is not a time zone: give an IANA name such as Europe/London"
            ) from None
    elif field == "locale":
        if not value or len(value) > 32 or not is_locale(value):
            raise InvalidSetting(field, f"{value[:32]!r} is not a locale: give a name such as en_GB or de_DE")
    elif field == "email_from":
        try:
            check_email(value)
        except InvalidValue:
            raise InvalidSetting(field, f"{value[:254]!r} is not an email address") from None
        if len(value) > 254:
            raise InvalidSetting(field, "an email address has at most 254 characters")
    return value


def update_workspace(
    uow: UnitOfWork,
    user: User,
    defaults: WorkspaceSettings,
    changes: dict[str, str | None],
    is_locale: Callable[[str], bool],
) -> WorkspaceSettings:
    """Owners: store the given settings (None clears a stored one: the environment's value applies
    again). Every value is checked before anything is written: one bad value saves nothing. The
    change is audited with each setting's value before and after; returns the settings in force."""
    require(user, Action.MANAGE_SETTINGS)
    checked = {
        field: None if value is None else check_workspace_value(field, value, is_locale)
        for field, value in changes.items()
    }
    with uow:
        stored = _stored_workspace(uow)
        before = replace(defaults, **stored)
        for field, value in checked.items():
            if value is None:
                stored.pop(field, None)
            else:
                stored[field] = value
        after = replace(defaults, **stored)
        changed = diff(asdict(before), asdict(after))
        if changed:
            uow.accounts.set_setting(WORKSPACE_KEY, json.dumps(stored, sort_keys=True))
            names = ", ".join(WORKSPACE_FIELDS[field] for field in changed)
            uow.audit.record(
                AuditEntry(
                    uow.clock.now(),
                    Actor.of(user),
                    "settings",
                    WORKSPACE_KEY,
                    "changed",
                    f"Workspace settings changed: {names}",
                    changes=changed,
                )
            )
            uow.commit()
    return after
