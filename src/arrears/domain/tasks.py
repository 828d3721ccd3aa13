"""Tasks (activities) and issues (collection objectives): the collector's unit of work and history.

Pure rules over plain values: completing, completing with a follow-up, logging a call,
rescheduling, and promises to pay. The services load, call these, and store what they return.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from .errors import Conflict, InvalidValue


class TaskType(StrEnum):
    CALL = "call"
    EMAIL = "email"
    FOLLOW_UP = "follow_up"
    EXPECTED_PAYMENT = "expected_payment"
    NOTE = "note"
    GET_CREDIT_REPORT = "get_credit_report"
    BOOK_MEETING = "book_meeting"
    VALIDATE_INVOICE = "validate_invoice"
    UPDATE_INVOICE = "update_invoice"
    OFFER_PAYMENT_PLAN = "offer_payment_plan"
    ESCALATE_TO_COLLECTIONS = "escalate_to_collections"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class CallResult(StrEnum):
    ANSWERED = "answered"
    NOT_ANSWERED = "not_answered"
    LEFT_VOICEMAIL = "left_voicemail"
    SKIPPED = "skipped"


class TaskSource(StrEnum):
    MANUAL = "manual"
    WORKFLOW = "workflow"
    RULE = "rule"
    IMPORT = "import"
    PORTAL = "portal"  # the customer, on the portal (a promise to pay)


class PromiseState(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"


# Outcomes the rules themselves write on a task they close.
OUTCOME_KEPT = "kept"
OUTCOME_BROKEN = "broken"
OUTCOME_INVOICES_PAID = "invoices_paid"
OUTCOME_DONE = "done"
MAX_OUTCOME_LENGTH = 64


def parse_task_type(text: str) -> TaskType:
    try:
        return TaskType(text)
    except ValueError:
        known = ", ".join(t.value for t in TaskType)
        raise InvalidValue(f"{text!r} is not a task type: use one of {known}") from None


@dataclass(frozen=True, slots=True)
class Promise:
    """A promise to pay: `amount_minor` of `currency` by `due`, made on `made_on`."""

    amount_minor: int
    currency: str
    due: date
    made_on: date


@dataclass(frozen=True, slots=True)
class Task:
    id: int | None
    customer_id: int
    type: TaskType
    description: str
    assignee_id: int | None
    due_date: date
    status: TaskStatus = TaskStatus.OPEN
    source: TaskSource = TaskSource.MANUAL
    issue_id: int | None = None
    contact_id: int | None = None
    invoice_ids: tuple[int, ...] = ()
    outcome: str | None = None
    note: str | None = None
    completed_at: datetime | None = None
    completed_by: int | None = None
    follow_up_date: date | None = None
    promise: Promise | None = None
    version: int = 1

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.OPEN


@dataclass(frozen=True, slots=True)
class Completion:
    """What completing a task produces: the task as done, and the follow-up task if one was asked for."""

    task: Task
    follow_up: Task | None


def _require_open(task: Task) -> None:
    if not task.is_open:
        raise Conflict(f"task {task.id} is already {task.status.value}")


def check_outcome(task: Task, outcome: str | None) -> str | None:
    """A call's outcome must be a call result; other tasks take a short free outcome, or none."""
    if task.type is TaskType.CALL and outcome is not None:
        try:
            return CallResult(outcome).value
        except ValueError:
            known = ", ".join(r.value for r in CallResult)
            raise InvalidValue(f"{outcome!r} is not a call result: use one of {known}") from None
    if outcome is not None and len(outcome) > MAX_OUTCOME_LENGTH:
        raise InvalidValue(f"the outcome is longer than {MAX_OUTCOME_LENGTH} characters")
    return outcome


def complete(
    task: Task,
    *,
    by: int,
    at: datetime,
    today: date,
    outcome: str | None = None,
    note: str | None = None,
    follow_up_date: date | None = None,
    follow_up_assignee: int | None = None,
) -> Completion:
    """Close the task; with a follow-up date, also open a follow-up task due that day, assigned to
    the completer unless another user is named, on the same customer, invoices and issue."""
    _require_open(task)
    checked = check_outcome(task, outcome)
    if follow_up_date is not None and follow_up_date < today:
        raise InvalidValue(f"the follow-up date {follow_up_date} is in the past")
    done = replace(
        task,
        status=TaskStatus.DONE,
        outcome=checked or OUTCOME_DONE,
        note=note if note is not None else task.note,
        completed_at=at,
        completed_by=by,
        follow_up_date=follow_up_date,
        version=task.version + 1,
    )
    follow_up = None
    if follow_up_date is not None:
        follow_up = Task(
            id=None,
            customer_id=task.customer_id,
            type=TaskType.FOLLOW_UP,
            description=f"Follow up: {task.description}" if task.description else "Follow up",
            assignee_id=follow_up_assignee if follow_up_assignee is not None else by,
            due_date=follow_up_date,
            source=TaskSource.MANUAL,
            issue_id=task.issue_id,
            contact_id=task.contact_id,
            invoice_ids=task.invoice_ids,
        )
    return Completion(done, follow_up)


def reschedule(task: Task, *, to: date, today: date, outcome: str | None = None) -> Task:
    """Keep the task open with a new due date (e.g. a call not answered: try again Thursday)."""
    _require_open(task)
    check_outcome(task, outcome)
    if to < today:
        raise InvalidValue(f"the new due date {to} is in the past")
    return replace(task, due_date=to, version=task.version + 1)


def close_by_rule(task: Task, *, outcome: str, at: datetime) -> Task:
    """Close a task on behalf of a rule (promise kept or broken, tagged invoices all paid)."""
    _require_open(task)
    return replace(
        task, status=TaskStatus.DONE, outcome=outcome, completed_at=at, completed_by=None, version=task.version + 1
    )


def promise_state(promise: Promise, paid_minor: int, as_of: date) -> PromiseState:
    """Kept when what was paid from the day of the promise to its date (`paid_minor`, counted by
    the caller) reaches the amount; broken the day after the date otherwise; pending until then."""
    if paid_minor >= promise.amount_minor:
        return PromiseState.KEPT
    if as_of > promise.due:
        return PromiseState.BROKEN
    return PromiseState.PENDING


def check_promise(amount_minor: int, currency: str, customer_currency: str, due: date, today: date) -> None:
    if amount_minor <= 0:
        raise InvalidValue("the promised amount must be greater than zero")
    if currency != customer_currency:
        raise InvalidValue(f"the promise is in {currency} but the customer's account is in {customer_currency}")
    if due < today:
        raise InvalidValue(f"the promised date {due} is in the past")


def is_stale(task: Task, as_of: date, stale_after_days: int) -> bool:
    """An open task more than `stale_after_days` days past its due date."""
    return task.is_open and (as_of - task.due_date).days > stale_after_days
