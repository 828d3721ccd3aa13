"""A reminder's whole way out and back: the cycle sends it over SMTP (a real server on 127.0.0.1),
the customer answers it in German above the quoted reminder, a mail server reports another reminder
undeliverable, both land in the AR mailbox (a real IMAP server, tests/imap.py), and the worker's
job `arrears.fetch_mail` (PostgreSQL) or `arrears mail fetch` (SQLite) brings them in: the answer
unread on its customer's timeline, matched by its reply token, without the quote; the reminder that
bounced marked so, with an alert for the collector."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.jobs import worker
from arrears.services import cycle
from arrears.services.mail_ports import ReceivedRow
from tests.cycle_day import DAY, load_ledger
from tests.e2e.conftest import Cli
from tests.imap import ImapFolder
from tests.smtp import SmtpSink

SENT_AT = datetime(2026, 6, 30, 7, 0, tzinfo=UTC)
ANSWER = "Guten Tag,\n\nwir überweisen den Betrag am Freitag.\n\nMit freundlichen Grüßen\nPerson 1"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def send_reminders(url: str, sink: SmtpSink, tmp_path: Path) -> list[Message]:
    """The ledger of tests/e2e/test_cycle_reliability.py, and the day's cycle sending its emails."""
    load_ledger(url, tmp_path)
    app = bootstrap(Settings(database_url=url, email_url=sink.url), FixedClock(SENT_AT))
    cycle.run_cycle(app.uow, app.workflows(), app.mailer(), DAY)
    app.close()
    assert sink.received, "the cycle sent nothing"
    return sink.received


def to_customer(messages: list[Message], n: int) -> Message:
    return next(m for m in messages if m["To"] == f"ap{n}@customer.example")


def body_text(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def answer_to(reminder: Message) -> bytes:
    """The customer's answer as their mail program writes it: to the reminder's Reply-To, in reply
    to its Message-ID, the reminder quoted below a German quote header."""
    reply = EmailMessage()
    reply["From"] = f"Person 1 <{reminder['To']}>"
    reply["To"] = reminder["Reply-To"]
    reply["Subject"] = f"AW: {reminder['Subject']}"
    reply["Date"] = format_datetime(datetime(2026, 6, 30, 10, 15, tzinfo=UTC))
    reply["Message-ID"] = make_msgid(domain="customer.example")
    reply["In-Reply-To"] = reminder["Message-ID"]
    reply["References"] = reminder["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in body_text(reminder).splitlines())
    reply.set_content(f"{ANSWER}\n\nAm 30.06.2026 um 09:00 schrieb {reminder['From']}:\n{quoted}\n")
    return reply.as_bytes()


def bounce_of(reminder: Message) -> bytes:
    """The customer's mail server's report (RFC 3464) that the reminder could not be delivered, with
    the reminder's headers."""
    recipient = reminder["To"]
    headers = "".join(f"{name}: {value}\r\n" for name, value in reminder.items())
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\n"
        "To: ar@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(datetime(2026, 6, 30, 7, 1, tzinfo=UTC))}\r\n"
        "Message-ID: <dsn-1@mx.customer.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-boundary"\r\n'
        "\r\n"
        "--dsn-boundary\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mx.customer.example.\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "\r\n"
        "--dsn-boundary\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.customer.example\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown\r\n"
        "\r\n"
        "--dsn-boundary\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"{headers}"
        "--dsn-boundary--\r\n"
    ).encode()


def deliver(imap: ImapFolder, messages: list[Message]) -> tuple[Message, Message]:
    """Customer 1 answers its reminder; customer 2's reminder bounces. Both reminders."""
    answered, bounced = to_customer(messages, 1), to_customer(messages, 2)
    imap.append_all([answer_to(answered), bounce_of(bounced)])
    return answered, bounced


def check_received(url: str, answered: Message, bounced: Message) -> None:
    """What a collector sees afterwards."""
    app = bootstrap(Settings(database_url=url))
    e, a = t.emails, t.alerts
    with app.engine.connect() as connection:
        statuses = dict(connection.execute(select(e.c.message_id, e.c.status)).all())
        customers = dict(connection.execute(select(t.customers.c.external_id, t.customers.c.id)).all())
        alerts = connection.execute(select(a.c.kind, a.c.customer_id, a.c.status)).all()
    with app.uow() as uow:
        mail: list[ReceivedRow] = uow.mail.customer_mail(customers["C1"], 10)
        bounce_mail = uow.mail.customer_mail(customers["C2"], 10)
    app.close()

    assert len(mail) == 1
    reply = mail[0]
    assert (reply.kind, reply.matched_by, reply.read_at) == ("reply", "token", None)
    assert reply.customer_external_id == "C1"
    assert reply.reply_text == ANSWER
    assert "schrieb" not in reply.reply_text
    assert "schrieb" in reply.text  # the whole message is kept
    assert statuses[answered["Message-ID"]] == "sent"
    assert statuses[bounced["Message-ID"]] == "bounced"
    assert [(m.kind, m.bounce_status) for m in bounce_mail] == [("bounce", "5.1.1")]
    assert ("email_bounced", customers["C2"], "open") in alerts


@pytest.mark.postgres
def test_the_worker_fetches_a_customers_answer_and_a_bounce_from_the_mailbox(
    pg_url: str, tmp_path: Path, sink: SmtpSink, imap: ImapFolder
) -> None:
    answered, bounced = deliver(imap, send_reminders(pg_url, sink, tmp_path))
    arrears = bootstrap(Settings(database_url=pg_url, email_url=sink.url, imap_url=imap.url))
    worker.install_schema(arrears)
    app = worker.make_app(arrears)
    jobs = {task.name: task for task in app.tasks.values()}

    with app.open():
        jobs["arrears.fetch_mail"].defer(timestamp=0)
    app.run_worker(wait=False, install_signal_handlers=False)
    with app.open():
        jobs["arrears.fetch_mail"].defer(timestamp=60)  # a minute later: nothing new
    app.run_worker(wait=False, install_signal_handlers=False)
    arrears.close()

    check_received(pg_url, answered, bounced)
    assert all("\\Seen" not in flags for flags in imap.flags().values())


def test_arrears_mail_fetch_brings_in_a_customers_answer_and_a_bounce(
    sqlite_template: Path, tmp_path: Path, sink: SmtpSink, imap: ImapFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(sqlite_template, tmp_path / "arrears.db")
    url = f"sqlite:///{tmp_path / 'arrears.db'}"
    answered, bounced = deliver(imap, send_reminders(url, sink, tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARREARS_IMAP_URL", imap.url)
    cli = Cli(url)

    first = cli("mail", "fetch")
    again = cli("mail", "fetch")

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "2 stored, 0 received before, 0 skipped"
    assert again.stdout.strip() == "0 stored, 0 received before, 0 skipped"
    check_received(url, answered, bounced)


def test_arrears_mail_fetch_without_a_mailbox_says_what_to_set(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(sqlite_template, tmp_path / "arrears.db")
    monkeypatch.delenv("ARREARS_IMAP_URL", raising=False)

    done = Cli(f"sqlite:///{tmp_path / 'arrears.db'}")("mail", "fetch")

    assert done.exit_code == 1
    assert "set ARREARS_IMAP_URL" in done.stderr
