"""The collector's task rules (SPEC.md §2; seeds 000, 002, 004), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.adapters.db import tables as t
from arrears.domain.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from arrears.services import accounts, task_list, tasks
from tests.ledger import customer, payment
from tests.workspace import TODAY, Desk


@pytest.fixture
def acme(desk: Desk) -> Desk:
    desk.accounts()
    return desk


def test_a_task_completed_at_entry_is_done_with_no_follow_up(acme: Desk) -> None:
    row = acme.task(description="Left a note about I1", type="note", complete=True)

    assert row.status == "done"
    assert row.completed_by == "maria"
    assert acme.count(t.tasks) == 1


def test_completing_with_follow_up_opens_a_new_task_for_the_completer(acme: Desk) -> None:
    first = acme.task(
        description="Call about I1", invoice_external_ids=("I1",), issue_title="Call re: 30 days past due"
    )

    done, follow = tasks.complete_task(
        acme.uow(), acme["maria"], first.id, outcome="answered", follow_up_date=date(2026, 7, 3)
    )

    assert done.status == "done" and done.outcome == "answered"
    assert follow is not None
    assert (follow.status, follow.type, follow.due_date, follow.assignee) == (
        "open",
        "follow_up",
        date(2026, 7, 3),
        "maria",
    )
    assert (follow.customer_external_id, follow.invoice_external_ids, follow.issue_id) == ("C1", ["I1"], first.issue_id)


def test_a_follow_up_can_be_assigned_to_another_user(acme: Desk) -> None:
    first = acme.task()

    _, follow = tasks.complete_task(acme.uow(), acme["maria"], first.id, follow_up_date=TODAY, follow_up_assignee="sam")

    assert follow is not None and follow.assignee == "sam"


def test_a_follow_up_date_in_the_past_is_refused_and_changes_nothing(acme: Desk) -> None:
    first = acme.task()

    with pytest.raises(InvalidValue, match="in the past"):
        tasks.complete_task(acme.uow(), acme["maria"], first.id, follow_up_date=date(2026, 6, 29))

    assert acme.row(first.id).status == "open"
    assert acme.count(t.tasks) == 1


@pytest.mark.parametrize("result", ["answered", "not_answered", "left_voicemail", "skipped"])
def test_a_call_registers_its_result(acme: Desk, result: str) -> None:
    call = acme.task()

    done, _ = tasks.complete_task(acme.uow(), acme["maria"], call.id, outcome=result)

    assert done.outcome == result


def test_a_call_result_outside_the_list_is_refused(acme: Desk) -> None:
    call = acme.task()

    with pytest.raises(InvalidValue, match="not a call result"):
        tasks.complete_task(acme.uow(), acme["maria"], call.id, outcome="shouted")


def test_rescheduling_a_call_keeps_it_open_and_the_attempt_in_the_history(acme: Desk) -> None:
    call = acme.task(description="Call about I1")

    moved = tasks.reschedule_task(acme.uow(), acme["maria"], call.id, to=date(2026, 7, 2), outcome="left_voicemail")

    assert (moved.status, moved.due_date) == ("open", date(2026, 7, 2))
    history = accounts.timeline(acme.uow(), acme["maria"], "C1").items
    assert any(e.action == "rescheduled" and "left_voicemail" in e.summary for e in history)


def test_a_contact_can_be_created_while_logging_a_task(acme: Desk) -> None:
    row = acme.task(new_contact=tasks.NewContact("Dana Price", phone="+1 415 555 0199", role="AP clerk"))

    assert row.contact_id is not None
    assert "+1 415 555 0199" in acme.row(row.id).phones
    assert acme.count(t.contacts, t.contacts.c.name == "Dana Price") == 1


def test_the_list_shows_the_customers_number_first_then_its_contacts_once_each(acme: Desk) -> None:
    for name, phone in (
        ("Dana Price", "+1 415 555 0199"),
        ("Lee Chan", "+1 415 555 0100"),
        ("Ann Ray", "+1 415 555 0142"),
    ):
        acme.task(new_contact=tasks.NewContact(name, phone=phone))

    assert acme.mine()[0].phones == ["+1 415 555 0100", "+1 415 555 0199", "+1 415 555 0142"]


def test_a_completed_task_cannot_be_completed_again(acme: Desk) -> None:
    row = acme.task(complete=True)

    with pytest.raises(Conflict):
        tasks.complete_task(acme.uow(), acme["maria"], row.id)


def test_unknown_task_is_not_found(acme: Desk) -> None:
    with pytest.raises(NotFound):
        tasks.complete_task(acme.uow(), acme["maria"], 999)


# -- roles --------------------------------------------------------------------------------------------


def test_a_contributor_may_not_update_another_collectors_task(acme: Desk) -> None:
    sams = acme.task(as_user="sam", customer_id="C2")

    with pytest.raises(PermissionDenied):
        tasks.complete_task(acme.uow(), acme["maria"], sams.id)
    with pytest.raises(PermissionDenied):
        tasks.reschedule_task(acme.uow(), acme["maria"], sams.id, to=date(2026, 7, 9))

    assert acme.row(sams.id).status == "open"


def test_a_contributor_may_create_a_task_for_someone_else_but_not_reassign_one(acme: Desk) -> None:
    for_sam = acme.task(as_user="maria", assignee="sam")
    own = acme.task(as_user="maria", assignee="maria")

    with pytest.raises(PermissionDenied):
        tasks.update_task(acme.uow(), acme["maria"], own.id, {"assignee": "sam"})

    assert for_sam.assignee == "sam"


@pytest.mark.parametrize("role", ["olivia", "morgan"])
def test_managers_and_owners_update_any_task(acme: Desk, role: str) -> None:
    sams = acme.task(as_user="sam", customer_id="C2")

    done, _ = tasks.complete_task(acme.uow(), acme[role], sams.id)

    assert done.status == "done"


# -- concurrency ----------------------------------------------------------------------------------


def test_the_second_of_two_concurrent_edits_gets_a_conflict_and_nothing_is_lost(acme: Desk) -> None:
    row = acme.task(description="first")
    tasks.update_task(acme.uow(), acme["maria"], row.id, {"description": "edited by maria"}, version=row.version)

    with pytest.raises(Conflict):
        tasks.update_task(acme.uow(), acme["morgan"], row.id, {"description": "edited by morgan"}, version=row.version)

    assert acme.row(row.id).description == "edited by maria"


# -- the task list -----------------------------------------------------------------------------------


def test_the_task_list_shows_my_tasks_by_default(acme: Desk) -> None:
    mine = acme.task(as_user="maria")
    acme.task(as_user="sam", customer_id="C2")

    assert [r.id for r in acme.mine("maria")] == [mine.id]
    assert len(acme.everyone()) == 2
    assert [r.assignee for r in acme.mine("maria", assignee="sam")] == ["sam"]


def test_overdue_amount_counts_eligible_overdue_invoices_net_of_partial_payments(acme: Desk) -> None:
    acme.ledger.load("payments", [payment("P1", invoice="I2", amount="50.00", on=date(2026, 6, 20))])
    row = acme.task()

    listed = acme.mine()[0]

    assert listed.id == row.id
    assert listed.overdue_minor == 100_00 + 200_00  # I1 whole, I2 net of 50.00; I3 not yet due
    assert listed.outstanding_invoice_count == 3
    assert listed.phones == ["+1 415 555 0100"]


def test_a_customer_on_hold_has_nothing_overdue_to_chase(acme: Desk) -> None:
    acme.ledger.load("customers", [{"external_id": "C1", "name": "Acme Ltd", "on_hold": "true"}])
    acme.task()

    assert acme.mine()[0].overdue_minor == 0


def test_the_list_can_hide_or_show_tasks_completed_today_and_search(acme: Desk) -> None:
    done = acme.task(description="Sent copy of INV-2002", invoice_external_ids=("I2",), complete=True)
    open_ = acme.task(description="Call the AP desk")

    assert [r.id for r in acme.mine(status="done", done_today=True)] == [done.id]
    assert [r.id for r in acme.mine(status="all", done_today=False)] == [open_.id]
    assert [r.id for r in acme.mine(status="all", q="inv-2002")] == [done.id]
    assert [r.id for r in acme.mine(status="all", q="AP desk")] == [open_.id]
    assert {r.id for r in acme.mine(status="all", q="acme")} == {done.id, open_.id}


def test_filters_type_due_range_customer_amount_and_tag(acme: Desk) -> None:
    call = acme.task(due_date=date(2026, 7, 1))
    email = acme.task(type="email", due_date=date(2026, 7, 10))
    beta = acme.task(as_user="sam", customer_id="C2", due_date=date(2026, 7, 5))

    assert [r.id for r in acme.everyone(types=("email",))] == [email.id]
    assert [r.id for r in acme.everyone(due_from=date(2026, 7, 2), due_to=date(2026, 7, 6))] == [beta.id]
    assert {r.id for r in acme.everyone(customer_external_id="C1")} == {call.id, email.id}
    assert [r.id for r in acme.everyone(min_overdue_minor=30000)] == [call.id, email.id]
    assert [r.id for r in acme.everyone(tag="eu")] == [beta.id]


def test_the_list_sorts_by_overdue_amount_and_pages(acme: Desk) -> None:
    for _ in range(3):
        acme.task(as_user="sam", customer_id="C2")
    acme.task(as_user="maria", customer_id="C1")
    flt = task_list.task_filter(acme.uow(), acme["morgan"], everyone=True)

    first = task_list.list_tasks(acme.uow(), acme["morgan"], flt, sort="-overdue_amount", limit=2)
    rest = task_list.list_tasks(
        acme.uow(), acme["morgan"], flt, sort="-overdue_amount", limit=2, offset=first.next_offset or 0
    )

    assert first.items[0].customer_external_id == "C1"
    assert first.next_offset == 2
    assert len(rest.items) == 2 and rest.next_offset is None


def test_pages_by_overdue_amount_run_on_into_the_customers_with_nothing_overdue(acme: Desk) -> None:
    acme.ledger.load("customers", [customer("C3", "Gamma SA", collector="maria")])
    for customer_id, due in (("C3", date(2026, 7, 2)), ("C2", TODAY), ("C3", TODAY), ("C1", TODAY), ("C2", TODAY)):
        acme.task(customer_id=customer_id, due_date=due)
    flt = task_list.task_filter(acme.uow(), acme["morgan"], everyone=True)
    whole = [r.id for r in task_list.list_tasks(acme.uow(), acme["morgan"], flt, sort="-overdue_amount").items]

    pages = [
        task_list.list_tasks(acme.uow(), acme["morgan"], flt, sort="-overdue_amount", limit=2, offset=offset)
        for offset in range(6)
    ]

    assert [(acme.row(i).customer_external_id, acme.row(i).due_date) for i in whole] == [
        ("C1", TODAY),
        ("C2", TODAY),
        ("C2", TODAY),
        ("C3", TODAY),
        ("C3", date(2026, 7, 2)),
    ]
    assert [[r.id for r in page.items] for page in pages] == [whole[o : o + 2] for o in range(6)]
    assert [page.next_offset for page in pages] == [2, 3, 4, None, None, None]


# -- bulk ---------------------------------------------------------------------------------------------


def test_bulk_complete_closes_every_listed_task_in_one_go(acme: Desk) -> None:
    ids = [acme.task().id for _ in range(3)]

    assert task_list.bulk_complete(acme.uow(), acme["maria"], ids=ids) == 3

    assert all(acme.row(i).status == "done" for i in ids)


def test_bulk_complete_by_filter(acme: Desk) -> None:
    for _ in range(2):
        acme.task(type="email")
    acme.task(type="call")
    flt = task_list.task_filter(acme.uow(), acme["maria"], types=("email",))

    assert task_list.bulk_complete(acme.uow(), acme["maria"], flt=flt) == 2

    assert [r.type for r in acme.mine()] == ["call"]


def test_bulk_with_someone_elses_task_changes_nothing(acme: Desk) -> None:
    mine = acme.task(as_user="maria")
    sams = acme.task(as_user="sam", customer_id="C2")

    with pytest.raises(PermissionDenied):
        task_list.bulk_complete(acme.uow(), acme["maria"], ids=[mine.id, sams.id])

    assert acme.row(mine.id).status == "open"


def test_bulk_refuses_more_than_ten_thousand_ids(acme: Desk) -> None:
    with pytest.raises(InvalidValue, match="10,000"):
        task_list.bulk_complete(acme.uow(), acme["morgan"], ids=list(range(1, 10_002)))


def test_bulk_with_an_unknown_id_changes_nothing(acme: Desk) -> None:
    mine = acme.task()

    with pytest.raises(NotFound):
        task_list.bulk_complete(acme.uow(), acme["maria"], ids=[mine.id, 4242])

    assert acme.row(mine.id).status == "open"


def test_managers_bulk_reassign_and_move_due_dates(acme: Desk) -> None:
    ids = [acme.task().id for _ in range(2)]

    task_list.bulk_reassign(acme.uow(), acme["morgan"], "sam", ids=ids)
    task_list.bulk_move_due(acme.uow(), acme["morgan"], date(2026, 7, 20), ids=ids)

    assert {(acme.row(i).assignee, acme.row(i).due_date) for i in ids} == {("sam", date(2026, 7, 20))}
    with pytest.raises(PermissionDenied):
        task_list.bulk_reassign(acme.uow(), acme["maria"], "maria", ids=ids)


# -- audit --------------------------------------------------------------------------------------------


def test_the_timeline_answers_what_happened_on_the_account(acme: Desk) -> None:
    call = acme.task(description="Call about I1")
    tasks.complete_task(acme.uow(), acme["maria"], call.id, outcome="answered", follow_up_date=date(2026, 7, 1))
    acme.task(type="expected_payment", expected_amount="100.00", expected_date=date(2026, 7, 10))

    history = accounts.timeline(acme.uow(), acme["morgan"], "C1").items

    actions = [(e.entity, e.action, e.actor) for e in history]
    assert ("task", "completed", "maria") in actions
    assert sum(1 for e in history if e.action == "created") == 3
    assert any("100.00 USD by 2026-07-10" in str(e.changes.get("promise")) for e in history)
