"""Fetching the AR mailbox over IMAP (`fetch_mailbox` through the IMAP adapter), against a real
IMAP server on 127.0.0.1 (pymap, tests/imap.py) and each database: every message is stored once,
across fetches, restarts, two workers at once and a folder's new UIDVALIDITY; nothing is marked
read in the mailbox; what is not a message is skipped, reported, and holds nothing up."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.services import inbound_mail
from arrears.services.inbound_mail import FetchReport
from tests.imap import ImapFolder


def reply(n: int, run: str = "") -> bytes:
    """A customer's short answer, with a Message-ID of its own."""
    return (
        f"From: Ann Lee <ann@customer.example>\r\n"
        f"To: ar@example.com\r\n"
        f"Subject: Re: Invoice {n}\r\n"
        f"Message-ID: <answer-{n}-{run}@customer.example>\r\n"
        f"Date: Tue, 30 Jun 2026 09:{n % 60:02d}:00 +0000\r\n"
        f"\r\n"
        f"We will pay invoice {n} on Friday.\r\n"
    ).encode()


@pytest.fixture
def run() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def app(db_url: str, imap: ImapFolder) -> Iterator[Arrears]:
    arrears = bootstrap(Settings(database_url=db_url, imap_url=imap.url))
    yield arrears
    arrears.close()


def fetch(
    app: Arrears, batch: int = inbound_mail.FETCH_BATCH, progress: Callable[[int, int], None] | None = None
) -> FetchReport:
    mailbox = app.mailbox()
    assert mailbox is not None
    return inbound_mail.fetch_mailbox(app.uow, mailbox, batch=batch, progress=progress)


def stored_ids(app: Arrears) -> list[str]:
    r = t.received_emails
    with app.engine.connect() as connection:
        return list(connection.execute(select(r.c.message_id).order_by(r.c.id)).scalars())


def test_each_fetch_stores_only_the_messages_that_came_since_the_last(app: Arrears, imap: ImapFolder, run: str) -> None:
    imap.append_all([reply(n, run) for n in range(2)])
    first = fetch(app)
    imap.append_all([reply(n, run) for n in range(2, 5)])

    second = fetch(app)
    third = fetch(app)

    assert (first.stored, second.stored, third.stored) == (2, 3, 0)
    assert (second.duplicates, third.duplicates, second.refused, third.refused) == (0, 0, [], [])
    assert stored_ids(app) == [f"<answer-{n}-{run}@customer.example>" for n in range(5)]


def test_an_empty_folder_stores_nothing(app: Arrears) -> None:
    report = fetch(app)

    assert (report.stored, report.duplicates, report.refused, report.restarted) == (0, 0, [], False)
    assert stored_ids(app) == []


def test_after_a_restart_nothing_is_lost_or_stored_twice_and_the_mailbox_stays_unread(
    db_url: str, imap: ImapFolder, run: str
) -> None:
    imap.append_all([reply(n, run) for n in range(3)])
    before = bootstrap(Settings(database_url=db_url, imap_url=imap.url))
    fetch(before)
    before.close()
    imap.append_all([reply(n, run) for n in range(3, 7)])

    after = bootstrap(Settings(database_url=db_url, imap_url=imap.url))  # a new process: new Arrears, new mailbox
    report = fetch(after)
    again = fetch(after)
    ids = stored_ids(after)
    after.close()

    assert (report.stored, report.duplicates, again.stored) == (4, 0, 0)
    assert ids == [f"<answer-{n}-{run}@customer.example>" for n in range(7)]
    flags = imap.flags()
    assert len(flags) == 7
    assert all("\\Seen" not in flagged for flagged in flags.values()), flags


def test_batches_go_on_until_the_folder_is_read(app: Arrears, imap: ImapFolder, run: str) -> None:
    imap.append_all([reply(n, run) for n in range(7)])
    seen: list[tuple[int, int]] = []

    report = fetch(app, batch=3, progress=lambda done, total: seen.append((done, total)))

    assert report.stored == 7
    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert len(stored_ids(app)) == 7


def test_a_new_uidvalidity_reads_the_folder_again_and_stores_nothing_twice(
    app: Arrears, imap: ImapFolder, run: str
) -> None:
    imap.append_all([reply(n, run) for n in range(3)])
    fetch(app)
    old = imap.uidvalidity()
    imap.delete()  # the mail server rebuilt the folder: its UIDs start again
    imap.create()
    imap.append_all([reply(n, run) for n in range(4)])
    assert imap.uidvalidity() != old

    report = fetch(app)
    after = fetch(app)

    assert (report.restarted, report.stored, report.duplicates) == (True, 1, 3)
    assert (after.restarted, after.stored, after.duplicates) == (False, 0, 0)
    assert stored_ids(app) == [f"<answer-{n}-{run}@customer.example>" for n in range(4)]


def test_what_is_not_a_message_is_skipped_reported_and_holds_nothing_up(
    app: Arrears, imap: ImapFolder, run: str
) -> None:
    uids = imap.append_all([reply(0, run), b"Hello, this is a stray note and not an email.\r\n", reply(1, run)])

    report = fetch(app)
    imap.append(reply(2, run))
    later = fetch(app)

    assert report.stored == 2
    assert report.refused == [f"UID {uids[1]}: this is not an email message: it does not start with headers"]
    assert (later.stored, later.refused) == (1, [])  # the stray note is not read again
    assert stored_ids(app) == [f"<answer-{n}-{run}@customer.example>" for n in range(3)]


@pytest.mark.postgres
def test_two_workers_fetching_the_same_folder_at_once_store_each_message_once(
    pg_url: str, imap: ImapFolder, run: str
) -> None:
    imap.append_all([reply(n, run) for n in range(200)])
    app = bootstrap(Settings(database_url=pg_url, imap_url=imap.url))
    start = threading.Barrier(2)
    reports: list[FetchReport] = []
    failures: list[BaseException] = []

    def worker() -> None:
        mailbox = app.mailbox()  # each worker its own IMAP connection
        assert mailbox is not None
        start.wait()
        try:
            reports.append(inbound_mail.fetch_mailbox(app.uow, mailbox, batch=20))
        except BaseException as error:  # reported by the test's thread
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    r = t.received_emails
    with app.engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(r)).scalar_one()
        distinct = connection.execute(select(func.count(r.c.message_id.distinct()))).scalar_one()
    app.close()

    assert failures == []
    assert (rows, distinct) == (200, 200)
    assert sum(report.stored for report in reports) == 200
    assert sum(report.duplicates for report in reports) == 0  # the folder's lock: neither read the other's batch


# A message a broken mailer sends: multipart without a usable boundary, with 8-bit text. The domain
# parses it (an empty reply), but the standard library cannot write it out again as bytes.
MANGLED = (
    b"From: Ann Lee <ann@customer.example>\r\nTo: ar@example.com\r\nSubject: Zahlung\r\n"
    b"Message-ID: <mangled@customer.example>\r\nContent-Type: multipart/mixed\r\n\r\n"
    b"Sch\xf6ne Gr\xfc\xdfe\r\n"
)


def test_a_message_the_standard_library_cannot_rewrite_does_not_block_the_mailbox(
    app: Arrears, imap: ImapFolder, run: str
) -> None:
    imap.append_all([MANGLED, reply(1, run)])

    report = fetch(app)

    assert report.stored + len(report.refused) == 2
    assert f"<answer-1-{run}@customer.example>" in stored_ids(app)


def test_the_raw_message_kept_is_the_one_in_the_mailbox(app: Arrears, imap: ImapFolder, run: str) -> None:
    imap.append(reply(1, run))

    fetch(app)

    r = t.received_emails
    with app.engine.connect() as connection:
        raw, size = connection.execute(select(r.c.raw, r.c.raw_size)).one()
    assert (raw, size) == (reply(1, run), len(reply(1, run)))


# A text part with a NUL byte in it (a mail program that sent UTF-16 as plain text, or a binary
# pasted into the body): PostgreSQL's text columns refuse the character.
WITH_NUL = (
    b"From: Ann Lee <ann@customer.example>\r\nTo: ar@example.com\r\nSubject: Remittance\r\n"
    b"Message-ID: <nul@customer.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Paid on Friday.\x00\r\n"
)


def test_a_message_with_a_nul_byte_does_not_block_the_mailbox(app: Arrears, imap: ImapFolder, run: str) -> None:
    imap.append_all([WITH_NUL, reply(1, run)])

    report = fetch(app)

    assert report.stored + len(report.refused) == 2
    assert f"<answer-1-{run}@customer.example>" in stored_ids(app)
