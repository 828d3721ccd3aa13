"""The dashboard (services/dashboard.py), over fakes: what each role sees due today, the promises of
the week and their state, the company's aging per currency, and the collectors' books."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from arrears.domain.tasks import TaskStatus, TaskType
from arrears.services import dashboard
from arrears.services.dashboard import AgingBlock, CollectorLine
from arrears.services.workspace_ports import AgingTotal, CollectorLoad
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, SAM, TODAY, make_promise, make_task


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def promise(
    uow: FakeUnitOfWork,
    task_id: int,
    due: date,
    *,
    assignee: int = MARIA.id,
    status: TaskStatus = TaskStatus.OPEN,
    outcome: str | None = None,
) -> None:
    """A promise of 100.00 USD on I1 by `due`, made three days ago."""
    task = make_task(
        id=task_id,
        type=TaskType.EXPECTED_PAYMENT,
        assignee=assignee,
        status=status,
        invoice_ids=(11,),
        promise=make_promise(amount_minor=100_00, due=due, made_on=TODAY - timedelta(days=3)),
    )
    uow.tasks.add(replace(task, outcome=outcome))


# -- tasks due today ---------------------------------------------------------------------------------------


def test_a_contributor_sees_the_count_and_first_five_of_their_tasks_due_today(uow: FakeUnitOfWork) -> None:
    for task_id in range(1, 8):
        uow.tasks.add(make_task(id=task_id))
    uow.tasks.add(make_task(id=8, due=TODAY + timedelta(days=1)))
    uow.tasks.add(make_task(id=9, assignee=SAM.id))

    board = dashboard.dashboard(uow, MARIA)

    assert board.due_today_mine.count == 7
    assert [t.id for t in board.due_today_mine.first] == [1, 2, 3, 4, 5]
    assert board.due_today_everyone is None


def test_a_manager_also_sees_everyones_tasks_due_today(uow: FakeUnitOfWork) -> None:
    uow.tasks.add(make_task(id=1))
    uow.tasks.add(make_task(id=2, assignee=SAM.id))
    uow.tasks.add(make_task(id=3, assignee=SAM.id, status=TaskStatus.DONE))

    board = dashboard.dashboard(uow, MORGAN)

    assert board.due_today_mine.count == 0
    assert board.due_today_everyone is not None
    assert [(t.id, t.assignee) for t in board.due_today_everyone.first] == [(1, "maria"), (2, "sam")]


# -- promises of the week ------------------------------------------------------------------------------------


def test_the_week_is_today_and_the_six_days_after(uow: FakeUnitOfWork) -> None:
    board = dashboard.dashboard(uow, MARIA)

    assert (board.today, board.week_end) == (TODAY, date(2026, 6, 6))


def test_a_contributor_sees_their_own_promises_of_the_week_a_manager_everyones(uow: FakeUnitOfWork) -> None:
    promise(uow, 1, TODAY)
    promise(uow, 2, date(2026, 6, 6), assignee=SAM.id)
    promise(uow, 3, date(2026, 6, 7))

    mine = dashboard.dashboard(uow, MARIA)
    everyone = dashboard.dashboard(uow, MORGAN)

    assert ([p.promise.task_id for p in mine.promises], mine.promises_count, mine.promises_everyone) == ([1], 1, False)
    assert ([p.promise.task_id for p in everyone.promises], everyone.promises_everyone) == ([1, 2], True)


def test_a_promise_already_paid_reads_as_kept_before_the_rule_closes_it(uow: FakeUnitOfWork) -> None:
    promise(uow, 1, date(2026, 6, 3))
    uow.ledger.pay("I1", 100_00, on=TODAY)

    [line] = dashboard.dashboard(uow, MARIA).promises

    assert (line.state, line.promise.paid_minor) == ("kept", 100_00)


def test_a_promise_short_of_its_amount_is_pending_until_its_date(uow: FakeUnitOfWork) -> None:
    promise(uow, 1, TODAY)
    uow.ledger.pay("I1", 40_00, on=TODAY)

    [line] = dashboard.dashboard(uow, MARIA).promises

    assert (line.state, line.promise.paid_minor) == ("pending", 40_00)


@pytest.mark.parametrize(("outcome", "state"), [("broken", "broken"), ("kept", "kept"), ("answered", "done")])
def test_a_closed_promise_reads_as_the_way_it_closed(uow: FakeUnitOfWork, outcome: str, state: str) -> None:
    promise(uow, 1, TODAY, status=TaskStatus.DONE, outcome=outcome)

    [line] = dashboard.dashboard(uow, MARIA).promises

    assert line.state == state


# -- aging and the collectors' books ---------------------------------------------------------------------------


def test_the_aging_shows_each_currency_with_something_outstanding_by_bucket(uow: FakeUnitOfWork) -> None:
    uow.dashboard.totals = [
        AgingTotal("EUR", (0, 0, 0, 0, 0)),
        AgingTotal("USD", (80_00, 350_00, 0, 0, 5_00)),
    ]

    [usd] = dashboard.dashboard(uow, MARIA).aging

    assert usd == AgingBlock("USD", (("current", 80_00), ("1-30", 350_00), ("31-60", 0), ("61-90", 0), ("91+", 5_00)))
    assert usd.total_minor == 435_00


def test_each_collector_gets_one_line_by_name_and_the_unassigned_come_last(uow: FakeUnitOfWork) -> None:
    uow.dashboard.loads = [
        CollectorLoad(None, "USD", 4, 1, 10_00, 0),
        CollectorLoad("sam", "EUR", 2, 1, 40_00, 0),
        CollectorLoad("maria", "USD", 3, 2, 350_00, 0),
        CollectorLoad("sam", "USD", 1, 0, 0, 0),
        CollectorLoad("Morgan", None, 0, 0, 0, 0),
        CollectorLoad("sam", None, 0, 0, 0, 3),
        CollectorLoad(None, None, 0, 0, 0, 2),
    ]

    lines = dashboard.dashboard(uow, MORGAN).collectors

    assert lines == [
        CollectorLine("maria", 3, 2, (("USD", 350_00),), 0),
        CollectorLine("sam", 3, 1, (("EUR", 40_00),), 3),
        CollectorLine(None, 4, 1, (("USD", 10_00),), 2),
    ]


def test_reading_the_dashboard_writes_nothing(uow: FakeUnitOfWork) -> None:
    dashboard.dashboard(uow, MARIA)
    dashboard.dashboard(uow, MORGAN)

    assert (uow.commits, uow.balances.refreshes) == (0, [])
