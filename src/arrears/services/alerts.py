"""Alerts: what a person must look at. Contributors see their own; managers and owners see all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

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


MAX_SELECTED = 1000


def open_counts(uow: UnitOfWork, user: User) -> dict[str, int]:
    """Open alerts per kind, as the user sees them (a contributor her own)."""
    require(user, Action.READ)
    mine = None if allowed(user, Action.UPDATE_ANY_TASK) else user.id
    with uow:
        return uow.alerts.open_counts(mine)


def dismiss_alerts(
    uow: UnitOfWork, user: User, alert_ids: Sequence[int] | None = None, *, kind: str | None = None
) -> int:
    """Dismiss the open alerts selected (`alert_ids`), or every open alert of `kind` when no id is
    given: the 446 stale-task alerts of a first cycle in one go. One audit entry lists them; returns
    how many were dismissed."""
    require(user, Action.UPDATE_ANY_TASK)
    if alert_ids is None and kind is None:
        raise InvalidValue("select the alerts to dismiss, or a kind of alert to dismiss all of")
    if alert_ids is not None and not alert_ids:
        raise InvalidValue("select one or more alerts to dismiss")
    if alert_ids is not None and len(alert_ids) > MAX_SELECTED:
        raise InvalidValue(f"select at most {MAX_SELECTED} alerts at once, or dismiss a whole kind")
    wanted = None if kind is None else parse_alert_kind(kind).value
    with uow:
        closed = uow.alerts.close_open(None if alert_ids is None else sorted(set(alert_ids)), wanted, uow.clock.now())
        if closed:
            what = f"{len(closed)} alert{'s' if len(closed) != 1 else ''}" + (f" of kind {wanted}" if wanted else "")
            entry = AuditEntry(uow.clock.now(), Actor.of(user), "alert", None, "dismissed", f"{what} dismissed", None)
            uow.audit.record(replace(entry, changes={"ids": closed}))
            uow.commit()
    return len(closed)


def dismiss_alert(uow: UnitOfWork, user: User, alert_id: int) -> None:
    require(user, Action.UPDATE_ANY_TASK)
    with uow:
        if not uow.alerts.close_alert(alert_id, uow.clock.now()):
            raise NotFound(f"no open alert {alert_id}")
        uow.audit.record(
            AuditEntry(uow.clock.now(), Actor.of(user), "alert", str(alert_id), "dismissed", "Alert dismissed", None)
        )
        uow.commit()
