"""The customer portal: links that open one customer's open invoices, without a sign-in, and what
the customer can do there — download PDFs, dispute an invoice, promise a payment (paying online is
services/online_payments.py).

The customer is the principal: a valid link names one customer (and the contact it went to), and
every read and write here is of that customer alone. A token that is unknown, expired or revoked
gets the same answer (`LinkInvalid`), which shows nothing. Opening a link (a GET) never uses it up:
mail scanners open every link before the customer does; only the forms (POSTs) act.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from ..domain.aging import days_past_due
from ..domain.audit import Actor, ActorKind, AuditEntry
from ..domain.errors import InvalidValue, NotFound
from ..domain.money import format_minor, parse_amount
from ..domain.permissions import Action, require
from ..domain.portal import check_link_days, looks_like_token, new_token, token_hash
from ..domain.tasks import Promise, Task, TaskSource, TaskType, check_promise
from ..domain.users import User
from . import disputes, statements
from . import settings as workspace_settings
from .automation_ports import Renderer
from .portal_ports import OnlinePayment
from .ports import UnitOfWork
from .tasks import customer_named
from .workspace_ports import CustomerRef, DisputeRow, InvoiceRow

# An opening of the same link within this many seconds of the last is not a new line on the timeline.
QUIET_SECONDS = 3600
MAX_MESSAGE = 2000
MAX_SELECTED = 500


class LinkInvalid(NotFound):
    """A portal token that opens nothing: unknown, expired or revoked (one answer for all three)."""

    def __init__(self) -> None:
        super().__init__("this link is no longer valid: it may have expired or been withdrawn; ask us for a new one")


@dataclass(frozen=True, slots=True)
class IssuedLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PortalAccess:
    """Who a valid link lets in: one customer (and the contact it was sent to, when known)."""

    link_id: int
    customer: CustomerRef
    contact_id: int | None

    @property
    def actor(self) -> Actor:
        return Actor(ActorKind.CUSTOMER, None, self.customer.name[:100])


@dataclass(frozen=True, slots=True)
class PortalView:
    customer_name: str
    customer_external_id: str
    as_of: date
    invoices: list[InvoiceRow]  # open, oldest due first (at most statements.MAX_LINES)
    more_invoices: int  # open invoices beyond those listed
    totals: list[tuple[str, int]]  # (currency, minor units outstanding) over every open invoice
    payments: list[OnlinePayment]  # the customer's online payments, newest first (pending ones matter)
    reasons: tuple[str, ...]  # the dispute reason codes

    def days_past_due(self, invoice: InvoiceRow) -> int:
        return max(0, days_past_due(invoice.due_date, self.as_of))


def portal_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/portal/{token}"


# The token of the link a preview shows (a template tried on the sample, `arrears email preview`):
# not the shape of a token, so it opens nothing; a real email carries a link of its own.
EXAMPLE_TOKEN = "EXAMPLE-LINK"  # noqa: S105 (a placeholder, not a secret)


def example_url(base_url: str) -> str:
    return portal_url(base_url, EXAMPLE_TOKEN)


# What the stored copy of a sent email shows in place of its link: the token went to the customer
# alone, and the database keeps only its hash (a copy of the database opens no portal).
WITHHELD_TOKEN = "LINK-SENT-NOT-KEPT"  # noqa: S105 (a placeholder, not a secret)


def withheld_url(base_url: str) -> str:
    return portal_url(base_url, WITHHELD_TOKEN)


# -- links, for the staff --------------------------------------------------------------------------


def issue_link(uow: UnitOfWork, user: User, customer_external_id: str, *, days: int, base_url: str) -> IssuedLink:
    """A new link to the customer's portal, valid `days` days (`arrears portal link`, "copy portal
    link" on the customer record). Anyone who may work the customer's tasks may issue one."""
    require(user, Action.CREATE_TASK)
    check_link_days(days)
    with uow:
        customer = customer_named(uow, customer_external_id)
        token, expires_at = _issue(uow, customer.id, None, days, user.name)
        uow.audit.record(
            AuditEntry(
                uow.clock.now(),
                Actor.of(user),
                "portal_link",
                None,
                "issued",
                f"Portal link issued, valid until {expires_at:%Y-%m-%d %H:%M} UTC",
                customer.id,
            )
        )
        uow.commit()
    return IssuedLink(portal_url(base_url, token), expires_at)


def issue_for_email(uow: UnitOfWork, customer_id: int, contact_id: int | None, days: int, issued_by: str) -> str:
    """A fresh token for a reminder being rendered, inside the caller's transaction (the email on
    the timeline says it went; no audit line of its own). Returns the token."""
    token, _ = _issue(uow, customer_id, contact_id, check_link_days(days), issued_by)
    return token


def _issue(uow: UnitOfWork, customer_id: int, contact_id: int | None, days: int, by: str) -> tuple[str, datetime]:
    now = uow.clock.now()
    token = new_token()
    expires_at = now + timedelta(days=days)
    uow.portal.add_link(customer_id, contact_id, token_hash(token), now, expires_at, by)
    return token, expires_at


def revoke_links(uow: UnitOfWork, user: User, customer_external_id: str) -> int:
    """Invalidate every link issued to the customer so far (a forwarded email, a contact who left);
    the next reminder carries a new one. Returns how many were still valid or unexpired."""
    require(user, Action.CREATE_TASK)
    with uow:
        customer = customer_named(uow, customer_external_id)
        now = uow.clock.now()
        revoked = uow.portal.revoke_links(customer.id, now)
        uow.audit.record(
            AuditEntry(
                now, Actor.of(user), "portal_link", None, "revoked", f"Portal links revoked ({revoked})", customer.id
            )
        )
        uow.commit()
    return revoked


def active_links(uow: UnitOfWork, user: User, customer_external_id: str) -> int:
    require(user, Action.READ)
    with uow:
        customer = customer_named(uow, customer_external_id)
        return uow.portal.active_links(customer.id, uow.clock.now())


# -- the portal, for the customer -------------------------------------------------------------------


def access(uow: UnitOfWork, token: str) -> PortalAccess:
    """The customer a token lets in, inside the caller's unit of work; LinkInvalid otherwise."""
    if not looks_like_token(token):
        raise LinkInvalid()
    link = uow.portal.link(token_hash(token))
    if link is None or not link.valid_at(uow.clock.now()):
        raise LinkInvalid()
    customer = uow.ledger.customer_by_id(link.customer_id)
    if customer is None:
        raise LinkInvalid()
    return PortalAccess(link.id, customer, link.contact_id)


def check(uow: UnitOfWork, token: str) -> PortalAccess:
    """`access` in a unit of work of its own (for a page that only needs to know the link is good)."""
    with uow:
        return access(uow, token)


def _record(
    uow: UnitOfWork, who: PortalAccess, action: str, summary: str, changes: dict[str, Any] | None = None
) -> None:
    uow.audit.record(
        AuditEntry(
            uow.clock.now(), who.actor, "portal", str(who.link_id), action, summary, who.customer.id, changes or {}
        )
    )


def view(uow: UnitOfWork, token: str) -> PortalView:
    """The portal's page: the customer's open invoices with their markers, the totals per currency,
    its online payments and the reason codes a dispute may carry. The first opening of a link in an
    hour goes on the customer's timeline ("Portal opened")."""
    with uow:
        who = access(uow, token)
        today = uow.clock.today()
        lines = uow.customer_records.statement(who.customer.id, today, today, statements.MAX_LINES)
        payments = uow.portal.customer_payments(who.customer.id, 20)
        reasons = workspace_settings.load(uow).dispute_reasons
        if uow.portal.mark_seen(who.link_id, uow.clock.now(), QUIET_SECONDS):
            _record(uow, who, "opened", "Portal opened")
        uow.commit()
    return PortalView(
        who.customer.name,
        who.customer.external_id,
        today,
        lines.open_invoices,
        max(0, lines.open_count - len(lines.open_invoices)),
        [(line.currency, sum(line.minors)) for line in lines.aging],
        payments,
        reasons,
    )


def statement_pdf(uow: UnitOfWork, token: str, templates: Renderer) -> statements.Document:
    with uow:
        who = access(uow, token)
        today = uow.clock.today()
        context = statements.statement_context(uow, who.customer, today)
        _record(uow, who, "downloaded", "Statement PDF downloaded on the portal")
        uow.commit()
    name = statements.pdf_name("statement", who.customer.external_id, today.isoformat())
    return statements.Document(name, templates.statement_pdf(context))


def invoice_pdf(uow: UnitOfWork, token: str, templates: Renderer, invoice_external_id: str) -> statements.Document:
    """A copy of one of the customer's invoices; NotFound for an invoice of another customer (or none)."""
    with uow:
        who = access(uow, token)
        rows = uow.ledger.ledger_records("invoices", 1, 0, external_id=invoice_external_id).items
        invoice = rows[0] if rows else None
        if not isinstance(invoice, InvoiceRow) or invoice.customer_external_id != who.customer.external_id:
            raise NotFound(f"there is no invoice {invoice_external_id!r} on this account")
        context = statements.invoice_context(invoice, who.customer.name, uow.clock.today())
        _record(uow, who, "downloaded", f"Invoice {invoice.number} PDF downloaded on the portal")
        uow.commit()
    return statements.Document(statements.pdf_name("invoice", invoice.number), templates.invoice_pdf(context))


def dispute(uow: UnitOfWork, token: str, invoice_external_id: str, reason: str, message: str) -> DisputeRow:
    """The customer disputes one of its invoices (source portal): chasing of it stops and the
    dispute alert goes to the collector at once."""
    message = message.strip()
    if len(message) > MAX_MESSAGE:
        raise InvalidValue(f"the message is longer than {MAX_MESSAGE} characters")
    with uow:
        who = access(uow, token)
        if invoice_external_id not in _own_invoices(uow, who, [invoice_external_id]):
            raise NotFound(f"there is no invoice {invoice_external_id!r} on this account")
        dispute_id = disputes.open_in(
            uow,
            who.actor,
            invoice_external_id,
            reason,
            note=message or None,
            customer_id=who.customer.id,
            source="portal",
        )
        uow.commit()
        row = uow.disputes.dispute(dispute_id)
    assert row is not None
    return row


def promise(uow: UnitOfWork, token: str, on: date, amount: str, invoice_external_ids: Sequence[str]) -> Task:
    """The customer promises to pay `amount` by `on` (for the invoices named, else the account): an
    expected_payment task for its collector, and chasing of those invoices pauses until the date."""
    wanted = list(dict.fromkeys(invoice_external_ids))
    if len(wanted) > MAX_SELECTED:
        raise InvalidValue(f"select at most {MAX_SELECTED} invoices")
    with uow:
        who = access(uow, token)
        today = uow.clock.today()
        owned = _own_invoices(uow, who, wanted)
        missing = [external_id for external_id in wanted if external_id not in owned]
        if missing:
            raise NotFound(f"there is no invoice {missing[0]!r} on this account")
        currencies = {invoice.currency for invoice in owned.values()} or {who.customer.currency}
        if len(currencies) > 1:
            raise InvalidValue("promise a payment for invoices of one currency at a time")
        [currency] = currencies
        minor = parse_amount(amount, currency, allow_zero=False)
        check_promise(minor, currency, currency, on, today)
        made = Promise(minor, currency, on, today)
        what = f"{format_minor(minor, currency)} {currency} by {on.isoformat()}"
        numbers = ", ".join(owned) if owned else "the account"
        task = Task(
            id=None,
            customer_id=who.customer.id,
            type=TaskType.EXPECTED_PAYMENT,
            description=f"Promised on the portal: {what} ({numbers})"[:5000],
            assignee_id=who.customer.collector_id,
            due_date=on,
            source=TaskSource.PORTAL,
            contact_id=who.contact_id,
            invoice_ids=tuple(sorted(invoice.id for invoice in owned.values())),
            promise=made,
        )
        task_id = uow.tasks.add_task(task, created_by=None)
        _record(uow, who, "promised", f"Payment promised on the portal: {what} ({numbers})", {"task_id": task_id})
        uow.commit()
    return replace(task, id=task_id)


def _own_invoices(uow: UnitOfWork, who: PortalAccess, external_ids: Sequence[str]) -> dict[str, Any]:
    """The invoices among `external_ids` that are this customer's and open, by external id: another
    customer's invoice is as absent as one that does not exist."""
    found = uow.ledger.invoices(list(external_ids)) if external_ids else []
    return {
        invoice.external_id: invoice
        for invoice in found
        if invoice.customer_id == who.customer.id and invoice.status == "open"
    }
