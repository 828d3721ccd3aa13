"""The AR inbox in the workspace: received mail per collector (their customers' messages), the
unmatched mail for managers to assign, and what a person does with a message: read it (or mark it
unread again), answer it (threaded, through the outbox), make a task or a dispute of it, assign it
to a customer (adding the sender as a contact), download its attachments.

Who sees what: everyone signed in reads the mail of customers (as they read timelines); the
unmatched mail, which may concern anyone, is for managers and owners, who assign it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..domain.dates import NotADate, parse_day
from ..domain.errors import InvalidValue, NotFound
from ..domain.permissions import Action, allowed, require
from ..domain.users import User
from . import sending
from .cycle import Mailer
from .mail_ports import AttachmentInfo, InboxPage, ReceivedRow
from .ports import UnitOfWork
from .tasks import NewContact, NewTask, create_task, customer_named, record_audit
from .workspace_ports import TaskRow

PAGE_SIZE = 50
MAX_PAGE_OFFSET = 100_000
# Attachments shown in the page rather than downloaded: images and PDFs (never HTML or SVG, which
# could run script on the workspace's origin).
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"})


class InboxView(StrEnum):
    MINE = "mine"  # the mail of my customers
    ALL = "all"  # every customer's
    UNMATCHED = "unmatched"  # no customer yet: managers assign it


@dataclass(frozen=True, slots=True)
class Inbox:
    view: InboxView
    unread_only: bool
    page: InboxPage
    offset: int
    unread_mine: int
    unmatched: int  # unread unmatched messages (0 for who may not see them)
    may_assign: bool


def may_see_unmatched(user: User) -> bool:
    return allowed(user, Action.WRITE_LEDGER)


def parse_view(text: str | None) -> InboxView:
    try:
        return InboxView(text or InboxView.MINE.value)
    except ValueError:
        raise InvalidValue(f"no inbox view {text!r}: use mine, all or unmatched") from None


def inbox(uow: UnitOfWork, user: User, view: InboxView, *, unread_only: bool = False, offset: int = 0) -> Inbox:
    require(user, Action.READ)
    if view is InboxView.UNMATCHED:
        require(user, Action.WRITE_LEDGER)
    if not 0 <= offset <= MAX_PAGE_OFFSET:
        raise InvalidValue(f"the page offset must be between 0 and {MAX_PAGE_OFFSET:,}")
    with uow:
        page = uow.mail.inbox(
            collector_id=user.id if view is InboxView.MINE else None,
            unmatched=view is InboxView.UNMATCHED,
            unread_only=unread_only,
            limit=PAGE_SIZE,
            offset=offset,
        )
        mine, unmatched = uow.mail.unread_counts(user.id)
    return Inbox(
        view, unread_only, page, offset, mine, unmatched if may_see_unmatched(user) else 0, may_see_unmatched(user)
    )


def unread_counts(uow: UnitOfWork, user: User) -> tuple[int, int]:
    """The user's customers' unread messages, and the unread unmatched ones (0 for a contributor):
    one statement."""
    with uow:
        mine, unmatched = uow.mail.unread_counts(user.id)
    return mine, unmatched if may_see_unmatched(user) else 0


def _message(uow: UnitOfWork, user: User, received_id: int) -> ReceivedRow:
    require(user, Action.READ)
    row = uow.mail.received(received_id)
    if row is None or (row.customer_id is None and not may_see_unmatched(user)):
        raise NotFound(f"no received email {received_id}")
    return row


def open_message(uow: UnitOfWork, user: User, received_id: int) -> ReceivedRow:
    """The message, marked read by `user` as it is opened."""
    with uow:
        row = _message(uow, user, received_id)
        if row.read_at is None and uow.mail.mark_read(received_id, user.id, uow.clock.now()):
            uow.commit()
            row = _message(uow, user, received_id)
    return row


def mark(uow: UnitOfWork, user: User, received_id: int, *, read: bool) -> ReceivedRow:
    with uow:
        _message(uow, user, received_id)
        uow.mail.mark_read(received_id, user.id, uow.clock.now() if read else None)
        uow.commit()
        return _message(uow, user, received_id)


def attachment(uow: UnitOfWork, user: User, received_id: int, attachment_id: int) -> tuple[AttachmentInfo, bytes]:
    with uow:
        _message(uow, user, received_id)
        found = uow.mail.attachment(received_id, attachment_id)
    if found is None:
        raise NotFound(f"no attachment {attachment_id} on received email {received_id}")
    return found


def customer_mail(uow: UnitOfWork, user: User, external_id: str, limit: int = 20) -> list[ReceivedRow]:
    """A customer's received messages, newest first (the customer record's panel)."""
    require(user, Action.READ)
    with uow:
        customer = customer_named(uow, external_id)
        return uow.mail.customer_mail(customer.id, limit)


@dataclass(frozen=True, slots=True)
class Assigned:
    message: ReceivedRow
    contact_added: bool  # False: not asked, or the sender is on the customer's record already


def assign(uow: UnitOfWork, user: User, received_id: int, external_id: str, *, add_contact: bool = False) -> Assigned:
    """Put an unmatched (or wrongly matched) message on a customer; with `add_contact`, its sender
    becomes a contact of the customer (who does not receive reminders until someone ticks it),
    unless the address is on the customer's record already."""
    require(user, Action.WRITE_LEDGER)
    with uow:
        row = _message(uow, user, received_id)
        customer = customer_named(uow, external_id)
        uow.mail.assign(received_id, customer.id)
        sender = row.from_name or row.from_address
        summary = f"Email from {sender} assigned to this customer: {row.subject}"
        record_audit(uow, user, "received_email", received_id, "assigned", summary[:1000], customer.id)
        added = bool(add_contact and row.from_address and not uow.mail.has_address(customer.id, row.from_address))
        if added:
            contact = NewContact(name=row.from_name or row.from_address, email=row.from_address)
            contact_id = uow.customer_records.add_contact(
                customer.id, contact.name, contact.email, contact.phone, contact.role, contact.receives_reminders
            )
            record_audit(
                uow, user, "contact", contact_id, "created", f"Contact added from an email: {contact.name}", customer.id
            )
        uow.commit()
        return Assigned(_message(uow, user, received_id), added)


def task_from(uow: UnitOfWork, user: User, received_id: int, task_type: str, due: str | None = None) -> TaskRow:
    """A task on the message's customer, its description quoting what the sender wrote."""
    with uow:
        row = _message(uow, user, received_id)
    if row.customer_external_id is None:
        raise InvalidValue("assign the email to a customer first")
    quoted = row.reply_text.strip()[:3000]
    description = (
        f"Email from {row.from_name or row.from_address} ({row.received_at:%Y-%m-%d}): {row.subject}\n\n{quoted}"
    )
    try:
        due_date = parse_day(due, "the task's due date") if due else None
    except NotADate:
        raise InvalidValue(f"{due!r} is not a date (YYYY-MM-DD)") from None
    return create_task(
        uow, user, NewTask(row.customer_external_id, task_type, description=description[:5000], due_date=due_date)
    )


def reply(
    uow_factory: Callable[[], UnitOfWork], user: User, mailer: Mailer, received_id: int, text: str, key: str
) -> sending.Sent:
    """Answer the message from Arrears: to its sender, under "Re: " its subject, threaded (In-Reply-To),
    through the outbox and sent at once as an email from the customer's record is. The sender must be
    an address of the customer's record (assign it, adding the sender as a contact, first)."""
    with uow_factory() as uow:
        row = _message(uow, user, received_id)
    if row.customer_external_id is None:
        raise InvalidValue("assign the email to a customer first")
    subject = row.subject if row.subject.lower().startswith("re:") else f"Re: {row.subject}"
    email = sending.HandEmail(
        key=key or uuid.uuid4().hex,
        to=(row.from_address,),
        subject=subject[: sending.MAX_SUBJECT],
        body=text,
        in_reply_to=row.message_id,
    )
    return sending.send_email(uow_factory, user, mailer, row.customer_external_id, email)


def sender_on_record(uow: UnitOfWork, user: User, received_id: int) -> bool:
    """Whether the message's sender is an address of its customer's record (its own or a
    contact's), as a reply needs; False for an unmatched message."""
    with uow:
        row = _message(uow, user, received_id)
        if row.customer_id is None or not row.from_address:
            return False
        return uow.mail.has_address(row.customer_id, row.from_address.lower())


def message(uow: UnitOfWork, user: User, received_id: int) -> ReceivedRow:
    """The message as it is, without marking it read (a refused form shown again changes nothing)."""
    with uow:
        return _message(uow, user, received_id)
