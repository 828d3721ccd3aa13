"""The collector's task use cases: create, complete (with a follow-up), log a call, reschedule,
edit, bulk actions, and the task list. Every one checks the role and writes an audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal, get_args

from ..domain import tasks as rules
from ..domain import worklist
from ..domain.audit import Actor, AuditEntry
from ..domain.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from ..domain.money import format_minor, parse_amount
from ..domain.permissions import Action, allowed, require, require_task_update
from ..domain.tasks import Promise, Task, TaskType, parse_task_type
from ..domain.users import User, check_email
from .ports import UnitOfWork
from .workspace_ports import CustomerRef, TaskRow

MAX_BULK = 10_000
MAX_PAGE = 500
# The task list's sorts (a leading "-" reverses): the API takes this type, the CLI and the service SORTS.
TaskSort = Literal[
    "priority",
    "-priority",
    "due_date",
    "-due_date",
    "overdue_amount",
    "-overdue_amount",
    "customer",
    "-customer",
    "assignee",
    "-assignee",
]
SORTS: tuple[str, ...] = get_args(TaskSort)


@dataclass(frozen=True)
class NewContact:
    """Someone new spoken to while logging a task. They receive the reminders only when the
    collector says so (`receives_reminders`): a name taken down on a call is not an address to chase."""

    name: str
    phone: str | None = None
    email: str | None = None
    role: str | None = None
    receives_reminders: bool = False


@dataclass(frozen=True)
class NewTask:
    customer_external_id: str
    type: str
    description: str = ""
    assignee: str | None = None  # user name; default: the customer's collector, else the creator
    due_date: date | None = None  # default: today
    invoice_external_ids: tuple[str, ...] = ()
    contact_id: int | None = None
    new_contact: NewContact | None = None
    issue_id: int | None = None
    issue_title: str | None = None  # opens a new issue on the account for this task
    expected_amount: str | None = None
    expected_date: date | None = None
    expected_currency: str | None = None  # default: the customer's; another currency is refused
    complete: bool = False  # complete at entry, when no follow-up is needed
    outcome: str | None = None
    note: str | None = None
    follow_up_date: date | None = None


def customer_named(uow: UnitOfWork, external_id: str) -> CustomerRef:
    """The customer of that external id, or NotFound (in the caller's transaction)."""
    customer = uow.ledger.customer(external_id)
    if customer is None:
        raise NotFound(f"no customer with external id {external_id!r}")
    return customer


def user_id_named(uow: UnitOfWork, name: str, what: str = "assignee") -> int:
    found = uow.accounts.user(name)
    if found is None:
        raise InvalidValue(f"no user named {name!r} to be the {what}")
    return found.id


def _load(uow: UnitOfWork, task_id: int) -> Task:
    task = uow.tasks.task(task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def record_audit(
    uow: UnitOfWork,
    user: User | Actor,
    entity: str,
    entity_id: object,
    action: str,
    summary: str,
    customer_id: int | None,
    changes: dict[str, Any] | None = None,
) -> None:
    actor = user if isinstance(user, Actor) else Actor.of(user)
    uow.audit.record(
        AuditEntry(
            uow.clock.now(),
            actor,
            entity,
            None if entity_id is None else str(entity_id),
            action,
            summary,
            customer_id,
            changes or {},
        )
    )


def _row(uow: UnitOfWork, task_id: int) -> TaskRow:
    return explained(uow.task_list.task_rows([task_id])[0], uow.clock.today())


def explained(row: TaskRow, today: date) -> TaskRow:
    """The row with its customer's one-line "why" and expected payment date (domain/worklist.py)."""
    if row.standing is None:
        return row
    return replace(
        row, why=worklist.why(row.standing, today), expected_payment_date=worklist.expected_payment(row.standing)
    )


def _save(uow: UnitOfWork, before: Task, after: Task) -> None:
    if not uow.tasks.save_task(after, expected_version=before.version):
        raise Conflict(f"task {before.id} was changed by someone else meanwhile: reload it and try again")


def create_task(uow: UnitOfWork, user: User, new: NewTask) -> TaskRow:
    """Create a task on a customer; with `complete`, it is done at entry."""
    require(user, Action.CREATE_TASK)
    task_type = parse_task_type(new.type)
    with uow:
        today = uow.clock.today()
        customer = customer_named(uow, new.customer_external_id)
        assignee_id = user_id_named(uow, new.assignee) if new.assignee else (customer.collector_id or user.id)
        invoice_ids = _tagged_invoices(uow, customer, new.invoice_external_ids)
        contact_id = _contact(uow, customer, new, user)
        issue_id = new.issue_id
        if issue_id is not None and not uow.customer_records.issue_of(customer.id, issue_id):
            raise InvalidValue(f"issue {issue_id} is not an issue of customer {customer.external_id!r}")
        if new.issue_title:
            issue_id = uow.customer_records.add_issue(
                customer.id, new.issue_title.strip()[:500], user.id, uow.clock.now()
            )
            record_audit(uow, user, "issue", issue_id, "opened", f"Issue opened: {new.issue_title}", customer.id)
        promise = _promise(customer, new, task_type, today)
        if len(new.description) > 5000:
            raise InvalidValue("the description is longer than 5000 characters")
        task = Task(
            id=None,
            customer_id=customer.id,
            type=task_type,
            description=new.description.strip(),
            assignee_id=assignee_id,
            due_date=new.due_date or today,
            issue_id=issue_id,
            contact_id=contact_id,
            invoice_ids=tuple(invoice_ids),
            promise=promise,
            note=new.note,
        )
        task_id = uow.tasks.add_task(task, created_by=user.id)
        task = replace(task, id=task_id)
        record_audit(
            uow,
            user,
            "task",
            task_id,
            "created",
            f"{task_type.value} task created: {task.description}",
            customer.id,
            {
                "type": task_type.value,
                "due_date": task.due_date.isoformat(),
                "assignee_id": assignee_id,
                **({"promise": _promise_text(promise)} if promise else {}),
            },
        )
        if new.complete or new.follow_up_date:
            done = rules.complete(
                task,
                by=user.id,
                at=uow.clock.now(),
                today=today,
                outcome=new.outcome,
                note=new.note,
                follow_up_date=new.follow_up_date,
            )
            _finish(uow, user, task, done)
        uow.commit()
        return _row(uow, task_id)


def _promise_text(promise: Promise) -> str:
    return f"{format_minor(promise.amount_minor, promise.currency)} {promise.currency} by {promise.due.isoformat()}"


def _promise(customer: CustomerRef, new: NewTask, task_type: TaskType, today: date) -> Promise | None:
    if task_type is not TaskType.EXPECTED_PAYMENT:
        if new.expected_amount is not None or new.expected_date is not None or new.expected_currency is not None:
            raise InvalidValue("expected_amount and expected_date go with an expected_payment task")
        return None
    if new.expected_amount is None or new.expected_date is None:
        raise InvalidValue("a promise to pay needs expected_amount and expected_date")
    currency = new.expected_currency or customer.currency
    amount = parse_amount(new.expected_amount, currency, allow_zero=False)
    rules.check_promise(amount, currency, customer.currency, new.expected_date, today)
    return Promise(amount, currency, new.expected_date, today)


def _tagged_invoices(uow: UnitOfWork, customer: CustomerRef, external_ids: Sequence[str]) -> list[int]:
    wanted = list(dict.fromkeys(external_ids))
    if len(wanted) > 1000:
        raise InvalidValue("a task can tag at most 1000 invoices")
    found = {invoice.external_id: invoice for invoice in uow.ledger.invoices(wanted)}
    for external_id in wanted:
        invoice = found.get(external_id)
        if invoice is None:
            raise InvalidValue(f"no invoice with external id {external_id!r}")
        if invoice.customer_id != customer.id:
            raise InvalidValue(f"invoice {external_id!r} belongs to another customer")
    return [found[e].id for e in wanted]


def _contact(uow: UnitOfWork, customer: CustomerRef, new: NewTask, user: User) -> int | None:
    """The contact spoken to: an existing one, or one created while logging the task."""
    if new.new_contact is not None:
        contact = checked_contact(new.new_contact)
        new_id = uow.customer_records.add_contact(
            customer.id, contact.name, contact.email, contact.phone, contact.role, contact.receives_reminders
        )
        record_audit(
            uow,
            user,
            "contact",
            new_id,
            "added",
            f"Contact {contact.name} added while creating a task",
            customer.id,
            {
                "name": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                "role": contact.role,
                "receives_reminders": contact.receives_reminders,
            },
        )
        return new_id
    if new.contact_id is not None and not uow.customer_records.contact_of(customer.id, new.contact_id):
        raise InvalidValue(f"contact {new.contact_id} is not a contact of customer {customer.external_id!r}")
    return new.contact_id


def checked_contact(contact: NewContact) -> NewContact:
    """A contact's fields trimmed and checked: a name of 1 to 200 characters, a valid email, and an
    email for one who receives the reminders."""
    name = contact.name.strip()
    # the stored match key is the casefolded name, which may be longer ("ß" is "ss")
    if not name or len(name) > 200 or len(name.casefold()) > 290:
        raise InvalidValue("a contact needs a name of 1 to 200 characters")
    email, phone, role = ((value or "").strip() or None for value in (contact.email, contact.phone, contact.role))
    for value, what, longest in ((email, "email", 254), (phone, "phone", 64), (role, "role", 100)):
        if value is not None and (len(value) > longest or "\x00" in value):
            raise InvalidValue(f"the contact's {what} is longer than {longest} characters or holds a NUL byte")
    if "\x00" in name:
        raise InvalidValue("the contact's name holds a NUL byte")
    if email:
        check_email(email)
    if contact.receives_reminders and not email:
        raise InvalidValue("a contact who receives the reminders needs an email address")
    return NewContact(name, phone, email, role, contact.receives_reminders)


def _doing(task: Task, otherwise: str) -> str:
    if task.type is TaskType.CALL:
        return "logging a call"
    kind = task.type.value.replace("_", " ")
    return f"{otherwise} {'an' if kind[0] in 'aeiou' else 'a'} {kind} task"


def _spoken_to(
    uow: UnitOfWork, user: User, task: Task, contact: NewContact | None, contact_id: int | None, doing: str
) -> Task:
    """The task with the person spoken to while `doing` it: an existing contact of the task's customer,
    or a new one created on that customer (audited: it shows on the customer's timeline). It runs in
    the caller's transaction: a bad contact, or any later refusal, rolls everything back."""
    if contact is not None and contact_id is not None:
        raise InvalidValue("give either a new contact or an existing contact_id, not both")
    if contact is not None:
        checked = checked_contact(contact)
        new_id = uow.customer_records.add_contact(
            task.customer_id, checked.name, checked.email, checked.phone, checked.role, checked.receives_reminders
        )
        record_audit(
            uow,
            user,
            "contact",
            new_id,
            "added",
            f"Contact {checked.name} added while {doing}",
            task.customer_id,
            {
                "task_id": task.id,
                "name": checked.name,
                "email": checked.email,
                "phone": checked.phone,
                "role": checked.role,
                "receives_reminders": checked.receives_reminders,
            },
        )
        return replace(task, contact_id=new_id)
    if contact_id is not None:
        if not uow.customer_records.contact_of(task.customer_id, contact_id):
            raise InvalidValue(f"contact {contact_id} is not a contact of this task's customer")
        return replace(task, contact_id=contact_id)
    return task


def _finish(uow: UnitOfWork, user: User, before: Task, done: rules.Completion) -> Task | None:
    _save(uow, before, done.task)
    record_audit(
        uow,
        user,
        "task",
        before.id,
        "completed",
        f"{before.type.value} task completed ({done.task.outcome})",
        before.customer_id,
        {
            "outcome": done.task.outcome,
            "note": done.task.note,
            "follow_up_date": done.task.follow_up_date.isoformat() if done.task.follow_up_date else None,
        },
    )
    uow.alerts.close_alerts([f"stale_task:{before.id}"], uow.clock.now())
    if done.follow_up is None:
        return None
    follow_id = uow.tasks.add_task(done.follow_up, created_by=user.id)
    record_audit(
        uow,
        user,
        "task",
        follow_id,
        "created",
        f"follow-up task created, due {done.follow_up.due_date}",
        before.customer_id,
        {"follows": before.id, "assignee_id": done.follow_up.assignee_id},
    )
    return replace(done.follow_up, id=follow_id)


def complete_task(
    uow: UnitOfWork,
    user: User,
    task_id: int,
    *,
    outcome: str | None = None,
    note: str | None = None,
    follow_up_date: date | None = None,
    follow_up_assignee: str | None = None,
    version: int | None = None,
    contact: NewContact | None = None,
    contact_id: int | None = None,
) -> tuple[TaskRow, TaskRow | None]:
    """Complete a task; with a follow-up date, a new open follow-up task is due that day. With a
    `contact` (someone new at the customer) or an existing `contact_id`, the task records
    who was spoken to; a new contact is created on the task's customer in the same transaction."""
    with uow:
        task = _load(uow, task_id)
        require_task_update(user, task.assignee_id)
        _check_version(task, version)
        assignee = user_id_named(uow, follow_up_assignee, "follow-up assignee") if follow_up_assignee else None
        task = _spoken_to(uow, user, task, contact, contact_id, _doing(task, "completing"))
        done = rules.complete(
            task,
            by=user.id,
            at=uow.clock.now(),
            today=uow.clock.today(),
            outcome=outcome,
            note=note,
            follow_up_date=follow_up_date,
            follow_up_assignee=assignee,
        )
        follow = _finish(uow, user, task, done)
        uow.commit()
        return _row(uow, task_id), (_row(uow, follow.id) if follow and follow.id else None)


def get_task(uow: UnitOfWork, user: User, task_id: int) -> TaskRow:
    """One task as the task list shows it."""
    require(user, Action.READ)
    with uow:
        rows = uow.task_list.task_rows([task_id])
        if not rows:
            raise NotFound(f"no task {task_id}")
        return explained(rows[0], uow.clock.today())


def _check_version(task: Task, version: int | None) -> None:
    if version is not None and version != task.version:
        raise Conflict(f"task {task.id} was changed by someone else meanwhile (version {task.version}, not {version})")


def reschedule_task(
    uow: UnitOfWork,
    user: User,
    task_id: int,
    *,
    to: date,
    outcome: str | None = None,
    note: str | None = None,
    version: int | None = None,
    contact: NewContact | None = None,
    contact_id: int | None = None,
) -> TaskRow:
    """Keep the task open with a new due date; the attempt (e.g. a call not answered) stays in the history.
    `contact` / `contact_id`: who was spoken to, as for `complete_task`."""
    with uow:
        task = _load(uow, task_id)
        require_task_update(user, task.assignee_id)
        _check_version(task, version)
        task = _spoken_to(uow, user, task, contact, contact_id, _doing(task, "rescheduling"))
        moved = rules.reschedule(task, to=to, today=uow.clock.today(), outcome=outcome)
        _save(uow, task, moved)
        attempt = f" after a call: {outcome}" if outcome else ""
        record_audit(
            uow,
            user,
            "task",
            task_id,
            "rescheduled",
            f"{task.type.value} task rescheduled to {to}{attempt}",
            task.customer_id,
            {"due_date": [task.due_date.isoformat(), to.isoformat()], "outcome": outcome, "note": note},
        )
        uow.commit()
        return _row(uow, task_id)


EDITABLE = ("description", "due_date", "assignee", "note", "status")


def update_task(
    uow: UnitOfWork, user: User, task_id: int, changes: dict[str, Any], *, version: int | None = None
) -> TaskRow:
    """Edit a task's description, due date, note, assignee (managers assign) or cancel it."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidValue(f"cannot change {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)}")
    with uow:
        task = _load(uow, task_id)
        require_task_update(user, task.assignee_id)
        _check_version(task, version)
        if not task.is_open:
            raise Conflict(f"task {task_id} is {task.status.value}; only open tasks can be edited")
        values: dict[str, Any] = {}
        if "description" in changes:
            description = changes["description"]
            if not isinstance(description, str) or len(description) > 5000:
                raise InvalidValue("the description must be text of at most 5000 characters")
            values["description"] = description.strip()
        if "note" in changes:
            values["note"] = changes["note"]
        if "due_date" in changes:
            due = changes["due_date"]
            if not isinstance(due, date):
                raise InvalidValue("due_date must be a date")
            values["due_date"] = due
        if "assignee" in changes:
            if not allowed(user, Action.UPDATE_ANY_TASK) and (
                changes["assignee"] is None or user_id_named(uow, changes["assignee"]) != user.id
            ):
                raise PermissionDenied("only managers and owners reassign tasks")
            values["assignee_id"] = user_id_named(uow, changes["assignee"]) if changes["assignee"] else None
        if "status" in changes:
            if changes["status"] != "cancelled":
                raise InvalidValue("status can only be set to cancelled here; complete a task to make it done")
            values["status"] = rules.TaskStatus.CANCELLED
            values["completed_at"] = uow.clock.now()
            values["completed_by"] = user.id
        updated = replace(task, **values, version=task.version + 1)
        _save(uow, task, updated)
        before = {k: getattr(task, k) for k in values}
        record_audit(
            uow,
            user,
            "task",
            task_id,
            "cancelled" if "status" in values else "updated",
            "task updated",
            task.customer_id,
            {k: [str(before[k]), str(v)] for k, v in values.items() if before[k] != v},
        )
        if "status" in values:
            uow.alerts.close_alerts([f"stale_task:{task_id}"], uow.clock.now())
        uow.commit()
        return _row(uow, task_id)


def task_document(row: TaskRow) -> dict[str, Any]:
    """A task as `arrears tasks --format json` shows it."""
    return {
        "id": row.id,
        "customer_external_id": row.customer_external_id,
        "customer_name": row.customer_name,
        "type": row.type,
        "status": row.status,
        "assignee": row.assignee,
        "due_date": row.due_date.isoformat(),
        "description": row.description,
        "invoice_external_ids": row.invoice_external_ids,
        "outstanding_invoice_count": row.outstanding_invoice_count,
        "overdue_amount": format_minor(row.overdue_minor, row.currency),
        "currency": row.currency,
        "phones": row.phones,
        "source": row.source,
        "outcome": row.outcome,
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
        "follow_up_date": row.follow_up_date.isoformat() if row.follow_up_date else None,
        "expected_amount": format_minor(row.expected_amount_minor, row.currency)
        if row.expected_amount_minor is not None
        else None,
        "expected_date": row.expected_date.isoformat() if row.expected_date else None,
        "version": row.version,
        # what was said on the call (its recording's transcript): null until transcribed
        "transcript": row.recording.transcript
        if row.recording is not None and row.recording.status == "done"
        else None,
        # the worklist (domain/worklist.py): the customer's priority, why, and when it should pay
        "priority": row.priority,
        "why": row.why,
        "expected_payment_date": row.expected_payment_date.isoformat() if row.expected_payment_date else None,
    }


# The fields of a task document, in order: the columns of `arrears export tasks`.
TASK_FIELDS = (
    "id", "customer_external_id", "customer_name", "type", "status", "assignee", "due_date", "description",
    "invoice_external_ids", "outstanding_invoice_count", "overdue_amount", "currency", "phones", "source",
    "outcome", "completed_at", "follow_up_date", "expected_amount", "expected_date", "version", "transcript",
    "priority", "why", "expected_payment_date",
)  # fmt: skip
