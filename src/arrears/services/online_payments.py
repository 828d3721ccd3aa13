"""Online payment: a customer pays on the portal through the provider's hosted checkout page, and the
provider's events (webhooks) say what became of it (docs/payments.md).

Starting a payment records it (status started) and commits before the provider is asked for a checkout
page, so that the provider's events always find it. The events are applied where they arrive: the event
is stored in the inbox and applied, and marked processed, in one transaction, so a provider's retries
and replays change nothing. What cannot be applied at once stays in the inbox, pending, for the worker
to retry (`apply_stripe_event`). A payment is recorded once per payment intent whatever the number and
order of its events: its online payment row is held for the transaction and nothing happens once it
has succeeded; the payment rows' external ids (`<payment intent>-1`, `-2`, …) are unique too.

Money is never netted or dropped quietly: a refund, a chargeback, a failed bank debit or money for a
customer or invoice that is not known raises an alert for a person to act on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.alerts import AlertKind
from ..domain.audit import Actor, ActorKind, AuditEntry
from ..domain.emails import retry_after
from ..domain.errors import ArrearsError, InvalidValue, NotFound
from ..domain.money import format_minor, parse_amount
from ..domain.portal import Allocation, Owed, allocate_oldest_first
from . import ledger as ledger_service
from .ledger_ports import InboxEvent
from .portal_ports import CheckoutRequest, OnlinePayment, PaymentGateway
from .ports import UnitOfWork
from .workspace_ports import CustomerRef, InvoiceRef

log = logging.getLogger(__name__)

PROVIDER = "stripe"
METHOD = "stripe"  # the payment rows' method
STRIPE = Actor(ActorKind.SYSTEM, None, "Stripe")
MAX_INVOICES = 200  # invoices in one online payment
MAX_ERROR = 2000


# -- starting a payment on the portal ------------------------------------------------------------------


def start_payment(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    *,
    customer_id: int,
    portal_link_id: int | None,
    invoice_external_ids: Sequence[str],
    amount: str | None,
    success_url: str,
    cancel_url: str,
    customer_email: str | None = None,
) -> str:
    """The address of the provider's checkout page for paying the customer's invoices (their whole
    outstanding total, or `amount`, a decimal string no greater than it, spread oldest due first
    when the payment arrives). Every invoice must be the customer's, open with something
    outstanding, in one currency, and not already being paid by a bank debit. With an amount and no
    invoice chosen, it goes to the oldest invoices of the customer's currency that it covers (not
    those in dispute or already being paid). The online payment is recorded and committed before the
    provider is asked; a provider's failure marks it failed and raises PaymentProviderError."""
    wanted = list(dict.fromkeys(external_id.strip() for external_id in invoice_external_ids if external_id.strip()))
    if len(wanted) > MAX_INVOICES:
        raise InvalidValue(f"at most {MAX_INVOICES} invoices can be paid at once")
    with uow:
        customer = uow.ledger.customer_by_id(customer_id)
        if customer is None:
            raise InvalidValue("this payment link does not belong to a customer any more")
        if not wanted and amount is not None and amount.strip():
            wanted = _oldest_covered(uow, customer, amount.strip())
        if not wanted:
            raise InvalidValue("choose at least one invoice to pay, or give an amount")
        invoices = _payable(uow.ledger.invoices(wanted), wanted, customer)
        currency = invoices[0].currency
        total = sum(invoice.outstanding_minor for invoice in invoices)
        minor = total
        if amount is not None and amount.strip():
            try:
                minor = parse_amount(amount.strip(), currency)
            except ArrearsError as error:
                raise InvalidValue(f"the amount to pay: {error.message}") from None
            if minor <= 0:
                raise InvalidValue("the amount to pay must be more than zero")
            if minor > total:
                raise InvalidValue(
                    f"the amount to pay is more than what these invoices owe ({_money(total, currency)})"
                )
        now = uow.clock.now()
        payment_id = uow.portal.add_payment(
            PROVIDER, customer.id, currency, minor, [i.id for i in invoices], now, portal_link_id=portal_link_id
        )
        listed = ", ".join(i.external_id for i in invoices)
        uow.audit.record(
            AuditEntry(
                now,
                Actor(ActorKind.CUSTOMER, None, customer.name[:100]),
                "online_payment",
                str(payment_id),
                "started",
                f"Online payment of {_money(minor, currency)} started on the portal for invoices {listed}",
                customer.id,
                {"amount": _money(minor, currency), "invoices": [i.external_id for i in invoices]},
            )
        )
        uow.commit()
    request = CheckoutRequest(
        idempotency_key=f"arrears-online-payment-{payment_id}",
        customer_external_id=customer.external_id,
        invoice_external_ids=tuple(i.external_id for i in invoices),
        currency=currency,
        amount_minor=minor,
        description=f"Payment of invoice{'s' if len(invoices) > 1 else ''} {listed}",
        success_url=success_url,
        cancel_url=cancel_url,
        customer_email=customer_email,
        payment_id=payment_id,
    )
    try:
        session = gateway.create_checkout_session(request)
    except Exception as error:  # whatever the provider's failure, the payment row says so
        with uow:
            uow.portal.update_payment(payment_id, "failed", uow.clock.now(), error=str(error)[:MAX_ERROR])
            uow.commit()
        raise
    with uow:
        uow.portal.set_checkout_session(payment_id, session.id, uow.clock.now())
        uow.commit()
    return session.url


def _oldest_covered(uow: UnitOfWork, customer: CustomerRef, amount: str) -> list[str]:
    """The customer's open invoices in its own currency, oldest due first, as many as `amount`
    reaches into (at most MAX_INVOICES), leaving out those in dispute or already being paid."""
    try:
        minor = parse_amount(amount, customer.currency)
    except ArrearsError as error:
        raise InvalidValue(f"the amount to pay: {error.message}") from None
    today = uow.clock.today()
    owed = uow.customer_records.statement(customer.id, today, today, MAX_INVOICES).open_invoices
    chosen: list[str] = []
    covered = 0
    for invoice in owed:
        if covered >= minor:
            break
        if invoice.currency == customer.currency and not invoice.disputed and not invoice.payment_pending:
            chosen.append(invoice.external_id)
            covered += invoice.outstanding_minor
    return chosen


def _payable(found: list[InvoiceRef], wanted: list[str], customer: CustomerRef) -> list[InvoiceRef]:
    by_id = {invoice.external_id: invoice for invoice in found}
    invoices: list[InvoiceRef] = []
    for external_id in wanted:
        invoice = by_id.get(external_id)
        if invoice is None or invoice.customer_id != customer.id:
            raise NotFound(f"there is no invoice {external_id!r} on this account")
        if invoice.status != "open" or invoice.outstanding_minor <= 0:
            raise InvalidValue(f"invoice {external_id} has nothing left to pay")
        if invoice.payment_pending:
            raise InvalidValue(f"a payment of invoice {external_id} is already on its way")
        invoices.append(invoice)
    currencies = sorted({invoice.currency for invoice in invoices})
    if len(currencies) > 1:
        raise InvalidValue(f"pay invoices of one currency at a time (these are in {', '.join(currencies)})")
    return invoices


# -- the provider's events --------------------------------------------------------------------------------


def receive_stripe_event(uow: UnitOfWork, event: Mapping[str, Any], *, timezone: str = "UTC") -> str:
    """Store a verified Stripe event in the inbox and apply it, in one transaction. Returns
    "duplicate" (received before: nothing changes), "applied", or "deferred": applying failed, the
    event waits in the inbox, pending, for the worker to try again (the provider is answered 200
    all the same: the event is ours now). `timezone`: the workspace's, which dates payments."""
    event_id, kind = _identity(event)
    payload = dict(event)
    try:
        with uow:
            now = uow.clock.now()
            if not uow.ledger.receive_event(PROVIDER, event_id, kind, payload, now):
                return "duplicate"
            inbox_id = uow.ledger.inbox_id(PROVIDER, event_id)
            assert inbox_id is not None
            _apply(uow, event_id, kind, payload, timezone)
            uow.ledger.mark_event(inbox_id, "processed", now, attempts=1, next_at=None, error=None)
            uow.commit()
            return "applied"
    except Exception as error:  # whatever went wrong, the event is kept for the worker's retries
        log.warning("Stripe event %s (%s) deferred: %s", event_id, kind, error, exc_info=True)
        return _defer(uow, event_id, kind, payload, f"{type(error).__name__}: {error}")


def _defer(uow: UnitOfWork, event_id: str, kind: str, payload: dict[str, Any], error: str) -> str:
    with uow:
        now = uow.clock.now()
        if not uow.ledger.receive_event(PROVIDER, event_id, kind, payload, now):
            return "duplicate"  # another delivery of it got there meanwhile
        inbox_id = uow.ledger.inbox_id(PROVIDER, event_id)
        assert inbox_id is not None
        wait = retry_after(1)
        next_at = now if wait is None else now + wait
        uow.ledger.mark_event(inbox_id, "pending", now, attempts=1, next_at=next_at, error=error[:MAX_ERROR])
        uow.commit()
    return "deferred"


def apply_stripe_event(uow: UnitOfWork, event: InboxEvent, *, timezone: str = "UTC") -> None:
    """The inbox's handler of Stripe's events (the worker's retries): applies the event inside the
    unit of work that marks it processed."""
    _apply(uow, event.event_id, event.kind, event.payload, timezone)


def _identity(event: Mapping[str, Any]) -> tuple[str, str]:
    event_id, kind = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not isinstance(kind, str) or not event_id or not kind:
        raise InvalidValue("an event needs an id and a type")
    if len(event_id) > 255 or len(kind) > 100:
        raise InvalidValue("an event's id or type is too long (255 and 100 characters at most)")
    return event_id, kind


@dataclass(frozen=True, slots=True)
class _Session:
    """What a Checkout Session event says about the payment."""

    id: str
    payment_intent: str | None
    customer_ref: str | None  # client_reference_id: the customer's external id
    currency: str
    amount_minor: int
    invoice_refs: tuple[str, ...]  # metadata.arrears_invoices

    @property
    def reference(self) -> str:
        """The base of the payment rows' external ids: the payment intent (else the session)."""
        return self.payment_intent or self.id


def _apply(uow: UnitOfWork, event_id: str, kind: str, payload: Mapping[str, Any], timezone: str) -> None:
    obj = _object(payload)
    if kind == "checkout.session.completed":
        status = obj.get("payment_status")
        if status == "paid":
            _paid(uow, event_id, _session(obj), _day(payload, uow, timezone))
        elif status == "unpaid":
            _pending(uow, event_id, _session(obj))
    elif kind == "checkout.session.async_payment_succeeded":
        _paid(uow, event_id, _session(obj), _day(payload, uow, timezone))
    elif kind == "checkout.session.async_payment_failed":
        _failed(uow, event_id, _session(obj))
    elif kind == "checkout.session.expired":
        _expired(uow, event_id, obj)
    elif kind in ("charge.refunded", "charge.dispute.created"):
        _reversed(uow, event_id, kind, obj)
    # any other type: nothing to do


def _object(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        raise InvalidValue("the event has no data.object")
    return obj


def _text(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if isinstance(value, Mapping):  # an expanded object: its id
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _session(obj: Mapping[str, Any]) -> _Session:
    session_id = _text(obj, "id")
    amount = obj.get("amount_total")
    currency = _text(obj, "currency")
    if session_id is None or currency is None or not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise InvalidValue("the checkout session has no id, currency or amount_total")
    metadata = obj.get("metadata")
    joined = metadata.get("arrears_invoices") if isinstance(metadata, Mapping) else None
    refs = tuple(part.strip() for part in joined.split(",") if part.strip()) if isinstance(joined, str) else ()
    return _Session(
        session_id,
        _text(obj, "payment_intent"),
        _text(obj, "client_reference_id"),
        currency.upper(),
        amount,
        tuple(dict.fromkeys(refs)),
    )


def _day(payload: Mapping[str, Any], uow: UnitOfWork, timezone: str) -> date:
    """The event's `created` day in the workspace's time zone (now, when the event has none)."""
    created = payload.get("created")
    zone = ZoneInfo(timezone)
    if isinstance(created, int) and not isinstance(created, bool) and 0 < created < 2**37:
        return datetime.fromtimestamp(created, zone).date()
    return uow.clock.now().astimezone(zone).date()


def _money(minor: int, currency: str) -> str:
    try:
        return f"{format_minor(minor, currency)} {currency}"
    except ArrearsError:  # a currency this version does not know: still said, in minor units
        return f"{minor} minor units of {currency}"


def _tell(
    uow: UnitOfWork,
    alert: AlertKind,
    key: str,
    message: str,
    customer: CustomerRef | None,
    entry: tuple[str | None, str, str, dict[str, Any]],
) -> None:
    """What a person must act on: an alert for the customer's collector (the managers alone when no
    customer is known), and the line `entry` (entity id, action, summary, changes) on the timeline."""
    now = uow.clock.now()
    uow.alerts.raise_alert(
        alert,
        key[:100],
        message,
        customer_id=customer.id if customer else None,
        task_id=None,
        user_id=customer.collector_id if customer else None,
        at=now,
    )
    entity_id, action, summary, changes = entry
    record = AuditEntry(now, STRIPE, "online_payment", entity_id, action, summary, customer.id if customer else None)
    uow.audit.record(replace(record, changes=changes))


def _held(uow: UnitOfWork, session: _Session) -> tuple[CustomerRef | None, OnlinePayment | None]:
    """The customer of the session (locked, so that the events of one customer's payments apply one
    after the other) and its online payment, held by this transaction."""
    customer = uow.ledger.customer(session.customer_ref) if session.customer_ref else None
    if customer is not None:
        uow.ledger.lock_customers([customer.id])
    online = uow.portal.payment_for_update(
        PROVIDER, checkout_session_id=session.id, payment_intent_id=session.payment_intent
    )
    return customer, online


def _paid(uow: UnitOfWork, event_id: str, session: _Session, day: date) -> None:
    customer, online = _held(uow, session)
    if online is not None and online.status == "succeeded":
        return  # recorded already, by another event of this payment
    if session.amount_minor == 0:
        return
    now = uow.clock.now()
    invoices, problem = _invoices_of(uow, session, customer, online)
    if problem is not None or customer is None:
        _unmatched(uow, event_id, session, customer, problem or "no customer")
        return
    allocation = _allocation(session.amount_minor, invoices)
    rows = _payment_rows(session, customer, day, allocation)
    ledger_service.record_payments(uow, STRIPE, f"Stripe event {event_id}", rows)
    if online is not None:
        uow.portal.update_payment(
            online.id, "succeeded", now, payment_intent_id=session.payment_intent, event_id=event_id
        )
        payment_id = online.id
    else:
        payment_id = uow.portal.add_payment(
            PROVIDER,
            customer.id,
            session.currency,
            session.amount_minor,
            [invoice.id for invoice in invoices],
            now,
            checkout_session_id=session.id,
            payment_intent_id=session.payment_intent,
            status="succeeded",
        )
    spread = "; ".join(f"{ref} {_money(minor, session.currency)}" for ref, minor in allocation.parts)
    unapplied = (
        f"; {_money(allocation.unapplied_minor, session.currency)} unapplied on account"
        if allocation.unapplied_minor
        else ""
    )
    uow.audit.record(
        AuditEntry(
            now,
            STRIPE,
            "online_payment",
            str(payment_id),
            "succeeded",
            f"Online payment of {_money(session.amount_minor, session.currency)} received through Stripe "
            f"({session.reference}): {spread or 'no invoice'}{unapplied}",
            customer.id,
            {"event": event_id, "payment_intent": session.reference, "rows": [row["external_id"] for row in rows]},
        )
    )


def _invoices_of(
    uow: UnitOfWork, session: _Session, customer: CustomerRef | None, online: OnlinePayment | None
) -> tuple[list[InvoiceRef], str | None]:
    """The invoices the payment is for (those of the online payment started on the portal, else the
    session's metadata), or what keeps the payment from being recorded."""
    if customer is None:
        if session.customer_ref is None:
            return [], "the payment names no customer (client_reference_id)"
        return [], f"no customer has the external id {session.customer_ref!r}"
    if online is not None and online.customer_id != customer.id:
        return [], f"the payment was started on the portal of another customer than {customer.external_id}"
    if session.currency != customer.currency:
        return [], f"it is in {session.currency}, the customer's currency is {customer.currency}"
    if online is not None:
        invoices = uow.ledger.invoices_by_id(online.invoice_ids)
    else:
        invoices = uow.ledger.invoices(session.invoice_refs)
        missing = sorted(set(session.invoice_refs) - {invoice.external_id for invoice in invoices})
        if missing:
            return [], f"no invoice {', '.join(missing)}"
    foreign = sorted(i.external_id for i in invoices if i.customer_id != customer.id)
    if foreign:
        return [], f"invoice {', '.join(foreign)} is not {customer.external_id}'s"
    other = sorted(i.external_id for i in invoices if i.currency != session.currency)
    if other:
        return [], f"invoice {', '.join(other)} is not in {session.currency}"
    return invoices, None


def _allocation(amount_minor: int, invoices: list[InvoiceRef]) -> Allocation:
    owed = [
        Owed(invoice.external_id, invoice.due_date, invoice.outstanding_minor if invoice.status == "open" else 0)
        for invoice in invoices
    ]
    return allocate_oldest_first(amount_minor, owed)


def _payment_rows(session: _Session, customer: CustomerRef, day: date, allocation: Allocation) -> list[dict[str, str]]:
    """One payment row per invoice paid, then one for what is left (no invoice: on account), numbered
    `<payment intent>-1`, `-2`, … in that order."""
    parts: list[tuple[str, int]] = list(allocation.parts)
    if allocation.unapplied_minor:
        parts.append(("", allocation.unapplied_minor))
    return [
        {
            "external_id": f"{session.reference}-{number}",
            "customer_external_id": customer.external_id,
            "date": day.isoformat(),
            "amount": format_minor(minor, session.currency),
            "currency": session.currency,
            "invoice_external_id": invoice_ref,
            "method": METHOD,
        }
        for number, (invoice_ref, minor) in enumerate(parts, start=1)
    ]


def _unmatched(uow: UnitOfWork, event_id: str, session: _Session, customer: CustomerRef | None, problem: str) -> None:
    """Money received that cannot be put on the ledger: nothing is recorded, and a person is told."""
    message = (
        f"Stripe received {_money(session.amount_minor, session.currency)} (payment {session.reference}, "
        f"checkout session {session.id}, event {event_id}) that was not recorded: {problem}. "
        "Record it by hand once you know whose it is."
    )
    entry: tuple[str | None, str, str, dict[str, Any]] = (session.reference[:128], "unmatched", message, {})
    _tell(uow, AlertKind.PAYMENT_UNMATCHED, f"stripe:unmatched:{session.reference}", message, customer, entry)


def _pending(uow: UnitOfWork, event_id: str, session: _Session) -> None:
    """A delayed method (ACH, SEPA debit): the money is on its way, not received. Chasing of the
    invoices pauses (their `payment_pending`); nothing is recorded on the ledger."""
    customer, online = _held(uow, session)
    if online is not None and online.status != "started":
        return  # already pending, or its outcome is known (the events came out of order)
    if session.amount_minor == 0:
        return
    now = uow.clock.now()
    if online is not None:
        intent = session.payment_intent
        uow.portal.update_payment(online.id, "pending", now, payment_intent_id=intent, event_id=event_id)
        payment_id, customer_id, invoice_ids = online.id, online.customer_id, online.invoice_ids
    else:
        invoices, problem = _invoices_of(uow, session, customer, None)
        if problem is not None or customer is None:
            return  # nothing received yet: the alert comes with the money, if it comes
        invoice_ids = tuple(invoice.id for invoice in invoices)
        payment_id = uow.portal.add_payment(
            PROVIDER,
            customer.id,
            session.currency,
            session.amount_minor,
            invoice_ids,
            now,
            checkout_session_id=session.id,
            payment_intent_id=session.payment_intent,
            status="pending",
        )
        customer_id = customer.id
    refs = ", ".join(i.external_id for i in uow.ledger.invoices_by_id(invoice_ids)) or "no invoice"
    uow.audit.record(
        AuditEntry(
            now,
            STRIPE,
            "online_payment",
            str(payment_id),
            "pending",
            f"Online payment of {_money(session.amount_minor, session.currency)} by bank debit is on its way "
            f"({session.reference}): chasing of {refs} pauses until it clears; not paid yet",
            customer_id,
            {"event": event_id},
        )
    )


def _failed(uow: UnitOfWork, event_id: str, session: _Session) -> None:
    """A delayed payment failed: nothing is recorded, chasing resumes, a person is told."""
    customer, online = _held(uow, session)
    if online is not None and online.status == "succeeded":
        return  # recorded: an older event arriving late changes nothing
    now = uow.clock.now()
    if online is not None:
        uow.portal.update_payment(
            online.id,
            "failed",
            now,
            payment_intent_id=session.payment_intent,
            event_id=event_id,
            error="the payment failed (Stripe)",
        )
        owner = uow.ledger.customer_by_id(online.customer_id)
    else:
        owner = customer
    what = f"The online payment of {_money(session.amount_minor, session.currency)} ({session.reference})"
    message = f"{what} failed: nothing was recorded, and chasing of its invoices resumes"
    if owner is not None:
        message = f"{owner.name}: {message}"
    entity_id = str(online.id) if online else session.reference[:128]
    entry = (entity_id, "failed", f"{what} failed: nothing was recorded", {"event": event_id})
    _tell(uow, AlertKind.PAYMENT_FAILED, f"stripe:{event_id}", message, owner, entry)


def _expired(uow: UnitOfWork, event_id: str, obj: Mapping[str, Any]) -> None:
    """The customer left the checkout page unpaid until it expired: the payment is over, nothing else."""
    session_id = _text(obj, "id")
    if session_id is None:
        raise InvalidValue("the checkout session has no id")
    online = uow.portal.payment_for_update(PROVIDER, checkout_session_id=session_id)
    if online is not None and online.status == "started":
        uow.portal.update_payment(online.id, "expired", uow.clock.now(), event_id=event_id)


def _reversed(uow: UnitOfWork, event_id: str, kind: str, obj: Mapping[str, Any]) -> None:
    """A refund or a chargeback: an alert on the customer (found through the payment intent's online
    payment) and a line on the timeline; the ledger is left for a person to correct."""
    intent = _text(obj, "payment_intent")
    online = uow.portal.payment_for_update(PROVIDER, payment_intent_id=intent) if intent else None
    customer = uow.ledger.customer_by_id(online.customer_id) if online else None
    currency = (_text(obj, "currency") or "").upper()
    refund = kind == "charge.refunded"
    raw = obj.get("amount_refunded" if refund else "amount")
    amount = _money(raw, currency) if isinstance(raw, int) and not isinstance(raw, bool) else "an unknown amount"
    of = f"payment {intent}" if intent else f"{'charge' if refund else 'dispute'} {_text(obj, 'id')}"
    if refund:
        what = f"Stripe refunded {amount} of {of}"
        action = "record a credit note or correct the payment"
    else:
        reason = _text(obj, "reason")
        what = f"Chargeback of {amount} on {of}{f' ({reason})' if reason else ''}"
        action = "answer the dispute in Stripe and correct the ledger if it is lost"
    message = f"{what}: the ledger is unchanged; {action}"
    if customer is not None:
        message = f"{customer.name}: {message}"
    elif online is None:
        message = f"{message} (no customer is known for it)"
    entity_id = str(online.id) if online else (intent or "")[:128] or None
    entry = (entity_id, "refunded" if refund else "chargeback", f"{what}: the ledger is unchanged", {"event": event_id})
    _tell(
        uow,
        AlertKind.PAYMENT_REFUNDED if refund else AlertKind.CHARGEBACK,
        f"stripe:{event_id}",
        message,
        customer,
        entry,
    )
