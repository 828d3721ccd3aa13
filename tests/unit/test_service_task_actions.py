"""A task's own actions (services/tasks.py), over fakes: completing (with a follow-up, a call's
outcome, the person spoken to), rescheduling, editing, reading one; who may do each, and what a stale
version does."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from arrears.domain.audit import Actor, AuditEntry
from arrears.domain.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from arrears.domain.tasks import TaskSource, TaskStatus, TaskType
from arrears.domain.users import User
from arrears.services import tasks
from arrears.services.tasks import NewContact
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, NOW, OLIVIA, SAM, TODAY, make_task

DANA = NewContact("Dana Ortiz", phone="+1 415 555 0177", email="dana@acme.example", role="AP lead")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """Acme's desk with maria's call task 7 (on I1 and I2, issue 5, contact 9) and sam's email task 8 on Beta."""
    desk = acme_desk()
    desk.customer_records.add_contact(1, "Ann Lee", None, None, None)
    desk.tasks.add(make_task(id=7, contact_id=1, issue_id=None, description="Call about I1"))
    desk.tasks.add(make_task(id=8, customer_id=2, type=TaskType.EMAIL, assignee=SAM.id, invoice_ids=(21,)))
    return desk


def unchanged(uow: FakeUnitOfWork) -> bool:
    """Nothing was committed: the tasks are the two of the desk, no audit entry, no new contact."""
    return (
        uow.commits == 0
        and set(uow.tasks.rows) == {7, 8}
        and not uow.audit.entries
        and len(uow.customer_records.contacts) == 1
    )


# -- completing ----------------------------------------------------------------------------------------


def test_completing_closes_the_task_as_done_by_the_completer_now(uow: FakeUnitOfWork) -> None:
    done, follow = tasks.complete_task(uow, MARIA, 7, outcome="answered", note="Will pay Friday")

    stored = uow.tasks.rows[7]
    assert (stored.status, stored.outcome, stored.note, stored.completed_by, stored.completed_at) == (
        TaskStatus.DONE,
        "answered",
        "Will pay Friday",
        MARIA.id,
        NOW,
    )
    assert (done.status, done.version) == ("done", 2)
    assert follow is None


def test_completing_with_a_follow_up_date_opens_a_follow_up_for_the_completer(uow: FakeUnitOfWork) -> None:
    _, follow = tasks.complete_task(uow, MARIA, 7, outcome="answered", follow_up_date=date(2026, 6, 3))

    assert follow is not None
    stored = uow.tasks.rows[follow.id]
    assert (stored.type, stored.status, stored.due_date, stored.assignee_id, stored.source) == (
        TaskType.FOLLOW_UP,
        TaskStatus.OPEN,
        date(2026, 6, 3),
        MARIA.id,
        TaskSource.MANUAL,
    )
    assert (stored.customer_id, stored.invoice_ids, stored.contact_id) == (1, (11, 12), 1)
    assert uow.tasks.created_by[follow.id] == MARIA.id


def test_a_follow_up_can_be_assigned_to_another_user(uow: FakeUnitOfWork) -> None:
    _, follow = tasks.complete_task(uow, MARIA, 7, follow_up_date=TODAY, follow_up_assignee="sam")

    assert follow is not None and follow.assignee == "sam"


def test_an_unknown_follow_up_assignee_is_refused_and_nothing_is_written(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="no user named 'nobody' to be the follow-up assignee"):
        tasks.complete_task(uow, MARIA, 7, follow_up_date=TODAY, follow_up_assignee="nobody")

    assert unchanged(uow)


def test_a_follow_up_date_in_the_past_is_refused_and_nothing_is_written(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="the follow-up date 2026-05-30 is in the past"):
        tasks.complete_task(uow, MARIA, 7, follow_up_date=date(2026, 5, 30))

    assert unchanged(uow)
    assert uow.tasks.rows[7].status is TaskStatus.OPEN


def test_a_calls_outcome_must_be_a_call_result(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="'shouted' is not a call result"):
        tasks.complete_task(uow, MARIA, 7, outcome="shouted")

    assert unchanged(uow)


def test_a_completed_task_cannot_be_completed_again(uow: FakeUnitOfWork) -> None:
    tasks.complete_task(uow, MARIA, 7)

    with pytest.raises(Conflict, match="task 7 is already done"):
        tasks.complete_task(uow, MARIA, 7)

    assert uow.commits == 1


def test_completing_an_unknown_task_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no task 99"):
        tasks.complete_task(uow, MARIA, 99)


def test_a_contributor_may_not_complete_another_collectors_task(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied, match="only the tasks assigned to them"):
        tasks.complete_task(uow, MARIA, 8)

    assert unchanged(uow)


@pytest.mark.parametrize("user", [MORGAN, OLIVIA], ids=["manager", "owner"])
def test_managers_and_owners_complete_anyones_task(uow: FakeUnitOfWork, user: User) -> None:
    done, _ = tasks.complete_task(uow, user, 8)

    assert (done.status, done.completed_by) == ("done", user.name)


def test_completing_with_a_version_read_before_a_change_is_a_conflict(uow: FakeUnitOfWork) -> None:
    uow.tasks.rows[7] = replace(uow.tasks.rows[7], version=3)

    with pytest.raises(Conflict, match=r"task 7 was changed by someone else meanwhile \(version 3, not 2\)"):
        tasks.complete_task(uow, MARIA, 7, version=2)

    assert unchanged(uow)


def test_a_task_saved_by_someone_else_while_completing_it_is_a_conflict_and_nothing_of_ours_is_kept(
    uow: FakeUnitOfWork,
) -> None:
    uow.tasks.edit_after_next_read(7, description="edited by morgan")

    with pytest.raises(Conflict, match="reload it and try again"):
        tasks.complete_task(uow, MARIA, 7, follow_up_date=TODAY, contact=DANA)

    assert (uow.tasks.rows[7].description, uow.tasks.rows[7].status) == ("edited by morgan", TaskStatus.OPEN)
    assert unchanged(uow)


def test_completing_closes_the_tasks_stale_alert(uow: FakeUnitOfWork) -> None:
    uow.alerts.raise_alert("stale_task", "stale_task:7", "late", customer_id=1, task_id=7, user_id=3, at=NOW)
    uow.alerts.raise_alert("stale_task", "stale_task:8", "late", customer_id=2, task_id=8, user_id=4, at=NOW)

    tasks.complete_task(uow, MARIA, 7)

    assert uow.alerts.open_keys() == ["stale_task:8"]


def test_completing_writes_the_completion_and_the_follow_up_to_the_audit_log(uow: FakeUnitOfWork) -> None:
    _, follow = tasks.complete_task(uow, MARIA, 7, outcome="answered", note="ok", follow_up_date=date(2026, 6, 3))

    assert follow is not None
    assert uow.audit.entries == [
        AuditEntry(
            NOW,
            Actor.of(MARIA),
            "task",
            "7",
            "completed",
            "call task completed (answered)",
            1,
            {"outcome": "answered", "note": "ok", "follow_up_date": "2026-06-03"},
        ),
        AuditEntry(
            NOW,
            Actor.of(MARIA),
            "task",
            str(follow.id),
            "created",
            "follow-up task created, due 2026-06-03",
            1,
            {"follows": 7, "assignee_id": MARIA.id},
        ),
    ]


# -- the person spoken to ------------------------------------------------------------------------------


def test_a_new_contact_met_on_the_call_is_added_to_the_tasks_customer_and_named_on_both_tasks(
    uow: FakeUnitOfWork,
) -> None:
    done, follow = tasks.complete_task(uow, MARIA, 7, outcome="answered", follow_up_date=TODAY, contact=DANA)

    [dana] = [c for c in uow.customer_records.contacts.values() if c.name == "Dana Ortiz"]
    assert (dana.customer_id, dana.email, dana.phone, dana.role) == (
        1,
        "dana@acme.example",
        "+1 415 555 0177",
        "AP lead",
    )
    assert follow is not None and done.contact_id == follow.contact_id == dana.id


def test_the_new_contact_is_audited_on_the_customers_timeline(uow: FakeUnitOfWork) -> None:
    tasks.complete_task(uow, MARIA, 7, outcome="answered", contact=DANA)

    [added] = [e for e in uow.audit.entries if e.entity == "contact"]
    assert (added.action, added.summary, added.customer_id, added.actor) == (
        "added",
        "Contact Dana Ortiz added while logging a call",
        1,
        Actor.of(MARIA),
    )
    assert added.changes == {
        "task_id": 7,
        "name": "Dana Ortiz",
        "email": "dana@acme.example",
        "phone": "+1 415 555 0177",
        "role": "AP lead",
        "receives_reminders": False,
    }


def test_a_contact_added_during_a_call_receives_no_reminders_unless_the_collector_ticks_it(
    uow: FakeUnitOfWork,
) -> None:
    tasks.complete_task(uow, MARIA, 7, outcome="answered", contact=DANA)
    tasks.complete_task(uow, SAM, 8, contact=replace(DANA, name="Eve", receives_reminders=True))

    stored = {c.name: c.receives_reminders for c in uow.customer_records.contacts.values()}
    assert stored == {"Ann Lee": False, "Dana Ortiz": False, "Eve": True}


def test_a_contact_to_remind_without_an_email_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="needs an email address"):
        tasks.complete_task(uow, MARIA, 7, outcome="answered", contact=tasks.NewContact("Eve", receives_reminders=True))

    assert unchanged(uow)


def test_a_contact_added_while_completing_an_email_task_reads_well_on_the_timeline(uow: FakeUnitOfWork) -> None:
    tasks.complete_task(uow, MORGAN, 8, contact=DANA)

    [added] = [e for e in uow.audit.entries if e.entity == "contact"]
    assert added.summary == "Contact Dana Ortiz added while completing an email task"


def test_naming_a_new_contact_and_an_existing_one_at_once_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="either a new contact or an existing contact_id, not both"):
        tasks.complete_task(uow, MARIA, 7, contact=DANA, contact_id=1)

    assert unchanged(uow)


def test_a_contact_of_another_customer_cannot_be_named_on_the_task(uow: FakeUnitOfWork) -> None:
    betas = uow.customer_records.add_contact(2, "Bea", None, None, None)

    with pytest.raises(InvalidValue, match=f"contact {betas} is not a contact of this task's customer"):
        tasks.complete_task(uow, MARIA, 7, contact_id=betas)

    assert uow.tasks.rows[7].status is TaskStatus.OPEN and uow.commits == 0


def test_a_bad_new_contact_leaves_the_task_open(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="is not an email address"):
        tasks.complete_task(uow, MARIA, 7, contact=NewContact("Dana", email="dana at acme"))

    assert unchanged(uow)


# -- rescheduling ----------------------------------------------------------------------------------------


def test_rescheduling_keeps_the_task_open_with_its_new_due_date(uow: FakeUnitOfWork) -> None:
    moved = tasks.reschedule_task(uow, MARIA, 7, to=date(2026, 6, 4), outcome="left_voicemail")

    stored = uow.tasks.rows[7]
    assert (stored.status, stored.due_date, stored.version) == (TaskStatus.OPEN, date(2026, 6, 4), 2)
    assert moved.due_date == date(2026, 6, 4)


def test_rescheduling_keeps_the_attempt_in_the_history(uow: FakeUnitOfWork) -> None:
    tasks.reschedule_task(uow, MARIA, 7, to=date(2026, 6, 4), outcome="left_voicemail", note="try mornings")

    assert uow.audit.entries == [
        AuditEntry(
            NOW,
            Actor.of(MARIA),
            "task",
            "7",
            "rescheduled",
            "call task rescheduled to 2026-06-04 after a call: left_voicemail",
            1,
            {"due_date": ["2026-05-31", "2026-06-04"], "outcome": "left_voicemail", "note": "try mornings"},
        )
    ]


def test_rescheduling_to_a_day_in_the_past_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="the new due date 2026-05-30 is in the past"):
        tasks.reschedule_task(uow, MARIA, 7, to=date(2026, 5, 30))

    assert unchanged(uow)


def test_a_contributor_may_not_reschedule_another_collectors_task(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        tasks.reschedule_task(uow, MARIA, 8, to=date(2026, 6, 4))

    assert unchanged(uow)


def test_a_done_task_cannot_be_rescheduled(uow: FakeUnitOfWork) -> None:
    uow.tasks.rows[7] = replace(uow.tasks.rows[7], status=TaskStatus.DONE)

    with pytest.raises(Conflict, match="task 7 is already done"):
        tasks.reschedule_task(uow, MARIA, 7, to=date(2026, 6, 4))

    assert unchanged(uow)


def test_rescheduling_with_a_stale_version_is_a_conflict(uow: FakeUnitOfWork) -> None:
    with pytest.raises(Conflict):
        tasks.reschedule_task(uow, MARIA, 7, to=date(2026, 6, 4), version=0)

    assert unchanged(uow)


def test_a_new_contact_met_while_rescheduling_is_kept_on_the_open_task(uow: FakeUnitOfWork) -> None:
    moved = tasks.reschedule_task(uow, MARIA, 7, to=date(2026, 6, 4), contact=DANA)

    [dana] = [c for c in uow.customer_records.contacts.values() if c.name == "Dana Ortiz"]
    assert (moved.status, moved.contact_id) == ("open", dana.id)
    assert [e.summary for e in uow.audit.entries if e.entity == "contact"] == [
        "Contact Dana Ortiz added while logging a call"
    ]


# -- editing ---------------------------------------------------------------------------------------------


def test_a_field_that_is_not_editable_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="cannot change customer_id, priority; editable: description"):
        tasks.update_task(uow, MARIA, 7, {"priority": 1, "customer_id": 2})

    assert unchanged(uow)


def test_editing_the_description_trims_it_moves_the_version_and_audits_before_and_after(uow: FakeUnitOfWork) -> None:
    row = tasks.update_task(uow, MARIA, 7, {"description": "  Call the AP desk "}, version=1)

    assert (row.description, row.version) == ("Call the AP desk", 2)
    assert uow.audit.entries == [
        AuditEntry(
            NOW,
            Actor.of(MARIA),
            "task",
            "7",
            "updated",
            "task updated",
            1,
            {"description": ["Call about I1", "Call the AP desk"]},
        )
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"description": "x" * 5001}, "text of at most 5000 characters"),
        ({"description": 42}, "text of at most 5000 characters"),
        ({"due_date": "2026-06-04"}, "due_date must be a date"),
        ({"status": "done"}, "status can only be set to cancelled here"),
    ],
)
def test_a_bad_edit_is_refused_and_nothing_is_written(
    uow: FakeUnitOfWork, changes: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidValue, match=reason):
        tasks.update_task(uow, MARIA, 7, changes)

    assert unchanged(uow)
    assert uow.tasks.rows[7].version == 1


def test_a_contributor_may_not_reassign_their_task_to_someone_else(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied, match="only managers and owners reassign tasks"):
        tasks.update_task(uow, MARIA, 7, {"assignee": "sam"})

    assert uow.tasks.rows[7].assignee_id == MARIA.id and unchanged(uow)


def test_a_contributor_may_not_leave_their_task_unassigned(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        tasks.update_task(uow, MARIA, 7, {"assignee": None})

    assert unchanged(uow)


def test_a_contributor_may_not_edit_another_collectors_task(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        tasks.update_task(uow, MARIA, 8, {"note": "mine now"})

    assert unchanged(uow)


def test_a_manager_reassigns_a_task(uow: FakeUnitOfWork) -> None:
    row = tasks.update_task(uow, MORGAN, 7, {"assignee": "sam"})

    assert (row.assignee, uow.audit.entries[0].changes) == ("sam", {"assignee_id": [str(MARIA.id), str(SAM.id)]})


def test_a_manager_may_leave_a_task_unassigned(uow: FakeUnitOfWork) -> None:
    row = tasks.update_task(uow, MORGAN, 7, {"assignee": None})

    assert (row.assignee, row.assignee_id) == (None, None)


def test_cancelling_a_task_closes_it_by_whoever_cancelled_it_and_closes_its_stale_alert(uow: FakeUnitOfWork) -> None:
    uow.alerts.raise_alert("stale_task", "stale_task:7", "late", customer_id=1, task_id=7, user_id=3, at=NOW)

    row = tasks.update_task(uow, MARIA, 7, {"status": "cancelled"})

    stored = uow.tasks.rows[7]
    assert (stored.status, stored.completed_by, stored.completed_at) == (TaskStatus.CANCELLED, MARIA.id, NOW)
    assert row.status == "cancelled"
    assert uow.audit.actions() == [("task", "7", "cancelled")]
    assert uow.alerts.open_keys() == []


def test_only_an_open_task_can_be_edited(uow: FakeUnitOfWork) -> None:
    tasks.complete_task(uow, MARIA, 7)

    with pytest.raises(Conflict, match="task 7 is done; only open tasks can be edited"):
        tasks.update_task(uow, MARIA, 7, {"note": "late note"})

    assert uow.tasks.rows[7].note is None


def test_the_second_of_two_edits_from_the_same_version_is_a_conflict_and_the_first_stands(
    uow: FakeUnitOfWork,
) -> None:
    tasks.update_task(uow, MARIA, 7, {"description": "edited by maria"}, version=1)

    with pytest.raises(Conflict):
        tasks.update_task(uow, MORGAN, 7, {"description": "edited by morgan"}, version=1)

    assert uow.tasks.rows[7].description == "edited by maria"
    assert len(uow.audit.entries) == 1


def test_an_edit_saved_over_by_someone_else_meanwhile_is_a_conflict(uow: FakeUnitOfWork) -> None:
    uow.tasks.edit_after_next_read(7, note="morgan's note")

    with pytest.raises(Conflict):
        tasks.update_task(uow, MARIA, 7, {"note": "maria's note"})

    assert uow.tasks.rows[7].note == "morgan's note"
    assert not uow.audit.entries


# -- reading one -------------------------------------------------------------------------------------------


def test_a_task_reads_as_the_task_list_shows_it(uow: FakeUnitOfWork) -> None:
    row = tasks.get_task(uow, SAM, 7)

    assert (row.id, row.customer_external_id, row.assignee, row.invoice_external_ids, row.phones) == (
        7,
        "C1",
        "maria",
        ["I1", "I2"],
        ["+1 415 555 0100"],
    )


def test_reading_an_unknown_task_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no task 99"):
        tasks.get_task(uow, SAM, 99)
