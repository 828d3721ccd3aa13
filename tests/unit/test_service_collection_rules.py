"""The rules that run by themselves (services/collection_rules.py), over fakes: promises kept or
broken, tasks and issues that close themselves, stale-task alerts, and the balances' refresh."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from arrears.domain.audit import SYSTEM, AuditEntry
from arrears.domain.tasks import TaskSource, TaskStatus, TaskType
from arrears.services import collection_rules
from arrears.services.collection_rules import RuleRun
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, NOW, SAM, TODAY, make_promise, make_task

PROMISED_BY = date(2026, 6, 10)
DAY_AFTER = date(2026, 6, 11)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def configure(uow: FakeUnitOfWork, **rules: Any) -> None:
    uow.accounts.set_setting("rules", json.dumps(rules))


def promise_task(uow: FakeUnitOfWork, *, invoice_ids: tuple[int, ...] = (11,), amount_minor: int = 100_00) -> int:
    """maria's promise of 100.00 USD by 2026-06-10, made today (issue 5, contact 9)."""
    promise = make_promise(amount_minor=amount_minor, due=PROMISED_BY, made_on=TODAY)
    task = make_task(id=None, type=TaskType.EXPECTED_PAYMENT, invoice_ids=invoice_ids, promise=promise)
    stored = uow.tasks.add(task)
    assert stored.id is not None
    return stored.id


# -- promises to pay ------------------------------------------------------------------------------------


def test_a_promise_is_kept_when_payments_on_its_invoices_reach_the_amount_by_its_date(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    uow.ledger.pay("I1", 60_00, on=date(2026, 6, 2))
    uow.ledger.pay("I1", 40_00, on=PROMISED_BY)

    run = collection_rules.check_promises(uow, PROMISED_BY)

    assert run == RuleRun(promises_kept=1, tasks_closed=1)
    task = uow.tasks.rows[task_id]
    assert (task.status, task.outcome, task.completed_by, task.completed_at) == (TaskStatus.DONE, "kept", None, NOW)
    assert uow.audit.entries == [
        AuditEntry(
            NOW, SYSTEM, "task", str(task_id), "promise_kept", "Promise to pay kept: 100.00 USD by 2026-06-10", 1
        )
    ]


def test_a_promise_short_of_its_amount_is_pending_until_its_date(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    uow.ledger.pay("I1", 60_00, on=date(2026, 6, 2))

    run = collection_rules.check_promises(uow, PROMISED_BY)

    assert run == RuleRun()
    assert uow.tasks.rows[task_id].status is TaskStatus.OPEN
    assert not uow.audit.entries


def test_a_promise_is_broken_the_day_after_its_date_and_closes(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    uow.ledger.pay("I1", 60_00, on=date(2026, 6, 2))

    run = collection_rules.check_promises(uow, DAY_AFTER)

    assert run == RuleRun(promises_broken=1, tasks_closed=1, tasks_created=1, alerts_raised=1)
    assert (uow.tasks.rows[task_id].status, uow.tasks.rows[task_id].outcome) == (TaskStatus.DONE, "broken")


def test_a_broken_promise_opens_a_call_for_its_assignee_on_the_same_invoices(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)

    collection_rules.check_promises(uow, DAY_AFTER)

    [call] = [t for t in uow.tasks.rows.values() if t.id != task_id]
    assert (call.type, call.status, call.source, call.due_date, call.assignee_id) == (
        TaskType.CALL,
        TaskStatus.OPEN,
        TaskSource.RULE,
        DAY_AFTER,
        MARIA.id,
    )
    assert (call.invoice_ids, call.issue_id, call.contact_id) == ((11,), 5, 9)
    assert call.description == "Call about the broken promise to pay 100.00 USD by 2026-06-10"
    assert uow.tasks.created_by[call.id or 0] is None


def test_a_broken_promise_raises_an_alert_for_its_assignee(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)

    collection_rules.check_promises(uow, DAY_AFTER)

    [alert] = uow.alerts.rows.values()
    assert (alert.kind, alert.key, alert.message, alert.customer_id, alert.task_id, alert.user_id) == (
        "promise_broken",
        f"promise_broken:{task_id}",
        "Acme Ltd broke a promise to pay 100.00 USD by 2026-06-10",
        1,
        task_id,
        MARIA.id,
    )


def test_a_broken_promise_whose_alert_is_already_open_raises_no_second_one(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    uow.alerts.raise_alert(
        "promise_broken",
        f"promise_broken:{task_id}",
        "raised before",
        customer_id=1,
        task_id=task_id,
        user_id=3,
        at=NOW,
    )

    run = collection_rules.check_promises(uow, DAY_AFTER)

    assert (run.promises_broken, run.alerts_raised) == (1, 0)
    assert [a.message for a in uow.alerts.rows.values()] == ["raised before"]


def test_a_broken_promise_is_audited_with_its_follow_up_call(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)

    collection_rules.check_promises(uow, DAY_AFTER)

    [call_id] = [i for i in uow.tasks.rows if i != task_id]
    assert uow.audit.actions() == [("task", str(task_id), "promise_broken"), ("task", str(call_id), "created")]
    assert uow.audit.entries[0].summary == "Promise to pay broken: 100.00 USD by 2026-06-10"


def test_a_payment_made_before_the_promise_does_not_keep_it(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    uow.ledger.pay("I1", 100_00, on=date(2026, 5, 30))

    collection_rules.check_promises(uow, DAY_AFTER)

    assert uow.tasks.rows[task_id].outcome == "broken"


def test_a_payment_after_the_promised_date_does_not_keep_it(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    uow.ledger.pay("I1", 100_00, on=DAY_AFTER)

    collection_rules.check_promises(uow, DAY_AFTER)

    assert uow.tasks.rows[task_id].outcome == "broken"


def test_a_payment_on_an_invoice_the_promise_does_not_tag_does_not_keep_it(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow, invoice_ids=(11,))
    uow.ledger.pay("I2", 100_00, on=date(2026, 6, 2))

    collection_rules.check_promises(uow, DAY_AFTER)

    assert uow.tasks.rows[task_id].outcome == "broken"


def test_a_promise_without_tagged_invoices_counts_payments_on_the_account(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow, invoice_ids=(), amount_minor=30_00)
    uow.ledger.pay_on_account(1, 30_00, on=date(2026, 6, 1))

    collection_rules.check_promises(uow, date(2026, 6, 1))

    assert uow.tasks.rows[task_id].outcome == "kept"


def test_checking_promises_twice_changes_nothing_more(uow: FakeUnitOfWork) -> None:
    promise_task(uow)
    collection_rules.check_promises(uow, DAY_AFTER)

    again = collection_rules.check_promises(uow, DAY_AFTER)

    assert again == RuleRun()
    assert len(uow.tasks.rows) == 2
    assert len(uow.alerts.rows) == 1


def test_promises_close_no_task_when_that_rule_is_switched_off(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    configure(uow, promises_close_tasks=False)

    run = collection_rules.check_promises(uow, DAY_AFTER)

    assert run == RuleRun()
    assert uow.tasks.rows[task_id].status is TaskStatus.OPEN
    assert not uow.alerts.rows


def test_a_promise_changed_by_a_person_meanwhile_is_left_for_the_next_run(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    uow.tasks.edit_after_next_read(task_id, note="customer called back")

    run = collection_rules.check_promises(uow, DAY_AFTER)

    assert run == RuleRun()
    assert (uow.tasks.rows[task_id].status, uow.tasks.rows[task_id].note) == (TaskStatus.OPEN, "customer called back")
    assert not uow.alerts.rows


def test_a_kept_promise_closes_its_issue_when_it_was_the_issues_last_open_task(uow: FakeUnitOfWork) -> None:
    issue_id = uow.customer_records.add_issue(1, "Collect May", MARIA.id)
    promise = make_promise(amount_minor=100_00, due=PROMISED_BY, made_on=TODAY)
    uow.tasks.add(
        make_task(id=7, type=TaskType.EXPECTED_PAYMENT, invoice_ids=(11,), issue_id=issue_id, promise=promise)
    )
    uow.ledger.pay("I1", 100_00, on=date(2026, 6, 2))

    run = collection_rules.check_promises(uow, date(2026, 6, 2))

    assert (run.promises_kept, run.issues_closed) == (1, 1)
    assert uow.customer_records.issue_rows[issue_id].status == "closed"
    assert uow.audit.entries[-1].summary == "Issue closed: its last task closed"


def test_a_promise_closed_by_the_rule_closes_its_stale_task_alert(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    uow.alerts.raise_alert(
        "stale_task", f"stale_task:{task_id}", "late", customer_id=1, task_id=task_id, user_id=3, at=NOW
    )
    uow.ledger.pay("I1", 100_00, on=date(2026, 6, 2))

    collection_rules.check_promises(uow, date(2026, 6, 2))

    assert uow.alerts.open_keys() == []


# -- auto-close ------------------------------------------------------------------------------------------


def test_an_open_task_whose_tagged_invoices_are_all_paid_closes_itself(uow: FakeUnitOfWork) -> None:
    uow.tasks.add(make_task(id=7, invoice_ids=(11, 12), issue_id=None))
    uow.ledger.pay("I1", 100_00)
    uow.ledger.pay("I2", 250_00)

    run = collection_rules.auto_close(uow)

    assert run == RuleRun(tasks_closed=1)
    task = uow.tasks.rows[7]
    assert (task.status, task.outcome, task.completed_by, task.completed_at) == (
        TaskStatus.DONE,
        "invoices_paid",
        None,
        NOW,
    )
    assert uow.audit.entries == [
        AuditEntry(NOW, SYSTEM, "task", "7", "auto_closed", "Task closed: its invoices are paid", 1)
    ]


def test_a_task_with_one_tagged_invoice_still_open_or_none_tagged_stays_open(uow: FakeUnitOfWork) -> None:
    uow.tasks.add(make_task(id=7, invoice_ids=(11, 12), issue_id=None))
    uow.tasks.add(make_task(id=8, invoice_ids=(), issue_id=None))
    uow.ledger.pay("I1", 100_00)

    run = collection_rules.auto_close(uow)

    assert run == RuleRun()
    assert {t.status for t in uow.tasks.rows.values()} == {TaskStatus.OPEN}


def test_a_promise_is_left_to_its_own_rule_when_its_invoices_are_paid(uow: FakeUnitOfWork) -> None:
    task_id = promise_task(uow)
    uow.ledger.pay("I1", 100_00)

    assert collection_rules.auto_close(uow) == RuleRun()

    assert uow.tasks.rows[task_id].status is TaskStatus.OPEN


def test_auto_close_closes_the_stale_alerts_of_the_tasks_it_closed(uow: FakeUnitOfWork) -> None:
    uow.tasks.add(make_task(id=7, invoice_ids=(11,), issue_id=None))
    uow.tasks.add(make_task(id=8, invoice_ids=(12,), issue_id=None))
    for task_id in (7, 8):
        uow.alerts.raise_alert(
            "stale_task", f"stale_task:{task_id}", "late", customer_id=1, task_id=task_id, user_id=3, at=NOW
        )
    uow.ledger.pay("I1", 100_00)

    collection_rules.auto_close(uow)

    assert uow.alerts.open_keys() == ["stale_task:8"]


def test_auto_close_commits_batch_by_batch_so_a_failure_keeps_what_closed_and_a_rerun_closes_the_rest(
    uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    for task_id, invoice_ids in ((7, (11,)), (8, (12,)), (9, (11, 12))):
        uow.tasks.add(make_task(id=task_id, invoice_ids=invoice_ids, issue_id=None))
    uow.ledger.pay("I1", 100_00)
    uow.ledger.pay("I2", 250_00)
    audit = type(uow.audit)
    record = audit.record

    def failing_on_task_9(self: Any, entry: AuditEntry) -> None:
        if entry.entity_id == "9":
            raise RuntimeError("the connection was lost")
        record(self, entry)

    monkeypatch.setattr(audit, "record", failing_on_task_9)
    with pytest.raises(RuntimeError):
        collection_rules.auto_close(uow, batch=1)

    assert [uow.tasks.rows[task_id].status for task_id in (7, 8, 9)] == [
        TaskStatus.DONE,
        TaskStatus.DONE,
        TaskStatus.OPEN,
    ]
    monkeypatch.undo()
    assert collection_rules.auto_close(uow, batch=1) == RuleRun(tasks_closed=1)
    assert [entry.entity_id for entry in uow.audit.entries] == ["7", "8", "9"]


def test_auto_close_in_batches_closes_as_much_as_in_one(uow: FakeUnitOfWork) -> None:
    for task_id in range(7, 12):
        uow.tasks.add(make_task(id=task_id, invoice_ids=(11,), issue_id=None))
    uow.ledger.pay("I1", 100_00)

    assert collection_rules.auto_close(uow, batch=2) == RuleRun(tasks_closed=5)

    assert {task.status for task in uow.tasks.rows.values()} == {TaskStatus.DONE}


def test_a_batch_that_collectors_closed_meanwhile_does_not_stop_auto_close_before_the_next(
    uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    for task_id in (7, 8):
        uow.tasks.add(make_task(id=task_id, invoice_ids=(11,), issue_id=None))
    uow.ledger.pay("I1", 100_00)
    # Auto-close read both as settled; then a collector completed 7 before its batch came.
    monkeypatch.setattr(type(uow.tasks), "settled_tasks", lambda self: [7, 8])
    uow.tasks.bulk_update([7], {"status": "done", "outcome": "paid_by_phone"}, NOW)

    assert collection_rules.auto_close(uow, batch=1) == RuleRun(tasks_closed=1)
    assert (uow.tasks.rows[7].outcome, uow.tasks.rows[8].outcome) == ("paid_by_phone", "invoices_paid")
    assert [entry.entity_id for entry in uow.audit.entries] == ["8"]


def test_auto_close_of_paid_tasks_can_be_switched_off(uow: FakeUnitOfWork) -> None:
    configure(uow, auto_close_paid_tasks=False)
    uow.tasks.add(make_task(id=7, invoice_ids=(11,), issue_id=None))
    uow.ledger.pay("I1", 100_00)

    assert collection_rules.auto_close(uow) == RuleRun()

    assert uow.tasks.rows[7].status is TaskStatus.OPEN


def test_an_issue_closes_with_its_last_open_task(uow: FakeUnitOfWork) -> None:
    issue_id = uow.customer_records.add_issue(1, "Collect May", MARIA.id)
    uow.tasks.add(make_task(id=7, invoice_ids=(11,), issue_id=issue_id))
    uow.tasks.add(make_task(id=8, invoice_ids=(), issue_id=issue_id, status=TaskStatus.DONE))
    uow.ledger.pay("I1", 100_00)

    run = collection_rules.auto_close(uow)

    assert run == RuleRun(tasks_closed=1, issues_closed=1)
    assert uow.customer_records.issue_rows[issue_id].status == "closed"
    assert uow.audit.actions()[-1] == ("issue", str(issue_id), "closed")


def test_an_issue_stays_open_while_one_of_its_tasks_is_open(uow: FakeUnitOfWork) -> None:
    issue_id = uow.customer_records.add_issue(1, "Collect May", MARIA.id)
    uow.tasks.add(make_task(id=7, issue_id=issue_id, status=TaskStatus.DONE))
    uow.tasks.add(make_task(id=8, issue_id=issue_id))

    assert collection_rules.auto_close(uow).issues_closed == 0

    assert uow.customer_records.issue_rows[issue_id].status == "open"


def test_issues_stay_open_when_that_rule_is_switched_off(uow: FakeUnitOfWork) -> None:
    configure(uow, auto_close_issues=False)
    issue_id = uow.customer_records.add_issue(1, "Collect May", MARIA.id)
    uow.tasks.add(make_task(id=7, issue_id=issue_id, status=TaskStatus.DONE))

    assert collection_rules.auto_close(uow) == RuleRun()

    assert uow.customer_records.issue_rows[issue_id].status == "open"


# -- stale tasks --------------------------------------------------------------------------------------------


def test_a_task_more_than_three_days_past_due_raises_an_alert_for_its_assignee(uow: FakeUnitOfWork) -> None:
    uow.tasks.add(make_task(id=8, customer_id=2, assignee=SAM.id, due=date(2026, 5, 27)))

    run = collection_rules.stale_task_alerts(uow, TODAY)

    assert run == RuleRun(alerts_raised=1)
    [alert] = uow.alerts.rows.values()
    assert (alert.kind, alert.key, alert.message, alert.customer_id, alert.task_id, alert.user_id) == (
        "stale_task",
        "stale_task:8",
        "Task 8 on Beta GmbH is 4 days past its due date 2026-05-27",
        2,
        8,
        SAM.id,
    )
    assert alert.created_at == NOW  # the workspace's clock


def test_a_task_three_days_past_due_is_not_stale_yet(uow: FakeUnitOfWork) -> None:
    uow.tasks.add(make_task(id=7, due=date(2026, 5, 28)))

    assert collection_rules.stale_task_alerts(uow, TODAY) == RuleRun()

    assert not uow.alerts.rows


def test_a_stale_task_raises_its_alert_once(uow: FakeUnitOfWork) -> None:
    uow.tasks.add(make_task(id=7, due=date(2026, 5, 1)))
    collection_rules.stale_task_alerts(uow, TODAY)

    again = collection_rules.stale_task_alerts(uow, date(2026, 6, 1))

    assert again == RuleRun()
    assert uow.alerts.open_keys() == ["stale_task:7"]


def test_a_task_that_is_done_is_never_stale(uow: FakeUnitOfWork) -> None:
    uow.tasks.add(make_task(id=7, due=date(2026, 5, 1), status=TaskStatus.DONE))

    assert collection_rules.stale_task_alerts(uow, TODAY) == RuleRun()


def test_the_stale_threshold_is_a_setting(uow: FakeUnitOfWork) -> None:
    configure(uow, stale_after_days=0)
    uow.tasks.add(make_task(id=7, due=date(2026, 5, 30)))

    assert collection_rules.stale_task_alerts(uow, TODAY).alerts_raised == 1
