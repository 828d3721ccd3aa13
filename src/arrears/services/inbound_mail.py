"""Receiving mail: a message from a mail server's pipe (`arrears mail receive`) or the AR mailbox
(IMAP: `arrears mail fetch`, the worker every minute) is stored once per Message-ID, threaded onto
the customer it concerns, and acted on when it is a bounce.

Threading (domain/inbound.py): the reply token in the address it came to, In-Reply-To, References,
the copy of our email a delivery report carries, then the sender being one customer's address (its
own or a contact's); else it waits, unmatched, for a manager. A person's reply lands on the
customer's timeline unread; an auto-reply is stored read (nothing answers it, so no loop starts); a
report that an email failed marks it bounced, raises an alert and counts the address, which gets no
more reminders after repeated permanent failures.

Fetching a folder goes in batches, each one transaction: the folder's row is held while the batch
is stored and its last UID saved with it, so two workers never store a message twice and a worker
killed mid-batch leaves the batch to the next run (a message stored twice is refused by its
Message-ID anyway). A new UIDVALIDITY starts the folder over; the Message-IDs keep it from
storing anything twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..domain import inbound
from ..domain.alerts import AlertKind
from ..domain.audit import SYSTEM, AuditEntry
from ..domain.errors import InvalidValue
from ..domain.inbound import MailKind, MatchedBy, ReceivedMessage
from ..domain.permissions import Action, require
from ..domain.users import User
from .mail_ports import FetchedMessage, Mailbox, MailboxSession, NewReceived, Threading
from .ports import UnitOfWork
from .tasks import record_audit

UowFactory = Callable[[], UnitOfWork]
FETCH_BATCH = 100


@dataclass(frozen=True, slots=True)
class Received:
    id: int | None  # None: a message with this Message-ID was stored before
    message_id: str
    kind: MailKind
    matched_by: MatchedBy
    customer_id: int | None

    @property
    def duplicate(self) -> bool:
        return self.id is None


@dataclass
class FetchReport:
    stored: int = 0
    duplicates: int = 0
    refused: list[str] = field(default_factory=list)  # what was not a message, or too large: UID and why
    restarted: bool = False  # the folder's UIDVALIDITY changed: it was read from its start again


def parse(raw: bytes) -> ReceivedMessage:
    """The message, or InvalidValue saying why these bytes are not one we take."""
    try:
        return inbound.parse(raw)
    except (inbound.NotAMessage, inbound.TooLarge) as error:
        raise InvalidValue(str(error)) from None


def receive(uow: UnitOfWork, raw: bytes, source: str) -> Received:
    """Store one message (its own transaction); InvalidValue when the bytes are not a message."""
    message = parse(raw)
    with uow:
        received = receive_in(uow, message, raw, source)
        uow.commit()
    return received


def thread(mail: Threading, message: ReceivedMessage) -> tuple[int | None, int | None, MatchedBy]:
    """The customer and the email of ours a message belongs to, and how that was found."""
    token = inbound.token_in(message.to)
    if token is not None:
        sent = mail.sent_by_token(token)
        if sent is not None:
            return sent.customer_id, sent.id, MatchedBy.TOKEN
    for ids, how in ((message.in_reply_to, MatchedBy.IN_REPLY_TO), (message.references, MatchedBy.REFERENCES)):
        sent = mail.sent_by_message_ids(ids)
        if sent is not None:
            return sent.customer_id, sent.id, how
        customer_id = mail.received_customer(ids)  # an answer to a message received before
        if customer_id is not None:
            return customer_id, None, how
    if message.bounce is not None and message.bounce.original_message_id:
        sent = mail.sent_by_message_ids([message.bounce.original_message_id])
        if sent is not None:
            return sent.customer_id, sent.id, MatchedBy.BOUNCED
    if message.from_address and message.kind is not MailKind.BOUNCE:
        customers = mail.customers_with_address(message.from_address)
        if len(customers) == 1:
            return customers[0], None, MatchedBy.FROM_ADDRESS
    return None, None, MatchedBy.UNMATCHED


def receive_in(uow: UnitOfWork, message: ReceivedMessage, raw: bytes, source: str) -> Received:
    """Store one parsed message in the caller's unit of work, with what follows from it."""
    now = uow.clock.now()
    customer_id, email_id, matched_by = thread(uow.mail, message)
    bounce = message.bounce
    stored = uow.mail.store(
        NewReceived(
            message_id=message.message_id,
            customer_id=customer_id,
            email_id=email_id,
            kind=message.kind.value,
            matched_by=matched_by.value,
            from_address=message.from_address,
            from_name=message.from_name,
            to=message.to,
            subject=message.subject,
            sent_at=message.sent_at,
            received_at=now,
            text=message.text,
            reply_text=inbound.strip_reply(message.text) if message.kind is MailKind.REPLY else message.text,
            raw=raw if len(raw) <= inbound.KEPT_RAW_BYTES else None,
            raw_size=len(raw),
            source=source,
            bounce_status=bounce.status if bounce else None,
            bounce_diagnostic=bounce.diagnostic if bounce else None,
            read_at=None if message.kind is MailKind.REPLY else now,
            attachments=message.attachments,
        )
    )
    received = Received(stored, message.message_id, message.kind, matched_by, customer_id)
    if stored is None:
        return received
    sender = message.from_name or message.from_address or "an unknown sender"
    if bounce is None:
        what = "Auto-reply" if message.kind is MailKind.AUTO_REPLY else "Email"
        _audit(uow, stored, "received", f"{what} received from {sender}: {message.subject}", customer_id)
        return received
    _bounced(uow, stored, message, email_id, customer_id)
    return received


def _bounced(
    uow: UnitOfWork, stored: int, message: ReceivedMessage, email_id: int | None, customer_id: int | None
) -> None:
    bounce = message.bounce
    assert bounce is not None
    now = uow.clock.now()
    to = ", ".join(bounce.recipients) or "its recipient"
    if not bounce.failed:
        _audit(uow, stored, "delayed", f"Delivery delayed to {to}: {bounce.diagnostic}", customer_id)
        return
    flagged = [
        address
        for address in bounce.recipients
        if uow.mail.count_bounce(address, bounce.permanent, bounce.diagnostic, now, inbound.BOUNCES_TO_FLAG)
    ]
    summary = f"Email bounced from {to}: {bounce.diagnostic}"
    if email_id is not None:
        uow.mail.mark_bounced(email_id, f"bounced ({bounce.status}): {bounce.diagnostic}", now)
    if flagged:
        summary += f". No more reminders to {', '.join(flagged)} until the address is fixed"
    _audit(uow, stored, "bounced", summary, customer_id)
    uow.alerts.raise_alert(
        AlertKind.EMAIL_BOUNCED.value,
        f"email_bounced:{email_id if email_id is not None else f'received:{stored}'}",
        summary,
        customer_id=customer_id,
        task_id=None,
        user_id=None,
        at=now,
    )


def clear_flag(uow: UnitOfWork, user: User, address: str) -> bool:
    """Send reminders to a flagged address again (it was fixed at the customer's end); False when
    it was not flagged. Its count of bounces starts again from zero."""
    require(user, Action.WRITE_LEDGER)
    wanted = address.strip().lower()
    if "@" not in wanted:
        raise InvalidValue(f"{address!r} is not an email address")
    with uow:
        cleared = uow.mail.clear_flag(wanted)
        if cleared:
            record_audit(uow, user, "bounced_address", wanted, "cleared", f"Reminders to {wanted} again", None)
            uow.commit()
    return cleared


def _audit(uow: UnitOfWork, received_id: int, action: str, summary: str, customer_id: int | None) -> None:
    uow.audit.record(
        AuditEntry(uow.clock.now(), SYSTEM, "received_email", str(received_id), action, summary[:1000], customer_id)
    )


def fetch_mailbox(
    uow_factory: UowFactory,
    mailbox: Mailbox,
    *,
    batch: int = FETCH_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> FetchReport:
    """Store the folder's messages that came since the last fetch, `batch` per transaction;
    `progress(done, total)` after each batch. A batch the database refuses (a message it cannot
    take) is stored again one message per transaction, and the message refused is reported and
    passed over, so that one message never blocks the mailbox; a failure of the mailbox or of the
    database itself stops the fetch with nothing lost."""
    report = FetchReport()
    with mailbox.open() as session:
        total: int | None = None
        done = 0
        while True:
            taken, pending = _batch(uow_factory, mailbox, session, batch, report)
            if total is None:
                total = pending
            if not taken:
                if progress is not None and done == 0:
                    progress(0, 0)  # nothing new: the bar ends at once
                break
            done += len(taken)
            if progress is not None:
                progress(done, max(total, done))
            if len(taken) >= pending:
                break
    return report


def _batch(
    uow_factory: UowFactory, mailbox: Mailbox, session: MailboxSession, size: int, report: FetchReport
) -> tuple[list[int], int]:
    """Store the next `size` messages: the UIDs taken, and how many were waiting."""
    part = FetchReport()
    with uow_factory() as uow:
        validity, last = uow.mail.hold_folder(mailbox.name, mailbox.folder)
        if validity and validity != session.uidvalidity:
            last, part.restarted = 0, True
        uids = [uid for uid in session.uids_after(last) if uid > last]
        taken = uids[:size]
        if not taken:
            if validity != session.uidvalidity:  # the folder's first fetch, or renumbered: remember it
                uow.mail.save_folder(mailbox.name, mailbox.folder, session.uidvalidity, last, uow.clock.now())
                uow.commit()
            _merge(report, part)
            return [], len(uids)
        fetched = session.fetch(taken)  # a failure of the mailbox stops here, with nothing stored
        try:
            for message in fetched:
                _store(uow, message, part)
            uow.mail.save_folder(mailbox.name, mailbox.folder, session.uidvalidity, max(taken), uow.clock.now())
            uow.commit()
        except Exception:  # the database refused one of them: see which, one per transaction
            uow.rollback()
        else:
            _merge(report, part)
            return taken, len(uids)
    report.restarted = report.restarted or part.restarted
    for message in fetched:
        _one(uow_factory, mailbox, session, message, report)
    return taken, len(uids)


def _one(
    uow_factory: UowFactory, mailbox: Mailbox, session: MailboxSession, message: FetchedMessage, report: FetchReport
) -> None:
    part = FetchReport()
    with uow_factory() as uow:
        validity, last = uow.mail.hold_folder(mailbox.name, mailbox.folder)
        if validity == session.uidvalidity and message.uid <= last:
            return  # another worker stored it meanwhile
        try:
            _store(uow, message, part)
            uow.mail.save_folder(mailbox.name, mailbox.folder, session.uidvalidity, message.uid, uow.clock.now())
            uow.commit()
            _merge(report, part)
            return
        except Exception as error:  # this message's, since the next transaction can write
            uow.rollback()
            refused = f"UID {message.uid}: the database refused it ({type(error).__name__}: {error})"[:500]
    with uow_factory() as uow:  # if the database itself is down, this fails too and stops the fetch
        uow.mail.hold_folder(mailbox.name, mailbox.folder)
        uow.mail.save_folder(mailbox.name, mailbox.folder, session.uidvalidity, message.uid, uow.clock.now())
        uow.commit()
    report.refused.append(refused)


def _store(uow: UnitOfWork, fetched: FetchedMessage, report: FetchReport) -> None:
    try:
        message = inbound.parse(fetched.raw)
    except (inbound.NotAMessage, inbound.TooLarge) as error:
        report.refused.append(f"UID {fetched.uid}: {error}")
        return
    if receive_in(uow, message, fetched.raw, "imap").duplicate:
        report.duplicates += 1
    else:
        report.stored += 1


def _merge(report: FetchReport, part: FetchReport) -> None:
    report.stored += part.stored
    report.duplicates += part.duplicates
    report.refused.extend(part.refused)
    report.restarted = report.restarted or part.restarted
