"""Emailing a customer by hand, from its record: one of the email templates or a text written there,
to addresses the customer's record holds (its own, its contacts'), listing the open invoices chosen,
with each of them attached as a PDF and a statement if asked.

The email goes through the outbox as the cycle's do (no workflow, no step): queued with its subject
rendered, its context (the invoices and amounts as chosen, and the attachments to make) frozen, its
body and its PDFs made when it is sent; its invoices are linked to it, and the customer's timeline
says who queued it. A form sent twice (a double click) queues one email: its dedupe key is the
form's own key."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..domain.aging import days_past_due
from ..domain.audit import Actor, AuditEntry
from ..domain.currencies import minor_unit
from ..domain.errors import ArrearsError, InvalidValue
from ..domain.permissions import Action, require
from ..domain.users import User
from . import outbox
from .automation_ports import NewEmail
from .cycle import Mailer
from .ports import UnitOfWork
from .tasks import customer_named
from .workspace_ports import ContactRow, CustomerRef, CustomerRow, InvoiceRow

FREE_TEXT = "_free_text"  # the built-in template of a written email (it has no subject part: no workflow names it)
MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_RECIPIENTS = 20
MAX_INVOICES = 100
MAX_OFFERED = 500  # open invoices the form offers
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
HAND_STEP = {"name": "by hand", "days": None}


@dataclass(frozen=True, slots=True)
class Address:
    """An address the email may go to, as the form offers it."""

    address: str
    label: str  # whose: a contact's name and role, or "Customer"
    ticked: bool  # a contact who receives the reminders


@dataclass(frozen=True, slots=True)
class EmailForm:
    """What the "Email this customer" form offers."""

    customer: CustomerRow
    templates: tuple[str, ...]
    addresses: tuple[Address, ...]
    invoices: tuple[InvoiceRow, ...]  # open, with something owed, oldest due first
    more_invoices: bool  # the customer has more open invoices than the form offers
    key: str  # the form's own key, sent back with it: the email's dedupe key


@dataclass(frozen=True, slots=True)
class HandEmail:
    """An email as the form sends it. `template` None: the `subject` and `body` written."""

    key: str  # the form's own key: the email's dedupe key
    to: tuple[str, ...]
    template: str | None = None
    subject: str = ""
    body: str = ""
    invoice_external_ids: tuple[str, ...] = ()
    attach_invoices: bool = False
    attach_statement: bool = False
    in_reply_to: str | None = None  # the Message-ID of a received message it answers (the inbox's reply)


@dataclass(frozen=True, slots=True)
class Queued:
    email_id: int | None  # None: this form was sent before (the email it queued stands)
    to: tuple[str, ...]
    subject: str


def _customer(uow: UnitOfWork, external_id: str) -> tuple[CustomerRef, CustomerRow]:
    ref = customer_named(uow, external_id)
    row = uow.ledger.ledger_records("customers", 1, 0, external_id=ref.external_id).items[0]
    assert isinstance(row, CustomerRow)
    return ref, row


def _addresses(uow: UnitOfWork, customer: CustomerRow) -> list[tuple[Address, str | None]]:
    """Every address of the customer's record, once (the first holder's), with the contact's name."""
    found: dict[str, tuple[Address, str | None]] = {}
    contacts = uow.ledger.ledger_records("contacts", MAX_OFFERED, 0, customer_external_id=customer.external_id)
    for contact in contacts.items:
        if not isinstance(contact, ContactRow) or not contact.email:
            continue
        role = f", {contact.role}" if contact.role else ""
        address = Address(contact.email, f"{contact.name}{role}", contact.receives_reminders)
        found.setdefault(contact.email.casefold(), (address, contact.name))
    if customer.email:
        found.setdefault(customer.email.casefold(), (Address(customer.email, "Customer", False), None))
    return list(found.values())


def _open(row: InvoiceRow) -> bool:
    return row.status == "open" and row.outstanding_minor > 0


def email_form(uow: UnitOfWork, user: User, template_names: set[str], external_id: str) -> EmailForm:
    """The form's choices: the templates, the customer's addresses, its open invoices."""
    require(user, Action.CREATE_TASK)
    with uow:
        ref, customer = _customer(uow, external_id)
        addresses = tuple(address for address, _ in _addresses(uow, customer))
        page = uow.customer_records.customer_invoices(ref.id, MAX_OFFERED)
    invoices = tuple(row for row in page.items if _open(row))
    shown_all = page.next_offset is None or any(not _open(row) for row in page.items)
    return EmailForm(customer, tuple(sorted(template_names)), addresses, invoices, not shown_all, uuid.uuid4().hex)


def _decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_unit(currency))


def _context(
    customer: CustomerRef, contact_name: str | None, invoices: Sequence[InvoiceRow], today: date
) -> dict[str, Any]:
    """What the template is given: the context of a workflow's email (templates/README.md)."""
    currency = invoices[0].currency if invoices else customer.currency
    return {
        "customer": {"name": customer.name, "external_id": customer.external_id},
        "contact_name": contact_name,
        "invoices": [
            {
                "number": i.number,
                "issue_date": i.issue_date,
                "due_date": i.due_date,
                "amount": _decimal(i.amount_minor, i.currency),
                "outstanding": _decimal(i.outstanding_minor, i.currency),
                "days_past_due": max(0, days_past_due(i.due_date, today)),
            }
            for i in invoices
        ],
        "total": _decimal(sum(i.outstanding_minor for i in invoices), currency),
        "currency": currency,
        "step": dict(HAND_STEP),
        "as_of": today,
    }


def _chosen_invoices(
    uow: UnitOfWork, customer: CustomerRef, external_ids: Sequence[str]
) -> list[tuple[InvoiceRow, int]]:
    """The invoices chosen, each with its id: the customer's own, open, in one currency."""
    if len(external_ids) > MAX_INVOICES:
        raise InvalidValue(f"choose at most {MAX_INVOICES} invoices for one email")
    rows: list[InvoiceRow] = []
    for external_id in dict.fromkeys(external_ids):
        found = uow.ledger.ledger_records("invoices", 1, 0, external_id=external_id).items
        row = found[0] if found else None
        if not isinstance(row, InvoiceRow) or row.customer_external_id != customer.external_id:
            raise InvalidValue(f"{external_id!r} is not an invoice of customer {customer.external_id!r}")
        if not _open(row):
            raise InvalidValue(f"invoice {row.number} is {row.status.replace('_', ' ')}: only open invoices are sent")
        rows.append(row)
    currencies = sorted({row.currency for row in rows})
    if len(currencies) > 1:
        raise InvalidValue(
            f"the invoices chosen are in {' and '.join(currencies)}: an email lists invoices of one "
            "currency, send one email per currency"
        )
    ids = {invoice.external_id: invoice.id for invoice in uow.ledger.invoices([row.external_id for row in rows])}
    return [(row, ids[row.external_id]) for row in rows]


def _recipients(
    wanted: Sequence[str], known: list[tuple[Address, str | None]], customer: CustomerRef
) -> tuple[tuple[str, ...], str | None]:
    """The addresses chosen as the record spells them, and the name of the first contact among them."""
    by_key = {address.address.casefold(): (address, name) for address, name in known}
    chosen: dict[str, tuple[Address, str | None]] = {}
    for given in wanted:
        text = given.strip()
        if not text:
            continue
        if text.casefold() not in by_key:
            raise InvalidValue(f"{text!r} is not an address of customer {customer.external_id!r} or its contacts")
        chosen.setdefault(text.casefold(), by_key[text.casefold()])
    if not chosen:
        raise InvalidValue("choose at least one recipient")
    if len(chosen) > MAX_RECIPIENTS:
        raise InvalidValue(f"choose at most {MAX_RECIPIENTS} recipients")
    to = tuple(address.address for address, _ in chosen.values())
    return to, next((name for _, name in chosen.values() if name), None)


def _written(email: HandEmail) -> tuple[str, str]:
    subject = " ".join(email.subject.split())  # one line: no header injection
    body = email.body.replace("\r\n", "\n").strip()
    if not subject:
        raise InvalidValue("write the email's subject")
    if len(subject) > MAX_SUBJECT:
        raise InvalidValue(f"a subject has at most {MAX_SUBJECT} characters")
    if not body:
        raise InvalidValue("write the email's text")
    if len(body) > MAX_BODY:
        raise InvalidValue(f"an email's text has at most {MAX_BODY:,} characters")
    return subject, body


def queue_email(uow: UnitOfWork, user: User, mailer: Mailer, external_id: str, email: HandEmail) -> Queued:
    """Queue `email` to the customer: checked whole first (the template exists and renders, every
    address is the customer's or a contact's, every invoice is its own and open, in one currency),
    so that a refusal queues nothing. Whoever may create tasks may email a customer."""
    require(user, Action.CREATE_TASK)
    if not KEY.match(email.key):
        raise InvalidValue("the form has lost its key: reload the page and send it again")
    if email.template is not None and email.template not in mailer.templates.names():
        raise InvalidValue(f"there is no email template {email.template!r}")
    written = None if email.template is not None else _written(email)
    with uow:
        ref, customer = _customer(uow, external_id)
        to, contact_name = _recipients(email.to, _addresses(uow, customer), ref)
        chosen = _chosen_invoices(uow, ref, email.invoice_external_ids)
        invoices = [row for row, _ in chosen]
        now = uow.clock.now()
        context = _context(ref, contact_name, invoices, uow.clock.today())
        attachments: list[dict[str, Any]] = []
        if email.attach_invoices:
            attachments += [{"kind": "invoice", "invoice_id": invoice_id} for _, invoice_id in chosen]
        if email.attach_statement:
            attachments.append({"kind": "statement"})
        if attachments:
            context["attachments"] = attachments
        if written is None:
            assert email.template is not None
            template = email.template
            try:
                subject = mailer.templates.subject(template, context)
            except ArrearsError as error:
                raise InvalidValue(f"{error.message}") from None
        else:
            template, (subject, context["message"]) = FREE_TEXT, written
        frozen = outbox.freeze(context)
        try:  # rendered whole now, as the cycle does: a template that fails queues nothing
            outbox.render_stored(mailer.templates, template, frozen, subject, portal_url=mailer.example_portal_url())
        except ArrearsError as error:
            raise InvalidValue(f"{error.message}") from None
        email_id = uow.outbox.queue_email(
            NewEmail(
                ref.id,
                f"hand:{ref.id}:{email.key}",
                to,
                subject,
                template,
                frozen,
                None,
                None,
                None,
                mailer.message_id(),
                tuple(invoice_id for _, invoice_id in chosen),
                now,
                in_reply_to=email.in_reply_to,
            )
        )
        if email_id is None:
            return Queued(None, to, subject)
        numbers = [i.number for i in invoices]
        extras = [f"invoices {', '.join(numbers)}"] if numbers else []
        if email.attach_invoices and numbers:
            extras.append("the invoice PDFs attached")
        if email.attach_statement:
            extras.append("a statement attached")
        uow.audit.record(
            AuditEntry(
                now,
                Actor.of(user),
                "email",
                str(email_id),
                "queued",
                f"Email queued by hand to {', '.join(to)}: {subject}" + (f" ({'; '.join(extras)})" if extras else ""),
                ref.id,
                {
                    "template": template if template != FREE_TEXT else None,
                    "invoices": numbers,
                    "attachments": [a["kind"] for a in attachments],
                },
            )
        )
        uow.commit()
    return Queued(email_id, to, subject)


@dataclass(frozen=True, slots=True)
class Sent:
    queued: Queued
    delivery: str  # sent, retry (queued for another try), failed, or "" (this form was sent before)


def send_email(
    uow_factory: Callable[[], UnitOfWork], user: User, mailer: Mailer, external_id: str, email: HandEmail
) -> Sent:
    """Queue the email (`queue_email`), then send it at once, as the worker's next round would:
    where no worker runs (SQLite) nothing else would send it, and where one runs the person who
    wrote it sees it go. A temporary failure leaves it queued for the worker (or `arrears outbox
    send`) to try again; a failure is on the timeline, the email list and the alerts, as ever."""
    queued = queue_email(uow_factory(), user, mailer, external_id, email)
    if queued.email_id is None:
        return Sent(queued, "")
    report = outbox.send_email(
        uow_factory,
        mailer.sender,
        mailer.templates,
        mailer.sender_address,
        queued.email_id,
        links=mailer.links,
        reply_to=mailer.reply_to,
    )
    delivery = "sent" if report.sent else "failed" if report.failed else "retry" if report.retried else "queued"
    return Sent(queued, delivery)
