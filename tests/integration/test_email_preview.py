"""`arrears email preview`: the email a step would send a customer, listing the invoices the daily
cycle would chase (receivables.is_chaseable), not every open invoice; on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message

import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.adapters.rendering import Templates
from arrears.domain.workflows import parse_workflows
from arrears.services import cycle, disputes, plans, previews
from tests.ledger import contact, customer, invoice, payment
from tests.workspace import Desk

DAY = date(2026, 6, 30)
WORKFLOWS = parse_workflows(
    """
[[workflow]]
name = "key-accounts"
match = { tags = ["key"] }

[[workflow.step]]
name = "key-past-due"
days = 30
email = "past_due"

[[workflow]]
name = "standard"

[[workflow.step]]
name = "past-due-30"
days = 30
email = "past_due"
""",
    "test.toml",
)
NUMBERS = ("INV-OPEN", "INV-DISPUTED", "INV-PLANNED", "INV-PAID-UP")


@dataclass
class Sent:
    messages: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.messages.append(message)

    def close(self) -> None:
        return None


@pytest.fixture
def acme(desk: Desk) -> Desk:
    """Acme (C1) with a reminder contact and four invoices 40 days late: one to chase, one disputed,
    one on a payment plan, one paid."""
    desk.ledger.load("customers", [customer("C1", "Acme Ltd", collector="maria")])
    desk.ledger.load("contacts", [contact("C1", "Ann Lee", email="ann@acme.example")])
    late = DAY - timedelta(days=40)
    desk.ledger.load(
        "invoices",
        [invoice(number, "C1", due=late, amount="100.00", number=number) for number in NUMBERS],
    )
    desk.ledger.load("payments", [payment("P1", invoice="INV-PAID-UP", amount="100.00", on=DAY)])
    disputes.open_dispute(desk.uow(), desk["maria"], "INV-DISPUTED", "pricing")
    plans.create_plan(desk.uow(), desk["morgan"], ["INV-PLANNED"], [(DAY + timedelta(days=20), "100.00")])
    return desk


def preview_text(desk: Desk, step: str) -> str:
    rendered, _ = previews.preview(desk.uow(), Templates(company="Northwind"), WORKFLOWS, step, "C1", DAY)
    return rendered.text


def listed(text: str) -> set[str]:
    return {number for number in NUMBERS if number in text}


def test_the_preview_leaves_out_the_disputed_and_the_planned_invoice_as_the_cycle_does(acme: Desk) -> None:
    previewed = preview_text(acme, "past-due-30")

    mailer = cycle.Mailer(Templates(company="Northwind"), Sent(), "ar@northwind.example")
    cycle.run_cycle(acme.arrears.uow, WORKFLOWS, mailer, DAY)
    with acme.arrears.engine.connect() as connection:
        sent = connection.execute(select(t.emails.c.text).where(t.emails.c.step == "past-due-30")).scalar_one()

    assert listed(previewed) == {"INV-OPEN"}
    assert listed(previewed) == listed(sent)


def test_the_preview_of_a_workflow_the_customer_does_not_fall_to_lists_no_invoice(acme: Desk) -> None:
    assert listed(preview_text(acme, "key-past-due")) == set()


def test_the_preview_of_a_customer_on_hold_lists_no_invoice(acme: Desk) -> None:
    acme.ledger.load("customers", [customer("C1", "Acme Ltd", on_hold="true")])

    assert listed(preview_text(acme, "past-due-30")) == set()


def test_the_preview_of_a_step_before_the_due_date_lists_no_late_invoice(acme: Desk) -> None:
    acme.ledger.load("invoices", [invoice("INV-SOON", "C1", due=DAY + timedelta(days=2), amount="50.00")])
    workflows = parse_workflows(
        '[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "courtesy"\ndays = -3\nemail = "courtesy_reminder"\n',
        "test.toml",
    )

    rendered, _ = previews.preview(acme.uow(), Templates(company="Northwind"), workflows, "courtesy", "C1", DAY)

    assert "INV-SOON" in rendered.text and listed(rendered.text) == set()  # INV-OPEN is 40 days late
    assert "INV-SOON" not in preview_text(acme, "past-due-30")
