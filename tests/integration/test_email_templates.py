"""A template saved from the templates page is what the next email uses, in any process: the daily
cycle's email and `arrears email preview` read it from the database (each with templates of its
own, as the worker and the command line have), and a reset brings back the built-in one; on SQLite
and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message

import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.adapters.rendering import Templates
from arrears.domain.workflows import parse_workflows
from arrears.services import cycle, email_templates, previews
from tests.ledger import contact, customer, invoice
from tests.workspace import Desk

DAY = date(2026, 6, 30)
WORKFLOWS = parse_workflows(
    '[[workflow]]\nname = "standard"\n[[workflow.step]]\nname = "past-due-30"\ndays = 30\nemail = "past_due"\n',
    "test.toml",
)
SUBJECT = "Second notice: {{ total | money(currency) }} for {{ customer.name }}"
TEXT = (
    "Hello {{ contact_name }},\n\n{% for i in invoices %}{{ i.number }} is {{ i.days_past_due }} days late.\n"
    "{% endfor %}"
)


@dataclass
class Sent:
    messages: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.messages.append(message)

    def close(self) -> None:
        return None


@pytest.fixture
def acme(desk: Desk) -> Desk:
    """Acme (C1) with a reminder contact and one invoice 40 days late on DAY."""
    desk.ledger.load("customers", [customer("C1", "Acme Ltd", collector="maria")])
    desk.ledger.load("contacts", [contact("C1", "Ann Lee", email="ann@acme.example")])
    desk.ledger.load("invoices", [invoice("I1", "C1", due=DAY - timedelta(days=40), amount="120.00", number="INV-77")])
    desk.travel(DAY)
    return desk


def save_edit(desk: Desk) -> list[str]:
    """Morgan saves a new subject and text part for the past-due reminder, from the server's templates."""
    server = desk.arrears.templates
    parts = dict(email_templates.template(desk.uow(), desk["morgan"], server, "past_due").parts)
    parts.update(subject=SUBJECT, text=TEXT)
    return email_templates.save(desk.uow(), desk["morgan"], server, "past_due", parts, DAY)


def sent_email(desk: Desk) -> tuple[str, str, str]:
    """The subject, text and HTML of the email the cycle sent for the past-due step."""
    e = t.emails
    with desk.arrears.engine.connect() as connection:
        row = connection.execute(select(e.c.subject, e.c.text, e.c.html, e.c.status).where(e.c.step == "past-due-30"))
        subject, text, html, status = row.one()
    assert status == "sent"
    return subject, text, html


def test_the_cycle_sends_the_saved_template(acme: Desk) -> None:
    worker, sent = Templates(company="Northwind"), Sent()

    assert save_edit(acme) == ["subject", "text"]
    cycle.run_cycle(acme.arrears.uow, WORKFLOWS, cycle.Mailer(worker, sent, "ar@northwind.example"), DAY)

    subject, text, html = sent_email(acme)
    assert subject == "Second notice: $120.00 for Acme Ltd"
    assert text == "Hello Ann Lee,\n\nINV-77 is 40 days late.\n"
    assert [m["Subject"] for m in sent.messages] == [subject]
    assert "Our records show that the following invoice is" in html  # the built-in HTML part, not edited


def test_the_preview_shows_the_saved_template_and_the_built_in_again_after_a_reset(acme: Desk) -> None:
    command_line = Templates(company="Northwind")
    before, _ = previews.preview(acme.uow(), command_line, WORKFLOWS, "past-due-30", "C1", DAY)

    save_edit(acme)
    edited, _ = previews.preview(acme.uow(), command_line, WORKFLOWS, "past-due-30", "C1", DAY)
    email_templates.reset(acme.uow(), acme["morgan"], acme.arrears.templates, "past_due")
    after, _ = previews.preview(acme.uow(), command_line, WORKFLOWS, "past-due-30", "C1", DAY)

    assert before.subject == "Overdue: $120.00 on your account with Northwind"
    assert (edited.subject, edited.text) == (
        "Second notice: $120.00 for Acme Ltd",
        "Hello Ann Lee,\n\nINV-77 is 40 days late.\n",
    )
    assert (after.subject, after.text) == (before.subject, before.text)


def test_a_reset_reaches_a_worker_that_had_read_the_edit(acme: Desk) -> None:
    worker, sent = Templates(company="Northwind"), Sent()
    save_edit(acme)
    email_templates.load_stored(acme.uow(), worker)  # as its last cycle or send did
    assert worker.source("past_due", "subject") == (SUBJECT, "stored")

    email_templates.reset(acme.uow(), acme["morgan"], acme.arrears.templates, "past_due")
    cycle.run_cycle(acme.arrears.uow, WORKFLOWS, cycle.Mailer(worker, sent, "ar@northwind.example"), DAY)

    subject, text, _ = sent_email(acme)
    assert subject == "Overdue: $120.00 on your account with Northwind"
    assert "Kind regards,\nNorthwind accounts receivable" in text
