"""A customer's history, page by page: its timeline narrowed to a kind of entry, an invoice or a
workflow step; its emails narrowed to a status, a step or an invoice, with how many there are; and one
email whole, headers and body. "How many times did we send that past-due notice?" is the count of
the emails filtered by that step."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import InvalidValue, NotFound
from ..domain.permissions import Action, require
from ..domain.users import User
from .ports import UnitOfWork
from .tasks import customer_named
from .workspace_ports import CustomerRef, EmailFilter, EmailView, Page, TimelineFilter

PAGE_SIZE = 50
EMAIL_STATUSES = ("queued", "sent", "failed", "bounced")
# What the kind filter calls a kind of entry (an audit entity) where its name alone would not say:
# others read as their name ("task", "email", "dispute", "credit hold").
KIND_LABELS = {
    "portal": "customer portal (what the customer did there)",
    "portal_link": "portal links (issued, revoked)",
}


@dataclass(frozen=True, slots=True)
class History:
    customer: CustomerRef
    page: Page  # TimelineRow, newest first
    kinds: list[str]  # what the kind filter offers: the kinds of entries the account has
    where: TimelineFilter
    invoice: str | None  # the invoice filter, by external id

    @property
    def kind_choices(self) -> list[tuple[str, str]]:
        """(kind, label) of each kind the filter offers."""
        return [(kind, KIND_LABELS.get(kind, kind.replace("_", " "))) for kind in self.kinds]


@dataclass(frozen=True, slots=True)
class Emails:
    customer: CustomerRef
    page: Page  # EmailRow, newest first; `total` counts every email that matches
    where: EmailFilter
    invoice: str | None


def _invoice_id(uow: UnitOfWork, customer: CustomerRef, external_id: str | None) -> int | None:
    if not external_id:
        return None
    found = uow.ledger.invoices([external_id])
    if not found or found[0].customer_id != customer.id:
        raise InvalidValue(f"{external_id!r} is not an invoice of customer {customer.external_id!r}")
    return found[0].id


def _offset(page: int) -> int:
    if page < 1:
        raise InvalidValue("pages are numbered from 1")
    return (page - 1) * PAGE_SIZE


def timeline(
    uow: UnitOfWork,
    user: User,
    external_id: str,
    limit: int,
    offset: int,
    *,
    kind: str | None = None,
    invoice: str | None = None,
    step: str | None = None,
) -> Page:
    """A page of the customer's timeline (the API's), newest first, narrowed as `history` narrows it."""
    require(user, Action.READ)
    with uow:
        customer = customer_named(uow, external_id)
        where = TimelineFilter(kind or None, _invoice_id(uow, customer, invoice), step or None)
        return uow.audit.timeline(customer.id, limit, offset, where)


def history(
    uow: UnitOfWork,
    user: User,
    external_id: str,
    *,
    kind: str | None = None,
    invoice: str | None = None,
    step: str | None = None,
    page: int = 1,
) -> History:
    """One page of the customer's timeline, newest first, narrowed as asked."""
    require(user, Action.READ)
    offset = _offset(page)
    with uow:
        customer = customer_named(uow, external_id)
        where = TimelineFilter(kind or None, _invoice_id(uow, customer, invoice), step or None)
        found = uow.audit.timeline(customer.id, PAGE_SIZE, offset, where)
        kinds = uow.audit.timeline_kinds(customer.id)
    return History(customer, found, kinds, where, invoice or None)


def emails(
    uow: UnitOfWork,
    user: User,
    external_id: str,
    *,
    status: str | None = None,
    step: str | None = None,
    invoice: str | None = None,
    page: int = 1,
) -> Emails:
    """One page of the customer's emails, newest first, narrowed as asked, with how many match."""
    require(user, Action.READ)
    if status and status not in EMAIL_STATUSES:
        raise InvalidValue(f"an email's status is one of {', '.join(EMAIL_STATUSES)}")
    offset = _offset(page)
    with uow:
        customer = customer_named(uow, external_id)
        where = EmailFilter(status or None, step or None, _invoice_id(uow, customer, invoice))
        found = uow.customer_records.customer_emails(customer.id, PAGE_SIZE, offset, where)
    return Emails(customer, found, where, invoice or None)


def email(uow: UnitOfWork, user: User, email_id: int) -> EmailView:
    """One email with its headers and its body as sent (or still to be rendered, while queued)."""
    require(user, Action.READ)
    with uow:
        found = uow.customer_records.email(email_id)
    if found is None:
        raise NotFound(f"no email {email_id}")
    return found
