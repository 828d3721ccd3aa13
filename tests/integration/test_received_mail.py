"""Mail received, on SQLite and PostgreSQL: a reply to a reminder lands on its customer unread, once;
a bounce marks the email and, repeated, stops the reminders to the address; unread mail keeps an
issue open; the inbox's actions (read, assign, a task, a threaded reply); `export emails`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage, Message

import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain.errors import InvalidValue, NotFound, PermissionDenied
from arrears.domain.workflows import parse_workflows
from arrears.services import collection_rules, cycle, exports, inbound_mail, mail_inbox, tasks
from arrears.services.mail_inbox import InboxView
from tests.ledger import contact, customer, invoice
from tests.workspace import TODAY, Desk

WORKFLOWS = parse_workflows(
    """
[[workflow]]
name = "standard"

[[workflow.step]]
name = "past-due-30"
days = 30
email = "past_due"

[[workflow.step]]
name = "past-due-60"
days = 60
email = "final_notice"
""",
    "test.toml",
)


@dataclass
class Sent:
    messages: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.messages.append(message_from_bytes(bytes(message), policy=policy.default))

    def close(self) -> None:
        return None


@pytest.fixture
def acme(desk: Desk, db_url: str) -> Iterator[Arrears]:
    """Acme (C1, Maria's: its AP contact Ann gets the reminders) and Beta (C2, Sam's), each with an
    invoice 30 days late."""
    desk.ledger.load(
        "customers",
        [
            customer("C1", "Acme Ltd", collector="maria", email="office@acme.example"),
            customer("C2", "Beta GmbH", collector="sam", email="ap@beta.example"),
        ],
    )
    desk.ledger.load("contacts", [contact("C1", "Ann Lee", email="Ann@Acme.example", receives_reminders="true")])
    desk.ledger.load(
        "invoices",
        [
            invoice("I1", "C1", due=TODAY - timedelta(days=30), amount="100.00"),
            invoice("B1", "C2", due=TODAY - timedelta(days=30), amount="40.00"),
        ],
    )
    app = bootstrap(Settings(database_url=db_url), desk.clock)
    yield app
    app.close()


def remind(desk: Desk, app: Arrears, day: date = TODAY) -> list[Message]:
    sent = Sent()
    desk.travel(day)
    cycle.run_cycle(app.uow, WORKFLOWS, replace(app.mailer(), sender=sent), day)
    return sent.messages


def answer(to: Message, body: str, *, message_id: str = "<answer-1@acme.example>", **headers: str) -> bytes:
    reply = EmailMessage()
    reply["From"] = f"Ann Lee <{to['To']}>"
    reply["To"] = str(to["Reply-To"])
    reply["Subject"] = f"Re: {to['Subject']}"
    reply["Message-ID"] = message_id
    reply["In-Reply-To"] = str(to["Message-ID"])
    for name, value in headers.items():
        reply[name.replace("_", "-")] = value
    reply.set_content(body)
    return bytes(reply)


def bounce_of(original: Message, address: str, status: str = "5.1.1", n: int = 1) -> bytes:
    return f"""From: MAILER-DAEMON@mx.example.net
To: ar@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-{n}@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Delivery failed.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {address}
Action: failed
Status: {status}
Diagnostic-Code: smtp; 550 {status} User unknown

--B
Content-Type: text/rfc822-headers

Message-ID: {original["Message-ID"]}

--B--
""".encode()


def test_every_reminder_carries_its_reply_token_and_asks_auto_responders_to_stay_quiet(
    desk: Desk, acme: Arrears
) -> None:
    [to_acme, to_beta] = sorted(remind(desk, acme), key=lambda m: str(m["To"]))

    for message in (to_acme, to_beta):
        token = str(message["Message-ID"]).removeprefix("<arrears-").partition("@")[0]
        assert str(message["Reply-To"]) == f"ar+{token}@example.com"
        assert str(message["Auto-Submitted"]) == "auto-generated"
    assert str(to_acme["To"]) == "Ann@Acme.example"


def test_a_reply_to_a_reminder_lands_on_its_customer_unread_once_without_the_quote(desk: Desk, acme: Arrears) -> None:
    [to_acme] = [m for m in remind(desk, acme) if "acme" in str(m["To"]).lower()]
    raw = answer(to_acme, "We paid on Friday.\n\nAm 02.12.2026 um 09:00 schrieb AR <ar@example.com>:\n> Overdue")

    first = inbound_mail.receive(acme.uow(), raw, "pipe")
    again = inbound_mail.receive(acme.uow(), raw, "pipe")

    assert first.matched_by == "token" and not first.duplicate
    assert again.duplicate
    page = mail_inbox.inbox(acme.uow(), desk["maria"], InboxView.MINE)
    [row] = page.page.items
    assert (row.customer_external_id, row.read_at, row.matched_by) == ("C1", None, "token")
    assert row.reply_text == "We paid on Friday."
    assert "schrieb" in row.text
    assert row.email_subject == str(to_acme["Subject"])
    assert page.unread_mine == 1
    assert mail_inbox.inbox(acme.uow(), desk["sam"], InboxView.MINE).page.items == ()
    timeline = desk.count(t.audit_log, t.audit_log.c.entity == "received_email")
    assert timeline == 1


def test_opening_a_message_marks_it_read_and_it_can_be_marked_unread_again(desk: Desk, acme: Arrears) -> None:
    [to_acme] = [m for m in remind(desk, acme) if "acme" in str(m["To"]).lower()]
    received = inbound_mail.receive(acme.uow(), answer(to_acme, "Paid."), "imap")
    assert received.id is not None

    opened = mail_inbox.open_message(acme.uow(), desk["maria"], received.id)
    unread = mail_inbox.mark(acme.uow(), desk["maria"], received.id, read=False)

    assert opened.read_at is not None and opened.read_by == "maria"
    assert unread.read_at is None and unread.read_by is None


def test_an_auto_reply_is_stored_read_and_starts_nothing(desk: Desk, acme: Arrears) -> None:
    [to_acme] = [m for m in remind(desk, acme) if "acme" in str(m["To"]).lower()]
    raw = answer(to_acme, "I am out of the office until Monday.", Auto_Submitted="auto-replied")

    received = inbound_mail.receive(acme.uow(), raw, "imap")

    assert received.kind == "auto_reply"
    assert mail_inbox.inbox(acme.uow(), desk["maria"], InboxView.MINE, unread_only=True).page.items == ()
    assert desk.count(t.emails) == 2  # nothing answered it


def test_a_message_from_a_stranger_waits_unmatched_for_a_manager_who_assigns_it_and_adds_the_sender(
    desk: Desk, acme: Arrears
) -> None:
    stranger = EmailMessage()
    stranger["From"] = "Pat Doe <pat@acme-group.example>"
    stranger["To"] = "ar@example.com"
    stranger["Subject"] = "Remittance"
    stranger["Message-ID"] = "<remit-1@acme-group.example>"
    stranger.set_content("Paid I1 today.")
    received = inbound_mail.receive(acme.uow(), bytes(stranger), "pipe")
    assert received.id is not None and received.matched_by == "unmatched"

    with pytest.raises(PermissionDenied):
        mail_inbox.inbox(acme.uow(), desk["maria"], InboxView.UNMATCHED)
    with pytest.raises(NotFound):
        mail_inbox.open_message(acme.uow(), desk["maria"], received.id)
    assigned = mail_inbox.assign(acme.uow(), desk["morgan"], received.id, "C1", add_contact=True)

    assert (assigned.message.customer_external_id, assigned.message.matched_by) == ("C1", "assigned")
    assert assigned.contact_added
    with acme.uow() as uow:
        assert uow.mail.customers_with_address("pat@acme-group.example") == [assigned.message.customer_id]
    # the next message from Pat threads by the address
    stranger.replace_header("Message-ID", "<remit-2@acme-group.example>")
    assert inbound_mail.receive(acme.uow(), bytes(stranger), "pipe").matched_by == "from_address"


def test_a_bounce_marks_the_email_bounced_raises_an_alert_and_two_stop_the_reminders_to_the_address(
    desk: Desk, acme: Arrears
) -> None:
    [to_acme] = [m for m in remind(desk, acme) if "acme" in str(m["To"]).lower()]

    first = inbound_mail.receive(acme.uow(), bounce_of(to_acme, "ann@acme.example"), "imap")

    assert (first.kind, first.matched_by) == ("bounce", "bounced")
    e = t.emails
    assert desk.count(e, e.c.status == "bounced", e.c.message_id == str(to_acme["Message-ID"])) == 1
    assert desk.open_alerts("email_bounced") == 1
    [second_round] = [m for m in remind(desk, acme, TODAY + timedelta(days=30)) if "acme" in str(m["To"]).lower()]
    assert str(second_round["To"]) == "Ann@Acme.example"  # one permanent failure: still tried

    inbound_mail.receive(acme.uow(), bounce_of(second_round, "ann@acme.example", n=2), "imap")
    with acme.uow() as uow:
        assert uow.mail.flagged_addresses(["Ann@Acme.example"]) == {"ann@acme.example"}
        recipients = uow.selection.recipients([uow.ledger.customer("C1").id])  # type: ignore[union-attr]
    # Ann's address is flagged: the reminders go to the customer's own address instead
    assert [r.addresses for r in recipients.values()] == [("office@acme.example",)]


def test_a_temporary_failure_does_not_count_towards_flagging_the_address(desk: Desk, acme: Arrears) -> None:
    [to_acme] = [m for m in remind(desk, acme) if "acme" in str(m["To"]).lower()]

    for n in range(3):
        inbound_mail.receive(acme.uow(), bounce_of(to_acme, "ann@acme.example", "4.4.7", n=n), "imap")

    with acme.uow() as uow:
        assert uow.mail.flagged_addresses(["ann@acme.example"]) == set()


def test_an_issue_with_unread_mail_does_not_close_with_its_last_task(desk: Desk, acme: Arrears) -> None:
    [to_acme] = [m for m in remind(desk, acme) if "acme" in str(m["To"]).lower()]
    task = desk.task("maria", "C1", issue_title="Short payment")
    received = inbound_mail.receive(acme.uow(), answer(to_acme, "Why is I1 still open?"), "pipe")
    assert received.id is not None
    tasks.complete_task(acme.uow(), desk["maria"], task.id, note="called")

    kept = collection_rules.auto_close(acme.uow())
    mail_inbox.open_message(acme.uow(), desk["maria"], received.id)
    closed = collection_rules.auto_close(acme.uow())

    assert (kept.issues_closed, closed.issues_closed) == (0, 1)


def test_a_task_made_from_a_message_quotes_what_the_sender_wrote(desk: Desk, acme: Arrears) -> None:
    [to_acme] = [m for m in remind(desk, acme) if "acme" in str(m["To"]).lower()]
    received = inbound_mail.receive(acme.uow(), answer(to_acme, "Please call me about I1."), "pipe")
    assert received.id is not None

    row = mail_inbox.task_from(acme.uow(), desk["maria"], received.id, "call", (TODAY + timedelta(days=1)).isoformat())

    assert row.type == "call" and row.customer_external_id == "C1"
    assert "Please call me about I1." in row.description
    with pytest.raises(InvalidValue):
        mail_inbox.task_from(acme.uow(), desk["maria"], received.id, "call", "next week")


def test_a_reply_from_arrears_is_threaded_to_the_message_it_answers(desk: Desk, acme: Arrears) -> None:
    [to_acme] = [m for m in remind(desk, acme) if "acme" in str(m["To"]).lower()]
    received = inbound_mail.receive(acme.uow(), answer(to_acme, "Can we pay in two parts?"), "pipe")
    assert received.id is not None
    sent = Sent()

    outcome = mail_inbox.reply(
        acme.uow, desk["maria"], replace(acme.mailer(), sender=sent), received.id, "Yes: see the plan.", "k" * 20
    )

    assert outcome.delivery == "sent"
    [message] = sent.messages
    assert str(message["In-Reply-To"]) == str(message["References"]) == "<answer-1@acme.example>"
    assert str(message["Subject"]).startswith("Re: ")
    assert str(message["To"]).lower() == "ann@acme.example"


def test_export_emails_lists_mail_sent_then_received_with_direction_sender_and_read(desk: Desk, acme: Arrears) -> None:
    [to_acme] = [m for m in remind(desk, acme) if "acme" in str(m["To"]).lower()]
    inbound_mail.receive(acme.uow(), answer(to_acme, "Paid."), "pipe")
    out = io.StringIO()

    exports.export(acme.uow(), "emails", out, fmt="json")

    rows = json.loads(out.getvalue())
    assert [(r["direction"], r["status"], r["read"]) for r in rows] == [
        ("out", "sent", None),
        ("out", "sent", None),
        ("in", "received", False),
    ]
    assert rows[-1]["from"] == "ann@acme.example"
    assert rows[-1]["customer_external_id"] == "C1"


def test_reply_tokens_are_an_index_lookup_and_a_message_id_too(acme: Arrears) -> None:
    indexes = {index.name for index in t.emails.indexes}

    assert {"ix_emails_reply_token", "ix_emails_message_id"} <= indexes
    with acme.engine.connect() as connection:
        assert connection.execute(select(t.emails.c.id).where(t.emails.c.reply_token == "0" * 32)).first() is None
