"""Holding back the chasing of one customer or one invoice: pause its workflows, or exclude an
invoice from chasing altogether (it then counts as overdue nowhere). Managers and owners only."""

from __future__ import annotations

from ..domain.audit import Actor, AuditEntry
from ..domain.errors import InvalidValue, NotFound
from ..domain.permissions import Action, require
from ..domain.users import User
from .ports import UnitOfWork

FLAGS = {"paused": "workflow_paused", "excluded": "excluded"}


def set_chasing(
    uow: UnitOfWork,
    user: User,
    kind: str,
    external_id: str,
    flag: str,
    value: bool,
    *,
    customer_external_id: str | None = None,
) -> None:
    """Pause or resume a customer's or an invoice's workflows; exclude or include an invoice (of
    `customer_external_id` when given: another customer's invoice is not found through it)."""
    require(user, Action.WRITE_LEDGER)
    if kind not in ("customer", "invoice"):
        raise InvalidValue("chasing is paused for a customer or an invoice")
    if flag not in FLAGS or (flag == "excluded" and kind != "invoice"):
        raise InvalidValue("a customer or an invoice is paused; only an invoice is excluded")
    with uow:
        customer_id = uow.ledger.set_flag(kind, external_id, FLAGS[flag], value)
        owner = uow.ledger.customer(customer_external_id) if customer_external_id is not None else None
        if customer_id is None or (customer_external_id is not None and (owner is None or owner.id != customer_id)):
            raise NotFound(f"no {kind} with external id {external_id!r}")
        verb = {
            ("paused", True): "paused",
            ("paused", False): "resumed",
            ("excluded", True): "excluded from chasing",
            ("excluded", False): "included in chasing again",
        }
        uow.audit.record(
            AuditEntry(
                uow.clock.now(),
                Actor.of(user),
                kind,
                external_id,
                f"{flag}:{value}",
                f"{kind.capitalize()} {external_id} {verb[(flag, value)]}",
                customer_id,
            )
        )
        uow.commit()
