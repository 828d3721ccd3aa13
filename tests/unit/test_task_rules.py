"""Tasks: completing (with or without a follow-up), call results, rescheduling, rules closing a
task, and when an open task is stale. Pure rules over plain values."""

from __future__ import annotations

import pytest

from arrears.domain.errors import Conflict, InvalidValue
from arrears.domain.tasks import (
    MAX_OUTCOME_LENGTH,
    OUTCOME_DONE,
    OUTCOME_KEPT,
    TaskSource,
    TaskStatus,
    TaskType,
    close_by_rule,
    complete,
    is_stale,
    parse_task_type,
    reschedule,
)
from tests.unit.builders import MARIA, MORGAN, NOW, SAM, TODAY, days, make_promise, make_task

# -- completing ----------------------------------------------------------------------------------


def test_completing_closes_the_task_as_done() -> None:
    task = make_task()

    done = complete(task, by=MARIA.id, at=NOW, today=TODAY).task

    assert done.status is TaskStatus.DONE
    assert not done.is_open


def test_completing_records_who_completed_it_and_when() -> None:
    task = make_task(assignee=MARIA.id)

    done = complete(task, by=MORGAN.id, at=NOW, today=TODAY).task

    assert (done.completed_by, done.completed_at) == (MORGAN.id, NOW)


def test_completing_without_an_outcome_records_done() -> None:
    task = make_task(type=TaskType.EMAIL)

    done = complete(task, by=MARIA.id, at=NOW, today=TODAY).task

    assert done.outcome == OUTCOME_DONE == "done"


def test_completing_with_an_empty_outcome_records_done() -> None:
    task = make_task(type=TaskType.NOTE)

    done = complete(task, by=MARIA.id, at=NOW, today=TODAY, outcome="").task

    assert done.outcome == "done"


def test_completing_moves_the_version_on_by_one() -> None:
    task = make_task(version=4)

    done = complete(task, by=MARIA.id, at=NOW, today=TODAY).task

    assert done.version == 5


def test_completing_without_a_note_keeps_the_task_note() -> None:
    task = make_task(note="Ask for the PO number")

    done = complete(task, by=MARIA.id, at=NOW, today=TODAY).task

    assert done.note == "Ask for the PO number"


def test_completing_with_a_note_replaces_the_task_note() -> None:
    task = make_task(note="Ask for the PO number")

    done = complete(task, by=MARIA.id, at=NOW, today=TODAY, note="PO 4471 received").task

    assert done.note == "PO 4471 received"


def test_completing_leaves_the_task_it_was_given_unchanged() -> None:
    task = make_task()

    complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY + days(3))

    assert task.status is TaskStatus.OPEN
    assert (task.version, task.completed_at, task.follow_up_date) == (1, None, None)


def test_completing_without_a_follow_up_date_opens_no_follow_up() -> None:
    task = make_task()

    completion = complete(task, by=MARIA.id, at=NOW, today=TODAY)

    assert completion.follow_up is None
    assert completion.task.follow_up_date is None


def test_completing_with_follow_up_opens_a_new_task_for_the_completer() -> None:
    task = make_task(assignee=SAM.id)

    follow_up = complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY + days(3)).follow_up

    assert follow_up is not None
    assert follow_up.assignee_id == MARIA.id


def test_the_follow_up_goes_to_the_user_named_for_it() -> None:
    task = make_task(assignee=MARIA.id)

    follow_up = complete(
        task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY + days(3), follow_up_assignee=SAM.id
    ).follow_up

    assert follow_up is not None
    assert follow_up.assignee_id == SAM.id


def test_the_follow_up_is_due_on_the_follow_up_date() -> None:
    task = make_task(due=TODAY - days(2))

    follow_up = complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY + days(7)).follow_up

    assert follow_up is not None
    assert follow_up.due_date == TODAY + days(7)


def test_the_completed_task_records_its_follow_up_date() -> None:
    task = make_task()

    done = complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY + days(7)).task

    assert done.follow_up_date == TODAY + days(7)


def test_the_follow_up_keeps_the_customer_invoices_issue_and_contact() -> None:
    task = make_task(customer_id=42, invoice_ids=(101, 102), issue_id=8, contact_id=15)

    follow_up = complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY).follow_up

    assert follow_up is not None
    assert (follow_up.customer_id, follow_up.invoice_ids, follow_up.issue_id, follow_up.contact_id) == (
        42,
        (101, 102),
        8,
        15,
    )


def test_the_follow_up_is_a_new_open_manual_follow_up_task() -> None:
    task = make_task(type=TaskType.CALL, version=3)

    follow_up = complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY).follow_up

    assert follow_up is not None
    assert (follow_up.id, follow_up.type, follow_up.status, follow_up.source, follow_up.version) == (
        None,
        TaskType.FOLLOW_UP,
        TaskStatus.OPEN,
        TaskSource.MANUAL,
        1,
    )
    assert (follow_up.outcome, follow_up.completed_at, follow_up.completed_by) == (None, None, None)


def test_the_follow_up_description_names_the_task_it_follows() -> None:
    task = make_task(description="Call about INV-1")

    follow_up = complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY).follow_up

    assert follow_up is not None
    assert follow_up.description == "Follow up: Call about INV-1"


def test_the_follow_up_of_a_task_without_description_reads_follow_up() -> None:
    task = make_task(description="")

    follow_up = complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY).follow_up

    assert follow_up is not None
    assert follow_up.description == "Follow up"


def test_the_follow_up_of_a_promise_carries_no_promise() -> None:
    task = make_task(type=TaskType.EXPECTED_PAYMENT, promise=make_promise())

    follow_up = complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY).follow_up

    assert follow_up is not None
    assert follow_up.promise is None


def test_a_follow_up_due_today_is_accepted() -> None:
    task = make_task()

    follow_up = complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY).follow_up

    assert follow_up is not None
    assert follow_up.due_date == TODAY


def test_a_follow_up_date_in_the_past_is_refused() -> None:
    task = make_task()

    with pytest.raises(InvalidValue) as caught:
        complete(task, by=MARIA.id, at=NOW, today=TODAY, follow_up_date=TODAY - days(1))

    assert caught.value.message == "the follow-up date 2026-05-30 is in the past"


def test_a_done_task_cannot_be_completed_again() -> None:
    task = make_task(id=7, status=TaskStatus.DONE)

    with pytest.raises(Conflict) as caught:
        complete(task, by=MARIA.id, at=NOW, today=TODAY)

    assert caught.value.message == "task 7 is already done"
    assert caught.value.code == "conflict"


def test_a_cancelled_task_cannot_be_completed() -> None:
    task = make_task(id=8, status=TaskStatus.CANCELLED)

    with pytest.raises(Conflict, match=r"^task 8 is already cancelled$"):
        complete(task, by=MARIA.id, at=NOW, today=TODAY)


# -- outcomes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("result", ["answered", "not_answered", "left_voicemail", "skipped"])
def test_a_call_is_completed_with_its_call_result(result: str) -> None:
    call = make_task(type=TaskType.CALL)

    done = complete(call, by=MARIA.id, at=NOW, today=TODAY, outcome=result).task

    assert done.outcome == result


@pytest.mark.parametrize("outcome", ["busy", "Answered", "", "promised to pay"])
def test_the_outcome_of_a_call_must_be_a_call_result(outcome: str) -> None:
    call = make_task(type=TaskType.CALL)

    with pytest.raises(InvalidValue) as caught:
        complete(call, by=MARIA.id, at=NOW, today=TODAY, outcome=outcome)

    assert caught.value.message == (
        f"{outcome!r} is not a call result: use one of answered, not_answered, left_voicemail, skipped"
    )


def test_other_tasks_take_a_free_outcome() -> None:
    email = make_task(type=TaskType.EMAIL)

    done = complete(email, by=MARIA.id, at=NOW, today=TODAY, outcome="sent copy of INV-1").task

    assert done.outcome == "sent copy of INV-1"


def test_a_free_outcome_of_64_characters_is_accepted() -> None:
    note = make_task(type=TaskType.NOTE)

    done = complete(note, by=MARIA.id, at=NOW, today=TODAY, outcome="x" * 64).task

    assert done.outcome == "x" * MAX_OUTCOME_LENGTH


def test_a_free_outcome_of_65_characters_is_refused() -> None:
    note = make_task(type=TaskType.NOTE)

    with pytest.raises(InvalidValue) as caught:
        complete(note, by=MARIA.id, at=NOW, today=TODAY, outcome="x" * 65)

    assert caught.value.message == "the outcome is longer than 64 characters"


# -- rescheduling --------------------------------------------------------------------------------


def test_rescheduling_moves_the_due_date_and_keeps_the_task_open() -> None:
    task = make_task(due=TODAY - days(1))

    moved = reschedule(task, to=TODAY + days(4), today=TODAY)

    assert moved.due_date == TODAY + days(4)
    assert moved.status is TaskStatus.OPEN


def test_rescheduling_moves_the_version_on_by_one() -> None:
    task = make_task(version=2)

    moved = reschedule(task, to=TODAY + days(1), today=TODAY)

    assert moved.version == 3


def test_rescheduling_to_today_is_accepted() -> None:
    task = make_task(due=TODAY - days(5))

    moved = reschedule(task, to=TODAY, today=TODAY)

    assert moved.due_date == TODAY


def test_rescheduling_to_a_past_day_is_refused() -> None:
    task = make_task()

    with pytest.raises(InvalidValue) as caught:
        reschedule(task, to=TODAY - days(1), today=TODAY)

    assert caught.value.message == "the new due date 2026-05-30 is in the past"


def test_rescheduling_a_call_takes_a_call_result_and_leaves_the_outcome_for_the_history() -> None:
    call = make_task(type=TaskType.CALL)

    moved = reschedule(call, to=TODAY + days(2), today=TODAY, outcome="not_answered")

    assert moved.outcome is None
    assert (moved.completed_at, moved.completed_by) == (None, None)


def test_rescheduling_a_call_refuses_what_is_not_a_call_result() -> None:
    call = make_task(type=TaskType.CALL)

    with pytest.raises(InvalidValue, match="'no answer' is not a call result"):
        reschedule(call, to=TODAY + days(2), today=TODAY, outcome="no answer")


def test_a_done_task_cannot_be_rescheduled() -> None:
    task = make_task(id=9, status=TaskStatus.DONE)

    with pytest.raises(Conflict, match=r"^task 9 is already done$"):
        reschedule(task, to=TODAY + days(1), today=TODAY)


# -- closed by a rule ----------------------------------------------------------------------------


def test_a_rule_closes_a_task_with_its_outcome_and_no_completer() -> None:
    promise = make_task(type=TaskType.EXPECTED_PAYMENT, version=2)

    closed = close_by_rule(promise, outcome=OUTCOME_KEPT, at=NOW)

    assert (closed.status, closed.outcome, closed.completed_at, closed.completed_by, closed.version) == (
        TaskStatus.DONE,
        "kept",
        NOW,
        None,
        3,
    )


def test_a_rule_cannot_close_a_task_that_is_already_closed() -> None:
    task = make_task(id=10, status=TaskStatus.CANCELLED)

    with pytest.raises(Conflict, match=r"^task 10 is already cancelled$"):
        close_by_rule(task, outcome="invoices_paid", at=NOW)


# -- task types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "call",
        "email",
        "follow_up",
        "expected_payment",
        "note",
        "get_credit_report",
        "book_meeting",
        "validate_invoice",
        "update_invoice",
        "offer_payment_plan",
        "escalate_to_collections",
    ],
)
def test_each_task_type_of_the_contract_parses_from_its_name(name: str) -> None:
    parsed = parse_task_type(name)

    assert parsed.value == name


def test_an_unknown_task_type_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_task_type("Call")

    assert caught.value.message == (
        "'Call' is not a task type: use one of call, email, follow_up, expected_payment, note, get_credit_report, "
        "book_meeting, validate_invoice, update_invoice, offer_payment_plan, escalate_to_collections"
    )


@pytest.mark.parametrize(
    ("status", "is_open"), [(TaskStatus.OPEN, True), (TaskStatus.DONE, False), (TaskStatus.CANCELLED, False)]
)
def test_only_a_task_with_status_open_is_open(status: TaskStatus, is_open: bool) -> None:
    task = make_task(status=status)

    assert task.is_open is is_open


# -- stale tasks ---------------------------------------------------------------------------------


def test_a_task_due_today_is_not_stale() -> None:
    task = make_task(due=TODAY)

    assert not is_stale(task, TODAY, stale_after_days=3)


def test_a_task_due_in_the_future_is_not_stale() -> None:
    task = make_task(due=TODAY + days(10))

    assert not is_stale(task, TODAY, stale_after_days=0)


def test_a_task_exactly_n_days_past_due_is_not_yet_stale() -> None:
    task = make_task(due=TODAY - days(3))

    assert not is_stale(task, TODAY, stale_after_days=3)


def test_a_task_more_than_n_days_past_due_is_stale() -> None:
    task = make_task(due=TODAY - days(4))

    assert is_stale(task, TODAY, stale_after_days=3)


def test_with_zero_days_a_task_is_stale_the_day_after_it_was_due() -> None:
    due_yesterday, due_today = make_task(due=TODAY - days(1)), make_task(due=TODAY)

    stale = (is_stale(due_yesterday, TODAY, stale_after_days=0), is_stale(due_today, TODAY, stale_after_days=0))

    assert stale == (True, False)


@pytest.mark.parametrize("status", [TaskStatus.DONE, TaskStatus.CANCELLED])
def test_a_closed_task_is_never_stale(status: TaskStatus) -> None:
    task = make_task(due=TODAY - days(400), status=status)

    assert not is_stale(task, TODAY, stale_after_days=3)


def test_staleness_counts_days_across_a_month_end() -> None:
    task = make_task(due=TODAY - days(4))  # 27 May

    stale_on = [day for day in (TODAY, TODAY + days(1)) if is_stale(task, day, stale_after_days=4)]

    assert stale_on == [TODAY + days(1)]  # 1 June: five days late
