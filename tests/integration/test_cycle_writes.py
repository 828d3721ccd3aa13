"""The firing phase's set-based reads and writes (the selection in two steps, the rows sent as
arrays on PostgreSQL): what they store is exactly what was given, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.adapters.db.automation import common as automation
from arrears.domain.audit import Actor, ActorKind, AuditEntry
from arrears.domain.tasks import Task, TaskSource, TaskType
from arrears.services import outbox
from arrears.services.automation_ports import NewEmail, RunLink, StepClaim
from tests.integration.test_cycle import DAY, Cycle, day  # noqa: F401  (the fixture)
from tests.workspace import Desk

AWKWARD = [
    'He said "pay" \\ now, {braces}, commas, and a tab\there',
    "Ünïcödé — €1.234,56 ₹ 日本語 🙂",
    "line one\nline two\r\nNULL",
    "",
    "'single' quotes; -- not a comment",
]


def test_the_selection_reads_invoice_rows_in_chunks_with_the_same_result(
    day: Cycle,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(automation, "ID_CHUNK", 1)
    monkeypatch.setattr(automation, "ID_CHUNK_ARRAY", 1)

    report = day.run()

    assert day.steps_of("I50") == ["past-due-45"]
    assert day.steps_of("I50", "skipped") == ["courtesy", "past-due-30"]
    assert day.steps_of("I30") == ["past-due-30"]
    assert day.steps_of("I31") == ["past-due-30"]
    assert day.steps_of("I02") == ["courtesy"]
    assert day.steps_of("B40") == ["past-due-30"]
    assert report.emails_queued == 3


def test_emails_tasks_audit_entries_claims_and_links_are_stored_as_given(desk: Desk) -> None:
    desk.accounts()
    now = desk.clock.now()
    with desk.arrears.engine.connect() as connection:
        ids = {row.external_id: row.id for row in connection.execute(select(t.customers))}
    acme, beta = ids["C1"], ids["C2"]
    with desk.uow() as uow:
        invoices = [row.invoice_ids[0] for row in uow.selection.open_invoices(acme)]
        emails = [
            NewEmail(
                acme if n % 2 else beta,
                f"test:{n}",
                (f"a{n}@example.com", 'b"q@example.com'),
                f"Subject {text}",
                "past_due",
                json.dumps({"text": text, "n": n}),
                "standard" if n else None,
                "past-due-30",
                DAY if n else None,
                f"<m{n}@example.com>",
                tuple(invoices[: n % 3]),
                now,
                invoices[0] if n == 2 else None,
            )
            for n, text in enumerate(AWKWARD)
        ]
        email_ids = uow.outbox.queue_emails(emails)
        again = uow.outbox.queue_emails(emails[:2])  # the same dedupe keys: not queued again
        tasks = [
            Task(
                id=None,
                customer_id=acme if n % 2 else beta,
                type=TaskType.CALL,
                description=f"task {n}: {text}",
                assignee_id=desk["maria"].id if n % 2 else None,
                due_date=DAY + timedelta(days=n),
                source=TaskSource.WORKFLOW,
                invoice_ids=tuple(invoices[: n % 3]),
            )
            for n, text in enumerate(AWKWARD)
        ]
        task_ids = uow.step_runs.add_tasks(tasks)
        actor = Actor(ActorKind.WORKFLOW, None, "standard")
        uow.step_runs.record_all(
            [
                AuditEntry(now, actor, "email", str(n), "queued", text, acme, {"n": n} if n else {})
                for n, text in enumerate(AWKWARD)
            ]
        )
        claims = [StepClaim("standard", "past-due-30", f"invoice:{i}", acme, i, "fired") for i in invoices]
        claimed = uow.step_runs.claim_runs(DAY, claims)
        claimed_again = uow.step_runs.claim_runs(DAY, claims)
        uow.step_runs.link_runs_many(
            [
                RunLink(claimed[("standard", "past-due-30", f"invoice:{i}")], email_ids[n], task_ids[n])
                for n, i in enumerate(invoices)
            ]
        )
        uow.commit()

    assert again == [None, None]
    assert set(claimed) == {("standard", "past-due-30", f"invoice:{i}") for i in invoices}
    assert len(set(claimed.values())) == len(invoices)
    assert claimed_again == {}
    with desk.arrears.engine.connect() as connection:
        e, k, a, r = t.emails, t.tasks, t.audit_log, t.step_runs
        stored = {row.id: row for row in connection.execute(select(e))}
        for email, email_id in zip(emails, email_ids, strict=True):
            row = stored[email_id]
            assert (row.customer_id, row.dedupe_key, json.loads(row.to_addresses)) == (
                email.customer_id,
                email.dedupe_key,
                list(email.to),
            )
            assert (row.subject, row.template, row.context, row.html, row.text, row.workflow, row.cycle_date) == (
                email.subject,
                email.template,
                email.context,
                "",
                "",
                email.workflow,
                email.cycle_date,
            )
            assert (row.message_id, row.attach_invoice_id, row.status) == (
                email.message_id,
                email.attach_invoice_id,
                "queued",
            )
            tagged = connection.execute(
                select(t.email_invoices.c.invoice_id).where(t.email_invoices.c.email_id == email_id)
            ).scalars()
            assert sorted(tagged) == sorted(email.invoice_ids)
        rows = {row.id: row for row in connection.execute(select(k))}
        for task, task_id in zip(tasks, task_ids, strict=True):  # each id is its own task's
            row = rows[task_id]
            assert (row.description, row.customer_id, row.assignee_id, row.due_date) == (
                task.description,
                task.customer_id,
                task.assignee_id,
                task.due_date,
            )
            tagged = connection.execute(
                select(t.task_invoices.c.invoice_id).where(t.task_invoices.c.task_id == task_id)
            ).scalars()
            assert sorted(tagged) == sorted(task.invoice_ids)
        entries = list(connection.execute(select(a).where(a.c.action == "queued").order_by(a.c.entity_id)))
        assert [(x.summary, x.entity_id, x.actor_name) for x in entries] == [
            (text, str(n), "standard") for n, text in enumerate(AWKWARD)
        ]
        assert [json.loads(x.changes) if x.changes else None for x in entries] == [
            None,
            {"n": 1},
            {"n": 2},
            {"n": 3},
            {"n": 4},
        ]
        assert {row.subject: row.id for row in connection.execute(select(r))} == {
            subject: run_id for (_, _, subject), run_id in claimed.items()
        }
        links = {row.subject: (row.email_id, row.task_id) for row in connection.execute(select(r))}
        assert links == {f"invoice:{i}": (email_ids[n], task_ids[n]) for n, i in enumerate(invoices)}


def test_a_run_whose_email_another_cycle_queued_links_no_email_and_keeps_its_task(day: Cycle) -> None:  # noqa: F811
    """Two cycles may claim different invoices of one customer (one saw an invoice the other did not):
    the second's past-due email has the first's key and is not queued. On PostgreSQL the claims named
    an email id reserved for it, which the batch must drop before its commit checks the references."""
    with day.desk.uow() as uow:
        acme = uow.ledger.customer("C1")
        assert acme is not None
        taken = uow.outbox.queue_emails(
            [
                NewEmail(
                    acme.id,
                    f"standard:past-due-45:{acme.id}:{DAY.isoformat()}",
                    ("ann@acme.example",),
                    "Queued by the other cycle",
                    "past_due",
                    "{}",
                    "standard",
                    "past-due-45",
                    DAY,
                    "<other@arrears.test>",
                    (),
                    day.desk.clock.now(),
                )
            ]
        )
        uow.commit()

    report = day.run()

    assert day.steps_of("I30") == ["past-due-30"] and day.steps_of("I31") == ["past-due-30"]
    with day.desk.arrears.engine.connect() as connection:
        r, i = t.step_runs, t.invoices
        links = connection.execute(
            select(r.c.email_id, r.c.task_id)
            .join(i, r.c.invoice_id == i.c.id)
            .where(r.c.status == "fired", i.c.external_id.in_(["I30", "I31", "I50"]))
        ).all()
        e = t.emails
        query = select(e.c.id).where(e.c.customer_id == acme.id, e.c.step.like("past-due-%"))
        emails = connection.execute(query).scalars().all()
    assert emails == taken  # Acme's past-due email: only the other cycle's
    assert len(links) == 3 and {email for email, _ in links} == {None}
    task_ids = {task for _, task in links}
    assert len(task_ids) == 1 and None not in task_ids  # one call task for the three
    assert report.tasks_created == 3 and report.emails_queued == 2  # Acme's courtesy, Gamma's; Acme's past due taken


def test_a_group_partly_claimed_by_another_cycle_writes_and_links_what_it_claimed(day: Cycle) -> None:  # noqa: F811
    """Acme's I30 and I31 reach past-due-30 and I50 past-due-45 together; another cycle has claimed I31
    (and will write its own email and task). This one writes one email and one task for I50 and I30,
    and their runs name them (on PostgreSQL through the ids it reserved, on SQLite through the links
    after)."""
    with day.desk.uow() as uow:
        acme = uow.ledger.customer("C1")
        assert acme is not None
        i31 = next(i for i in uow.selection.open_invoices(acme.id) if i.number == "I31")
        uow.step_runs.claim_runs(
            DAY,
            [
                StepClaim(
                    "standard", "past-due-30", f"invoice:{i31.invoice_ids[0]}", acme.id, i31.invoice_ids[0], "fired"
                )
            ],
        )
        uow.commit()

    day.run()

    email = next(e for e in day.emails() if e.step == "past-due-45" and e.customer_id == acme.id)
    assert [i["number"] for i in outbox.thaw(email.context)["invoices"]] == ["I50", "I30"]
    with day.desk.arrears.engine.connect() as connection:
        r, i = t.step_runs, t.invoices
        runs = {
            row.number: (row.email_id, row.task_id)
            for row in connection.execute(
                select(i.c.number, r.c.email_id, r.c.task_id)
                .join(i, r.c.invoice_id == i.c.id)
                .where(r.c.step.like("past-due-%"), i.c.customer_id == acme.id)
            )
        }
        assert runs["I31"] == (None, None)  # the other cycle's, not linked by this one
        email_id, task_id = runs["I30"]
        assert email_id == email.id and task_id is not None
        assert runs["I50"] == (email_id, task_id)
        tagged = connection.execute(
            select(i.c.number)
            .join(t.task_invoices, t.task_invoices.c.invoice_id == i.c.id)
            .where(t.task_invoices.c.task_id == task_id)
        ).scalars()
        assert sorted(tagged) == ["I30", "I50"]
