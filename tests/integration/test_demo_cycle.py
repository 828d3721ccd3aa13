"""The built-in workflow's first cycle on the whole demo ledger, read as its customers would: no
"due soon" note lists a late invoice, no customer gets two past-due emails or two workflow tasks of
one type in one cycle (docs/workflows.md); on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from email.message import Message

from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears
from arrears.services import cycle, outbox
from arrears.services.demo import load_demo
from tests.integration.test_demo import PlainHasher

AS_OF = date(2026, 6, 30)


@dataclass
class Sent:
    messages: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.messages.append(message)

    def close(self) -> None:
        return None


def test_the_first_cycle_of_the_demo_sends_what_its_customers_would_accept(arrears: Arrears) -> None:
    load_demo(arrears.uow, PlainHasher(), 7, AS_OF)  # the default size: 300 customers
    workflows = arrears.workflows()
    days = {step.name: step.days for workflow in workflows for step in workflow.steps}

    report = cycle.run_cycle(arrears.uow, workflows, cycle.Mailer(arrears.templates, Sent(), "ar@demo.test"), AS_OF)

    with arrears.engine.connect() as connection:
        emails = list(connection.execute(select(t.emails.c.customer_id, t.emails.c.step, t.emails.c.context)))
        tasks = list(
            connection.execute(
                select(t.tasks.c.customer_id, t.tasks.c.type).where(
                    t.tasks.c.source == "workflow", t.tasks.c.status == "open"
                )
            )
        )
    before_due = [e for e in emails if e.step in days and days[e.step] is not None and days[e.step] <= 0]
    late_listed = [
        (e.customer_id, invoice["number"])
        for e in before_due
        for invoice in outbox.thaw(e.context)["invoices"]
        if invoice["due_date"] < AS_OF
    ]
    past_due = Counter(e.customer_id for e in emails if (days.get(e.step) or 0) > 0)
    assert report.emails_queued > 50 and before_due and past_due  # the demo gives the cycle plenty to do
    assert late_listed == []
    assert max(past_due.values()) == 1
    assert max(Counter(tasks).values()) == 1
