"""Disputes: opening one stops the chasing of the invoice and raises an alert at once."""

from __future__ import annotations

from collections.abc import Sequence

from ..domain.audit import Actor, ActorKind, AuditEntry
from ..domain.disputes import (
    WRITE_OFF_REASON,
    DisputeStatus,
    check_dispute_amount,
    check_reason,
    check_settlement,
    closing_text,
    credit_note_id,
    write_off_id,
)
from ..domain.errors import Conflict, InvalidValue, NotFound
from ..domain.money import format_minor, parse_amount
from ..domain.permissions import Action, allowed, require
from ..domain.users import User
from . import settings as workspace_settings
from .ledger import record_credit_notes
from .ports import UnitOfWork
from .tasks import user_id_named
from .workspace_ports import DisputeFilter, DisputeRow, Page

MAX_AT_ONCE = 1000


def open_dispute(
    uow: UnitOfWork,
    user: User,
    invoice_external_id: str,
    reason: str,
    *,
    amount: str | None = None,
    note: str | None = None,
    owner: str | None = None,
) -> DisputeRow:
    require(user, Action.OPEN_DISPUTE)
    with uow:
        dispute_id = open_in(uow, user, invoice_external_id, reason, amount=amount, note=note, owner=owner)
        uow.commit()
        row = uow.disputes.dispute(dispute_id)
        assert row is not None
        return row


def open_disputes(
    uow: UnitOfWork,
    user: User,
    customer_external_id: str,
    invoice_external_ids: Sequence[str],
    reason: str,
    *,
    note: str | None = None,
    owner: str | None = None,
) -> list[DisputeRow]:
    """Disputes for one reason on several invoices of one customer (the customer record's "dispute
    selected"), each of their whole outstanding amount, with the same note and owner (the one who
    opens them when None): all are opened, or none."""
    require(user, Action.OPEN_DISPUTE)
    wanted = list(dict.fromkeys(invoice_external_ids))
    if not wanted:
        raise InvalidValue("select one or more invoices to dispute")
    if len(wanted) > MAX_AT_ONCE:
        raise InvalidValue(f"at most {MAX_AT_ONCE} invoices at once")
    with uow:
        customer = uow.ledger.customer(customer_external_id)
        if customer is None:
            raise NotFound(f"no customer with external id {customer_external_id!r}")
        opened = [
            open_in(uow, user, external_id, reason, note=note, owner=owner, customer_id=customer.id)
            for external_id in wanted
        ]
        uow.commit()
        rows = [uow.disputes.dispute(dispute_id) for dispute_id in opened]
    return [row for row in rows if row is not None]


def open_in(
    uow: UnitOfWork,
    user: User | Actor,
    invoice_external_id: str,
    reason: str,
    *,
    amount: str | None = None,
    note: str | None = None,
    owner: str | None = None,
    customer_id: int | None = None,
    source: str = "workspace",
) -> int:
    """Open one dispute in the caller's open unit of work (no commit); returns its id. With `customer_id`, an invoice
    of another customer is refused. `user` opens it and owns it unless `owner` is named; an Actor
    that is no user (the customer, on the portal) leaves it to the customer's collector."""
    found = uow.ledger.invoices([invoice_external_id])
    if not found:
        raise NotFound(f"no invoice with external id {invoice_external_id!r}")
    invoice = found[0]
    if customer_id is not None and invoice.customer_id != customer_id:
        raise InvalidValue(f"invoice {invoice_external_id!r} belongs to another customer")
    check_reason(reason, workspace_settings.load(uow).dispute_reasons)
    if invoice.disputed:
        raise Conflict(f"invoice {invoice_external_id!r} already has an open dispute")
    minor = parse_amount(amount, invoice.currency, allow_zero=False) if amount is not None else None
    disputed = check_dispute_amount(minor, invoice.outstanding_minor, invoice.status)
    customer = uow.ledger.customer_by_id(invoice.customer_id)
    actor = user if isinstance(user, Actor) else Actor.of(user)
    owner_id = actor.user_id if actor.user_id is not None else (customer.collector_id if customer else None)
    if owner:
        owner_user = uow.accounts.user(owner)
        if owner_user is None:
            raise InvalidValue(f"no user named {owner!r} to own the dispute")
        owner_id = owner_user.id
    now = uow.clock.now()
    dispute_id = uow.disputes.add_dispute(invoice, reason, disputed, owner_id, note, actor.user_id, now, source)
    what = f"{format_minor(disputed, invoice.currency)} {invoice.currency}"
    by_customer = " by the customer on the portal" if source == "portal" else ""
    uow.audit.record(
        AuditEntry(
            now,
            actor,
            "dispute",
            str(dispute_id),
            "opened",
            f"Dispute opened{by_customer} on invoice {invoice.external_id} ({reason}, {what})",
            invoice.customer_id,
            {"reason": reason, "amount": what, "note": note, **({"source": source} if by_customer else {})},
        )
    )
    # For the customer's collector (and the managers, who see every alert); without a collector,
    # for the managers alone.
    uow.alerts.raise_alert(
        "dispute_opened",
        f"dispute:{dispute_id}",
        f"{customer.name if customer else ''} disputes invoice {invoice.external_id}{by_customer}: {reason}, {what}",
        customer_id=invoice.customer_id,
        task_id=None,
        user_id=customer.collector_id if customer else None,
        at=now,
    )
    return dispute_id


def close_dispute(
    uow: UnitOfWork,
    user: User,
    dispute_id: int,
    status: str,
    note: str | None = None,
    *,
    credit_note: str | None = None,
    write_off: str | None = None,
) -> DisputeRow:
    """Resolve or reject an open dispute, with a note on the timeline ("Resolved" or "Rejected" when
    none is given); chasing of the invoice resumes. A resolution may settle on the ledger: a credit
    note of `credit_note` and one of `write_off` (reason `write_off`) against the invoice, together
    at most the disputed amount, written through the ledger's one write path (the customer locked,
    audited, balances refreshed) under the dispute's own external ids (`DISPUTE-<id>-CN`, `-WO`),
    in the same transaction that closes it: all of it happens, once, or none."""
    require(user, Action.MANAGE_DISPUTES)
    if status not in (DisputeStatus.RESOLVED, DisputeStatus.REJECTED):
        raise InvalidValue("a dispute closes as resolved or rejected")
    if status == DisputeStatus.REJECTED and (credit_note is not None or write_off is not None):
        raise InvalidValue("a rejected dispute records no credit note or write-off: resolve it instead")
    resolution = closing_text(status, note)
    with uow:
        dispute = uow.disputes.dispute(dispute_id)
        if dispute is None:
            raise NotFound(f"no dispute {dispute_id}")
        customer = uow.ledger.customer(dispute.customer_external_id)
        customer_id = customer.id if customer else None
        if customer_id is not None and (credit_note is not None or write_off is not None):
            # The ledger write would lock the customer anyway; locking first makes a second resolve
            # of the same dispute wait here, then find it resolved.
            uow.ledger.lock_customers([customer_id])
            dispute = uow.disputes.dispute(dispute_id)
            assert dispute is not None
        if dispute.status != DisputeStatus.OPEN:
            raise Conflict(f"dispute {dispute_id} is already {dispute.status}")
        now = uow.clock.now()
        settled = _settle(uow, user, dispute, credit_note, write_off)
        if settled:
            recorded = "; ".join(f"{what} {value}" for what, value in settled.items())
            resolution = f"{resolution} ({recorded})" if note and note.strip() else f"{resolution}: {recorded}"
        uow.disputes.close_dispute(dispute_id, status, resolution, now)
        uow.audit.record(
            AuditEntry(
                now,
                Actor.of(user),
                "dispute",
                str(dispute_id),
                status,
                f"Dispute on invoice {dispute.invoice_external_id} {status}: {resolution}",
                customer_id,
                dict(settled),
            )
        )
        uow.alerts.close_alerts([f"dispute:{dispute_id}"], now)
        uow.commit()
        row = uow.disputes.dispute(dispute_id)
        assert row is not None
        return row


def _settle(
    uow: UnitOfWork, user: User, dispute: DisputeRow, credit_note: str | None, write_off: str | None
) -> dict[str, str]:
    """Write the credit note and write-off of a dispute being resolved (in the caller's unit of
    work); returns what each was, for the timeline: {"credit note": "DISPUTE-7-CN, 50.00 USD"}."""
    if credit_note is None and write_off is None:
        return {}
    currency = dispute.currency
    credit_minor = parse_amount(credit_note, currency, allow_zero=False) if credit_note is not None else None
    write_off_minor = parse_amount(write_off, currency, allow_zero=False) if write_off is not None else None
    found = uow.ledger.invoices([dispute.invoice_external_id])
    if not found:
        raise NotFound(f"no invoice with external id {dispute.invoice_external_id!r}")
    settlement = check_settlement(credit_minor, write_off_minor, dispute.amount_minor, found[0].outstanding_minor)
    today = uow.clock.today().isoformat()
    parts = (
        (
            credit_note_id(dispute.id),
            settlement.credit_note_minor,
            f"dispute {dispute.id}: {dispute.reason}",
            "credit note",
        ),
        (write_off_id(dispute.id), settlement.write_off_minor, WRITE_OFF_REASON, "write-off"),
    )
    rows = [
        {
            "external_id": external_id,
            "customer_external_id": dispute.customer_external_id,
            "date": today,
            "amount": format_minor(minor, currency),
            "invoice_external_id": dispute.invoice_external_id,
            "reason": reason,
        }
        for external_id, minor, reason, _ in parts
        if minor > 0
    ]
    actor = Actor(ActorKind.IMPORT, user.id or None, user.name)
    record_credit_notes(uow, actor, f"dispute {dispute.id}", rows)
    return {
        what: f"{external_id}, {format_minor(minor, currency)} {currency}"
        for external_id, minor, _, what in parts
        if minor > 0
    }


def assign_dispute(uow: UnitOfWork, user: User, dispute_id: int, owner: str) -> DisputeRow:
    """Hand an open dispute to another user (managers and owners); audited with the owner before and
    after. Naming its current owner changes nothing."""
    require(user, Action.MANAGE_DISPUTES)
    with uow:
        dispute = uow.disputes.dispute(dispute_id)
        if dispute is None:
            raise NotFound(f"no dispute {dispute_id}")
        if dispute.status != DisputeStatus.OPEN:
            raise Conflict(f"dispute {dispute_id} is already {dispute.status}")
        owner_user = uow.accounts.user(owner)
        if owner_user is None:
            raise InvalidValue(f"no user named {owner!r} to own the dispute")
        if dispute.owner == owner_user.name:
            return dispute
        now = uow.clock.now()
        uow.disputes.set_owner(dispute_id, owner_user.id, now)
        customer = uow.ledger.customer(dispute.customer_external_id)
        uow.audit.record(
            AuditEntry(
                now,
                Actor.of(user),
                "dispute",
                str(dispute_id),
                "assigned",
                f"Dispute on invoice {dispute.invoice_external_id} now owned by {owner_user.name}",
                customer.id if customer else None,
                {"owner": [dispute.owner, owner_user.name]},
            )
        )
        uow.commit()
        row = uow.disputes.dispute(dispute_id)
        assert row is not None
        return row


def reasons(uow: UnitOfWork) -> tuple[str, ...]:
    """The reason codes a dispute may carry (the workspace's settings)."""
    with uow:
        return workspace_settings.load(uow).dispute_reasons


def may_close(user: User) -> bool:
    """Whether `user` may resolve or reject disputes (managers and owners): a page offers the forms
    only to them; `close_dispute` decides."""
    return allowed(user, Action.MANAGE_DISPUTES)


def get_dispute(uow: UnitOfWork, user: User, dispute_id: int) -> DisputeRow:
    require(user, Action.READ)
    with uow:
        row = uow.disputes.dispute(dispute_id)
    if row is None:
        raise NotFound(f"no dispute {dispute_id}")
    return row


def list_disputes(
    uow: UnitOfWork,
    user: User,
    status: str | None,
    limit: int = 50,
    offset: int = 0,
    *,
    reason: str | None = None,
    owner: str | None = None,
    customer_external_id: str | None = None,
) -> Page:
    """Disputes, newest first, by status (None: all), reason, owner (a user name) and customer."""
    require(user, Action.READ)
    if status not in (None, *DisputeStatus):
        raise InvalidValue("status is open, resolved or rejected")
    with uow:
        owner_id = user_id_named(uow, owner, "owner") if owner else None
        customer_id = None
        if customer_external_id is not None:
            customer = uow.ledger.customer(customer_external_id)
            if customer is None:
                raise NotFound(f"no customer with external id {customer_external_id!r}")
            customer_id = customer.id
        flt = DisputeFilter(status, reason or None, owner_id, customer_id)
        return uow.disputes.disputes(flt, limit, offset)
