"""Fetching a mailbox (`inbound_mail.fetch_mailbox`) over an in-memory mailbox and the fake unit of
work: the batches, one transaction each, the progress reported after each, what a failure mid-way
leaves, and a folder's new UIDVALIDITY. (The same against a real IMAP server and both databases:
tests/integration/test_imap_fetch.py.)"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from arrears.services import inbound_mail
from arrears.services.mail_ports import (
    AttachmentInfo,
    FetchedMessage,
    InboxPage,
    NewReceived,
    ReceivedRow,
    SentRef,
)
from tests.fakes import FakeUnitOfWork

# -- fakes -----------------------------------------------------------------------------------------


class FakeMail:
    """The mail store, as far as receiving needs it: messages stored once by Message-ID, and each
    folder's UIDVALIDITY and last UID."""

    def __init__(self) -> None:
        self.refuse = ""  # a message whose text holds this is refused, as a database refuses a value
        self.down = False  # every write fails, as when the database cannot be reached
        self.kept: dict[int, NewReceived] = {}
        self.sent: dict[int, SentRef] = {}
        self.folders: dict[tuple[str, str], tuple[int, int]] = {}

    def sent_by_token(self, token: str) -> SentRef | None:
        return None

    def sent_by_message_ids(self, message_ids: Sequence[str]) -> SentRef | None:
        return next((s for m in message_ids for s in self.sent.values() if s.message_id == m), None)

    def received_customer(self, message_ids: Sequence[str]) -> int | None:
        return None

    def customers_with_address(self, address: str) -> list[int]:
        return []

    def store(self, message: NewReceived) -> int | None:
        if self.down or (self.refuse and self.refuse in message.text):
            raise RuntimeError("the database refused the row")
        if any(r.message_id == message.message_id for r in self.kept.values()):
            return None
        received_id = len(self.kept) + 1
        self.kept[received_id] = message
        return received_id

    def mark_bounced(self, email_id: int, diagnostic: str, at: datetime) -> bool:
        return email_id in self.sent

    def count_bounce(self, address: str, permanent: bool, diagnostic: str, at: datetime, flag_after: int) -> bool:
        return False

    def flagged_addresses(self, addresses: Sequence[str]) -> set[str]:
        return set()

    def clear_flag(self, address: str) -> bool:
        return False

    def received(self, received_id: int) -> ReceivedRow | None:
        raise NotImplementedError

    def attachment(self, received_id: int, attachment_id: int) -> tuple[AttachmentInfo, bytes] | None:
        raise NotImplementedError

    def inbox(
        self, *, collector_id: int | None, unmatched: bool, unread_only: bool, limit: int, offset: int
    ) -> InboxPage:
        raise NotImplementedError

    def customer_mail(self, customer_id: int, limit: int) -> list[ReceivedRow]:
        raise NotImplementedError

    def unread_counts(self, collector_id: int | None) -> tuple[int, int]:
        raise NotImplementedError

    def mark_read(self, received_id: int, user_id: int | None, at: datetime | None) -> bool:
        raise NotImplementedError

    def assign(self, received_id: int, customer_id: int) -> bool:
        raise NotImplementedError

    def hold_folder(self, mailbox: str, folder: str) -> tuple[int, int]:
        return self.folders.get((mailbox, folder), (0, 0))

    def save_folder(self, mailbox: str, folder: str, uidvalidity: int, last_uid: int, at: datetime) -> None:
        if self.down:
            raise RuntimeError("the database cannot be reached")
        self.folders[(mailbox, folder)] = (uidvalidity, last_uid)


class MailDesk(FakeUnitOfWork):
    """The fake unit of work with the mail store, kept in the workspace so a transaction copies it."""

    @property
    def mail(self) -> FakeMail:
        areas = vars(self._now)
        if "mail" not in areas:
            areas["mail"] = FakeMail()
        found: FakeMail = areas["mail"]
        return found

    def fresh(self) -> MailDesk:
        return MailDesk(self.clock, _database=self._database)


@dataclass
class FakeMailbox:
    """A folder held in memory: `messages` by UID; `fetched` records each fetch's UIDs; `fail_on`
    makes the fetch of that UID raise, as a dropped connection would."""

    messages: dict[int, bytes] = field(default_factory=dict)
    uidvalidity: int = 1
    fetched: list[list[int]] = field(default_factory=list)
    fail_on: int | None = None
    name: str = "ar@imap.example.com"
    folder: str = "INBOX"

    def deliver(self, *raws: bytes) -> None:
        for raw in raws:
            self.messages[max(self.messages, default=100) + 1] = raw

    @contextlib.contextmanager
    def open(self) -> Iterator[FakeMailbox]:
        yield self

    def uids_after(self, last_uid: int) -> list[int]:
        newer = sorted(uid for uid in self.messages if uid > last_uid)
        # as IMAP answers `UID N:*`: the newest message is named even when its UID is below N
        return newer or sorted(self.messages)[-1:]

    def fetch(self, uids: Sequence[int]) -> list[FetchedMessage]:
        self.fetched.append(list(uids))
        if self.fail_on in uids:
            raise OSError("connection reset by peer")
        return [FetchedMessage(uid, self.messages[uid]) for uid in uids]


def note(n: int) -> bytes:
    return f"From: ann@customer.example\r\nMessage-ID: <note-{n}@customer.example>\r\n\r\nOK {n}\r\n".encode()


@pytest.fixture
def desk() -> MailDesk:
    return MailDesk()


def stored(desk: MailDesk) -> list[str]:
    return [message.message_id for message in desk.mail.kept.values()]


# -- tests -----------------------------------------------------------------------------------------


def test_a_folder_is_read_in_batches_each_committed_with_its_progress(desk: MailDesk) -> None:
    mailbox = FakeMailbox()
    mailbox.deliver(*(note(n) for n in range(250)))
    progress: list[tuple[int, int]] = []

    report = inbound_mail.fetch_mailbox(
        desk.fresh, mailbox, batch=100, progress=lambda done, total: progress.append((done, total))
    )

    assert [len(uids) for uids in mailbox.fetched] == [100, 100, 50]
    assert progress == [(100, 250), (200, 250), (250, 250)]
    assert desk.commits == 3
    assert (report.stored, report.duplicates, report.refused) == (250, 0, [])
    assert desk.mail.folders[("ar@imap.example.com", "INBOX")] == (1, 350)


def test_a_folder_of_whole_batches_ends_at_its_last_message(desk: MailDesk) -> None:
    mailbox = FakeMailbox()
    mailbox.deliver(*(note(n) for n in range(200)))
    progress: list[tuple[int, int]] = []

    report = inbound_mail.fetch_mailbox(
        desk.fresh, mailbox, batch=100, progress=lambda done, total: progress.append((done, total))
    )

    assert report.stored == 200
    assert progress == [(100, 200), (200, 200)]
    assert desk.commits == 2  # no last, empty transaction


def test_nothing_new_fetches_nothing_even_though_imap_names_the_newest_message(desk: MailDesk) -> None:
    mailbox = FakeMailbox()
    mailbox.deliver(note(1), note(2))
    inbound_mail.fetch_mailbox(desk.fresh, mailbox)
    mailbox.fetched.clear()

    report = inbound_mail.fetch_mailbox(desk.fresh, mailbox)

    assert mailbox.fetched in ([], [[]])
    assert (report.stored, report.duplicates) == (0, 0)


def test_an_empty_folder_reports_no_progress_to_make(desk: MailDesk) -> None:
    progress: list[tuple[int, int]] = []

    report = inbound_mail.fetch_mailbox(desk.fresh, FakeMailbox(), progress=lambda d, t: progress.append((d, t)))

    assert report.stored == 0
    assert progress == [(0, 0)]


def test_a_batch_that_fails_is_fetched_again_by_the_next_run_and_earlier_batches_stay(desk: MailDesk) -> None:
    mailbox = FakeMailbox(fail_on=350)  # in the third batch (UIDs 301 to 400)
    mailbox.deliver(*(note(n) for n in range(300)))

    with pytest.raises(OSError, match="reset"):
        inbound_mail.fetch_mailbox(desk.fresh, mailbox, batch=100)
    kept = len(stored(desk))
    mailbox.fail_on = None
    report = inbound_mail.fetch_mailbox(desk.fresh, mailbox, batch=100)

    assert kept == 200
    assert (report.stored, report.duplicates) == (100, 0)
    assert stored(desk) == [f"<note-{n}@customer.example>" for n in range(300)]


def test_a_new_uidvalidity_reads_the_folder_again_storing_nothing_twice(desk: MailDesk) -> None:
    mailbox = FakeMailbox(uidvalidity=7)
    mailbox.deliver(note(1), note(2))
    inbound_mail.fetch_mailbox(desk.fresh, mailbox)
    rebuilt = FakeMailbox(uidvalidity=8)  # the server rebuilt the folder: UIDs start over
    rebuilt.deliver(note(1), note(2), note(3))

    report = inbound_mail.fetch_mailbox(desk.fresh, rebuilt)

    assert (report.restarted, report.stored, report.duplicates) == (True, 1, 2)
    assert stored(desk) == [f"<note-{n}@customer.example>" for n in (1, 2, 3)]
    assert desk.mail.folders[("ar@imap.example.com", "INBOX")] == (8, 103)


def test_what_is_not_a_message_is_reported_by_uid_and_the_rest_stored(desk: MailDesk) -> None:
    mailbox = FakeMailbox()
    mailbox.deliver(note(1), b"not an email at all", note(2), b"x" * 5_000_001)

    report = inbound_mail.fetch_mailbox(desk.fresh, mailbox)

    assert report.stored == 2
    assert [refused.split(":")[0] for refused in report.refused] == ["UID 102", "UID 104"]
    assert "not an email message" in report.refused[0]
    assert "at most 5,000,000" in report.refused[1]


def test_a_date_beyond_the_calendar_does_not_block_the_mailbox(desk: MailDesk) -> None:
    mailbox = FakeMailbox()
    mailbox.deliver(
        b"From: ann@customer.example\r\nMessage-ID: <far@customer.example>\r\n"
        b"Date: Fri, 31 Dec 9999 23:00:00 -1400\r\n\r\nOK\r\n",
        note(1),
    )

    report = inbound_mail.fetch_mailbox(desk.fresh, mailbox)

    assert report.stored + len(report.refused) == 2
    assert "<note-1@customer.example>" in stored(desk)


def test_a_message_the_database_refuses_is_passed_over_and_reported_while_the_rest_of_its_batch_is_stored(
    desk: MailDesk,
) -> None:
    mailbox = FakeMailbox()
    mailbox.deliver(*(note(n) for n in range(5)))
    desk.mail.refuse = "OK 2"

    report = inbound_mail.fetch_mailbox(desk.fresh, mailbox, batch=5)

    assert report.stored == 4
    assert [r.split(":")[0] for r in report.refused] == ["UID 103"]
    assert "the database refused it" in report.refused[0]
    assert desk.mail.folders[("ar@imap.example.com", "INBOX")] == (1, 105)
    assert inbound_mail.fetch_mailbox(desk.fresh, mailbox).stored == 0  # not tried again


def test_when_the_database_is_down_the_fetch_stops_and_leaves_every_message_for_the_next(desk: MailDesk) -> None:
    mailbox = FakeMailbox()
    mailbox.deliver(*(note(n) for n in range(3)))
    desk.mail.down = True

    with pytest.raises(RuntimeError, match="cannot be reached"):
        inbound_mail.fetch_mailbox(desk.fresh, mailbox)

    desk.mail.down = False
    assert inbound_mail.fetch_mailbox(desk.fresh, mailbox).stored == 3
