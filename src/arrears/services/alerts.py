"""Alerts: what a person must look at. Contributors see their own; managers and owners see all."""

from __future__ import annotations

from ..domain.audit import Actor, AuditEntry
from ..domain.errors import InvalidValue, NotFound
from ..domain.permissions import Action, allowed, require
from ..domain.users import User
from .ports import UnitOfWork
from .workspace_ports import Page


def list_alerts(uow: UnitOfWork, user: User, status: str | None = "open", limit: int = 50, offset: int = 0) -> Page:
    require(user, Action.READ)
    if status not in (None, "open", "closed"):
        raise InvalidValue("status is open or closed")
    mine = None if allowed(user, Action.UPDATE_ANY_TASK) else user.id
    with uow:
        return uow.workspace.alerts(status, mine, limit, offset)


def dismiss_alert(uow: UnitOfWork, user: User, alert_id: int) -> None:
    require(user, Action.UPDATE_ANY_TASK)
    with uow:
        if not uow.workspace.close_alert(alert_id, uow.clock.now()):
            raise NotFound(f"no open alert {alert_id}")
        uow.workspace.record(
            AuditEntry(uow.clock.now(), Actor.of(user), "alert", str(alert_id), "dismissed", "Alert dismissed", None)
        )
        uow.commit()
