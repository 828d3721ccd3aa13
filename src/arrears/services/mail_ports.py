"""What receiving mail needs from the database (the received messages, the emails they answer, the
addresses that bounced, where fetching a mailbox got to) and from a mailbox (IMAP)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..domain.inbound import Attachment


@dataclass(frozen=True, slots=True)
class SentRef:
    """An email we sent, as a received message is threaded onto it."""

    id: int
    customer_id: int
    message_id: str


@dataclass(frozen=True, slots=True)
class NewReceived:
    message_id: str
    customer_id: int | None
    email_id: int | None
    kind: str
    matched_by: str
    from_address: str
    from_name: str
    to: tuple[str, ...]
    subject: str
    sent_at: datetime | None
    received_at: datetime
    text: str
    reply_text: str
    raw: bytes | None  # None when larger than kept
    raw_size: int
    source: str  # imap, pipe
    bounce_status: str | None
    bounce_diagnostic: str | None
    read_at: datetime | None  # an auto-reply or a bounce is read as it arrives
    attachments: tuple[Attachment, ...]


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class ReceivedRow:
    """A received message as the inbox and the timeline show it."""

    id: int
    message_id: str
    customer_id: int | None
    customer_external_id: str | None
    customer_name: str | None
    collector_id: int | None  # the customer's collector
    email_id: int | None
    email_subject: str | None  # the subject of the email of ours it answers
    kind: str
    matched_by: str
    from_address: str
    from_name: str
    to: tuple[str, ...]
    subject: str
    sent_at: datetime | None
    received_at: datetime
    text: str
    reply_text: str
    read_at: datetime | None
    read_by: str | None  # the user's name
    bounce_status: str | None
    bounce_diagnostic: str | None
    attachments: tuple[AttachmentInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class InboxPage:
    items: tuple[ReceivedRow, ...]
    next_offset: int | None


class Threading(Protocol):
    """What threading a received message reads."""

    def sent_by_token(self, token: str) -> SentRef | None: ...

    def sent_by_message_ids(self, message_ids: Sequence[str]) -> SentRef | None:
        """The first email of `message_ids` (in their order) that we sent."""

    def received_customer(self, message_ids: Sequence[str]) -> int | None:
        """The customer of the first of `message_ids` that we received and matched (a reply to a
        reply threads where the first one went)."""

    def customers_with_address(self, address: str) -> list[int]:
        """The customers whose own address or a contact's is `address` (lower-cased), at most two:
        more than one is ambiguous."""


class MailStore(Threading, Protocol):
    def has_address(self, customer_id: int, address: str) -> bool:
        """Whether `address` (lower-cased) is the customer's own or one of its contacts'."""

    # -- storing -------------------------------------------------------------------------------------
    def store(self, message: NewReceived) -> int | None:
        """Store a received message and its attachments; None when one with its Message-ID is
        stored already (nothing is written)."""

    def mark_bounced(self, email_id: int, diagnostic: str, at: datetime) -> bool:
        """Mark a sent email bounced with the server's diagnostic; False if it was not sent."""

    def count_bounce(self, address: str, permanent: bool, diagnostic: str, at: datetime, flag_after: int) -> bool:
        """Count a bounce of `address`; True when this one flagged it (its `flag_after`-th
        permanent failure)."""

    def flagged_addresses(self, addresses: Sequence[str]) -> set[str]:
        """Which of `addresses` (any case) are flagged, lower-cased."""

    def clear_flag(self, address: str) -> bool: ...

    # -- reading -------------------------------------------------------------------------------------
    def received(self, received_id: int) -> ReceivedRow | None: ...

    def attachment(self, received_id: int, attachment_id: int) -> tuple[AttachmentInfo, bytes] | None: ...

    def inbox(
        self, *, collector_id: int | None, unmatched: bool, unread_only: bool, limit: int, offset: int
    ) -> InboxPage:
        """Received messages, newest first: the unmatched ones, or those of the customers of
        `collector_id` (every customer's when None)."""

    def customer_mail(self, customer_id: int, limit: int) -> list[ReceivedRow]:
        """A customer's received messages, newest first."""

    def unread_counts(self, collector_id: int | None) -> tuple[int, int]:
        """Unread messages (of `collector_id`'s customers, or everyone's when None), and unmatched ones."""

    # -- changing ------------------------------------------------------------------------------------
    def mark_read(self, received_id: int, user_id: int | None, at: datetime | None) -> bool:
        """Read (`at` set) or unread again (`at` None)."""

    def assign(self, received_id: int, customer_id: int) -> bool: ...

    # -- mailboxes -----------------------------------------------------------------------------------
    def hold_folder(self, mailbox: str, folder: str) -> tuple[int, int]:
        """The folder's UIDVALIDITY and last UID stored (0, 0 the first time), its row held until
        the transaction ends: a second fetcher of the same folder waits."""

    def save_folder(self, mailbox: str, folder: str, uidvalidity: int, last_uid: int, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    uid: int
    raw: bytes


class MailboxSession(Protocol):
    """An open IMAP folder."""

    @property
    def uidvalidity(self) -> int: ...

    def uids_after(self, last_uid: int) -> list[int]:
        """The UIDs of the folder's messages after `last_uid`, ascending."""

    def fetch(self, uids: Sequence[int]) -> list[FetchedMessage]:
        """The messages, whole, without marking them read (BODY.PEEK)."""


class Mailbox(Protocol):
    """Where replies land (ARREARS_IMAP_URL): `open()` logs in and selects the folder."""

    @property
    def name(self) -> str:
        """user@host: what the folder's progress is kept under."""

    @property
    def folder(self) -> str: ...

    def open(self) -> AbstractContextManager[MailboxSession]: ...
