"""Workspace settings that owners change at run time (stored in the database, not the environment)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..domain.disputes import DEFAULT_REASONS, check_reason_code
from ..domain.errors import InvalidValue
from ..domain.permissions import Action, require
from ..domain.plans import DEFAULT_DEFAULT_AFTER_DAYS
from ..domain.users import User
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


def load(uow: UnitOfWork) -> RuleSettings:
    raw = uow.accounts.setting(KEY)
    if raw is None:
        return RuleSettings()
    stored = json.loads(raw)
    known = {f.name for f in fields(RuleSettings)}
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in stored.items() if k in known}
    return replace(RuleSettings(), **values)


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
        current = load(uow)
        updated = replace(current, **changes)
        uow.accounts.set_setting(KEY, json.dumps(asdict(updated)))
        uow.commit()
    return updated
