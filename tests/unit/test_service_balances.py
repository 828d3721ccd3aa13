"""The task list's balances (services/balances.py), over fakes: writes refresh the customers they
moved as they commit, the calendar moves them through a roll, and a read never writes them."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.services import balances, disputes, task_list
from arrears.services.chasing import set_chasing
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, TODAY


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def test_refreshing_recomputes_every_customer_as_of_the_day(uow: FakeUnitOfWork) -> None:
    count = balances.refresh_balances(uow, date(2026, 7, 1))

    assert count == 2
    assert uow.balances.as_of == date(2026, 7, 1)
    assert uow.balances.rows == {1: (3, 430_00, 430_00), 2: (1, 40_00, 40_00)}
    assert uow.commits == 1


def test_a_roll_carries_every_balance_to_today_once(uow: FakeUnitOfWork) -> None:
    assert balances.roll_balances(uow) == 2
    assert balances.roll_balances(uow) is None  # already as of today: nothing written

    assert uow.balances.refreshes == [(TODAY, None)]
    assert uow.commits == 1
    assert uow.balances.rows[1] == (3, 430_00, 350_00)  # I3 is not due yet


def test_the_next_day_s_roll_moves_what_fell_due_overnight(uow: FakeUnitOfWork) -> None:
    balances.roll_balances(uow)

    uow.clock.travel(date(2026, 7, 1))  # I3 (80.00) fell due meanwhile
    balances.roll_balances(uow)

    assert uow.balances.as_of == date(2026, 7, 1)
    assert uow.balances.rows[1] == (3, 430_00, 430_00)


def test_a_write_refreshes_its_customer_as_it_commits_as_of_the_last_roll(uow: FakeUnitOfWork) -> None:
    balances.roll_balances(uow)
    uow.clock.travel(date(2026, 7, 1))  # not rolled yet: the balances stay as of the last roll

    set_chasing(uow, MORGAN, "invoice", "I1", "excluded", True)

    assert uow.balances.refreshes[-1] == (TODAY, (1,))
    assert uow.balances.rows[1] == (3, 430_00, 250_00)  # I2 alone; I3 waits for the roll


def test_a_write_before_the_first_roll_refreshes_as_of_today(uow: FakeUnitOfWork) -> None:
    disputes.open_dispute(uow, MARIA, "B1", "pricing")

    assert uow.balances.refreshes == [(TODAY, (2,))]
    assert uow.balances.rows == {2: (1, 40_00, 0)}  # disputed: overdue nowhere


def test_a_write_rolled_back_refreshes_nothing(uow: FakeUnitOfWork) -> None:
    with uow:
        uow.ledger.set_flag("invoice", "I1", "excluded", True)
        uow.rollback()
        uow.commit()

    assert uow.balances.refreshes == []


def test_a_read_never_writes_the_balances_even_on_a_new_day(uow: FakeUnitOfWork) -> None:
    balances.roll_balances(uow)
    uow.clock.travel(date(2026, 7, 1))

    task_list.task_list(uow, MARIA)

    assert uow.balances.as_of == TODAY
    assert uow.commits == 1
