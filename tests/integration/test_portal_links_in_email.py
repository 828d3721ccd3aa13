"""Every email sent carries a fresh link to its customer's portal, issued in the transaction that
sends it (docs/workflows.md, `portal_url`); what renders an email without sending it (a preview, the
template editor's sample, the dry run, the check before an email is queued) shows an example link
and issues none. On SQLite and PostgreSQL, through the mailer the composition root builds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from email.message import Message

import pytest
from sqlalchemy import func, select

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain.portal import token_hash
from arrears.domain.workflows import parse_workflows
from arrears.services import cycle, email_templates, portal, previews, sending
from arrears.services.portal import LinkInvalid
from tests.ledger import contact, customer, invoice
from tests.workspace import TODAY, Desk

BASE = "https://ar.northwind.example"
DAYS = 10
LINK = re.compile(re.escape(BASE) + r"/portal/([A-Za-z0-9_-]{43})")

WORKFLOWS = parse_workflows(
    """
[[workflow]]
name = "standard"

[[workflow.step]]
name = "courtesy"
days = -3
email = "courtesy_reminder"

[[workflow.step]]
name = "past-due-30"
days = 30
email = "past_due"
""",
    "test.toml",
)


@dataclass
class Sent:
    messages: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.messages.append(message)

    def close(self) -> None:
        return None


@pytest.fixture
def northwind(desk: Desk, db_url: str) -> Iterator[Arrears]:
    """Acme (C1: one invoice 30 days late, one due in 2 days) and Beta (C2: one 30 days late), and the
    workspace as `arrears serve` or the worker builds it, with ARREARS_BASE_URL and
    ARREARS_PORTAL_LINK_DAYS set."""
    desk.ledger.load(
        "customers",
        [
            customer("C1", "Acme Ltd", collector="maria", email="ap@acme.example"),
            customer("C2", "Beta GmbH", collector="sam", email="ap@beta.example"),
        ],
    )
    desk.ledger.load("contacts", [contact("C1", "Ann Lee", email="ann@acme.example", receives_reminders="true")])
    desk.ledger.load(
        "invoices",
        [
            invoice("I1", "C1", due=TODAY - timedelta(days=30), amount="100.00"),
            invoice("I2", "C1", due=TODAY + timedelta(days=2), amount="50.00"),
            invoice("B1", "C2", due=TODAY - timedelta(days=30), amount="40.00"),
        ],
    )
    app = bootstrap(Settings(database_url=db_url, base_url=BASE, portal_link_days=DAYS), desk.clock)
    yield app
    app.close()


def _text(message: Message, kind: str) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == f"text/{kind}")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def _links(desk: Desk) -> int:
    with desk.arrears.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.portal_links)).scalar_one())


def _customer_of(desk: Desk, message: Message) -> int:
    e = t.emails
    with desk.arrears.engine.connect() as connection:
        query = select(e.c.customer_id).where(e.c.message_id == message["Message-ID"])
        return int(connection.execute(query).scalar_one())


def test_every_email_the_cycle_sends_carries_a_link_of_its_own_to_its_customers_portal(
    desk: Desk, northwind: Arrears
) -> None:
    sent = Sent()
    desk.travel(TODAY)

    report = cycle.run_cycle(northwind.uow, WORKFLOWS, replace(northwind.mailer(), sender=sent), TODAY)

    assert report.emails_sent == len(sent.messages) == 3  # Acme: courtesy and past due; Beta: past due
    tokens = []
    for message in sent.messages:
        text, html = _text(message, "plain"), _text(message, "html")
        [token] = LINK.findall(text)
        assert f"See, pay or dispute your invoices online: {BASE}/portal/{token}" in text
        assert f'<a href="{BASE}/portal/{token}">{BASE}/portal/{token}</a>' in html
        opened = portal.check(northwind.uow(), token)
        assert opened.customer.id == _customer_of(desk, message)
        with northwind.uow() as uow:
            link = uow.portal.link(token_hash(token))
        assert link is not None and link.expires_at == desk.clock.now() + timedelta(days=DAYS)
        tokens.append(token)
    assert len(set(tokens)) == 3
    assert _links(desk) == 3


def test_the_email_stored_as_sent_withholds_the_link_it_went_out_with(desk: Desk, northwind: Arrears) -> None:
    sent = Sent()
    desk.travel(TODAY)

    cycle.run_cycle(northwind.uow, WORKFLOWS, replace(northwind.mailer(), sender=sent), TODAY)

    e = t.emails
    with desk.arrears.engine.connect() as connection:
        query = select(e.c.message_id, e.c.text, e.c.html)
        stored = {row.message_id: row.text + row.html for row in connection.execute(query)}
    for message in sent.messages:
        [token] = LINK.findall(_text(message, "plain"))
        kept = stored[message["Message-ID"]]
        assert token not in kept  # only the token's hash stays in the database
        assert f"{BASE}/portal/LINK-SENT-NOT-KEPT" in kept


def test_an_email_sent_by_hand_carries_a_fresh_link_too(desk: Desk, northwind: Arrears) -> None:
    sent = Sent()
    mailer = replace(northwind.mailer(), sender=sent)
    form = sending.HandEmail(
        key="0123456789abcdef0123", to=("ann@acme.example",), template=None, subject="Your account", body="Hi Ann"
    )

    delivered = sending.send_email(northwind.uow, desk["maria"], mailer, "C1", form)

    assert delivered.delivery == "sent"
    [message] = sent.messages
    [token] = LINK.findall(_text(message, "plain"))
    assert portal.check(northwind.uow(), token).customer.external_id == "C1"
    assert f'href="{BASE}/portal/{token}"' in _text(message, "html")


def test_previews_the_editors_sample_the_dry_run_and_queueing_issue_no_link(desk: Desk, northwind: Arrears) -> None:
    example = f"{BASE}/portal/EXAMPLE-LINK"
    desk.travel(TODAY)
    form = sending.HandEmail(key="fedcba9876543210fedc", to=("ann@acme.example",), template="past_due")

    preview, _ = previews.preview(
        northwind.uow(), northwind.templates, WORKFLOWS, "past-due-30", "C1", TODAY, base_url=BASE
    )
    sample = email_templates.preview(
        northwind.uow(), desk["morgan"], northwind.templates, "past_due", _built_in(northwind), TODAY, base_url=BASE
    )
    with northwind.dry_run() as uow_factory:
        cycle.run_cycle(uow_factory, WORKFLOWS, replace(northwind.mailer(), sender=Sent()), TODAY, dry_run=True)
    sending.queue_email(northwind.uow(), desk["maria"], northwind.mailer(), "C1", form)

    assert example in preview.text and f'href="{example}"' in preview.html
    assert example in sample.text and f'href="{example}"' in sample.html
    assert _links(desk) == 0
    with pytest.raises(LinkInvalid):
        portal.check(northwind.uow(), "EXAMPLE-LINK")


def test_a_mailer_without_links_sends_the_reminder_without_the_line(desk: Desk, northwind: Arrears) -> None:
    sent = Sent()
    desk.travel(TODAY)

    cycle.run_cycle(northwind.uow, WORKFLOWS, replace(northwind.mailer(), sender=sent, links=None), TODAY)

    assert sent.messages and _links(desk) == 0
    assert all("/portal/" not in _text(message, "plain") for message in sent.messages)
    assert all("/portal/" not in _text(message, "html") for message in sent.messages)


def _built_in(app: Arrears) -> dict[str, str]:
    parts = {}
    for part in ("subject", "text", "html"):
        found = app.templates.source("past_due", part, stored=False)
        assert found is not None
        parts[part] = found[0]
    return parts


def test_a_day_without_reminders_issues_nothing(desk: Desk, northwind: Arrears) -> None:
    sent = Sent()
    desk.travel(date(2026, 1, 1))

    cycle.run_cycle(northwind.uow, WORKFLOWS, replace(northwind.mailer(), sender=sent), date(2026, 1, 1))

    assert sent.messages == [] and _links(desk) == 0
