"""Who may do what (contributors update only their own tasks; managers and owners everything).

One table of actions per role, checked by every service, so the API, the web pages and the CLI
cannot disagree.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import PermissionDenied
from .users import Role, User


class Action(StrEnum):
    READ = "read"  # the ledger, customers, the task list, timelines, alerts
    CREATE_TASK = "create_task"
    UPDATE_OWN_TASK = "update_own_task"
    UPDATE_ANY_TASK = "update_any_task"  # including reassigning: managers assign
    WRITE_LEDGER = "write_ledger"  # customers, contacts, invoices, payments, credit notes, plans
    MANAGE_DISPUTES = "manage_disputes"  # resolve or reject
    OPEN_DISPUTE = "open_dispute"
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_WORKFLOWS = "manage_workflows"  # save the workflow file, preview the next cycle
    READ_REPORTS = "read_reports"  # the reports pages: DSO, CEI, promises, disputes, each user's work


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.MANAGER: frozenset(Action) - {Action.MANAGE_USERS, Action.MANAGE_SETTINGS},
    Role.CONTRIBUTOR: frozenset({Action.READ, Action.CREATE_TASK, Action.UPDATE_OWN_TASK, Action.OPEN_DISPUTE}),
}


def allowed(user: User, action: Action) -> bool:
    return action in _ALLOWED[user.role]


def require(user: User | None, action: Action) -> User:
    if user is None:
        raise PermissionDenied("sign in first")
    if not allowed(user, action):
        raise PermissionDenied(f"a {user.role.value} may not {action.value.replace('_', ' ')}")
    return user


def can_update_task(user: User, assignee_id: int | None) -> bool:
    """Owners and managers update any task; contributors only the tasks assigned to them (pages use
    it to show only the actions a user may take; the services check it again)."""
    if allowed(user, Action.UPDATE_ANY_TASK):
        return True
    return allowed(user, Action.UPDATE_OWN_TASK) and assignee_id == user.id


def require_task_update(user: User | None, assignee_id: int | None) -> User:
    """`can_update_task`, or PermissionDenied."""
    if user is None:
        raise PermissionDenied("sign in first")
    if can_update_task(user, assignee_id):
        return user
    raise PermissionDenied("a contributor may update only the tasks assigned to them")
