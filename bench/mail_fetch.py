"""Inbound mail (docs/benchmarks.md, "Inbound mail").

1. Fetching the AR mailbox. A real IMAP server on 127.0.0.1 (pymap's in-memory backend, as the
   tests start it: tests/imap.py) gets `--messages` messages APPENDed to one folder (not timed):
   customers' answers to reminders (most by their reply token, some by In-Reply-To only, with the
   reminder quoted below), auto-replies, mail from unknown senders, a few with a PDF attached.
   Each database (SQLite file under bench/out/, or PostgreSQL: ARREARS_BENCH_POSTGRES_URL, default
   the database `arrears_bench_mail`) is migrated and holds 10,000 sent reminders the answers
   thread onto. Timed once each, on the same folder:
   - one worker's `inbound_mail.fetch_mailbox` through the IMAP adapter (adapters/imap.py): parse, thread,
     store, in batches of 100, one transaction each; messages per second;
   - the IMAP adapter alone (the same batches through adapters/imap.py, nothing parsed or stored);
   - the baseline: raw imaplib `UID FETCH n:m (BODY.PEEK[])` of the same messages in batches of 100,
     nothing parsed or stored: what the server and the socket cost.
2. Threading at `--emails` sent emails (PostgreSQL only): the emails bulk-inserted with INSERT …
   SELECT generate_series (100 per customer), then `inbound_mail.thread(uow.mail, message)` for
   `--lookups` parsed answers by their reply token, and as many by In-Reply-To only, each on one
   open unit of work; beside the baseline: `SELECT id FROM emails WHERE reply_token = %s` (and
   `… WHERE message_id = %s`) on a raw psycopg connection. Target: p95 under 5 ms.

Reported, never asserted.

    python bench/mail_fetch.py                                    # 10,000 messages, 1,000,000 emails
    python bench/mail_fetch.py --messages 500 --emails 20000      # a smoke run
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import sys
import time as timer
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TypeVar

import psycopg
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests/imap.py: the IMAP server
from tests.imap import ImapServer

from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain import inbound
from arrears.services import inbound_mail
from customer_page import fresh, line, log

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench_mail"
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
FOLDER = "bench"
BATCH = inbound_mail.FETCH_BATCH
SENT_FOR_FETCH = 10_000  # reminders the fetched answers thread onto
PER_CUSTOMER = 100  # sent emails per customer
TARGET_MS = 5.0


def token(n: int) -> str:
    """The reply token of sent email n: md5 of its number, as PostgreSQL's md5(n::text) writes it."""
    return hashlib.md5(str(n).encode()).hexdigest()  # noqa: S324 (a synthetic token, not a secret)


def message_id(n: int) -> str:
    return f"<arrears-{token(n)}@example.com>"


REMINDER = """Dear customer,

our records show that invoice INV-{n:06d} over 1,250.00 EUR was due on 31 May 2026 and is still open.
Please arrange payment, or tell us if there is a reason to hold it.

Kind regards
Accounts receivable, Example GmbH
"""


def answer(rng: random.Random, index: int, sent: int) -> bytes:
    """One message of the folder: 6 in 10 a person's answer by reply token, 2 in 10 by In-Reply-To
    only, 1 an auto-reply (by token), 1 from an unknown sender; 1 in 50 with a PDF of 40 KB attached."""
    kind = rng.random()
    n = rng.randint(1, sent)
    message = EmailMessage()
    message["From"] = f"Person {n % 997} <ap{n % 997}@customer{n % 101}.example>"
    message["Subject"] = f"AW: Reminder: invoice INV-{n:06d}"
    message["Date"] = format_datetime(NOW - timedelta(minutes=index))
    message["Message-ID"] = f"<bench-{index}-{rng.getrandbits(40):x}@customer.example>"
    if kind < 0.9:
        message["To"] = "ar@example.com" if 0.6 <= kind < 0.8 else f"ar+{token(n)}@example.com"
        message["In-Reply-To"] = message_id(n)
        message["References"] = message_id(n)
        if kind >= 0.8:
            message["Auto-Submitted"] = "auto-replied"
            message.replace_header("Subject", "Automatic reply: out of office until 6 July")
    else:
        message["To"] = "ar@example.com"
    quoted = "\n".join(f"> {row}" for row in REMINDER.format(n=n).splitlines())
    message.set_content(
        "Guten Tag,\n\nwir haben die Rechnung zur Zahlung freigegeben; der Betrag geht am Freitag raus.\n\n"
        f"Mit freundlichen Grüßen\nPerson {n % 997}\n\n"
        f"Am 29.06.2026 um 07:00 schrieb Example GmbH <ar@example.com>:\n{quoted}\n"
    )
    if index % 50 == 0:
        message.add_attachment(rng.randbytes(40_000), maintype="application", subtype="pdf", filename="remit.pdf")
    return message.as_bytes()


def fill_folder(server: ImapServer, count: int, seed: int) -> None:
    rng = random.Random(seed)
    with server.client() as connection:
        connection.create(FOLDER)
        for index in range(count):
            status, data = connection.append(FOLDER, None, None, answer(rng, index, SENT_FOR_FETCH))
            assert status == "OK", data


def sent_emails(app: Arrears, count: int) -> None:
    """`count` sent reminders (and their customers) through SQLAlchemy's executemany."""
    customers = (count + PER_CUSTOMER - 1) // PER_CUSTOMER
    with app.engine.begin() as connection:
        connection.execute(
            insert(t.customers),
            [{"external_id": f"C{c}", "name": f"Customer {c}", "currency": "EUR"} for c in range(1, customers + 1)],
        )
        ids = dict(connection.execute(select(t.customers.c.external_id, t.customers.c.id)).all())
        connection.execute(
            insert(t.emails),
            [
                {
                    "customer_id": ids[f"C{(n - 1) // PER_CUSTOMER + 1}"],
                    "dedupe_key": f"bench:{n}",
                    "to_addresses": '["ap@customer.example"]',
                    "subject": f"Reminder: invoice INV-{n:06d}",
                    "html": "",
                    "text": "",
                    "template": "reminder",
                    "message_id": message_id(n),
                    "reply_token": token(n),
                    "status": "sent",
                    "sent_at": NOW - timedelta(days=1),
                }
                for n in range(1, count + 1)
            ],
        )


def raw_fetch(server: ImapServer) -> int:
    """The baseline: every message of the folder, whole, by raw imaplib in batches; nothing kept."""
    fetched = 0
    with server.client() as connection:
        connection.select(FOLDER, readonly=True)
        status, data = connection.uid("SEARCH", "ALL")
        assert status == "OK", data
        uids = [int(uid) for uid in (data[0] or b"").split()]
        for start in range(0, len(uids), BATCH):
            chunk = uids[start : start + BATCH]
            status, data = connection.uid("FETCH", f"{chunk[0]}:{chunk[-1]}", "(BODY.PEEK[])")
            assert status == "OK", data
            fetched += sum(1 for item in data if isinstance(item, tuple))
    return fetched


def adapter_fetch(app: Arrears) -> int:
    """The IMAP adapter alone: the folder in batches through adapters/imap.py, nothing parsed or stored."""
    mailbox = app.mailbox()
    assert mailbox is not None
    fetched = 0
    with mailbox.open() as session:
        uids = session.uids_after(0)
        for start in range(0, len(uids), BATCH):
            fetched += len(session.fetch(uids[start : start + BATCH]))
    return fetched


T = TypeVar("T")


def clocked(work: Callable[[], T]) -> tuple[float, float, T]:
    """Wall and CPU seconds of one run of `work`, and what it returned."""
    started, used = timer.perf_counter(), timer.process_time()
    result = work()
    return timer.perf_counter() - started, timer.process_time() - used, result


def rate_line(what: str, count: int, wall: float, cpu: float) -> str:
    return f"| {what} | {count:,} | {wall:.1f} | {count / wall:,.0f} | {cpu:.1f} |"


def fetch_bench(backend: str, postgres_url: str, server: ImapServer, messages: int) -> list[str]:
    url = fresh(backend, postgres_url, "mail-fetch")
    app = bootstrap(Settings(database_url=url, imap_url=server.url(FOLDER)), FixedClock(NOW))
    sent_emails(app, SENT_FOR_FETCH)
    mailbox = app.mailbox()
    assert mailbox is not None
    log(f"{backend}: fetching {messages:,} messages with fetch_mailbox")
    wall, cpu, report = clocked(lambda: inbound_mail.fetch_mailbox(app.uow, mailbox))
    with app.engine.connect() as connection:
        kinds: dict[str, int] = dict(
            connection.execute(
                select(t.received_emails.c.matched_by, func.count()).group_by(t.received_emails.c.matched_by)
            ).all()
        )
    log(f"{backend}: {report.stored:,} stored, {len(report.refused)} refused; matched by {kinds}")
    lines = [rate_line(f"{backend}: `mail fetch` (fetch_mailbox: parse, thread, store)", report.stored, wall, cpu)]
    adapter_wall, adapter_cpu, count = clocked(lambda: adapter_fetch(app))
    lines.append(
        rate_line(f"{backend}: the IMAP adapter alone (nothing parsed or stored)", count, adapter_wall, adapter_cpu)
    )
    app.close()
    return lines


# -- threading at a million sent emails -------------------------------------------------------------


def bulk_emails(url: str, count: int) -> None:
    """`count` sent emails, PER_CUSTOMER per customer, by INSERT … SELECT generate_series."""
    customers = (count + PER_CUSTOMER - 1) // PER_CUSTOMER
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO customers (external_id, name, currency) "
            "SELECT 'C' || g, 'Customer ' || g, 'EUR' FROM generate_series(1, %s) AS g",
            (customers,),
        )
        connection.execute(
            "INSERT INTO emails (customer_id, dedupe_key, to_addresses, subject, html, text, template, "
            "message_id, reply_token, status, sent_at) "
            "SELECT c.id, 'bench:' || g, '[\"ap@customer.example\"]', 'Reminder: invoice INV-' || g, '', '', "
            "'reminder', '<arrears-' || md5(g::text) || '@example.com>', md5(g::text), 'sent', "
            "now() - interval '1 day' "
            "FROM generate_series(1, %s) AS g JOIN customers AS c ON c.external_id = 'C' || ((g - 1) / %s + 1)",
            (count, PER_CUSTOMER),
        )
        connection.execute("VACUUM ANALYZE emails")
        connection.execute("ANALYZE customers")


def timed_each(items: list[T], work: Callable[[T], object]) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of `work(item)` for each item, after 20 warm-up calls."""
    for item in items[:20]:
        work(item)
    wall, cpu = [], []
    for item in items:
        started, used = timer.perf_counter(), timer.process_time()
        work(item)
        wall.append((timer.perf_counter() - started) * 1000)
        cpu.append((timer.process_time() - used) * 1000)
    return wall, cpu


def lookup_bench(postgres_url: str, emails: int, lookups: int, seed: int) -> list[str]:
    url = fresh("postgresql", postgres_url, "mail-thread")
    log(f"postgresql: inserting {emails:,} sent emails")
    started = timer.perf_counter()
    bulk_emails(url, emails)
    log(f"postgresql: {emails:,} emails in {timer.perf_counter() - started:.0f} s")
    rng = random.Random(seed)
    numbers = [rng.randint(1, emails) for _ in range(lookups)]

    def parsed(n: int, by_token: bool) -> inbound.ReceivedMessage:
        raw = (
            f"From: ap@customer.example\r\nTo: {f'ar+{token(n)}@example.com' if by_token else 'ar@example.com'}\r\n"
            f"Message-ID: <q-{n}-{by_token}@customer.example>\r\nIn-Reply-To: {message_id(n)}\r\n"
            "Subject: AW: Reminder\r\n\r\nWir zahlen am Freitag.\r\n"
        ).encode()
        return inbound.parse(raw)

    by_token = [parsed(n, True) for n in numbers]
    by_reply = [parsed(n, False) for n in numbers]
    app = bootstrap(Settings(database_url=url), FixedClock(NOW))
    lines = []
    with app.uow() as uow:
        for what, messages, expected in (("reply token", by_token, "token"), ("In-Reply-To", by_reply, "in_reply_to")):
            found = [inbound_mail.thread(uow.mail, m)[2].value for m in messages[:50]]
            assert set(found) == {expected}, found
            times = timed_each(messages, lambda m: inbound_mail.thread(uow.mail, m))
            lines.append(line(f"postgresql, {emails:,} emails: `thread()` by {what}", times))
    app.close()
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        for what, column, keys in (
            ("reply_token", "reply_token", [token(n) for n in numbers]),
            ("message_id", "message_id", [message_id(n) for n in numbers]),
        ):
            statement = f"SELECT id FROM emails WHERE {column} = %s"  # a column of ours

            def one(key: str, statement: str = statement) -> None:
                assert connection.execute(statement, (key,)).fetchone() is not None

            lines.append(
                line(f"postgresql, {emails:,} emails: baseline raw `… WHERE {what} = %s`", timed_each(keys, one))
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000, help="messages in the mailbox (default 10,000)")
    parser.add_argument("--emails", type=int, default=1_000_000, help="sent emails to thread onto (default 1,000,000)")
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both", help="of `mail fetch`")
    parser.add_argument("--seed", type=int, default=20260630)
    args = parser.parse_args()
    postgres_url = os.environ.get("ARREARS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)

    server = ImapServer().start()
    try:
        log(f"appending {args.messages:,} messages to the IMAP folder {FOLDER!r} on port {server.port}")
        started = timer.perf_counter()
        fill_folder(server, args.messages, args.seed)
        log(f"appended in {timer.perf_counter() - started:.0f} s")
        fetch_lines = []
        wall, cpu, count = clocked(lambda: raw_fetch(server))
        fetch_lines.append(
            rate_line("baseline: raw imaplib `UID FETCH (BODY.PEEK[])`, nothing stored", count, wall, cpu)
        )
        for backend in backends:
            fetch_lines += fetch_bench(backend, postgres_url, server, args.messages)
    finally:
        server.stop()
        server.log.unlink(missing_ok=True)
    lookup_lines = lookup_bench(postgres_url, args.emails, args.lookups, args.seed)

    load1, load5, load15 = os.getloadavg()
    print()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load1:.1f} {load5:.1f} {load15:.1f}; pymap in-memory IMAP server on 127.0.0.1; "
        f"threading target p95 under {TARGET_MS:.0f} ms"
    )
    print()
    print("| what | messages | wall s | messages/s | CPU s (this process) |")
    print("|---|---|---|---|---|")
    print("\n".join(fetch_lines))
    print()
    print("| what | runs | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms |")
    print("|---|---|---|---|---|---|")
    print("\n".join(lookup_lines))


if __name__ == "__main__":
    main()
