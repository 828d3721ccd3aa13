"""Rules that run by themselves as of a date: promises, auto-close, stale tasks; and plans and
disputes as the task list and the chasing rules see them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from arrears.adapters.db import tables as t
from arrears.domain.errors import Conflict, InvalidValue, PermissionDenied
from arrears.services import alerts, collection_rules, disputes, plans, settings, tasks
from tests.ledger import payment
from tests.workspace import Desk


@pytest.fixture
def acme(desk: Desk) -> Desk:
    desk.accounts()
    return desk


def promise(
    desk: Desk, amount: str = "100.00", by: date = date(2026, 7, 10), invoices: tuple[str, ...] = ("I1",)
) -> int:
    return desk.task(
        type="expected_payment", expected_amount=amount, expected_date=by, invoice_external_ids=invoices
    ).id


# -- promises to pay ----------------------------------------------------------------------------------


def test_a_promise_is_kept_when_payments_on_its_invoices_reach_the_amount_by_the_date(acme: Desk) -> None:
    task_id = promise(acme)
    acme.ledger.load(
        "payments",
        [
            payment("P1", invoice="I1", amount="60.00", on=date(2026, 7, 2)),
            payment("P2", invoice="I1", amount="40.00", on=date(2026, 7, 10)),
        ],
    )

    run = collection_rules.check_promises(acme.uow(), date(2026, 7, 10))

    assert (run.promises_kept, run.promises_broken) == (1, 0)
    assert (acme.row(task_id).status, acme.row(task_id).outcome) == ("done", "kept")


def test_a_promise_is_pending_until_its_date(acme: Desk) -> None:
    task_id = promise(acme)
    acme.ledger.load("payments", [payment("P1", invoice="I1", amount="60.00", on=date(2026, 7, 2))])

    run = collection_rules.check_promises(acme.uow(), date(2026, 7, 10))

    assert (run.promises_kept, run.promises_broken) == (0, 0)
    assert acme.row(task_id).status == "open"


def test_a_promise_is_broken_the_day_after_its_date_with_a_call_and_an_alert(acme: Desk) -> None:
    task_id = promise(acme)
    acme.ledger.load(
        "payments",
        [
            payment("P1", invoice="I1", amount="60.00", on=date(2026, 7, 2)),
            payment("P2", invoice="I1", amount="40.00", on=date(2026, 7, 11)),
        ],
    )

    run = collection_rules.check_promises(acme.uow(), date(2026, 7, 11))

    assert (run.promises_kept, run.promises_broken, run.tasks_created, run.alerts_raised) == (0, 1, 1, 1)
    assert acme.row(task_id).outcome == "broken"
    follow = [r for r in acme.mine() if r.type == "call"]
    assert len(follow) == 1 and follow[0].invoice_external_ids == ["I1"]
    assert acme.open_alerts("promise_broken") == 1


def test_a_payment_made_before_the_promise_does_not_keep_it(acme: Desk) -> None:
    acme.ledger.load("payments", [payment("P0", invoice="I2", amount="100.00", on=date(2026, 6, 29))])
    task_id = promise(acme, invoices=("I2",))

    collection_rules.check_promises(acme.uow(), date(2026, 7, 11))

    assert acme.row(task_id).outcome == "broken"


def test_a_promise_without_tagged_invoices_counts_payments_on_the_account(acme: Desk) -> None:
    task_id = promise(acme, amount="30.00", invoices=())
    acme.ledger.load("payments", [payment("P1", invoice=None, amount="30.00", on=date(2026, 7, 1))])

    collection_rules.check_promises(acme.uow(), date(2026, 7, 1))

    assert acme.row(task_id).outcome == "kept"


def test_checking_promises_twice_changes_nothing_more(acme: Desk) -> None:
    promise(acme)
    collection_rules.check_promises(acme.uow(), date(2026, 7, 11))

    again = collection_rules.check_promises(acme.uow(), date(2026, 7, 11))

    assert again == collection_rules.RuleRun()
    assert acme.count(t.tasks) == 2


@pytest.mark.parametrize(
    ("amount", "by", "reason"),
    [
        ("-5.00", date(2026, 7, 10), "negative"),
        ("0", date(2026, 7, 10), "greater than zero"),
        ("10.001", date(2026, 7, 10), "decimals"),
        ("10.00", date(2026, 6, 1), "in the past"),
    ],
)
def test_a_bad_promise_is_refused(acme: Desk, amount: str, by: date, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        promise(acme, amount=amount, by=by)

    assert acme.count(t.tasks) == 0


# -- auto-close -----------------------------------------------------------------------------------------


def test_open_tasks_whose_tagged_invoices_are_all_paid_close_themselves(acme: Desk) -> None:
    both = acme.task(invoice_external_ids=("I1", "I2"), issue_title="Call re: past due")
    untagged = acme.task()
    acme.ledger.load("payments", [payment("P1", invoice="I1", amount="100.00")])

    assert collection_rules.auto_close(acme.uow()).tasks_closed == 0
    acme.ledger.load("payments", [payment("P2", invoice="I2", amount="250.00")])
    run = collection_rules.auto_close(acme.uow())

    assert (run.tasks_closed, run.issues_closed) == (1, 1)
    assert (acme.row(both.id).status, acme.row(both.id).outcome) == ("done", "invoices_paid")
    assert acme.row(untagged.id).status == "open"
    assert acme.count(t.issues, t.issues.c.status == "closed") == 1


def test_an_issue_stays_open_while_one_of_its_tasks_is_open(acme: Desk) -> None:
    first = acme.task(issue_title="Collect past due")
    acme.task(issue_id=first.issue_id)
    tasks.complete_task(acme.uow(), acme["maria"], first.id)

    collection_rules.auto_close(acme.uow())

    assert acme.count(t.issues, t.issues.c.status == "open") == 1


@pytest.mark.postgres
def test_a_collector_completing_a_task_while_auto_close_runs_waits_for_one_batch_and_keeps_their_outcome(
    pg_url: str, tmp_path: Path
) -> None:
    """Real concurrent writers on PostgreSQL: a collector's transaction completes task B (uncommitted)
    while auto-close runs in batches of one. Task A's batch commits while auto-close waits for B's
    lock; once the collector commits, B keeps the collector's outcome, and is neither closed again
    nor audited as closed by the cycle."""
    acme = Desk.open(pg_url, tmp_path)
    acme.accounts()
    first = acme.task(invoice_external_ids=("I1",))
    second = acme.task(invoice_external_ids=("I1",))
    acme.ledger.load("payments", [payment("P1", invoice="I1", amount="100.00")])
    engine = acme.arrears.engine
    collector = engine.connect()
    collector_txn = collector.begin()
    collector.execute(t.tasks.update().where(t.tasks.c.id == second.id).values(status="done", outcome="paid_by_phone"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(collection_rules.auto_close, acme.uow(), 1)
        deadline = time.monotonic() + 30
        while acme.row(first.id).status != "done":  # committed while auto-close waits for B
            assert time.monotonic() < deadline and not running.done(), "the first batch was not committed alone"
            time.sleep(0.05)
        assert not running.done()
        collector_txn.commit()
        collector.close()
        run = running.result(timeout=30)

    assert run.tasks_closed == 1
    assert (acme.row(first.id).outcome, acme.row(second.id).outcome) == ("invoices_paid", "paid_by_phone")
    assert acme.count(t.audit_log, t.audit_log.c.action == "auto_closed") == 1
    acme.arrears.close()


def test_auto_close_can_be_switched_off(acme: Desk) -> None:
    settings.update_settings(acme.uow(), acme["olivia"], {"auto_close_paid_tasks": False})
    row = acme.task(invoice_external_ids=("I1",))
    acme.ledger.load("payments", [payment("P1", invoice="I1", amount="100.00")])

    collection_rules.auto_close(acme.uow())

    assert acme.row(row.id).status == "open"


def test_only_owners_change_settings(acme: Desk) -> None:
    with pytest.raises(PermissionDenied):
        settings.update_settings(acme.uow(), acme["morgan"], {"stale_after_days": 5})
    with pytest.raises(InvalidValue):
        settings.update_settings(acme.uow(), acme["olivia"], {"stale_after_days": "soon"})


# -- stale tasks ----------------------------------------------------------------------------------------


def test_a_task_more_than_three_days_past_due_raises_one_alert_that_closes_with_the_task(acme: Desk) -> None:
    row = acme.task(due_date=date(2026, 6, 30))

    assert collection_rules.stale_task_alerts(acme.uow(), date(2026, 7, 3)).alerts_raised == 0
    assert collection_rules.stale_task_alerts(acme.uow(), date(2026, 7, 4)).alerts_raised == 1
    assert collection_rules.stale_task_alerts(acme.uow(), date(2026, 7, 5)).alerts_raised == 0
    mine = alerts.list_alerts(acme.uow(), acme["maria"]).items
    assert len(mine) == 1 and mine[0].task_id == row.id
    assert len(alerts.list_alerts(acme.uow(), acme["morgan"]).items) == 1
    assert alerts.list_alerts(acme.uow(), acme["sam"]).items == []

    tasks.complete_task(acme.uow(), acme["maria"], row.id)

    assert acme.open_alerts("stale_task") == 0


def test_alerts_are_raised_at_the_workspaces_time_not_the_databases(acme: Desk) -> None:
    acme.task(due_date=date(2026, 6, 1))
    collection_rules.stale_task_alerts(acme.uow(), acme.clock.today())
    disputes.open_dispute(acme.uow(), acme["maria"], "I1", "pricing")

    raised = alerts.list_alerts(acme.uow(), acme["morgan"]).items

    assert sorted(alert.kind for alert in raised) == ["dispute_opened", "stale_task"]
    assert {alert.created_at for alert in raised} == {acme.clock.now()}


def test_hundreds_of_newly_stale_tasks_raise_one_alert_each_across_statements(acme: Desk) -> None:
    for n in range(230):  # more than two statements' worth of alerts
        acme.task(due_date=date(2026, 6, 20) if n % 2 else date(2026, 6, 25), description=f"Call {n}")

    first = collection_rules.stale_task_alerts(acme.uow(), date(2026, 6, 28)).alerts_raised  # the 6-20s only
    then = collection_rules.stale_task_alerts(acme.uow(), date(2026, 7, 5)).alerts_raised  # and the 6-25s
    again = collection_rules.stale_task_alerts(acme.uow(), date(2026, 7, 5)).alerts_raised

    assert (first, then, again) == (115, 115, 0)
    assert acme.open_alerts("stale_task") == 230


def test_the_stale_threshold_is_a_setting(acme: Desk) -> None:
    settings.update_settings(acme.uow(), acme["olivia"], {"stale_after_days": 0})
    acme.task(due_date=date(2026, 6, 30))

    assert collection_rules.stale_task_alerts(acme.uow(), date(2026, 7, 1)).alerts_raised == 1


# -- payment plans -----------------------------------------------------------------------------------------


def test_on_a_plan_only_overdue_unpaid_instalments_count_as_overdue(acme: Desk) -> None:
    plan = plans.create_plan(
        acme.uow(), acme["morgan"], ["I1", "I2"], [(date(2026, 7, 1), "150.00"), (date(2026, 8, 1), "200.00")]
    )
    acme.task()

    assert plan.status == "active" and plan.total_minor == 350_00
    assert acme.mine()[0].overdue_minor == 0  # nothing due on the plan yet; I3 is not overdue
    acme.travel(date(2026, 7, 5))
    assert acme.mine()[0].overdue_minor == 150_00
    acme.ledger.load("payments", [payment("P1", invoice="I1", amount="100.00", on=date(2026, 7, 3))])
    assert acme.mine()[0].overdue_minor == 50_00


@pytest.mark.parametrize(
    ("instalments", "reason"),
    [
        ([(date(2026, 7, 1), "100.00")], "add up to 100.00 USD but the invoices have 350.00 USD"),
        ([(date(2026, 6, 1), "350.00")], "in the past"),
        ([(date(2026, 7, 1), "175.00"), (date(2026, 7, 1), "175.00")], "same date"),
        ([], "at least one instalment"),
    ],
)
def test_a_plan_whose_instalments_do_not_add_up_is_refused(
    acme: Desk, instalments: list[tuple[date, str]], reason: str
) -> None:
    with pytest.raises(InvalidValue, match=reason):
        plans.create_plan(acme.uow(), acme["morgan"], ["I1", "I2"], instalments)

    assert acme.count(t.payment_plans) == 0


def test_contributors_do_not_create_plans(acme: Desk) -> None:
    with pytest.raises(PermissionDenied):
        plans.create_plan(acme.uow(), acme["maria"], ["I1"], [(date(2026, 7, 1), "100.00")])


# -- disputes ------------------------------------------------------------------------------------------------


def test_opening_a_dispute_raises_an_alert_and_stops_counting_the_invoice_overdue(acme: Desk) -> None:
    acme.task()
    before = acme.mine()[0].overdue_minor

    dispute = disputes.open_dispute(acme.uow(), acme["maria"], "I1", "pricing", note="Quoted 90.00")

    assert (dispute.amount_minor, dispute.status) == (100_00, "open")
    assert acme.open_alerts("dispute_opened") == 1
    assert acme.mine()[0].overdue_minor == before - 100_00
    disputes.close_dispute(acme.uow(), acme["morgan"], dispute.id, "rejected", "Price was agreed in the PO")
    assert acme.mine()[0].overdue_minor == before
    assert acme.open_alerts("dispute_opened") == 0


def test_a_dispute_on_a_paid_invoice_is_refused(acme: Desk) -> None:
    acme.ledger.load("payments", [payment("P1", invoice="I1", amount="100.00")])

    with pytest.raises(InvalidValue, match="nothing to dispute"):
        disputes.open_dispute(acme.uow(), acme["maria"], "I1", "damaged")


def test_a_dispute_needs_a_known_reason_and_an_amount_within_the_outstanding(acme: Desk) -> None:
    with pytest.raises(InvalidValue, match="not a dispute reason"):
        disputes.open_dispute(acme.uow(), acme["maria"], "I1", "bored")
    with pytest.raises(InvalidValue, match="above"):
        disputes.open_dispute(acme.uow(), acme["maria"], "I1", "pricing", amount="100.01")
    disputes.open_dispute(acme.uow(), acme["maria"], "I1", "pricing", amount="20.00")
    with pytest.raises(Conflict):
        disputes.open_dispute(acme.uow(), acme["maria"], "I1", "quantity")


def test_reason_codes_are_configurable(acme: Desk) -> None:
    settings.update_settings(acme.uow(), acme["olivia"], {"dispute_reasons": ["wrong_site", "pricing"]})

    assert disputes.open_dispute(acme.uow(), acme["maria"], "I1", "wrong_site").reason == "wrong_site"


def test_only_managers_resolve_disputes(acme: Desk) -> None:
    dispute = disputes.open_dispute(acme.uow(), acme["maria"], "I1", "pricing")

    with pytest.raises(PermissionDenied):
        disputes.close_dispute(acme.uow(), acme["maria"], dispute.id, "resolved", "credit issued")
