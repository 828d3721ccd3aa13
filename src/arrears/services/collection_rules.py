"""The rules that run by themselves, as of a date: promises kept or broken, auto-close, stale-task
alerts, balances. The daily cycle calls them in order; until it exists, the CLI does
(`arrears promises check --as-of DATE`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..domain import tasks as rules
from ..domain.audit import SYSTEM, AuditEntry
from ..domain.money import format_minor
from ..domain.tasks import PromiseState, Task, TaskType
from . import settings as workspace_settings
from .ports import UnitOfWork
from .workspace_ports import NewAlert


@dataclass(frozen=True)
class RuleRun:
    promises_kept: int = 0
    promises_broken: int = 0
    tasks_closed: int = 0
    tasks_created: int = 0
    issues_closed: int = 0
    alerts_raised: int = 0


def _audit(
    uow: UnitOfWork, entity: str, entity_id: int | None, action: str, summary: str, customer_id: int | None
) -> None:
    uow.audit.record(
        AuditEntry(
            uow.clock.now(), SYSTEM, entity, None if entity_id is None else str(entity_id), action, summary, customer_id
        )
    )


def check_promises(uow: UnitOfWork, as_of: date) -> RuleRun:
    """Close kept promises; close broken ones with a follow-up call task and an alert."""
    kept = broken = created = alerts = 0
    with uow:
        config = workspace_settings.load(uow)
        for task in uow.tasks.open_promises():
            promise = task.promise
            assert promise is not None and task.id is not None
            paid = uow.tasks.paid_between(task.customer_id, task.invoice_ids, promise.made_on, min(as_of, promise.due))
            state = rules.promise_state(promise, paid, as_of)
            if state is PromiseState.PENDING or not config.promises_close_tasks:
                continue
            what = f"{format_minor(promise.amount_minor, promise.currency)} {promise.currency} by {promise.due}"
            closed = rules.close_by_rule(task, outcome=state.value, at=uow.clock.now())
            if not uow.tasks.save_task(closed, expected_version=task.version):
                continue  # changed meanwhile by a person: the next run looks again
            uow.alerts.close_alerts([f"stale_task:{task.id}"], uow.clock.now())  # as any closed task's
            if state is PromiseState.KEPT:
                kept += 1
                _audit(uow, "task", task.id, "promise_kept", f"Promise to pay kept: {what}", task.customer_id)
                continue
            broken += 1
            _audit(uow, "task", task.id, "promise_broken", f"Promise to pay broken: {what}", task.customer_id)
            follow = Task(
                id=None,
                customer_id=task.customer_id,
                type=TaskType.CALL,
                description=f"Call about the broken promise to pay {what}",
                assignee_id=task.assignee_id,
                due_date=as_of,
                source=rules.TaskSource.RULE,
                issue_id=task.issue_id,
                contact_id=task.contact_id,
                invoice_ids=task.invoice_ids,
            )
            follow_id = uow.tasks.add_task(follow, created_by=None)
            created += 1
            _audit(uow, "task", follow_id, "created", "call task created for a broken promise", task.customer_id)
            customer = uow.ledger.customer_by_id(task.customer_id)
            name = customer.name if customer else str(task.customer_id)
            if uow.alerts.raise_alert(
                "promise_broken",
                f"promise_broken:{task.id}",
                f"{name} broke a promise to pay {what}",
                customer_id=task.customer_id,
                task_id=task.id,
                user_id=task.assignee_id,
                at=uow.clock.now(),
            ):
                alerts += 1
        closed_issues = _close_issues(uow, config.auto_close_issues)
        uow.commit()
    return RuleRun(
        promises_kept=kept,
        promises_broken=broken,
        tasks_closed=kept + broken,
        tasks_created=created,
        issues_closed=closed_issues,
        alerts_raised=alerts,
    )


def _close_issues(uow: UnitOfWork, enabled: bool) -> int:
    if not enabled:
        return 0
    closed = uow.tasks.close_finished_issues(uow.clock.now())
    for issue_id, customer_id in closed:
        _audit(uow, "issue", issue_id, "closed", "Issue closed: its last task closed", customer_id)
    return len(closed)


# How many tasks auto-close closes per transaction: a collector completing one of them while the
# cycle runs waits for one batch's commit at most, never for the whole phase.
AUTO_CLOSE_BATCH = 1_000


def auto_close(uow: UnitOfWork, batch: int = AUTO_CLOSE_BATCH) -> RuleRun:
    """Open tasks whose tagged invoices are all settled close themselves, `batch` tasks per
    transaction (each with its audit lines and its stale-task alerts closed); then finished issues
    close. Stopped half-way, a re-run closes the rest."""
    with uow:
        config = workspace_settings.load(uow)
        settled = uow.tasks.settled_tasks() if config.auto_close_paid_tasks else []
    closed = 0
    for start in range(0, len(settled), max(1, batch)):
        with uow:
            now = uow.clock.now()
            done = uow.tasks.close_settled_tasks(now, settled[start : start + max(1, batch)])
            for task_id, customer_id in done:
                _audit(uow, "task", task_id, "auto_closed", "Task closed: its invoices are paid", customer_id)
            uow.alerts.close_alerts([f"stale_task:{task_id}" for task_id, _ in done], now)
            uow.commit()
        closed += len(done)
    with uow:
        issues = _close_issues(uow, config.auto_close_issues)
        uow.commit()
    return RuleRun(tasks_closed=closed, issues_closed=issues)


def stale_task_alerts(uow: UnitOfWork, as_of: date) -> RuleRun:
    """Open tasks more than N days past due raise one alert each, for the assignee and the managers;
    the alert closes itself when the task is done."""
    with uow:
        days = workspace_settings.load(uow).stale_after_days
        stale = [
            NewAlert(
                "stale_task",
                f"stale_task:{task_id}",
                f"Task {task_id} on {name} is {(as_of - due).days} days past its due date {due}",
                customer_id,
                task_id,
                assignee_id,
            )
            for task_id, customer_id, assignee_id, due, name in uow.tasks.stale_tasks(as_of - timedelta(days=days))
        ]
        raised = uow.alerts.raise_alerts(stale, uow.clock.now())
        uow.commit()
    return RuleRun(alerts_raised=raised)
