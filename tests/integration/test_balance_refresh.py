"""The customer balances: the daily roll from the last day refreshed to a later one recomputes only the
customers with something falling due in between (and equals a full refresh); a write refreshes its
customers as it commits; a read never writes them; the server rolls them as it starts."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from arrears.adapters.db import tables as t
from arrears.api.app import create_app
from arrears.services import balances as balances_module
from tests.ledger import payment
from tests.workspace import Desk


def refresh(desk: Desk, day: date) -> int:
    with desk.uow() as uow:
        count = uow.balances.refresh_balances(day)
        uow.commit()
    return int(count)


def balances(desk: Desk) -> dict[str, tuple[str, int, int, int]]:
    b, c = t.customer_balances, t.customers
    with desk.arrears.engine.connect() as connection:
        rows = connection.execute(
            select(
                c.c.external_id, b.c.currency, b.c.outstanding_invoice_count, b.c.outstanding_minor, b.c.overdue_minor
            ).join(b, b.c.customer_id == c.c.id)
        )
        return {row[0]: tuple(row[1:]) for row in rows}  # type: ignore[misc]


def from_scratch(desk: Desk, day: date) -> dict[str, tuple[str, int, int, int]]:
    """The balances a full refresh computes for `day`, leaving the database as it found it."""
    with desk.arrears.engine.begin() as connection:
        connection.execute(delete(t.app_settings).where(t.app_settings.c.key == "balances_as_of"))
        connection.execute(delete(t.customer_balances))
    refresh(desk, day)
    return balances(desk)


def test_a_later_day_refreshes_only_what_fell_due_and_equals_a_full_refresh(desk: Desk) -> None:
    desk.accounts()  # Acme: I1 100.00 and I2 250.00 overdue, I3 80.00 due 2026-07-15; Beta: B1 40.00 overdue
    refresh(desk, date(2026, 6, 30))
    assert balances(desk)["C1"][1:] == (3, 43000, 35000)

    moved = refresh(desk, date(2026, 7, 16))  # I3 fell due on the 15th: Acme alone moves
    after = balances(desk)

    assert moved == 1
    assert after["C1"][1:] == (3, 43000, 43000)
    assert after["C2"][1:] == (1, 4000, 4000)
    assert after == from_scratch(desk, date(2026, 7, 16))


def test_the_same_day_again_refreshes_nothing_and_an_earlier_day_refreshes_everyone(desk: Desk) -> None:
    desk.accounts()
    refresh(desk, date(2026, 7, 16))

    again = refresh(desk, date(2026, 7, 16))
    earlier = refresh(desk, date(2026, 6, 30))

    assert again == 0
    assert earlier == len(balances(desk)) == 2
    assert balances(desk)["C1"][1:] == (3, 43000, 35000)
    assert balances(desk) == from_scratch(desk, date(2026, 6, 30))


def as_of(desk: Desk) -> date | None:
    with desk.uow() as uow:
        return uow.balances.balances_as_of()


def test_a_write_refreshes_its_customers_as_it_commits_and_a_dry_run_leaves_them(desk: Desk) -> None:
    desk.accounts()
    balances_module.roll_balances(desk.uow())

    desk.ledger.load("payments", [payment("P1", invoice="I1", amount="100.00")])
    desk.ledger.load("payments", [payment("P2", invoice="I2", amount="250.00")], dry_run=True)

    assert balances(desk)["C1"][1:] == (2, 33000, 25000)  # I1 paid; I2 still owed (the dry run kept nothing)
    assert balances(desk)["C2"][1:] == (1, 4000, 4000)


def test_a_read_on_a_new_day_writes_nothing_and_the_roll_moves_the_balances(desk: Desk) -> None:
    desk.accounts()
    balances_module.roll_balances(desk.uow())
    desk.clock.at += timedelta(days=16)  # I3 (80.00, due 2026-07-15) has fallen due; nothing rolled yet

    desk.mine()
    before_the_roll = (as_of(desk), balances(desk)["C1"][1:])
    balances_module.roll_balances(desk.uow())

    assert before_the_roll == (date(2026, 6, 30), (3, 43000, 35000))
    assert (as_of(desk), balances(desk)["C1"][1:]) == (date(2026, 7, 16), (3, 43000, 43000))


def test_the_server_rolls_the_balances_to_today_as_it_starts(desk: Desk) -> None:
    desk.accounts()
    assert as_of(desk) is None

    with TestClient(create_app(desk.arrears)):
        pass

    assert as_of(desk) == date(2026, 6, 30)
    assert balances(desk) == from_scratch(desk, date(2026, 6, 30))
