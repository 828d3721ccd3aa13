"""The daily refresh of customer balances: from the last day refreshed to a later one, only the
customers with something falling due in between are recomputed, and the result equals a full refresh."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from arrears.adapters.db import tables as t
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
