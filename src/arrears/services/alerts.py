"""Alerts: what a person must look at. Contributors see their own; managers and owners see all."""

from __future__ import annotations

from ..domain.alerts import parse_alert_kind
from ..domain.audit import Actor, AuditEntry
from ..domain.errors import InvalidValue, NotFound
from ..domain.permissions import Action, allowed, require
from ..domain.users import User
from .ports import UnitOfWork
from .workspace_ports import Page


def list_alerts(
    uow: UnitOfWork,
    user: User,
    status: str | None = "open",
    limit: int = 50,
    offset: int = 0,
    *,
    kind: str | None = None,
) -> Page:
    """A page of AlertRow, newest first; `kind` (an AlertKind value) narrows it to one kind."""
    require(user, Action.READ)
    if status not in (None, "open", "closed"):
        raise InvalidValue("status is open or closed")
    wanted = None if kind is None else parse_alert_kind(kind).value
    mine = None if allowed(user, Action.UPDATE_ANY_TASK) else user.id
    with uow:
        return uow.alerts.alerts(status, mine, limit, offset, kind=wanted)


def may_dismiss(user: User) -> bool:
    """Whether `user` may dismiss alerts (managers and owners), so a page offers the button only to them."""
    return allowed(user, Action.UPDATE_ANY_TASK)


def dismiss_alert(uow: UnitOfWork, user: User, alert_id: int) -> None:
    require(user, Action.UPDATE_ANY_TASK)
    with uow:
        if not uow.alerts.close_alert(alert_id, uow.clock.now()):
            raise NotFound(f"no open alert {alert_id}")
        uow.audit.record(
            AuditEntry(uow.clock.now(), Actor.of(user), "alert", str(alert_id), "dismissed", "Alert dismissed", None)
        )
        uow.commit()
