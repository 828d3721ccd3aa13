"""Creating a task (services/tasks.create_task), over fakes: who it is assigned to, what it may tag,
what a promise to pay needs, the issue and the contact it names, and the audit entry it leaves."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.domain.audit import Actor, AuditEntry
from arrears.domain.errors import InvalidValue, NotFound
from arrears.domain.tasks import Promise, TaskStatus, TaskType
from arrears.services import tasks
from arrears.services.tasks import NewContact, NewTask
from tests.fakes import FakeUnitOfWork, acme_desk, make_customer
from tests.unit.builders import MARIA, MORGAN, NOW, SAM, TODAY


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def nothing_written(uow: FakeUnitOfWork) -> bool:
    return (
        uow.commits == 0
        and not uow.tasks.rows
        and not uow.audit.entries
        and not uow.customer_records.issue_rows
        and not uow.customer_records.contacts
    )


# -- who it is assigned to, and when it is due -----------------------------------------------------


def test_a_task_is_assigned_to_the_customers_collector_by_default(uow: FakeUnitOfWork) -> None:
    row = tasks.create_task(uow, MARIA, NewTask("C2", "call"))

    assert (row.assignee, row.assignee_id) == ("sam", SAM.id)


def test_a_task_on_a_customer_without_a_collector_is_assigned_to_its_creator(uow: FakeUnitOfWork) -> None:
    uow.ledger.add_customer(make_customer(id=3, external_id="C3", name="Gamma SA", collector=None))

    row = tasks.create_task(uow, MORGAN, NewTask("C3", "email"))

    assert row.assignee == "morgan"


def test_a_named_assignee_takes_the_task(uow: FakeUnitOfWork) -> None:
    row = tasks.create_task(uow, MARIA, NewTask("C1", "call", assignee="sam"))

    assert row.assignee == "sam"


def test_an_unknown_assignee_is_refused_and_nothing_is_written(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="no user named 'nobody' to be the assignee"):
        tasks.create_task(uow, MARIA, NewTask("C1", "call", assignee="nobody"))

    assert nothing_written(uow)


def test_a_task_is_due_today_unless_a_date_is_given(uow: FakeUnitOfWork) -> None:
    today = tasks.create_task(uow, MARIA, NewTask("C1", "call"))
    later = tasks.create_task(uow, MARIA, NewTask("C1", "call", due_date=date(2026, 6, 9)))

    assert (today.due_date, later.due_date) == (TODAY, date(2026, 6, 9))


def test_the_task_is_stored_open_and_as_written_by_its_creator(uow: FakeUnitOfWork) -> None:
    row = tasks.create_task(uow, MARIA, NewTask("C1", "note", description="  Sent the statement  "))

    stored = uow.tasks.rows[row.id]
    assert (stored.type, stored.status, stored.description, stored.customer_id) == (
        TaskType.NOTE,
        TaskStatus.OPEN,
        "Sent the statement",
        1,
    )
    assert uow.tasks.created_by[row.id] == MARIA.id
    assert uow.commits == 1


# -- what is refused before anything is written ------------------------------------------------------


def test_an_unknown_customer_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no customer with external id 'C9'"):
        tasks.create_task(uow, MARIA, NewTask("C9", "call"))

    assert nothing_written(uow)


def test_an_unknown_task_type_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="'visit' is not a task type"):
        tasks.create_task(uow, MARIA, NewTask("C1", "visit"))

    assert nothing_written(uow)


def test_a_description_over_5000_characters_is_refused_and_the_issue_it_opened_is_not_kept(
    uow: FakeUnitOfWork,
) -> None:
    with pytest.raises(InvalidValue, match="longer than 5000 characters"):
        tasks.create_task(uow, MARIA, NewTask("C1", "call", description="x" * 5001, issue_title="Past due"))

    assert nothing_written(uow)


# -- tagged invoices ---------------------------------------------------------------------------------


def test_a_task_tags_the_customers_invoices_once_each_in_the_order_given(uow: FakeUnitOfWork) -> None:
    row = tasks.create_task(uow, MARIA, NewTask("C1", "call", invoice_external_ids=("I2", "I1", "I2")))

    assert uow.tasks.rows[row.id].invoice_ids == (12, 11)
    assert row.invoice_external_ids == ["I1", "I2"]


def test_an_invoice_of_another_customer_cannot_be_tagged(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="invoice 'B1' belongs to another customer"):
        tasks.create_task(uow, MARIA, NewTask("C1", "call", invoice_external_ids=("I1", "B1")))

    assert nothing_written(uow)


def test_an_unknown_invoice_cannot_be_tagged(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="no invoice with external id 'I9'"):
        tasks.create_task(uow, MARIA, NewTask("C1", "call", invoice_external_ids=("I9",)))

    assert nothing_written(uow)


def test_a_task_tags_at_most_1000_invoices(uow: FakeUnitOfWork) -> None:
    many = tuple(f"I{n}" for n in range(1001))

    with pytest.raises(InvalidValue, match="at most 1000 invoices"):
        tasks.create_task(uow, MARIA, NewTask("C1", "call", invoice_external_ids=many))

    assert nothing_written(uow)


# -- promises to pay ---------------------------------------------------------------------------------


def test_a_promise_is_kept_in_the_customers_currency_and_dated_the_day_it_was_made(uow: FakeUnitOfWork) -> None:
    new = NewTask("C1", "expected_payment", expected_amount="120.50", expected_date=date(2026, 6, 10))

    row = tasks.create_task(uow, MARIA, new)

    assert uow.tasks.rows[row.id].promise == Promise(120_50, "USD", date(2026, 6, 10), TODAY)
    assert (row.expected_amount_minor, row.expected_date) == (120_50, date(2026, 6, 10))


@pytest.mark.parametrize(
    ("amount", "by"),
    [(None, date(2026, 6, 10)), ("120.50", None)],
)
def test_a_promise_needs_an_amount_and_a_date(uow: FakeUnitOfWork, amount: str | None, by: date | None) -> None:
    with pytest.raises(InvalidValue, match="needs expected_amount and expected_date"):
        tasks.create_task(uow, MARIA, NewTask("C1", "expected_payment", expected_amount=amount, expected_date=by))

    assert nothing_written(uow)


def test_a_promise_in_another_currency_than_the_accounts_is_refused(uow: FakeUnitOfWork) -> None:
    new = NewTask(
        "C1", "expected_payment", expected_amount="10.00", expected_date=date(2026, 6, 10), expected_currency="EUR"
    )

    with pytest.raises(InvalidValue, match="the promise is in EUR but the customer's account is in USD"):
        tasks.create_task(uow, MARIA, new)

    assert nothing_written(uow)


def test_a_promise_dated_before_today_is_refused(uow: FakeUnitOfWork) -> None:
    new = NewTask("C1", "expected_payment", expected_amount="10.00", expected_date=date(2026, 5, 30))

    with pytest.raises(InvalidValue, match="the promised date 2026-05-30 is in the past"):
        tasks.create_task(uow, MARIA, new)

    assert nothing_written(uow)


def test_a_promise_of_nothing_is_refused(uow: FakeUnitOfWork) -> None:
    new = NewTask("C1", "expected_payment", expected_amount="0.00", expected_date=date(2026, 6, 10))

    with pytest.raises(InvalidValue):
        tasks.create_task(uow, MARIA, new)

    assert nothing_written(uow)


def test_only_a_promise_task_takes_an_expected_amount(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="go with an expected_payment task"):
        tasks.create_task(uow, MARIA, NewTask("C1", "call", expected_amount="10.00"))

    assert nothing_written(uow)


# -- issues and contacts -----------------------------------------------------------------------------


def test_an_issue_title_opens_an_issue_on_the_account_for_the_task(uow: FakeUnitOfWork) -> None:
    row = tasks.create_task(uow, MARIA, NewTask("C1", "call", issue_title="Collect the May invoices"))

    [issue] = uow.customer_records.issue_rows.values()
    assert (issue.customer_id, issue.title, issue.created_by, issue.status) == (
        1,
        "Collect the May invoices",
        3,
        "open",
    )
    assert row.issue_id == issue.id
    assert ("issue", str(issue.id), "opened") in uow.audit.actions()


def test_an_issue_of_another_customer_is_refused(uow: FakeUnitOfWork) -> None:
    betas = uow.customer_records.add_issue(2, "Beta's issue", SAM.id)

    with pytest.raises(InvalidValue, match=f"issue {betas} is not an issue of customer 'C1'"):
        tasks.create_task(uow, MARIA, NewTask("C1", "call", issue_id=betas))

    assert not uow.tasks.rows


def test_a_contact_of_another_customer_is_refused(uow: FakeUnitOfWork) -> None:
    betas = uow.customer_records.add_contact(2, "Bea", None, None, None)

    with pytest.raises(InvalidValue, match=f"contact {betas} is not a contact of customer 'C1'"):
        tasks.create_task(uow, MARIA, NewTask("C1", "call", contact_id=betas))

    assert not uow.tasks.rows


def test_a_new_contact_is_added_to_the_customer_and_named_on_the_task(uow: FakeUnitOfWork) -> None:
    dana = NewContact("  Dana Price ", phone="+1 415 555 0199", email="dana@acme.example", role="AP clerk")

    row = tasks.create_task(uow, MARIA, NewTask("C1", "call", new_contact=dana))

    contact = uow.customer_records.contacts[row.contact_id or 0]
    assert (contact.customer_id, contact.name, contact.phone, contact.email, contact.role) == (
        1,
        "Dana Price",
        "+1 415 555 0199",
        "dana@acme.example",
        "AP clerk",
    )
    assert row.phones == ["+1 415 555 0100", "+1 415 555 0199"]


@pytest.mark.parametrize(
    ("contact", "reason"),
    [
        (NewContact("   "), "needs a name of 1 to 200 characters"),
        (NewContact("Dana", email="not-an-address"), "is not an email address"),
        (NewContact("Dana", phone="5" * 65), "phone is longer than 64 characters"),
    ],
)
def test_a_bad_new_contact_is_refused_and_nothing_is_written(
    uow: FakeUnitOfWork, contact: NewContact, reason: str
) -> None:
    with pytest.raises(InvalidValue, match=reason):
        tasks.create_task(uow, MARIA, NewTask("C1", "call", new_contact=contact))

    assert nothing_written(uow)


def test_a_contact_added_while_creating_a_task_shows_on_the_customers_timeline(uow: FakeUnitOfWork) -> None:
    row = tasks.create_task(uow, MARIA, NewTask("C1", "call", new_contact=NewContact("Dana Price")))

    assert ("contact", str(row.contact_id), "added") in uow.audit.actions()


# -- the audit entry, and completing at entry ----------------------------------------------------------


def test_creating_a_task_writes_who_created_it_its_type_due_date_and_assignee(uow: FakeUnitOfWork) -> None:
    row = tasks.create_task(uow, MARIA, NewTask("C2", "call", description="Call Beta"))

    assert uow.audit.entries == [
        AuditEntry(
            NOW,
            Actor.of(MARIA),
            "task",
            str(row.id),
            "created",
            "call task created: Call Beta",
            2,
            {"type": "call", "due_date": "2026-05-31", "assignee_id": SAM.id},
        )
    ]


def test_a_promise_tasks_audit_entry_says_what_was_promised_by_when(uow: FakeUnitOfWork) -> None:
    new = NewTask("C1", "expected_payment", expected_amount="120.5", expected_date=date(2026, 6, 10))

    tasks.create_task(uow, MARIA, new)

    assert uow.audit.entries[0].changes["promise"] == "120.50 USD by 2026-06-10"


def test_a_task_completed_at_entry_is_done_by_its_creator_with_no_follow_up(uow: FakeUnitOfWork) -> None:
    row = tasks.create_task(uow, MARIA, NewTask("C1", "note", complete=True, note="Left a message"))

    assert (row.status, row.outcome, row.completed_by, row.note) == ("done", "done", "maria", "Left a message")
    assert len(uow.tasks.rows) == 1
    assert [a for _, _, a in uow.audit.actions()] == ["created", "completed"]


def test_a_task_logged_with_a_follow_up_date_is_done_and_its_follow_up_opens(uow: FakeUnitOfWork) -> None:
    row = tasks.create_task(
        uow, MARIA, NewTask("C1", "call", outcome="answered", follow_up_date=date(2026, 6, 3), assignee="sam")
    )

    [follow] = [t for t in uow.tasks.rows.values() if t.id != row.id]
    assert (row.status, row.outcome) == ("done", "answered")
    assert (follow.type, follow.status, follow.due_date, follow.assignee_id) == (
        TaskType.FOLLOW_UP,
        TaskStatus.OPEN,
        date(2026, 6, 3),
        MARIA.id,
    )
