"""The task list and its bulk actions (services/task_list.py), over fakes: the filter as a person asks
for it, a page of it with today's overdue amounts, and bulk actions that change all or nothing."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.domain.audit import Actor, AuditEntry
from arrears.domain.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from arrears.domain.tasks import TaskStatus, TaskType
from arrears.services import task_list
from arrears.services.workspace_ports import TaskFilter
from tests.fakes import FakeUnitOfWork, acme_desk, rolled
from tests.unit.builders import MARIA, MORGAN, NOW, SAM, TODAY, make_task


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """maria's calls 7 and 9 and email 10 on Acme; sam's call 8 on Beta."""
    desk = acme_desk()
    desk.tasks.add(make_task(id=7, due=date(2026, 5, 20)))
    desk.tasks.add(make_task(id=8, customer_id=2, assignee=SAM.id, invoice_ids=(21,)))
    desk.tasks.add(make_task(id=9, due=date(2026, 6, 2)))
    desk.tasks.add(make_task(id=10, type=TaskType.EMAIL))
    return rolled(desk)


def statuses(uow: FakeUnitOfWork) -> dict[int, TaskStatus]:
    return {task_id: task.status for task_id, task in uow.tasks.rows.items()}


ALL_OPEN = {7: TaskStatus.OPEN, 8: TaskStatus.OPEN, 9: TaskStatus.OPEN, 10: TaskStatus.OPEN}


# -- the filter --------------------------------------------------------------------------------------


def test_the_list_is_mine_by_default(uow: FakeUnitOfWork) -> None:
    flt = task_list.task_filter(uow, MARIA)

    assert flt == TaskFilter(assignee_ids=(MARIA.id,), status="open")


def test_the_list_can_be_someone_elses_by_name_or_everyones(uow: FakeUnitOfWork) -> None:
    sams = task_list.task_filter(uow, MARIA, assignee="sam")
    everyone = task_list.task_filter(uow, MARIA, everyone=True, status="all")

    assert (sams.assignee_ids, everyone.assignee_ids, everyone.status) == ((SAM.id,), None, "all")


def test_an_unknown_assignee_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="no user named 'nobody'"):
        task_list.task_filter(uow, MARIA, assignee="nobody")


def test_a_status_outside_the_list_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="'late' is not a task status"):
        task_list.task_filter(uow, MARIA, status="late")


def test_an_unknown_task_type_is_refused_in_the_filter(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="'visit' is not a task type"):
        task_list.task_filter(uow, MARIA, types=("call", "visit"))


# -- a page of it --------------------------------------------------------------------------------------


def test_a_page_lists_my_open_tasks_by_due_date(uow: FakeUnitOfWork) -> None:
    page = task_list.task_list(uow, MARIA)

    assert [row.id for row in page.items] == [7, 10, 9]
    assert page.next_offset is None


def test_a_page_narrowed_to_a_type(uow: FakeUnitOfWork) -> None:
    page = task_list.task_list(uow, MORGAN, everyone=True, types=["call"])

    assert [row.id for row in page.items] == [7, 8, 9]


def test_reading_the_list_writes_nothing(uow: FakeUnitOfWork) -> None:
    task_list.task_list(uow, MARIA)

    assert (uow.commits, uow.balances.refreshes) == (0, [])


def test_the_list_shows_what_is_overdue_as_of_today(uow: FakeUnitOfWork) -> None:
    page = task_list.task_list(uow, MARIA)

    assert {row.overdue_minor for row in page.items} == {100_00 + 250_00}  # I3 is not due yet
    assert {row.outstanding_invoice_count for row in page.items} == {3}


def test_the_list_pages_on_and_counts_no_further_than_asked(uow: FakeUnitOfWork) -> None:
    flt = task_list.task_filter(uow, MORGAN, everyone=True)

    page = task_list.list_tasks(uow, MORGAN, flt, limit=2, count_up_to=3)

    assert ([row.id for row in page.items], page.next_offset, page.total) == ([7, 8], 2, 3)


def test_without_a_count_a_page_says_no_total(uow: FakeUnitOfWork) -> None:
    flt = task_list.task_filter(uow, MORGAN, everyone=True)

    assert task_list.list_tasks(uow, MORGAN, flt).total is None


def test_a_sort_outside_the_list_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="'urgency' is not a sort"):
        task_list.list_tasks(uow, MARIA, TaskFilter(), sort="urgency")

    assert uow.balances.refreshes == []


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (501, 0), (50, -1)])
def test_a_page_is_1_to_500_tasks_from_an_offset_of_zero_or_more(uow: FakeUnitOfWork, limit: int, offset: int) -> None:
    with pytest.raises(InvalidValue, match="limit must be 1 to 500 and offset zero or more"):
        task_list.list_tasks(uow, MARIA, TaskFilter(), limit=limit, offset=offset)


# -- bulk complete -------------------------------------------------------------------------------------


def test_bulk_complete_closes_every_listed_task_in_one_go(uow: FakeUnitOfWork) -> None:
    count = task_list.bulk_complete(uow, MARIA, ids=[7, 9, 10])

    assert count == 3
    for task_id in (7, 9, 10):
        task = uow.tasks.rows[task_id]
        assert (task.status, task.outcome, task.completed_by, task.completed_at, task.version) == (
            TaskStatus.DONE,
            "done",
            MARIA.id,
            NOW,
            2,
        )
    assert uow.tasks.rows[8].status is TaskStatus.OPEN
    assert uow.commits == 1


def test_bulk_complete_writes_one_audit_entry_naming_the_tasks(uow: FakeUnitOfWork) -> None:
    task_list.bulk_complete(uow, MARIA, ids=[9, 7, 9])

    assert uow.audit.entries == [
        AuditEntry(
            NOW, Actor.of(MARIA), "task", None, "bulk_completed", "2 tasks completed at once", None, {"ids": [7, 9]}
        )
    ]


def test_bulk_complete_closes_the_stale_alerts_of_the_tasks_it_closes(uow: FakeUnitOfWork) -> None:
    for task_id in (7, 8):
        uow.alerts.raise_alert(
            "stale_task", f"stale_task:{task_id}", "late", customer_id=1, task_id=task_id, user_id=None, at=NOW
        )

    task_list.bulk_complete(uow, MARIA, ids=[7])

    assert uow.alerts.open_keys() == ["stale_task:8"]


def test_bulk_complete_by_filter_closes_what_the_filter_matches(uow: FakeUnitOfWork) -> None:
    flt = task_list.task_filter(uow, MARIA, types=("call",))

    assert task_list.bulk_complete(uow, MARIA, flt=flt) == 2

    assert statuses(uow) == {**ALL_OPEN, 7: TaskStatus.DONE, 9: TaskStatus.DONE}


def test_bulk_takes_either_ids_or_a_filter_not_both(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="either a list of task ids or a filter"):
        task_list.bulk_complete(uow, MARIA, ids=[7], flt=TaskFilter())

    assert statuses(uow) == ALL_OPEN


def test_bulk_with_neither_ids_nor_a_filter_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="either a list of task ids or a filter"):
        task_list.bulk_complete(uow, MARIA)

    assert uow.commits == 0


def test_bulk_refuses_more_than_ten_thousand_ids(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="at most 10,000 tasks at once"):
        task_list.bulk_complete(uow, MORGAN, ids=list(range(1, 10_002)))

    assert uow.commits == 0


def test_bulk_refuses_a_filter_that_matches_more_than_the_limit(
    uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_list, "MAX_BULK", 3)

    with pytest.raises(InvalidValue, match="the filter matches more than 3 tasks; narrow it"):
        task_list.bulk_complete(uow, MORGAN, flt=TaskFilter())

    assert statuses(uow) == ALL_OPEN


def test_bulk_with_an_unknown_id_names_it_and_changes_nothing(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no task 41, 42"):
        task_list.bulk_complete(uow, MARIA, ids=[7, 42, 41])

    assert statuses(uow) == ALL_OPEN
    assert not uow.audit.entries


def test_bulk_with_someone_elses_task_changes_nothing(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied, match="task 8 is not assigned to you; nothing was changed"):
        task_list.bulk_complete(uow, MARIA, ids=[7, 8])

    assert statuses(uow) == ALL_OPEN
    assert not uow.audit.entries


def test_bulk_with_a_task_already_done_changes_nothing(uow: FakeUnitOfWork) -> None:
    task_list.bulk_complete(uow, MARIA, ids=[9])

    with pytest.raises(Conflict, match="task 9 is done; nothing was changed"):
        task_list.bulk_complete(uow, MARIA, ids=[7, 9])

    assert uow.tasks.rows[7].status is TaskStatus.OPEN
    assert uow.commits == 1


# -- bulk reassign and move ------------------------------------------------------------------------------


def test_a_manager_reassigns_tasks_in_bulk(uow: FakeUnitOfWork) -> None:
    count = task_list.bulk_reassign(uow, MORGAN, "sam", ids=[7, 9])

    assert count == 2
    assert {uow.tasks.rows[i].assignee_id for i in (7, 9)} == {SAM.id}
    assert uow.audit.entries[0].action == "bulk_reassigned"
    assert uow.audit.entries[0].changes == {"ids": [7, 9], "assignee_id": SAM.id}


def test_a_contributor_may_not_reassign_in_bulk_even_their_own_tasks(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied, match="a contributor may not update any task"):
        task_list.bulk_reassign(uow, MARIA, "maria", ids=[7])

    assert uow.commits == 0


def test_tasks_cannot_be_reassigned_to_an_unknown_user(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="no user named 'nobody'"):
        task_list.bulk_reassign(uow, MORGAN, "nobody", ids=[7])

    assert uow.tasks.rows[7].assignee_id == MARIA.id


def test_a_collector_moves_the_due_date_of_their_tasks_in_bulk(uow: FakeUnitOfWork) -> None:
    count = task_list.bulk_move_due(uow, MARIA, date(2026, 6, 20), ids=[7, 10])

    assert count == 2
    assert {uow.tasks.rows[i].due_date for i in (7, 10)} == {date(2026, 6, 20)}
    assert uow.audit.entries[0].summary == "2 tasks moved to 2026-06-20"
    assert uow.audit.entries[0].changes == {"ids": [7, 10], "due_date": "2026-06-20"}


def test_tasks_cannot_be_moved_to_a_day_in_the_past(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="the new due date 2026-05-30 is in the past"):
        task_list.bulk_move_due(uow, MARIA, date(2026, 5, 30), ids=[7])

    assert uow.tasks.rows[7].due_date == date(2026, 5, 20)


def test_a_contributor_may_not_move_someone_elses_task_in_bulk(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        task_list.bulk_move_due(uow, MARIA, date(2026, 6, 20), ids=[7, 8])

    assert {uow.tasks.rows[i].due_date for i in (7, 8)} == {date(2026, 5, 20), TODAY}
