"""The customer record's history on SQLite and PostgreSQL: payments and credit notes with where they
went, plans and promises of the customer alone, how often each invoice was reminded, the timeline and
the emails filtered by kind, invoice and step, one email whole, and the record's own changes
(contacts, collector) as the database keeps them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select

from arrears.adapters.db import tables as t
from arrears.domain.errors import InvalidValue
from arrears.services import customer_admin, customer_record, history, plans, tasks
from tests.ledger import credit_note, payment
from tests.workspace import Desk

AT = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def acme(desk: Desk) -> Desk:
    desk.accounts()
    return desk


def _id(desk: Desk, table: t.Table, external_id: str) -> int:
    with desk.arrears.engine.connect() as connection:
        return int(connection.execute(select(table.c.id).where(table.c.external_id == external_id)).scalar_one())


def _email(desk: Desk, n: int, invoices: list[str], *, step: str | None, status: str = "sent") -> int:
    """An email of the outbox as the cycle leaves it, listing `invoices`, with its audit entry."""
    customer_id = _id(desk, t.customers, "C1")
    invoice_ids = [_id(desk, t.invoices, invoice) for invoice in invoices]
    with desk.arrears.engine.begin() as connection:
        email_id = connection.execute(
            insert(t.emails)
            .values(
                customer_id=customer_id,
                dedupe_key=f"test:{n}",
                to_addresses=json.dumps(["ap@acme.example"]),
                subject=f"Reminder {n}",
                html=f"<p>Reminder {n}</p>",
                text=f"Reminder {n}",
                template="past_due",
                workflow="standard" if step else None,
                step=step,
                cycle_date=date(2026, 6, n) if step else None,
                message_id=f"<{n}@arrears.test>",
                status=status,
                created_at=AT.replace(day=n),
            )
            .returning(t.emails.c.id)
        ).scalar_one()
        for invoice_id in invoice_ids:
            connection.execute(insert(t.email_invoices).values(email_id=email_id, invoice_id=invoice_id))
        connection.execute(
            insert(t.audit_log).values(
                at=AT.replace(day=n),
                actor_kind="system",
                entity="email",
                entity_id=str(email_id),
                customer_id=customer_id,
                action="sent",
                summary=f"Email {n} sent",
            )
        )
    return int(email_id)


def test_payments_and_credit_notes_are_listed_newest_first_with_the_invoice_each_went_to(acme: Desk) -> None:
    acme.ledger.load("payments", [payment("P1", on=date(2026, 6, 1), amount="40.00", method="wire")])
    acme.ledger.load("payments", [payment("P2", invoice=None, on=date(2026, 6, 5), amount="5.00")])
    acme.ledger.load("credit-notes", [credit_note("CN1", invoice="I2", on=date(2026, 6, 3), reason="damaged")])
    acme.ledger.load("payments", [payment("PB", customer="C2", invoice="B1", on=date(2026, 6, 9), amount="1.00")])

    cash = customer_record.customer_record(acme.uow(), acme["maria"], "C1").cash

    assert [(c.kind, c.external_id, c.amount_minor, c.invoice_external_id, c.invoice_number, c.note) for c in cash] == [
        ("payment", "P2", 500, None, None, None),
        ("credit_note", "CN1", 1000, "I2", "INV-2002", "damaged"),
        ("payment", "P1", 4000, "I1", "I1", "wire"),
    ]


def test_the_record_holds_the_customers_own_plans_and_promises_only(acme: Desk) -> None:
    plan = plans.create_plan(
        acme.uow(), acme["morgan"], ["I2"], [(date(2026, 7, 1), "150.00"), (date(2026, 8, 1), "100.00")]
    )
    plans.create_plan(acme.uow(), acme["morgan"], ["B1"], [(date(2026, 7, 1), "40.00")])
    acme.task("maria", "C1", "expected_payment", expected_amount="60.00", expected_date=date(2026, 7, 2))
    acme.task("sam", "C2", "expected_payment", expected_amount="10.00", expected_date=date(2026, 7, 2))

    record = customer_record.customer_record(acme.uow(), acme["maria"], "C1")

    assert [(p.id, [i.amount_minor for i in p.instalments]) for p in record.plans] == [(plan.id, [150_00, 100_00])]
    assert [(line.promise.amount_minor, line.state) for line in record.promises] == [(60_00, "pending")]


def test_each_invoice_says_how_often_it_was_reminded_and_by_which_step_last(acme: Desk) -> None:
    _email(acme, 1, ["I1", "I2"], step="reminder")
    last = _email(acme, 2, ["I1"], step="final")
    _email(acme, 3, ["I1"], step="final", status="failed")

    reminded = customer_record.customer_record(acme.uow(), acme["maria"], "C1").reminded

    assert {k: (v.times, v.last_step, v.last_email_id) for k, v in reminded.items()} == {
        "I1": (2, "final", last),
        "I2": (1, "reminder", last - 1),
    }
    assert reminded["I1"].last_at == AT.replace(day=2)


def test_the_timeline_narrows_to_a_kind_an_invoice_or_a_step(acme: Desk) -> None:
    first = _email(acme, 1, ["I1", "I2"], step="reminder")
    _email(acme, 2, ["I2"], step="final")
    call = acme.task("maria", "C1", invoice_external_ids=("I1",))
    customer_record.add_note(acme.uow(), acme["maria"], "C1", "Pays by cheque")

    def summaries(**narrowed: str) -> list[str]:
        found = history.history(acme.uow(), acme["maria"], "C1", **narrowed)
        return [row.summary for row in found.page.items]

    assert summaries(kind="email") == ["Email 2 sent", "Email 1 sent"]
    assert summaries(step="reminder") == ["Email 1 sent"]
    on_i1 = history.history(acme.uow(), acme["maria"], "C1", invoice="I1").page.items
    assert [(row.entity, row.entity_id) for row in on_i1 if row.entity != "invoice"] == [
        ("task", str(call.id)),
        ("email", str(first)),
    ]
    assert summaries(invoice="I2", kind="task") == []
    assert history.history(acme.uow(), acme["maria"], "C1").kinds == ["customer", "email", "invoice", "task"]


def test_the_emails_are_counted_by_step_and_one_opens_whole(acme: Desk) -> None:
    first = _email(acme, 1, ["I1", "I2"], step="reminder")
    _email(acme, 2, ["I1"], step="reminder")
    _email(acme, 3, ["I2"], step="final", status="failed")

    by_step = history.emails(acme.uow(), acme["maria"], "C1", step="reminder")
    failed = history.emails(acme.uow(), acme["maria"], "C1", status="failed", invoice="I2")
    opened = history.email(acme.uow(), acme["maria"], first)

    assert (by_step.page.total, len(by_step.page.items)) == (2, 2)
    assert [e.subject for e in failed.page.items] == ["Reminder 3"]
    assert (opened.text, opened.message_id, opened.invoice_external_ids, opened.step) == (
        "Reminder 1",
        "<1@arrears.test>",
        ["I1", "I2"],
        "reminder",
    )
    with pytest.raises(InvalidValue, match="not an invoice of customer 'C1'"):
        history.emails(acme.uow(), acme["maria"], "C1", invoice="B1")


def test_a_contact_edited_then_removed_as_the_database_keeps_it(acme: Desk) -> None:
    new = tasks.NewContact("Ann Lee", email="ann@acme.example")
    contact_id = customer_admin.add_contact(acme.uow(), acme["maria"], "C1", new)
    call = acme.task("maria", "C1", contact_id=contact_id)

    customer_admin.edit_contact(
        acme.uow(),
        acme["maria"],
        "C1",
        contact_id,
        tasks.NewContact("Ann Lee-Park", email="ann@acme.example", receives_reminders=True),
    )
    with acme.arrears.engine.connect() as connection:
        edited = connection.execute(
            select(t.contacts.c.name, t.contacts.c.receives_reminders).where(t.contacts.c.id == contact_id)
        ).one()
    customer_admin.remove_contact(acme.uow(), acme["maria"], "C1", contact_id)

    assert tuple(edited) == ("Ann Lee-Park", True)
    assert acme.count(t.contacts, t.contacts.c.id == contact_id) == 0
    assert acme.count(t.tasks, t.tasks.c.id == call.id, t.tasks.c.contact_id.is_(None)) == 1


def test_a_new_collector_takes_the_customer_and_the_open_tasks_the_previous_one_held(acme: Desk) -> None:
    marias = acme.task("maria", "C1")
    mornings = acme.task("morgan", "C1", assignee="morgan")
    betas = acme.task("maria", "C2", assignee="maria")

    moved = customer_admin.set_collector(acme.uow(), acme["morgan"], "C1", "sam")

    assert moved == 1
    assert [acme.row(k.id).assignee for k in (marias, mornings, betas)] == ["sam", "morgan", "maria"]
    with acme.arrears.engine.connect() as connection:
        collector = connection.execute(
            select(t.customers.c.collector_id).where(t.customers.c.external_id == "C1")
        ).scalar()
    assert collector == acme["sam"].id
    assert acme.row(marias.id).version == marias.version + 1
