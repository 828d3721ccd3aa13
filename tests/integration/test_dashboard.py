"""The dashboard's numbers (services/dashboard.py) and the alerts' filters, on SQLite and PostgreSQL:
aging per currency to the minor unit, overdue by collector, tasks due today, promises due this week."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from arrears.domain.errors import InvalidValue
from arrears.services import aging, alerts, collection_rules, dashboard, disputes, tasks
from tests.ledger import customer, invoice, payment
from tests.workspace import TODAY, Desk

DAY = timedelta(days=1)


def aging_of(board: dashboard.Dashboard) -> dict[str, dict[str, int]]:
    return {block.currency: dict(block.buckets) for block in board.aging}


@pytest.fixture
def book(desk: Desk) -> Desk:
    """USD: Acme (maria) and Cobalt (no collector, on hold); EUR: Beta (sam). One invoice per bucket
    at its edges, odd cents, a partial payment, a paid and a void invoice, one not yet issued."""
    desk.ledger.load(
        "customers",
        [
            customer("C1", "Acme Ltd", collector="maria"),
            customer("C2", "Beta GmbH", currency="EUR", collector="sam"),
            customer("C3", "Cobalt Inc", on_hold="true"),
        ],
    )
    desk.ledger.load(
        "invoices",
        [
            invoice("A0", "C1", due=TODAY, amount="10.01"),  # current (d = 0)
            invoice("A1", "C1", due=TODAY - DAY, amount="20.02"),  # 1-30
            invoice("A30", "C1", due=TODAY - 30 * DAY, amount="30.03"),  # 1-30
            invoice("A31", "C1", due=TODAY - 31 * DAY, amount="40.04"),  # 31-60, 15.00 paid below
            invoice("A61", "C1", due=TODAY - 61 * DAY, amount="50.05"),  # 61-90
            invoice("A91", "C1", due=TODAY - 91 * DAY, amount="60.06"),  # 91+
            invoice("APAID", "C1", due=TODAY - 10 * DAY, amount="99.99"),  # paid in full below
            invoice("AVOID", "C1", due=TODAY - 10 * DAY, amount="77.77", status="void"),
            invoice("AFUT", "C1", due=TODAY + 40 * DAY, issued=TODAY + DAY, amount="500.00"),  # not issued yet
            invoice("B90", "C2", due=TODAY - 90 * DAY, amount="7.07"),  # 61-90, EUR
            invoice("B0", "C2", due=TODAY + 5 * DAY, amount="3.03"),  # current, EUR
            invoice("K5", "C3", due=TODAY - 5 * DAY, amount="1.00"),  # 1-30, on hold: aged, not overdue
        ],
    )
    desk.ledger.load(
        "payments",
        [
            payment("P1", "C1", invoice="A31", on=TODAY - 2 * DAY, amount="15.00"),
            payment("P2", "C1", invoice="APAID", on=TODAY - 3 * DAY, amount="99.99"),
        ],
    )
    return desk


def test_aging_sums_every_bucket_to_the_minor_unit_one_currency_at_a_time(book: Desk) -> None:
    board = dashboard.dashboard(book.uow(), book["maria"])

    assert [block.currency for block in board.aging] == ["EUR", "USD"]
    assert aging_of(board) == {
        "USD": {"current": 1001, "1-30": 2002 + 3003 + 100, "31-60": 4004 - 1500, "61-90": 5005, "91+": 6006},
        "EUR": {"current": 303, "1-30": 0, "31-60": 0, "61-90": 707, "91+": 0},
    }
    usd = next(block for block in board.aging if block.currency == "USD")
    assert usd.total_minor == 1001 + 5105 + 2504 + 5005 + 6006


def test_aging_agrees_with_the_aging_report_totals(book: Desk) -> None:
    reports = aging.aging_report(book.uow(), TODAY)

    board = dashboard.dashboard(book.uow(), book["olivia"])

    assert aging_of(board) == {
        report.currency: dict(zip(("current", "1-30", "31-60", "61-90", "91+"), report.total.minors, strict=True))
        for report in reports
        if report.total is not None
    }


def test_a_later_payment_does_not_change_todays_aging_but_a_payment_today_does(book: Desk) -> None:
    book.ledger.load("payments", [payment("P3", "C1", invoice="A91", on=TODAY, amount="0.06")])

    board = dashboard.dashboard(book.uow(), book["maria"])

    assert aging_of(board)["USD"]["91+"] == 6000


def test_overdue_by_collector_counts_customers_amounts_per_currency_and_open_tasks(book: Desk) -> None:
    book.task("maria", "C1", description="Call Acme", due_date=TODAY)
    book.task("maria", "C1", description="Email Acme", type="email", due_date=TODAY + DAY)
    book.task("sam", "C2", description="Call Beta", due_date=TODAY)
    book.task("olivia", "C3", description="Cobalt", assignee="morgan", due_date=TODAY)
    done = book.task("maria", "C1", description="Done already")
    tasks.complete_task(book.uow(), book["maria"], done.id)

    board = dashboard.dashboard(book.uow(), book["sam"])

    lines = {line.collector: line for line in board.collectors}
    assert [line.collector for line in board.collectors] == ["maria", "morgan", "sam", None]
    maria, sam, nobody, morgan = lines["maria"], lines["sam"], lines[None], lines["morgan"]
    # Acme: A1 + A30 + (A31 - paid) + A61 + A91 are overdue; A0 is due today, not before it.
    assert (maria.customers, maria.overdue_customers, maria.overdue, maria.open_tasks) == (
        1,
        1,
        (("USD", 2002 + 3003 + 2504 + 5005 + 6006),),
        2,
    )
    assert (sam.customers, sam.overdue_customers, sam.overdue, sam.open_tasks) == (1, 1, (("EUR", 707),), 1)
    # Cobalt is on hold: nothing of it is overdue (SPEC.md §2), though it is aged.
    assert (nobody.customers, nobody.overdue_customers, nobody.overdue, nobody.open_tasks) == (1, 0, (), 0)
    assert (morgan.customers, morgan.overdue, morgan.open_tasks) == (0, (), 1)


def test_a_disputed_invoice_leaves_the_collectors_overdue_amount(book: Desk) -> None:
    disputes.open_dispute(book.uow(), book["maria"], "A91", "pricing")

    board = dashboard.dashboard(book.uow(), book["maria"])

    maria = next(line for line in board.collectors if line.collector == "maria")
    assert maria.overdue == (("USD", 2002 + 3003 + 2504 + 5005),)
    assert aging_of(board)["USD"]["91+"] == 6006  # still owed: aging counts it


def test_tasks_due_today_are_mine_for_a_collector_and_everyones_for_a_manager(book: Desk) -> None:
    for n in range(7):
        book.task("maria", "C1", description=f"Call {n}", due_date=TODAY)
    book.task("maria", "C1", description="Tomorrow", due_date=TODAY + DAY)
    book.task("sam", "C2", description="Beta today", due_date=TODAY)

    maria = dashboard.dashboard(book.uow(), book["maria"])
    morgan = dashboard.dashboard(book.uow(), book["morgan"])

    assert maria.due_today_mine.count == 7
    assert [t.description for t in maria.due_today_mine.first] == [f"Call {n}" for n in range(5)]
    assert maria.due_today_everyone is None
    assert morgan.due_today_mine.count == 0 and morgan.due_today_mine.first == []
    assert morgan.due_today_everyone is not None and morgan.due_today_everyone.count == 8
    assert {t.assignee for t in morgan.due_today_everyone.first} == {"maria"}


def promise(desk: Desk, on: date, amount: str = "20.02", invoices: tuple[str, ...] = ("A1",)) -> int:
    row = desk.task(
        "maria",
        "C1",
        type="expected_payment",
        description=f"Promise for {on}",
        due_date=on,
        invoice_external_ids=invoices,
        expected_amount=amount,
        expected_date=on,
    )
    return row.id


def test_promises_this_week_run_from_today_to_six_days_ahead(book: Desk) -> None:
    today, sixth, seventh = promise(book, TODAY), promise(book, TODAY + 6 * DAY), promise(book, TODAY + 7 * DAY)

    board = dashboard.dashboard(book.uow(), book["morgan"])

    assert board.week_end == TODAY + 6 * DAY
    assert [line.promise.task_id for line in board.promises] == [today, sixth]
    assert seventh not in {line.promise.task_id for line in board.promises}
    assert board.promises_count == 2
    first = board.promises[0].promise
    assert (first.customer_name, first.amount_minor, first.currency, first.expected_date, first.assignee) == (
        "Acme Ltd",
        2002,
        "USD",
        TODAY,
        "maria",
    )


def test_a_promise_paid_in_full_shows_kept_and_one_paid_in_part_pending(book: Desk) -> None:
    paid = promise(book, TODAY + 2 * DAY, amount="20.02", invoices=("A1",))
    short = promise(book, TODAY + 3 * DAY, amount="30.03", invoices=("A30",))
    book.ledger.load(
        "payments",
        [
            payment("P10", "C1", invoice="A1", on=TODAY, amount="20.02"),
            payment("P11", "C1", invoice="A30", on=TODAY, amount="30.02"),
        ],
    )

    board = dashboard.dashboard(book.uow(), book["maria"])

    states = {line.promise.task_id: (line.state, line.promise.paid_minor) for line in board.promises}
    assert states == {paid: ("kept", 2002), short: ("pending", 3002)}


def test_a_promise_without_invoices_counts_cash_on_the_account_and_a_tagged_one_only_its_invoices(
    book: Desk,
) -> None:
    untagged = promise(book, TODAY + DAY, amount="5.00", invoices=())
    tagged = promise(book, TODAY + 2 * DAY, amount="5.00", invoices=("A1",))
    book.ledger.load("payments", [payment("P10", "C1", invoice=None, on=TODAY, amount="5.00")])

    board = dashboard.dashboard(book.uow(), book["maria"])

    states = {line.promise.task_id: (line.state, line.promise.paid_minor) for line in board.promises}
    assert states == {untagged: ("kept", 500), tagged: ("pending", 0)}


def test_payments_before_the_promise_was_made_do_not_count(book: Desk) -> None:
    book.ledger.load("payments", [payment("P10", "C1", invoice="A1", on=TODAY - DAY, amount="20.02")])
    pending = promise(book, TODAY + DAY, amount="20.02")

    board = dashboard.dashboard(book.uow(), book["maria"])

    assert [(line.promise.task_id, line.state, line.promise.paid_minor) for line in board.promises] == [
        (pending, "pending", 0)
    ]


def test_a_promise_closed_as_kept_by_the_rules_stays_on_the_week_as_kept(book: Desk) -> None:
    kept = promise(book, TODAY + DAY)
    book.ledger.load("payments", [payment("P10", "C1", invoice="A1", on=TODAY, amount="20.02")])
    collection_rules.check_promises(book.uow(), TODAY)

    board = dashboard.dashboard(book.uow(), book["maria"])

    assert [(line.promise.task_id, line.promise.status, line.state) for line in board.promises] == [
        (kept, "done", "kept")
    ]


def test_a_collector_sees_their_own_promises_and_a_manager_everyones(book: Desk) -> None:
    mine = promise(book, TODAY + DAY)
    beta = book.task(
        "sam", "C2", type="expected_payment", description="Beta promise", expected_amount="7.07", expected_date=TODAY
    ).id

    maria = dashboard.dashboard(book.uow(), book["maria"])
    morgan = dashboard.dashboard(book.uow(), book["morgan"])

    assert [line.promise.task_id for line in maria.promises] == [mine]
    assert not maria.promises_everyone
    assert [line.promise.task_id for line in morgan.promises] == [beta, mine]
    assert morgan.promises[0].promise.currency == "EUR"


def test_an_empty_ledger_makes_an_empty_dashboard(desk: Desk) -> None:
    board = dashboard.dashboard(desk.uow(), desk["olivia"])

    assert board.aging == [] and board.collectors == [] and board.promises == []
    assert board.due_today_mine.count == 0
    assert board.due_today_everyone is not None and board.due_today_everyone.count == 0


# -- alerts -----------------------------------------------------------------------------------------


def test_alerts_filter_by_kind_and_carry_the_customers_name(book: Desk) -> None:
    disputes.open_dispute(book.uow(), book["maria"], "A91", "pricing")
    book.task("maria", "C1", description="Old call", due_date=TODAY)
    book.travel(TODAY + 10 * DAY)
    collection_rules.stale_task_alerts(book.uow(), TODAY + 10 * DAY)

    every = alerts.list_alerts(book.uow(), book["morgan"]).items
    stale = alerts.list_alerts(book.uow(), book["morgan"], kind="stale_task").items

    assert [a.kind for a in every] == ["stale_task", "dispute_opened"]  # newest first
    assert [a.kind for a in stale] == ["stale_task"]
    assert (stale[0].customer_external_id, stale[0].customer_name) == ("C1", "Acme Ltd")
    assert stale[0].task_id is not None


def test_an_unknown_kind_of_alert_is_refused(book: Desk) -> None:
    with pytest.raises(InvalidValue, match="not a kind of alert"):
        alerts.list_alerts(book.uow(), book["morgan"], kind="everything")


def test_only_managers_and_owners_may_dismiss(book: Desk) -> None:
    assert [alerts.may_dismiss(book[name]) for name in ("olivia", "morgan", "maria")] == [True, True, False]


def test_a_dozen_stale_tasks_raise_a_dozen_alerts_in_one_run(book: Desk) -> None:
    # psycopg prepares a statement on its sixth run on a connection: the insert of an alert must still
    # find the partial unique index of open alerts (it did not while its predicate was a bound parameter).
    for n in range(12):
        book.task("maria", "C1", description=f"Call {n}", due_date=TODAY)
    book.travel(TODAY + 10 * DAY)

    run = collection_rules.stale_task_alerts(book.uow(), TODAY + 10 * DAY)
    again = collection_rules.stale_task_alerts(book.uow(), TODAY + 10 * DAY)

    assert (run.alerts_raised, again.alerts_raised) == (12, 0)
    assert len(alerts.list_alerts(book.uow(), book["maria"], kind="stale_task").items) == 12
