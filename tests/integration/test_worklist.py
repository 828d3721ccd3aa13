"""The prioritised worklist on both databases: the priority stored beside the balances is the
domain's (domain/worklist.py) on any standing, the task list's "priority" sort reads it with a
"why" on each row, promises move it as they are written, the calendar moves it as the balances
roll, and the month's behavioural scores give it each customer's lateness."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from arrears.adapters.db import tables as t
from arrears.adapters.db.workspace.balances import SqlBalances
from arrears.domain.tasks import TaskStatus
from arrears.domain.worklist import Standing, priority
from arrears.services import credit, task_list
from arrears.services.credit import CreditPolicy
from arrears.services.workspace_ports import TaskRow
from tests.workspace import TODAY, Desk

POLICY = CreditPolicy.parse(40, 365, "100")


def by_priority(desk: Desk) -> list[TaskRow]:
    flt = task_list.task_filter(desk.uow(), desk["morgan"], everyone=True)
    return list(task_list.list_tasks(desk.uow(), desk["morgan"], flt, sort="priority", limit=50).items)


def stored(desk: Desk) -> dict[str, int]:
    b, c = t.customer_balances, t.customers
    with desk.arrears.engine.connect() as connection:
        rows = connection.execute(select(c.c.external_id, b.c.priority).join(b, b.c.customer_id == c.c.id))
        return {row[0]: int(row[1]) for row in rows}


def worked_example(desk: Desk) -> None:
    """Acme (USD): 350.00 overdue, the oldest 30 days; Beta (EUR): 40.00 overdue 61 days; a call each."""
    desk.accounts()
    desk.travel(TODAY)
    desk.task(customer_id="C1", description="Call Acme")
    desk.task("sam", customer_id="C2", description="Call Beta")


def test_the_priority_sort_puts_first_what_is_worth_most_and_says_why(desk: Desk) -> None:
    worked_example(desk)

    rows = by_priority(desk)

    assert [row.customer_external_id for row in rows] == ["C1", "C2"]
    assert [row.priority for row in rows] == [350 * 1 * 100 * 2, 40 * 3 * 100 * 2]
    assert rows[0].why == "350.00 USD overdue 30 days"
    assert rows[1].why == "40.00 EUR overdue 61 days"
    assert rows[0].expected_payment_date == date(2026, 5, 31)  # no lateness known before the month's scores


def test_a_future_promise_sinks_the_customer_until_it_lapses_and_a_broken_one_raises_it(desk: Desk) -> None:
    worked_example(desk)
    promise = desk.task(
        customer_id="C1", type="expected_payment", expected_amount="350.00", expected_date=date(2026, 7, 3)
    )

    assert [row.customer_external_id for row in by_priority(desk)][-2:] == ["C1", "C1"]  # both of Acme's tasks
    assert stored(desk)["C1"] == 0
    assert "promised to pay by 2026-07-03" in by_priority(desk)[-1].why

    desk.travel(date(2026, 7, 4))  # the promise lapsed: Acme is back, I1 now 34 days overdue (weight 2)
    assert stored(desk)["C1"] == 350 * 2 * 100 * 2

    with desk.uow() as uow:  # the cycle's promise check marks it broken (through the same port)
        task = uow.tasks.task(promise.id)
        assert task is not None
        uow.tasks.save_task(replace(task, status=TaskStatus.DONE, outcome="broken"), task.version)
        uow.commit()
    assert stored(desk)["C1"] == 350 * 2 * 100 * 3
    assert by_priority(desk)[0].why.endswith("promise broken yesterday")


def test_the_roll_moves_a_priority_when_its_oldest_invoice_enters_the_next_bucket(desk: Desk) -> None:
    worked_example(desk)
    before = stored(desk)

    desk.travel(TODAY + timedelta(days=1))  # I1 is 31 days overdue: nothing fell due, yet Acme moves

    after = stored(desk)
    assert after["C1"] == 2 * before["C1"]
    assert after["C2"] == before["C2"]
    with desk.arrears.engine.begin() as connection:  # and it equals a refresh from scratch
        connection.execute(update(t.customer_balances).values(priority=0))
        SqlBalances(connection)._reprioritise(TODAY + timedelta(days=1), None)
    assert stored(desk) == after


def test_the_months_scores_give_each_customer_its_lateness(desk: Desk) -> None:
    worked_example(desk)

    credit.run_credit_phase(desk.uow, POLICY, TODAY)

    rows = {row.customer_external_id: row for row in by_priority(desk)}
    acme = rows["C1"]
    assert acme.standing is not None and acme.standing.days_late is not None and acme.standing.days_late > 0
    assert f"pays {acme.standing.days_late} days late on average" in acme.why
    assert acme.priority == 350 * 1 * (100 + acme.standing.days_late) * 2
    assert acme.expected_payment_date == date(2026, 5, 31) + timedelta(days=acme.standing.days_late)


standings = st.builds(
    Standing,
    currency=st.sampled_from(["USD", "EUR", "JPY", "KWD"]),
    overdue_minor=st.one_of(st.just(0), st.integers(-(10**6), 10**17 - 1)),
    oldest_due=st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2026, 12, 31))),
    days_late=st.one_of(st.none(), st.integers(-50, 400)),
    promised_until=st.one_of(st.none(), st.dates(date(2026, 5, 1), date(2026, 8, 31))),
    broken_on=st.one_of(st.none(), st.dates(date(2026, 4, 1), date(2026, 8, 31))),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    acme=standings,
    beta=standings,
    day=st.dates(date(2026, 5, 1), date(2026, 8, 31)),
    rates=st.sampled_from([{}, {"JPY": 6_700, "EUR": 1_080_000}, {"KWD": 3_250_000, "USD": 1}]),
)
def test_the_stored_priority_is_the_domains_on_any_standing(
    desk: Desk, acme: Standing, beta: Standing, day: date, rates: dict[str, int]
) -> None:
    if not stored(desk):
        worked_example(desk)
    b, c = t.customer_balances, t.customers
    with desk.arrears.engine.connect() as connection:
        transaction = connection.begin()
        try:
            ids: dict[str, int] = {row[0]: row[1] for row in connection.execute(select(c.c.external_id, c.c.id))}
            for external_id, standing in (("C1", acme), ("C2", beta)):
                connection.execute(
                    update(b)
                    .where(b.c.customer_id == ids[external_id])
                    .values(
                        currency=standing.currency,
                        overdue_minor=standing.overdue_minor,
                        oldest_due=standing.oldest_due,
                        days_late=standing.days_late,
                        promised_until=standing.promised_until,
                        broken_on=standing.broken_on,
                    )
                )
            SqlBalances(connection, rates=rates)._reprioritise(day, None)
            found = {row[0]: row[1] for row in connection.execute(select(b.c.customer_id, b.c.priority))}
        finally:
            transaction.rollback()
    assert found[ids["C1"]] == priority(acme, day, rates)
    assert found[ids["C2"]] == priority(beta, day, rates)
