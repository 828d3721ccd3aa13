"""Seed 000: a collector on a call learns of someone new at the customer and records them while
logging the call (completing or rescheduling the task), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.domain.errors import Conflict, InvalidValue, PermissionDenied
from arrears.services import accounts, tasks
from tests.workspace import Desk

DANA = tasks.NewContact("Dana Ortiz", phone="+1 415 555 0177", email="dana@acme.example", role="AP lead")


@pytest.fixture
def acme(desk: Desk) -> Desk:
    desk.accounts()
    return desk


def _contact(desk: Desk, name: str) -> tuple[int, int, str | None, str | None, str | None]:
    """(id, customer id, email, phone, role) of the one contact named `name`."""
    k = t.contacts
    with desk.arrears.engine.connect() as connection:
        [row] = connection.execute(
            select(k.c.id, k.c.customer_id, k.c.email, k.c.phone, k.c.role).where(k.c.name == name)
        ).all()
    return row[0], row[1], row[2], row[3], row[4]


def _customer_id(desk: Desk, external_id: str) -> int:
    c = t.customers
    with desk.arrears.engine.connect() as connection:
        return int(connection.execute(select(c.c.id).where(c.c.external_id == external_id)).scalar_one())


def test_completing_a_call_with_a_new_contact_adds_it_to_the_tasks_customer_and_links_it(acme: Desk) -> None:
    acme.task("olivia", "C2", assignee="maria")  # another customer's task: the contact must not go there
    call = acme.task()

    done, follow = tasks.complete_task(
        acme.uow(), acme["maria"], call.id, outcome="answered", follow_up_date=date(2026, 7, 3), contact=DANA
    )

    contact_id, customer_id, email, phone, role = _contact(acme, "Dana Ortiz")
    assert customer_id == _customer_id(acme, "C1")
    assert (email, phone, role) == ("dana@acme.example", "+1 415 555 0177", "AP lead")
    assert done.status == "done" and done.contact_id == contact_id
    assert follow is not None and follow.contact_id == contact_id  # the follow-up calls the same person
    assert "+1 415 555 0177" in done.phones


def test_the_new_contact_is_audited_on_the_customers_timeline(acme: Desk) -> None:
    call = acme.task()

    tasks.complete_task(acme.uow(), acme["maria"], call.id, outcome="answered", contact=DANA)

    history = accounts.timeline(acme.uow(), acme["maria"], "C1").items
    [added] = [e for e in history if e.entity == "contact" and e.action != "imported"]
    assert added.action == "added"
    assert added.summary == "Contact Dana Ortiz added while logging a call"
    assert added.actor == "maria"
    assert added.changes["task_id"] == call.id
    assert not [e for e in accounts.timeline(acme.uow(), acme["maria"], "C2").items if e.entity == "contact"]


def test_rescheduling_a_call_with_a_new_contact_keeps_the_task_open_and_records_who_was_spoken_to(
    acme: Desk,
) -> None:
    call = acme.task()

    moved = tasks.reschedule_task(
        acme.uow(),
        acme["maria"],
        call.id,
        to=date(2026, 7, 2),
        outcome="answered",
        contact=tasks.NewContact("  Lee Chan  ", email=" lee@acme.example "),
    )

    contact_id, customer_id, email, phone, role = _contact(acme, "Lee Chan")
    assert (customer_id, email, phone, role) == (_customer_id(acme, "C1"), "lee@acme.example", None, None)
    assert (moved.status, moved.due_date, moved.contact_id, moved.version) == ("open", date(2026, 7, 2), contact_id, 2)
    history = accounts.timeline(acme.uow(), acme["maria"], "C1").items
    assert any(e.summary == "Contact Lee Chan added while logging a call" for e in history)


def test_a_task_other_than_a_call_says_what_was_being_done(acme: Desk) -> None:
    note = acme.task(type="follow_up")

    tasks.reschedule_task(acme.uow(), acme["maria"], note.id, to=date(2026, 7, 2), contact=DANA)

    history = accounts.timeline(acme.uow(), acme["maria"], "C1").items
    assert any(e.summary == "Contact Dana Ortiz added while rescheduling a follow up task" for e in history)


def test_an_existing_contact_of_the_customer_can_be_named_instead(acme: Desk) -> None:
    first = acme.task(new_contact=DANA)
    call = acme.task()

    done, _ = tasks.complete_task(acme.uow(), acme["maria"], call.id, contact_id=first.contact_id)

    assert done.contact_id == first.contact_id
    assert acme.count(t.contacts) == 1


def test_a_contact_of_another_customer_is_refused_and_nothing_changes(acme: Desk) -> None:
    beta = acme.task("olivia", "C2", new_contact=tasks.NewContact("Beta person"))
    call = acme.task()

    with pytest.raises(InvalidValue, match="not a contact of this task's customer"):
        tasks.complete_task(acme.uow(), acme["maria"], call.id, contact_id=beta.contact_id)

    assert acme.row(call.id).status == "open"


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        (tasks.NewContact("Dana Ortiz", email="not-an-email"), "not an email address"),
        (tasks.NewContact("   "), "name of 1 to 200 characters"),
        (tasks.NewContact("x" * 201), "name of 1 to 200 characters"),
        (tasks.NewContact("ß" * 150), "name of 1 to 200 characters"),
        (tasks.NewContact("Dana", phone="1" * 65), "phone is longer than 64"),
    ],
    ids=["bad-email", "blank-name", "long-name", "long-key", "long-phone"],
)
def test_a_bad_contact_on_completing_changes_nothing_not_even_the_task(
    acme: Desk, contact: tasks.NewContact, message: str
) -> None:
    call = acme.task()
    audited = acme.count(t.audit_log)

    with pytest.raises(InvalidValue, match=message):
        tasks.complete_task(
            acme.uow(), acme["maria"], call.id, outcome="answered", follow_up_date=date(2026, 7, 3), contact=contact
        )

    row = acme.row(call.id)
    assert (row.status, row.version, row.contact_id) == ("open", 1, None)
    assert acme.count(t.contacts) == 0
    assert acme.count(t.tasks) == 1  # no follow-up either
    assert acme.count(t.audit_log) == audited


def test_a_bad_email_on_rescheduling_changes_nothing(acme: Desk) -> None:
    call = acme.task()

    with pytest.raises(InvalidValue, match="not an email address"):
        tasks.reschedule_task(
            acme.uow(),
            acme["maria"],
            call.id,
            to=date(2026, 7, 2),
            contact=tasks.NewContact("Dana", email="dana@"),
        )

    row = acme.row(call.id)
    assert (row.status, row.due_date, row.version) == ("open", date(2026, 6, 30), 1)
    assert acme.count(t.contacts) == 0


def test_a_refused_completion_does_not_keep_the_new_contact(acme: Desk) -> None:
    call = acme.task()
    tasks.complete_task(acme.uow(), acme["maria"], call.id)

    with pytest.raises(Conflict):
        tasks.complete_task(acme.uow(), acme["maria"], call.id, contact=DANA)

    assert acme.count(t.contacts) == 0


def test_a_contributor_may_not_add_a_contact_through_another_collectors_task(acme: Desk) -> None:
    theirs = acme.task("olivia", "C2", assignee="sam")

    with pytest.raises(PermissionDenied):
        tasks.complete_task(acme.uow(), acme["maria"], theirs.id, contact=DANA)

    assert acme.count(t.contacts) == 0
    assert acme.row(theirs.id).status == "open"


def test_both_a_new_and_an_existing_contact_is_refused(acme: Desk) -> None:
    first = acme.task(new_contact=DANA)
    call = acme.task()

    with pytest.raises(InvalidValue, match="not both"):
        tasks.complete_task(
            acme.uow(), acme["maria"], call.id, contact=tasks.NewContact("Lee"), contact_id=first.contact_id
        )

    assert acme.count(t.contacts) == 1
