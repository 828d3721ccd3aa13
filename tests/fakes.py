"""In-memory fakes of the ports the services use, for unit tests of the use cases: no database, no
clock, microseconds a test.

`FakeUnitOfWork` holds the workspace's areas as plain dicts and lists. Outside a `with` block a test
arranges and reads the committed state directly (`uow.tasks.add(make_task())`, `uow.audit.entries`);
inside, a use case works on a copy taken when the block was entered, which `commit()` keeps and
leaving the block without a commit throws away, as a database transaction would. So a use case that
raises leaves nothing behind, and a test can prove it. Read an area through `uow.<area>` each time:
a commit swaps in the copy it kept.

Each fake does what its SQL adapter (adapters/db/workspace/, adapters/db/ledger.py) is documented to
do, and only for what the services call: saving a task with a stale version changes nothing and
returns False, an alert is raised once per key while open, a contact is found again by its name, and
so on. Builders of customers, invoices and users sit beside those of tests/unit/builders.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

from arrears.domain.aging import BUCKETS, AgingLine, bucket_for, days_past_due
from arrears.domain.audit import AuditEntry
from arrears.domain.calls import RecordingStatus, Transcript
from arrears.domain.email_templates import StoredPart
from arrears.domain.errors import Conflict
from arrears.domain.plans import Instalment, overdue_on_plan
from arrears.domain.portal import PortalLink
from arrears.domain.tasks import Task, TaskStatus, TaskType
from arrears.domain.users import Role, User
from arrears.domain.web_sessions import OpenSessions, WebSession
from arrears.services.automation_ports import NewEmail, OutboxEmail, Rendered
from arrears.services.call_ports import NewRecording, Recording
from arrears.services.ledger_ports import InboxEvent
from arrears.services.portal_ports import OnlinePayment
from arrears.services.ports import Clock, PasswordHasher, RecentFailures, UnitOfWork
from arrears.services.workspace_ports import (
    AgingTotal,
    AlertRow,
    CashLine,
    CollectorLoad,
    ContactRow,
    CustomerFilter,
    CustomerListRow,
    CustomerRef,
    CustomerRow,
    DisputeFilter,
    DisputeRow,
    DueTask,
    EmailFilter,
    EmailRow,
    EmailView,
    InvoiceRef,
    InvoiceRow,
    IssueRow,
    NewAlert,
    Page,
    PlanRow,
    PromiseDue,
    Reminded,
    SavedView,
    StatementLines,
    TaskFilter,
    TaskRow,
    TimelineFilter,
    TimelineRow,
    TokenRow,
)
from tests.unit.builders import MARIA, MORGAN, NOW, OLIVIA, SAM, TODAY

T = TypeVar("T")

# -- builders ------------------------------------------------------------------------------------


def make_customer(
    *,
    id: int = 1,
    external_id: str = "C1",
    name: str = "Acme Ltd",
    currency: str = "USD",
    collector: int | None = MARIA.id,
    on_hold: bool = False,
) -> CustomerRef:
    return CustomerRef(id, external_id, name, currency, collector, on_hold)


def make_invoice(
    *,
    id: int = 11,
    external_id: str = "I1",
    customer_id: int = 1,
    currency: str = "USD",
    status: str = "open",
    due: date = date(2026, 5, 1),
    outstanding_minor: int = 100_00,
    disputed: bool = False,
    plan_id: int | None = None,
) -> InvoiceRef:
    return InvoiceRef(id, external_id, customer_id, currency, status, due, outstanding_minor, disputed, plan_id)


def make_user(*, id: int = 5, name: str = "nina", role: Role = Role.CONTRIBUTOR, email: str | None = None) -> User:
    return User(id, name, role, email)


def at(day: date, hour: int = 9) -> datetime:
    """`hour` o'clock UTC on `day`."""
    return datetime.combine(day, time(hour), UTC)


# -- the clock and the password hasher ---------------------------------------------------------


class FakeClock:
    """A clock that stands still until a test moves it; today is the UTC date of now."""

    def __init__(self, now: datetime = NOW) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()

    def travel(self, day: date) -> None:
        """To the same time of day on `day`."""
        self.at = datetime.combine(day, self.at.timetz())

    def advance(self, by: timedelta) -> None:
        self.at += by


class FakeHasher:
    """Reversible on purpose (a test reads what was hashed); counts its checks, which must cost the same
    whether or not the user exists."""

    def __init__(self) -> None:
        self.verified = 0

    def hash(self, password: str) -> str:
        return f"hashed:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return password_hash == self.hash(password)


# -- the ledger ---------------------------------------------------------------------------------


@dataclass
class CustomerDetails:
    """What the customer row of the ledger holds beyond its reference."""

    payment_terms_days: int = 30
    credit_limit_minor: int | None = None
    email: str | None = None
    phone: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None


@dataclass
class InvoiceDetails:
    number: str
    issue_date: date
    amount_minor: int


@dataclass(frozen=True)
class Payment:
    customer_id: int
    invoice_id: int | None
    on: date
    amount_minor: int


@dataclass
class StoredEvent:
    id: int
    provider: str
    event_id: str
    kind: str
    payload: dict[str, Any]
    received_at: datetime
    next_attempt_at: datetime
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    processed_at: datetime | None = None


class FakeLedger:
    """Customers and invoices as references, payments, the chasing flags, customer locks, the inbox."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.customer_refs: dict[int, CustomerRef] = {}
        self.customer_details: dict[int, CustomerDetails] = {}
        self.invoice_refs: dict[int, InvoiceRef] = {}
        self.invoice_details: dict[int, InvoiceDetails] = {}
        self.payments: list[Payment] = []
        self.flags: dict[tuple[str, str], dict[str, bool]] = {}
        self.locks: list[tuple[int, ...]] = []
        self.events: dict[int, StoredEvent] = {}
        self._while_locking: list[Callable[[FakeLedger], None]] = []

    # -- arranging -------------------------------------------------------------------------------

    def add_customer(self, customer: CustomerRef, **details: Any) -> CustomerRef:
        self.customer_refs[customer.id] = customer
        self.customer_details[customer.id] = CustomerDetails(**details)
        return customer

    def add_invoice(
        self, invoice: InvoiceRef, *, number: str | None = None, issue_date: date | None = None, amount_minor: int = 0
    ) -> InvoiceRef:
        self.invoice_refs[invoice.id] = invoice
        self.invoice_details[invoice.id] = InvoiceDetails(
            number or invoice.external_id,
            issue_date or invoice.due_date - timedelta(days=30),
            amount_minor or invoice.outstanding_minor,
        )
        return invoice

    def invoice(self, external_id: str) -> InvoiceRef:
        [found] = [i for i in self.invoice_refs.values() if i.external_id == external_id]
        return found

    def change_invoice(self, external_id: str, **changes: Any) -> InvoiceRef:
        changed = replace(self.invoice(external_id), **changes)
        self.invoice_refs[changed.id] = changed
        return changed

    def pay(self, external_id: str, amount_minor: int, on: date = TODAY) -> None:
        """A payment allocated to an invoice: what it owes goes down, and it is paid once nothing is left."""
        invoice = self.invoice(external_id)
        left = invoice.outstanding_minor - amount_minor
        self.change_invoice(external_id, outstanding_minor=left, status="paid" if left <= 0 else invoice.status)
        self.payments.append(Payment(invoice.customer_id, invoice.id, on, amount_minor))

    def pay_on_account(self, customer_id: int, amount_minor: int, on: date = TODAY) -> None:
        self.payments.append(Payment(customer_id, None, on, amount_minor))

    def while_locking(self, action: Callable[[FakeLedger], None]) -> None:
        """What another writer commits while this transaction waits for a customer's lock."""
        self._while_locking.append(action)

    # -- LedgerReads -------------------------------------------------------------------------------

    def customer(self, external_id: str) -> CustomerRef | None:
        found = next((c for c in self.customer_refs.values() if c.external_id == external_id), None)
        return None if found is None else self._flagged(found)

    def customer_by_id(self, customer_id: int) -> CustomerRef | None:
        found = self.customer_refs.get(customer_id)
        return None if found is None else self._flagged(found)

    def _flagged(self, customer: CustomerRef) -> CustomerRef:
        return replace(customer, paused=self.flag("customer", customer.external_id, "workflow_paused"))

    def invoices(self, external_ids: Sequence[str]) -> list[InvoiceRef]:
        wanted = set(external_ids)
        return [i for i in self.invoice_refs.values() if i.external_id in wanted]

    def invoices_by_id(self, invoice_ids: Sequence[int]) -> list[InvoiceRef]:
        return [self.invoice_refs[i] for i in sorted(set(invoice_ids)) if i in self.invoice_refs]

    def set_flag(self, kind: str, external_id: str, flag: str, value: bool) -> int | None:
        if kind == "customer":
            found = self.customer(external_id)
            customer_id = None if found is None else found.id
        else:
            invoice = next((i for i in self.invoice_refs.values() if i.external_id == external_id), None)
            customer_id = None if invoice is None else invoice.customer_id
        if customer_id is None:
            return None
        self.flags.setdefault((kind, external_id), {})[flag] = value
        self._workspace.changed.add(customer_id)
        return customer_id

    def flag(self, kind: str, external_id: str, flag: str) -> bool:
        return self.flags.get((kind, external_id), {}).get(flag, False)

    def ledger_records(
        self,
        kind: str,
        limit: int,
        offset: int,
        *,
        external_id: str | None = None,
        customer_external_id: str | None = None,
    ) -> Page:
        rows: list[Any]
        if kind == "customers":
            rows = [self.customer_row(c.id) for c in sorted(self.customer_refs.values(), key=lambda c: c.external_id)]
            if external_id is not None:
                rows = [r for r in rows if r.external_id == external_id]
        elif kind == "contacts":
            rows = self._workspace.customer_records.contact_rows()
            if customer_external_id is not None:
                rows = [r for r in rows if r.customer_external_id == customer_external_id]
        elif kind == "invoices":
            records = self._workspace.customer_records
            rows = [records.invoice_row(i) for i in sorted(self.invoice_refs.values(), key=lambda i: i.id)]
            rows = [r for r in rows if external_id in (None, r.external_id)]
            rows = [r for r in rows if customer_external_id in (None, r.customer_external_id)]
        else:
            raise NotImplementedError(f"the fake ledger lists no {kind}")
        return Page(rows[offset : offset + limit], offset + limit if len(rows) > offset + limit else None)

    def customer_row(self, customer_id: int) -> CustomerRow:
        ref, details = self.customer_refs[customer_id], self.customer_details[customer_id]
        collector = self._workspace.accounts.name_of(ref.collector_id)
        return CustomerRow(
            ref.external_id,
            ref.name,
            ref.currency,
            details.payment_terms_days,
            details.credit_limit_minor,
            collector,
            details.email,
            details.phone,
            list(details.tags),
            ref.on_hold,
        )

    # -- Ledger ------------------------------------------------------------------------------------

    def lock_customers(self, customer_ids: Sequence[int]) -> None:
        self.locks.append(tuple(sorted(set(customer_ids))))
        actions = list(self._while_locking)
        for ledger in self._workspace.here_and_committed(lambda w: w.ledger):
            for action in actions:
                action(ledger)
            ledger._while_locking.clear()

    def receive_event(self, provider: str, event_id: str, kind: str, payload: dict[str, Any], at: datetime) -> bool:
        if any((e.provider, e.event_id) == (provider, event_id) for e in self.events.values()):
            return False
        new_id = max(self.events, default=0) + 1
        stored = json.loads(json.dumps(payload))  # stored as JSON, read back as JSON
        self.events[new_id] = StoredEvent(new_id, provider, event_id, kind, stored, at, at)
        return True

    def inbox_id(self, provider: str, event_id: str) -> int | None:
        return next((e.id for e in self.events.values() if (e.provider, e.event_id) == (provider, event_id)), None)

    def next_event(self, at: datetime) -> InboxEvent | None:
        due = [e for e in self.events.values() if e.status == "pending" and e.next_attempt_at <= at]
        if not due:
            return None
        e = min(due, key=lambda e: e.id)
        return InboxEvent(e.id, e.provider, e.event_id, e.kind, copy.deepcopy(e.payload), e.attempts)

    def mark_event(
        self, event_id: int, status: str, at: datetime, *, attempts: int, next_at: datetime | None, error: str | None
    ) -> None:
        event = self.events[event_id]
        event.status, event.attempts, event.last_error = status, attempts, error
        if status == "processed":
            event.processed_at = at
        if next_at is not None:
            event.next_attempt_at = next_at

    def event_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self.events.values():
            counts[event.status] = counts.get(event.status, 0) + 1
        return counts


# -- tasks -------------------------------------------------------------------------------------


class FakeTasks:
    """Tasks by id, each saved only over the version it was read at."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.rows: dict[int, Task] = {}
        self.created_by: dict[int, int | None] = {}
        self._edits_after_read: dict[int, dict[str, Any]] = {}

    def add(self, task: Task, created_by: int | None = None) -> Task:
        """Arrange a stored task (its id kept if it has one)."""
        task_id = task.id if task.id is not None else self._next_id()
        stored = replace(task, id=task_id)
        self.rows[task_id] = stored
        self.created_by[task_id] = created_by
        return stored

    def edit_after_next_read(self, task_id: int, **changes: Any) -> None:
        """Someone else saves the task (its version moves on) just after the next read of it."""
        self._edits_after_read[task_id] = changes

    def _next_id(self) -> int:
        return max(self.rows, default=0) + 1

    def _read(self, task_id: int) -> Task | None:
        """The task as stored now; the edit someone else saves just after this read, if one is due."""
        found = self.rows.get(task_id)
        changes = self._edits_after_read.pop(task_id, None)
        if found is not None and changes is not None:
            edited = replace(found, **changes, version=found.version + 1)
            for tasks in self._workspace.here_and_committed(lambda w: w.tasks):
                tasks.rows[task_id] = edited
                tasks._edits_after_read.pop(task_id, None)
        return found

    def task(self, task_id: int) -> Task | None:
        return self._read(task_id)

    def add_task(self, task: Task, created_by: int | None) -> int:
        task_id = self._next_id()
        self.rows[task_id] = replace(task, id=task_id)
        self.created_by[task_id] = created_by
        return task_id

    def save_task(self, task: Task, expected_version: int) -> bool:
        assert task.id is not None
        stored = self.rows.get(task.id)
        if stored is None or stored.version != expected_version:
            return False
        self.rows[task.id] = task
        return True

    def bulk_update(self, task_ids: Sequence[int], values: dict[str, Any], at: datetime) -> int:
        changes: dict[str, Any] = {k: TaskStatus(v) if k == "status" else v for k, v in values.items()}
        count = 0
        for task_id in task_ids:
            stored = self.rows.get(task_id)
            if stored is not None:
                self.rows[task_id] = replace(stored, **changes, version=stored.version + 1)
                count += 1
        return count

    def open_task_ids(self, customer_id: int, assignee_id: int) -> list[int]:
        return sorted(
            task_id
            for task_id, task in self.rows.items()
            if task.customer_id == customer_id and task.is_open and task.assignee_id == assignee_id
        )

    def open_promises(self) -> list[Task]:
        wanted = [
            task_id
            for task_id, task in sorted(self.rows.items())
            if task.is_open and task.type is TaskType.EXPECTED_PAYMENT and task.promise is not None
        ]
        return [task for task in map(self._read, wanted) if task is not None]

    def paid_between(self, customer_id: int, invoice_ids: Sequence[int], start: date, end: date) -> int:
        def counts(p: Payment) -> bool:
            if invoice_ids:
                return p.invoice_id in invoice_ids
            return p.customer_id == customer_id

        return sum(p.amount_minor for p in self._workspace.ledger.payments if start <= p.on <= end and counts(p))

    def settled_tasks(self) -> list[int]:
        return [task_id for task_id, task in sorted(self.rows.items()) if task.is_open and self._settled(task)]

    def close_settled_tasks(self, at: datetime, task_ids: Sequence[int]) -> list[tuple[int, int]]:
        found = [
            (task_id, self.rows[task_id].customer_id)
            for task_id in sorted(task_ids)
            if task_id in self.rows and self.rows[task_id].is_open and self._settled(self.rows[task_id])
        ]
        self.bulk_update(
            [task_id for task_id, _ in found],
            {"status": "done", "outcome": "invoices_paid", "completed_at": at, "completed_by": None},
            at,
        )
        return found

    def _settled(self, task: Any) -> bool:
        invoices = self._workspace.ledger.invoice_refs
        return (
            task.type is not TaskType.EXPECTED_PAYMENT
            and bool(task.invoice_ids)
            and not any(invoices[i].status == "open" for i in task.invoice_ids)
        )

    def close_finished_issues(self, at: datetime) -> list[tuple[int, int]]:
        found = []
        for issue in sorted(self._workspace.customer_records.issue_rows.values(), key=lambda i: i.id):
            its_tasks = [task for task in self.rows.values() if task.issue_id == issue.id]
            if issue.status == "open" and its_tasks and not any(task.is_open for task in its_tasks):
                issue.status, issue.closed_at = "closed", at
                found.append((issue.id, issue.customer_id))
        return found

    def stale_tasks(self, before: date) -> list[tuple[int, int, int | None, date, str]]:
        alerted = set(self._workspace.alerts.open_keys())
        customers = self._workspace.ledger.customer_refs
        return [
            (task.id, task.customer_id, task.assignee_id, task.due_date, customers[task.customer_id].name)
            for task in sorted(self.rows.values(), key=lambda task: (task.due_date, task.id or 0))
            if task.id is not None
            and task.is_open
            and task.due_date < before
            and f"stale_task:{task.id}" not in alerted
        ]


class FakeTaskList:
    """The task list read model, over the fake tasks, customers, users and balances."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace

    def _row(self, task: Task) -> TaskRow:
        w = self._workspace
        assert task.id is not None
        customer = w.ledger.customer_refs[task.customer_id]
        count, _, overdue = w.balances.rows.get(task.customer_id, (0, 0, 0))
        tagged = sorted(w.ledger.invoice_refs[i].external_id for i in task.invoice_ids)
        promise = task.promise
        return TaskRow(
            id=task.id,
            customer_id=task.customer_id,
            customer_external_id=customer.external_id,
            customer_name=customer.name,
            type=task.type.value,
            status=task.status.value,
            assignee=w.accounts.name_of(task.assignee_id),
            assignee_id=task.assignee_id,
            due_date=task.due_date,
            description=task.description,
            invoice_external_ids=tagged,
            outstanding_invoice_count=count,
            overdue_minor=overdue,
            currency=customer.currency,
            phones=w.customer_records.phones(task.customer_id),
            source=task.source.value,
            outcome=task.outcome,
            note=task.note,
            completed_at=task.completed_at,
            completed_by=w.accounts.name_of(task.completed_by),
            follow_up_date=task.follow_up_date,
            issue_id=task.issue_id,
            contact_id=task.contact_id,
            expected_amount_minor=promise.amount_minor if promise else None,
            expected_date=promise.due if promise else None,
            version=task.version,
        )

    def _matching(self, flt: TaskFilter, today: date | None) -> list[TaskRow]:
        if flt.min_overdue is not None:
            raise NotImplementedError("the fake task list filters by min_overdue_minor only")
        day_start = datetime.combine(today or date.min, time(), UTC)
        details = self._workspace.ledger.customer_details

        def wanted(task: Task, row: TaskRow) -> bool:
            done_today = (
                task.status is TaskStatus.DONE and task.completed_at is not None and task.completed_at >= day_start
            )
            needle = (flt.q or "").strip().casefold()
            return (
                (flt.ids is None or row.id in flt.ids)
                and (flt.assignee_ids is None or row.assignee_id in flt.assignee_ids)
                and (flt.status == "all" or row.status == flt.status)
                and (flt.done_today is not True or done_today)
                and (flt.done_today is not False or task.completed_at is None or task.completed_at < day_start)
                and (not flt.types or row.type in flt.types)
                and (flt.due_from is None or row.due_date >= flt.due_from)
                and (flt.due_to is None or row.due_date <= flt.due_to)
                and (flt.customer_external_id is None or row.customer_external_id == flt.customer_external_id)
                and (flt.min_overdue_minor is None or row.overdue_minor >= flt.min_overdue_minor)
                and (not flt.tag or flt.tag in details[task.customer_id].tags)
                and (
                    not needle
                    or any(
                        needle in text.casefold()
                        for text in (row.customer_name, row.customer_external_id, row.description)
                    )
                    or any(needle in e.casefold() for e in row.invoice_external_ids)
                )
            )

        rows = [(task, self._row(task)) for task in self._workspace.tasks.rows.values()]
        return [row for task, row in rows if wanted(task, row)]

    @staticmethod
    def _sorted(rows: list[TaskRow], sort: str) -> list[TaskRow]:
        keys: dict[str, Callable[[TaskRow], Any]] = {
            "due_date": lambda r: (r.due_date, r.id),
            "overdue_amount": lambda r: (r.overdue_minor, r.customer_id, r.due_date, r.id),
            "-overdue_amount": lambda r: (-r.overdue_minor, r.customer_id, r.due_date, r.id),
            "priority": lambda r: (-r.priority, r.customer_id, r.due_date, r.id),
            "-priority": lambda r: (r.priority, r.customer_id, r.due_date, r.id),
            "customer": lambda r: (r.customer_name, r.due_date, r.id),
            "assignee": lambda r: (r.assignee or "", r.due_date, r.id),
        }
        if sort == "-due_date":
            return sorted(rows, key=keys["due_date"], reverse=True)
        if sort in ("-customer", "-assignee"):
            name = sorted(rows, key=lambda r: (r.due_date, r.id))
            return sorted(
                name, key=lambda r: r.customer_name if sort == "-customer" else r.assignee or "", reverse=True
            )
        return sorted(rows, key=keys[sort])

    def list_tasks(
        self, flt: TaskFilter, today: date, sort: str, limit: int, offset: int, *, count: bool = False
    ) -> Page:
        rows = self._sorted(self._matching(flt, today), sort)
        more = len(rows) > offset + limit
        return Page(rows[offset : offset + limit], offset + limit if more else None, len(rows) if count else None)

    def task_rows(self, task_ids: Sequence[int]) -> list[TaskRow]:
        stored = self._workspace.tasks.rows
        return [self._row(stored[i]) for i in task_ids if i in stored]

    def matching_task_ids(self, flt: TaskFilter, today: date, limit: int) -> list[tuple[int, int | None, str]]:
        rows = self._sorted(self._matching(flt, today), "due_date")[:limit]
        return [(row.id, row.assignee_id, row.status) for row in rows]

    def count_tasks(self, flt: TaskFilter, today: date, cap: int) -> int:
        return min(len(self._matching(flt, today)), cap)


# -- alerts and the audit log ------------------------------------------------------------------------


@dataclass
class StoredAlert:
    id: int
    kind: str
    key: str
    message: str
    customer_id: int | None
    task_id: int | None
    user_id: int | None
    created_at: datetime
    status: str = "open"
    closed_at: datetime | None = None


class FakeAlerts:
    """At most one open alert per key: raising it again while it is open changes nothing."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.rows: dict[int, StoredAlert] = {}

    def open_keys(self) -> list[str]:
        return [a.key for a in self.rows.values() if a.status == "open"]

    def of_kind(self, kind: str) -> list[StoredAlert]:
        return [a for a in self.rows.values() if a.kind == kind]

    def raise_alert(
        self,
        kind: str,
        key: str,
        message: str,
        *,
        customer_id: int | None,
        task_id: int | None,
        user_id: int | None,
        at: datetime,
    ) -> bool:
        return self.raise_alerts([NewAlert(kind, key, message, customer_id, task_id, user_id)], at) == 1

    def raise_alerts(self, alerts: Sequence[NewAlert], at: datetime) -> int:
        raised = 0
        for alert in alerts:
            if alert.key in self.open_keys():
                continue
            new_id = max(self.rows, default=0) + 1
            self.rows[new_id] = StoredAlert(
                new_id, alert.kind, alert.key, alert.message, alert.customer_id, alert.task_id, alert.user_id, at
            )
            raised += 1
        return raised

    def close_alerts(self, keys: Sequence[str], at: datetime) -> int:
        closing = [a for a in self.rows.values() if a.key in set(keys) and a.status == "open"]
        for alert in closing:
            alert.status, alert.closed_at = "closed", at
        return len(closing)

    def close_alert(self, alert_id: int, at: datetime) -> bool:
        alert = self.rows.get(alert_id)
        if alert is None or alert.status != "open":
            return False
        alert.status, alert.closed_at = "closed", at
        return True

    def close_open(self, alert_ids: Sequence[int] | None, kind: str | None, at: datetime) -> list[int]:
        closed = []
        for alert in sorted(self.rows.values(), key=lambda a: a.id):
            if alert.status == "open" and kind in (None, alert.kind) and (alert_ids is None or alert.id in alert_ids):
                alert.status, alert.closed_at = "closed", at
                closed.append(alert.id)
        return closed

    def open_counts(self, user_id: int | None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for alert in self.rows.values():
            if alert.status == "open" and user_id in (None, alert.user_id):
                counts[alert.kind] = counts.get(alert.kind, 0) + 1
        return counts

    def alerts(
        self, status: str | None, user_id: int | None, limit: int, offset: int, *, kind: str | None = None
    ) -> Page:
        w = self._workspace
        found = sorted(
            (
                a
                for a in self.rows.values()
                if (status is None or a.status == status)
                and (user_id is None or a.user_id == user_id)
                and (kind is None or a.kind == kind)
            ),
            key=lambda a: (a.created_at, a.id),
            reverse=True,
        )
        rows = []
        for a in found[offset : offset + limit]:
            customer = w.ledger.customer_refs.get(a.customer_id) if a.customer_id is not None else None
            rows.append(
                AlertRow(
                    a.id,
                    a.kind,
                    a.status,
                    a.message,
                    customer.external_id if customer else None,
                    a.task_id,
                    w.accounts.name_of(a.user_id),
                    a.created_at,
                    a.closed_at,
                    customer.name if customer else None,
                )
            )
        return Page(rows, offset + limit if len(found) > offset + limit else None)


def timeline_row(entry: AuditEntry) -> TimelineRow:
    """An audit entry as the timeline reads it back (its changes stored as JSON, dates as text)."""
    changes = json.loads(json.dumps(entry.changes, default=str)) if entry.changes else {}
    return TimelineRow(
        entry.at,
        entry.actor.name,
        entry.actor.kind.value,
        entry.entity,
        entry.entity_id,
        entry.action,
        entry.summary,
        changes,
    )


class FakeAudit:
    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.entries: list[AuditEntry] = []

    def actions(self) -> list[tuple[str, str | None, str]]:
        """(entity, entity id, action) of each entry, in the order written."""
        return [(e.entity, e.entity_id, e.action) for e in self.entries]

    def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def timeline(self, customer_id: int, limit: int, offset: int, where: TimelineFilter | None = None) -> Page:
        """Narrowed by kind, and by step as the email (its `step`) or the task ("by step <name>" in
        its summary) say; by invoice as the invoice entries and the tasks and emails listing it do."""
        wanted = where or TimelineFilter()
        w = self._workspace

        def about(e: AuditEntry) -> bool:
            if wanted.kind is not None and e.entity != wanted.kind:
                return False
            if wanted.step is not None:
                emails = {str(m.row.id) for m in w.customer_records.stored_emails if m.step == wanted.step}
                by_step = (e.entity == "email" and e.entity_id in emails) or (
                    e.entity == "task" and f"by step {wanted.step}" in e.summary
                )
                if not by_step:
                    return False
            if wanted.invoice_id is not None:
                invoice = w.ledger.invoice_refs[wanted.invoice_id]
                tasks = {str(k.id) for k in w.tasks.rows.values() if wanted.invoice_id in k.invoice_ids}
                emails = {str(m.row.id) for m in w.customer_records.stored_emails if invoice.external_id in m.invoices}
                return (
                    (e.entity == "invoice" and e.entity_id == invoice.external_id)
                    or (e.entity == "task" and e.entity_id in tasks)
                    or (e.entity == "email" and e.entity_id in emails)
                )
            return True

        mine = [(e.at, n, e) for n, e in enumerate(self.entries) if e.customer_id == customer_id and about(e)]
        newest_first = [e for _, _, e in sorted(mine, key=lambda x: (x[0], x[1]), reverse=True)]
        items = [timeline_row(e) for e in newest_first[offset : offset + limit]]
        return Page(items, offset + limit if len(newest_first) > offset + limit else None)

    def timeline_kinds(self, customer_id: int) -> list[str]:
        return sorted({e.entity for e in self.entries if e.customer_id == customer_id})


# -- balances, plans, disputes ------------------------------------------------------------------------


class FakeBalances:
    """Each customer's (open invoices, outstanding, overdue) as of the day last refreshed."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.rows: dict[int, tuple[int, int, int]] = {}
        self.as_of: date | None = None
        self.refreshes: list[tuple[date, tuple[int, ...] | None]] = []
        self.days_late: dict[int, int] = {}

    def customer_balance(self, customer_id: int) -> tuple[int, int, int] | None:
        return self.rows.get(customer_id)

    def balances_as_of(self) -> date | None:
        return self.as_of

    def refresh_balances(self, as_of: date, customer_ids: Sequence[int] | None = None) -> int:
        ledger = self._workspace.ledger
        self.refreshes.append((as_of, None if customer_ids is None else tuple(customer_ids)))
        wanted = sorted(ledger.customer_refs if customer_ids is None else set(customer_ids) & set(ledger.customer_refs))
        for customer_id in wanted:
            self.rows[customer_id] = self._balance(customer_id, as_of)
        if customer_ids is None:
            self.as_of = as_of
        return len(wanted)

    def set_days_late(self, days_late: Mapping[int, int], as_of: date) -> None:
        self.days_late.update(days_late)

    def refresh_changed(self, today: date) -> int:
        """What the unit of work does as it commits: refresh the customers its writes moved."""
        changed = self._workspace.changed
        if not changed:
            return 0
        count = self.refresh_balances(self.as_of or today, sorted(changed))
        changed.clear()
        return count

    def _balance(self, customer_id: int, as_of: date) -> tuple[int, int, int]:
        """The rules of domain/receivables.py, kept to what the fakes hold: open invoices overdue before
        `as_of` unless disputed, excluded or on a plan, plus the overdue instalments of active plans;
        nothing overdue for a customer on hold."""
        w = self._workspace
        owing = [i for i in w.ledger.invoice_refs.values() if i.customer_id == customer_id and i.status == "open"]
        owing = [i for i in owing if i.outstanding_minor > 0]
        overdue = sum(
            i.outstanding_minor
            for i in owing
            if i.due_date < as_of
            and not i.disputed
            and i.plan_id is None
            and not w.ledger.flag("invoice", i.external_id, "excluded")
        )
        for plan in w.plans.rows.values():
            if plan.customer_id == customer_id and plan.status == "active":
                overdue += overdue_on_plan(plan.instalments, w.plans.paid_on(plan), as_of)
        if w.ledger.customer_refs[customer_id].on_hold:
            overdue = 0
        return len(owing), sum(i.outstanding_minor for i in owing), overdue


@dataclass
class StoredPlan:
    id: int
    customer_id: int
    currency: str
    invoice_ids: tuple[int, ...]
    instalments: tuple[Instalment, ...]
    start_date: date
    total_minor: int
    created_by: int | None
    status: str = "active"


class FakePlans:
    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.rows: dict[int, StoredPlan] = {}

    def paid_on(self, plan: StoredPlan) -> int:
        """Payments on the plan's invoices dated from its start."""
        return sum(
            p.amount_minor
            for p in self._workspace.ledger.payments
            if p.invoice_id in plan.invoice_ids and p.on >= plan.start_date
        )

    def add_plan(
        self,
        customer_id: int,
        currency: str,
        invoices: Sequence[int],
        instalments: Sequence[Instalment],
        start: date,
        total_minor: int,
        by: int | None,
    ) -> int:
        plan_id = max(self.rows, default=0) + 1
        self.rows[plan_id] = StoredPlan(
            plan_id, customer_id, currency, tuple(invoices), tuple(instalments), start, total_minor, by
        )
        ledger = self._workspace.ledger
        for invoice_id in invoices:
            ledger.invoice_refs[invoice_id] = replace(ledger.invoice_refs[invoice_id], plan_id=plan_id)
        self._workspace.changed.add(customer_id)
        return plan_id

    def plan(self, plan_id: int) -> PlanRow | None:
        stored = self.rows.get(plan_id)
        return None if stored is None else self._row(stored)

    def _row(self, plan: StoredPlan) -> PlanRow:
        ledger = self._workspace.ledger
        return PlanRow(
            plan.id,
            ledger.customer_refs[plan.customer_id].external_id,
            plan.currency,
            plan.status,
            plan.start_date,
            plan.total_minor,
            self.paid_on(plan),
            sorted(ledger.invoice_refs[i].external_id for i in plan.invoice_ids),
            sorted(plan.instalments, key=lambda i: i.due_date),
        )

    def plans(self, status: str | None, customer_id: int | None = None) -> list[PlanRow]:
        return [
            self._row(p)
            for _, p in sorted(self.rows.items())
            if status in (None, p.status) and customer_id in (None, p.customer_id)
        ]

    def set_plan_status(self, plan_id: int, status: str) -> None:
        self.rows[plan_id].status = status
        self._workspace.changed.add(self.rows[plan_id].customer_id)
        if status != "active":
            ledger = self._workspace.ledger
            for invoice in list(ledger.invoice_refs.values()):
                if invoice.plan_id == plan_id:
                    ledger.invoice_refs[invoice.id] = replace(invoice, plan_id=None)


@dataclass
class StoredDispute:
    id: int
    invoice_id: int
    customer_id: int
    reason: str
    amount_minor: int
    currency: str
    owner_id: int | None
    note: str | None
    opened_by: int | None
    created_at: datetime
    status: str = "open"
    resolution: str | None = None
    closed_at: datetime | None = None
    source: str = "workspace"


class FakeDisputes:
    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.rows: dict[int, StoredDispute] = {}

    def add_dispute(
        self,
        invoice: InvoiceRef,
        reason: str,
        amount_minor: int,
        owner_id: int | None,
        note: str | None,
        by: int | None,
        at: datetime,
        source: str = "workspace",
    ) -> int:
        dispute_id = max(self.rows, default=0) + 1
        self.rows[dispute_id] = StoredDispute(
            dispute_id,
            invoice.id,
            invoice.customer_id,
            reason,
            amount_minor,
            invoice.currency,
            owner_id,
            note,
            by,
            at,
            source=source,
        )
        self._set_disputed(invoice.id)
        self._workspace.changed.add(invoice.customer_id)
        return dispute_id

    def _set_disputed(self, invoice_id: int) -> None:
        ledger = self._workspace.ledger
        still_open = any(d.invoice_id == invoice_id and d.status == "open" for d in self.rows.values())
        ledger.invoice_refs[invoice_id] = replace(ledger.invoice_refs[invoice_id], disputed=still_open)

    def _row(self, d: StoredDispute) -> DisputeRow:
        ledger = self._workspace.ledger
        return DisputeRow(
            d.id,
            ledger.invoice_refs[d.invoice_id].external_id,
            ledger.customer_refs[d.customer_id].external_id,
            d.reason,
            d.amount_minor,
            d.currency,
            self._workspace.accounts.name_of(d.owner_id),
            d.status,
            d.resolution,
            d.note,
            d.created_at,
            d.closed_at,
            ledger.customer_refs[d.customer_id].name,
            ledger.invoice_details[d.invoice_id].number,
            d.source,
        )

    def dispute(self, dispute_id: int) -> DisputeRow | None:
        stored = self.rows.get(dispute_id)
        return None if stored is None else self._row(stored)

    def close_dispute(self, dispute_id: int, status: str, resolution: str | None, at: datetime) -> None:
        stored = self.rows[dispute_id]
        stored.status, stored.resolution, stored.closed_at = status, resolution, at
        self._set_disputed(stored.invoice_id)
        self._workspace.changed.add(stored.customer_id)

    def set_owner(self, dispute_id: int, owner_id: int, at: datetime) -> None:
        self.rows[dispute_id].owner_id = owner_id

    def disputes(self, flt: DisputeFilter, limit: int, offset: int) -> Page:
        found = [
            self._row(d)
            for _, d in sorted(self.rows.items(), reverse=True)
            if flt.status in (None, d.status)
            and flt.reason in (None, d.reason)
            and flt.owner_id in (None, d.owner_id)
            and flt.customer_id in (None, d.customer_id)
        ]
        return Page(found[offset : offset + limit], offset + limit if len(found) > offset + limit else None)


# -- accounts and users ------------------------------------------------------------------------


@dataclass
class StoredUser:
    user: User
    active: bool = True
    password_hash: str | None = None


@dataclass
class StoredToken:
    id: int
    user_id: int
    token_hash: str
    name: str | None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    created_at: datetime | None = None


class FakeAccounts:
    """Users (a deactivated one is found by id only), settings, saved views, API tokens."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.people: dict[int, StoredUser] = {}
        self.settings: dict[str, str] = {}
        self.saved_views: dict[int, tuple[int, SavedView]] = {}
        self.tokens: dict[int, StoredToken] = {}

    def add_user(self, user: User, *, active: bool = True, password_hash: str | None = None) -> User:
        self.people[user.id] = StoredUser(user, active, password_hash)
        return user

    def name_of(self, user_id: int | None) -> str | None:
        stored = self.people.get(user_id) if user_id is not None else None
        return None if stored is None else stored.user.name

    def user(self, name: str) -> User | None:
        return next((p.user for p in self.people.values() if p.user.name == name and p.active), None)

    def user_by_id(self, user_id: int) -> User | None:
        stored = self.people.get(user_id)
        return None if stored is None else stored.user

    def managers(self) -> list[User]:
        return [p.user for p in self.people.values() if p.active and p.user.role in (Role.OWNER, Role.MANAGER)]

    def setting(self, key: str) -> str | None:
        return self.settings.get(key)

    def set_setting(self, key: str, value: str) -> None:
        self.settings[key] = value

    def add_setting(self, key: str, value: str) -> str:
        return self.settings.setdefault(key, value)

    def views(self, user_id: int) -> list[SavedView]:
        return sorted((v for owner, v in self.saved_views.values() if owner == user_id), key=lambda v: v.name)

    def save_view(self, user_id: int, name: str, filters: dict[str, Any], is_default: bool) -> SavedView:
        if is_default:
            for view_id, (owner, view) in list(self.saved_views.items()):
                if owner == user_id:
                    self.saved_views[view_id] = (owner, replace(view, is_default=False))
        stored = json.loads(json.dumps(filters, default=str))
        same_name = [i for i, (owner, v) in self.saved_views.items() if owner == user_id and v.name == name]
        view_id = same_name[0] if same_name else max(self.saved_views, default=0) + 1
        self.saved_views[view_id] = (user_id, SavedView(view_id, name, stored, is_default))
        return self.saved_views[view_id][1]

    def delete_view(self, user_id: int, view_id: int) -> bool:
        found = self.saved_views.get(view_id)
        if found is None or found[0] != user_id:
            return False
        del self.saved_views[view_id]
        return True

    def add_token(self, user_id: int, token_hash: str, name: str | None) -> int:
        token_id = max(self.tokens, default=0) + 1
        self.tokens[token_id] = StoredToken(token_id, user_id, token_hash, name, created_at=self._workspace.clock.now())
        return token_id

    def user_by_token(self, token_hash: str, at: datetime) -> User | None:
        for token in self.tokens.values():
            owner = self.people.get(token.user_id)
            if token.token_hash == token_hash and token.revoked_at is None and owner is not None and owner.active:
                token.last_used_at = at
                return owner.user
        return None

    def revoke_tokens(self, user_id: int, at: datetime) -> int:
        revoking = [t for t in self.tokens.values() if t.user_id == user_id and t.revoked_at is None]
        for token in revoking:
            token.revoked_at = at
        return len(revoking)

    def _token_row(self, token: StoredToken) -> TokenRow:
        owner = self.people[token.user_id]
        assert token.created_at is not None
        return TokenRow(
            token.id, owner.user.name, owner.active, token.name, token.created_at, token.last_used_at, token.revoked_at
        )

    def list_tokens(self) -> list[TokenRow]:
        rows = [self._token_row(token) for token in self.tokens.values()]
        return sorted(rows, key=lambda r: (r.revoked_at is not None, -r.created_at.timestamp(), -r.id))

    def token(self, token_id: int) -> TokenRow | None:
        found = self.tokens.get(token_id)
        return None if found is None else self._token_row(found)

    def revoke_token(self, token_id: int, at: datetime) -> bool:
        found = self.tokens.get(token_id)
        if found is None or found.revoked_at is not None:
            return False
        found.revoked_at = at
        return True


@dataclass
class StoredSession:
    id: int
    user_id: int
    created_at: datetime
    expires_at: datetime
    address: str | None = None
    user_agent: str | None = None
    last_seen_at: datetime | None = None
    ended_at: datetime | None = None

    def open(self, at: datetime) -> bool:
        return self.ended_at is None and self.expires_at > at


class FakeUsers:
    """The users of `uow.users`, kept with the accounts' (one table of users), and web sessions by
    the hash of their token."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.sessions: dict[str, StoredSession] = {}

    def add(self, name: str, role: Role, email: str | None, password_hash: str | None) -> User:
        if self.by_name(name) is not None:
            raise Conflict(f"a user named {name!r} already exists")
        people = self._workspace.accounts.people
        user = User(max(people, default=0) + 1, name, role, email)
        people[user.id] = StoredUser(user, True, password_hash)
        return user

    def by_name(self, name: str) -> User | None:
        return next((p.user for p in self._workspace.accounts.people.values() if p.user.name == name), None)

    def password_hash(self, name: str) -> str | None:
        people = self._workspace.accounts.people.values()
        return next((p.password_hash for p in people if p.user.name == name and p.active), None)

    def all(self) -> list[User]:
        return [user for user, active in self.accounts() if active]

    def accounts(self) -> list[tuple[User, bool]]:
        people = sorted(self._workspace.accounts.people.values(), key=lambda p: p.user.name)
        return [(p.user, p.active) for p in people]

    def is_active(self, user_id: int) -> bool:
        stored = self._workspace.accounts.people.get(user_id)
        return stored is not None and stored.active

    def active_owners(self) -> int:
        return sum(1 for p in self._workspace.accounts.people.values() if p.active and p.user.role is Role.OWNER)

    def set_role(self, user_id: int, role: Role) -> None:
        stored = self._workspace.accounts.people[user_id]
        stored.user = replace(stored.user, role=role)

    def set_active(self, user_id: int, active: bool) -> None:
        self._workspace.accounts.people[user_id].active = active

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._workspace.accounts.people[user_id].password_hash = password_hash

    def start_session(
        self,
        user_id: int,
        token_hash: str,
        at: datetime,
        expires_at: datetime,
        *,
        address: str | None,
        user_agent: str | None,
    ) -> None:
        new_id = len(self.sessions) + 1
        self.sessions[token_hash] = StoredSession(new_id, user_id, at, expires_at, address, user_agent, at)

    def session_seen(self, token_hash: str, at: datetime) -> None:
        found = self.sessions.get(token_hash)
        if found is not None and found.ended_at is None:
            found.last_seen_at = at

    def sessions_of(self, user_id: int, at: datetime, current_hash: str, limit: int) -> OpenSessions:
        mine = [(h, s) for h, s in self.sessions.items() if s.user_id == user_id and s.open(at)]
        picked = sorted(mine, key=lambda pair: (pair[0] == current_hash, pair[1].created_at, pair[1].id), reverse=True)
        shown = [
            WebSession(s.id, s.created_at, s.last_seen_at, s.address, s.user_agent, h == current_hash)
            for h, s in picked[:limit]
        ]
        shown.sort(key=lambda session: (session.signed_in_at, session.id), reverse=True)
        return OpenSessions(tuple(shown), len(mine))

    def session_user(self, token_hash: str, at: datetime) -> User | None:
        found = self.sessions.get(token_hash)
        if found is None or found.ended_at is not None or found.expires_at <= at or not self.is_active(found.user_id):
            return None
        return self._workspace.accounts.people[found.user_id].user

    def end_session(self, token_hash: str, at: datetime) -> bool:
        found = self.sessions.get(token_hash)
        if found is None or found.ended_at is not None:
            return False
        found.ended_at = at
        return True

    def end_session_of(self, user_id: int, session_id: int, at: datetime, keep_hash: str) -> bool:
        for token_hash, session in self.sessions.items():
            if session.id == session_id and session.user_id == user_id and token_hash != keep_hash and session.open(at):
                session.ended_at = at
                return True
        return False

    def end_sessions(self, user_id: int, at: datetime, keep_hash: str | None = None) -> int:
        mine = [s for h, s in self.sessions.items() if s.user_id == user_id and s.open(at) and h != keep_hash]
        for session in mine:
            session.ended_at = at
        return len(mine)

    def open_sessions(self, at: datetime) -> dict[int, int]:
        counts: dict[int, int] = {}
        for session in self.sessions.values():
            if session.ended_at is None and session.expires_at > at:
                counts[session.user_id] = counts.get(session.user_id, 0) + 1
        return counts


@dataclass(frozen=True)
class Failure:
    kind: str
    account: str | None
    address: str
    at: datetime


class FakeFailedAttempts:
    """The throttles' failures, as `uow.failed_attempts` keeps them (services/throttles.py)."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self.failures: list[Failure] = []

    def record_failure(
        self, kind: str, account: str | None, address: str, at: datetime, forget_before: datetime
    ) -> None:
        self.failures = [f for f in self.failures if f.at >= forget_before]
        self.failures.append(Failure(kind, account, address, at))

    def recent_failures(self, kind: str, account: str | None, address: str, since: datetime) -> RecentFailures:
        recent = [f for f in self.failures if f.kind == kind and f.at > since]
        mine = [f for f in recent if account is not None and f.account == account]
        return RecentFailures(
            sum(1 for f in mine if f.address == address), len(mine), sum(1 for f in recent if f.address == address)
        )

    def forget_failures(self, kind: str, account: str, address: str) -> None:
        self.failures = [f for f in self.failures if (f.kind, f.account, f.address) != (kind, account, address)]


# -- the customer record and the dashboard --------------------------------------------------------


@dataclass
class StoredContact:
    id: int
    customer_id: int
    name: str
    email: str | None
    phone: str | None
    role: str | None
    receives_reminders: bool = False


@dataclass(frozen=True)
class StoredEmail:
    row: EmailRow
    customer_id: int
    step: str | None
    invoices: tuple[str, ...]  # external ids


@dataclass
class StoredIssue:
    id: int
    customer_id: int
    title: str
    created_by: int | None
    created_at: datetime
    status: str = "open"
    closed_at: datetime | None = None


class FakeCustomerList:
    """The customer list over the fake ledger: the filters a use case passed are kept (`asked`); the
    rows are every customer the collector and flag filters keep, by name (the search itself is SQL,
    tested on both databases)."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.asked: list[tuple[CustomerFilter, str, int, int]] = []

    def customers(self, flt: CustomerFilter, sort: str, limit: int, offset: int) -> Page:
        w = self._workspace
        w.here_and_committed(lambda area: area.customer_list)[-1].asked.append(
            (flt, sort, limit, offset)
        )  # a read commits nothing
        rows = []
        for ref in sorted(w.ledger.customer_refs.values(), key=lambda c: (c.name, c.id)):
            if flt.collector_id is not None and ref.collector_id != flt.collector_id:
                continue
            if (flt.unassigned and ref.collector_id is not None) or (flt.on_hold and not ref.on_hold):
                continue
            details = w.ledger.customer_details[ref.id]
            count, outstanding, overdue = w.balances.rows.get(ref.id, (0, 0, 0))
            rows.append(
                CustomerListRow(
                    ref.id,
                    ref.external_id,
                    ref.name,
                    ref.currency,
                    w.accounts.name_of(ref.collector_id),
                    count,
                    outstanding,
                    overdue,
                    ref.on_hold,
                    details.tags,
                    0,
                    details.phone,
                    details.email,
                )
            )
        return Page(rows[offset : offset + limit], offset + limit if len(rows) > offset + limit else None)


class FakeCustomerRecords:
    """Contacts (one per customer and case-folded name), issues, and what the customer page reads."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.contacts: dict[int, StoredContact] = {}
        self.issue_rows: dict[int, StoredIssue] = {}
        self.stored_emails: list[StoredEmail] = []
        self.cash: dict[int, list[CashLine]] = {}

    def phones(self, customer_id: int) -> list[str]:
        """The customer's own number first, then its contacts' in the order they were added, once each."""
        own = self._workspace.ledger.customer_details[customer_id].phone
        numbers = [own] + [c.phone for _, c in sorted(self.contacts.items()) if c.customer_id == customer_id]
        return list(dict.fromkeys(n for n in numbers if n is not None))

    def contact_rows(self) -> list[ContactRow]:
        customers = self._workspace.ledger.customer_refs
        return [
            ContactRow(
                c.id, customers[c.customer_id].external_id, None, c.name, c.email, c.phone, c.role, c.receives_reminders
            )
            for _, c in sorted(self.contacts.items())
        ]

    def contact_of(self, customer_id: int, contact_id: int) -> bool:
        found = self.contacts.get(contact_id)
        return found is not None and found.customer_id == customer_id

    def contact(self, customer_id: int, contact_id: int) -> ContactRow | None:
        return (
            next((row for row in self.contact_rows() if row.id == contact_id), None)
            if self.contact_of(customer_id, contact_id)
            else None
        )

    def add_contact(
        self,
        customer_id: int,
        name: str,
        email: str | None,
        phone: str | None,
        role: str | None,
        receives_reminders: bool = False,
    ) -> int:
        for contact in self.contacts.values():
            if contact.customer_id == customer_id and contact.name.casefold() == name.casefold():
                return contact.id
        contact_id = max(self.contacts, default=0) + 1
        self.contacts[contact_id] = StoredContact(contact_id, customer_id, name, email, phone, role, receives_reminders)
        return contact_id

    def issue_of(self, customer_id: int, issue_id: int) -> bool:
        found = self.issue_rows.get(issue_id)
        return found is not None and found.customer_id == customer_id

    def add_issue(self, customer_id: int, title: str, by: int | None, at: datetime | None = None) -> int:
        issue_id = max(self.issue_rows, default=0) + 1
        self.issue_rows[issue_id] = StoredIssue(issue_id, customer_id, title, by, at or self._workspace.clock.now())
        return issue_id

    def issues(self, customer_id: int | None, status: str | None) -> list[IssueRow]:
        w = self._workspace
        found = [
            s for s in self.issue_rows.values() if customer_id in (None, s.customer_id) and status in (None, s.status)
        ]
        return [
            IssueRow(
                s.id,
                w.ledger.customer_refs[s.customer_id].external_id,
                s.title,
                s.status,
                sum(1 for k in w.tasks.rows.values() if k.issue_id == s.id and k.is_open),
                s.created_at,
                s.closed_at,
            )
            for s in sorted(found, key=lambda s: (s.created_at, s.id), reverse=True)
        ]

    def customer_invoices(self, customer_id: int, limit: int) -> Page:
        ledger = self._workspace.ledger
        mine = [i for i in ledger.invoice_refs.values() if i.customer_id == customer_id]
        open_ = sorted((i for i in mine if i.status == "open"), key=lambda i: (i.due_date, i.id))
        rest = sorted((i for i in mine if i.status != "open"), key=lambda i: (-i.due_date.toordinal(), i.id))
        rows = [self._invoice_row(i) for i in [*open_, *rest][:limit]]
        return Page(rows, limit if len(mine) > limit else None, len(mine))

    def _invoice_row(self, invoice: InvoiceRef) -> InvoiceRow:
        ledger = self._workspace.ledger
        details = ledger.invoice_details[invoice.id]
        return InvoiceRow(
            invoice.external_id,
            ledger.customer_refs[invoice.customer_id].external_id,
            details.number,
            details.issue_date,
            invoice.due_date,
            details.amount_minor,
            invoice.outstanding_minor if invoice.status == "open" else 0,
            invoice.currency,
            invoice.status,
            invoice.disputed,
            invoice.plan_id,
            payment_pending=invoice.payment_pending,
        )

    def customer_aging(self, customer_id: int, as_of: date) -> tuple[int, ...]:
        minors = [0] * len(BUCKETS)
        for i in self._workspace.ledger.invoice_refs.values():
            if i.customer_id == customer_id and i.status == "open":
                minors[BUCKETS.index(bucket_for(days_past_due(i.due_date, as_of)))] += i.outstanding_minor
        return tuple(minors)

    def customer_notes(self, customer_id: int, limit: int) -> tuple[str | None, list[TimelineRow]]:
        standing = self._workspace.ledger.customer_details[customer_id].notes
        notes = [row for row in self._workspace.audit.timeline(customer_id, 10**9, 0).items if row.action == "note"]
        return standing, notes[:limit]

    def add_email(
        self, customer_id: int, row: EmailRow, *, step: str | None = None, invoices: tuple[str, ...] = ()
    ) -> EmailRow:
        self.stored_emails.append(StoredEmail(row, customer_id, step, invoices))
        return row

    def customer_emails(self, customer_id: int, limit: int, offset: int = 0, where: EmailFilter | None = None) -> Page:
        wanted = where or EmailFilter()
        invoice = None if wanted.invoice_id is None else self._workspace.ledger.invoice_refs[wanted.invoice_id]
        found = sorted(
            (
                m.row
                for m in self.stored_emails
                if m.customer_id == customer_id
                and wanted.status in (None, m.row.status)
                and wanted.step in (None, m.step)
                and (invoice is None or invoice.external_id in m.invoices)
            ),
            key=lambda row: row.id,
            reverse=True,
        )
        return Page(found[offset : offset + limit], offset + limit if len(found) > offset + limit else None, len(found))

    def email(self, email_id: int) -> EmailView | None:
        for m in self.stored_emails:
            if m.row.id == email_id:
                ledger = self._workspace.ledger
                customer = ledger.customer_refs[m.customer_id]
                body = f"Dear {customer.name}"
                return EmailView(
                    m.row, m.customer_id, customer.external_id, f"<{email_id}@arrears>", None, m.step, None, body, body,
                    list(m.invoices), [ledger.invoice_details[ledger.invoice(e).id].number for e in m.invoices],
                )  # fmt: skip
        return None

    def customer_cash(self, customer_id: int, limit: int) -> list[CashLine]:
        return sorted(self.cash.get(customer_id, []), key=lambda c: c.date, reverse=True)[:limit]

    def reminders(self, customer_id: int) -> dict[str, Reminded]:
        found: dict[str, Reminded] = {}
        for m in sorted(self.stored_emails, key=lambda m: m.row.id):
            if m.customer_id != customer_id or m.row.status == "failed":
                continue
            for invoice in m.invoices:
                times = found[invoice].times + 1 if invoice in found else 1
                found[invoice] = Reminded(times, m.row.created_at, m.step, m.row.id)
        return found

    def update_contact(
        self, contact_id: int, name: str, email: str | None, phone: str | None, role: str | None, reminders: bool
    ) -> None:
        stored = self.contacts[contact_id]
        self.contacts[contact_id] = replace(
            stored, name=name, email=email, phone=phone, role=role, receives_reminders=reminders
        )

    def remove_contact(self, contact_id: int) -> None:
        del self.contacts[contact_id]

    def invoice_row(self, invoice: InvoiceRef) -> InvoiceRow:
        return self._invoice_row(invoice)

    def statement(self, customer_id: int, as_of: date, since: date, limit: int) -> StatementLines:
        owed = sorted(
            (
                i
                for i in self._workspace.ledger.invoice_refs.values()
                if i.customer_id == customer_id and i.status == "open" and i.outstanding_minor > 0
            ),
            key=lambda i: (i.due_date, i.id),
        )
        minors: dict[str, list[int]] = {}
        for i in owed:
            bucket = BUCKETS.index(bucket_for(days_past_due(i.due_date, as_of)))
            minors.setdefault(i.currency, [0] * len(BUCKETS))[bucket] += i.outstanding_minor
        cash = [c for c in self.customer_cash(customer_id, 10**9) if c.date >= since]
        return StatementLines(
            [self._invoice_row(i) for i in owed[:limit]],
            len(owed),
            [AgingLine(currency, tuple(minors[currency])) for currency in sorted(minors)],
            cash[:limit],
            len(cash) > limit,
        )

    def set_collector(self, customer_id: int, collector_id: int | None) -> None:
        ledger = self._workspace.ledger
        ledger.customer_refs[customer_id] = replace(ledger.customer_refs[customer_id], collector_id=collector_id)


class FakeOutbox:
    """The email outbox: `queued` holds what was queued, by id; a dedupe key queues once."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.queued: dict[int, NewEmail] = {}
        self.status: dict[int, str] = {}
        self.attempts: dict[int, int] = {}

    def queue_email(self, email: NewEmail) -> int | None:
        return self.queue_emails([email])[0]

    def queue_emails(self, emails: Sequence[NewEmail]) -> list[int | None]:
        ids: list[int | None] = []
        for email in emails:
            if any(e.dedupe_key == email.dedupe_key for e in self.queued.values()):
                ids.append(None)
                continue
            email_id = email.id or max(self.queued, default=0) + 1
            self.queued[email_id] = email
            self.status[email_id] = "queued"
            ids.append(email_id)
        return ids

    def _taken(self, email_id: int) -> OutboxEmail:
        e = self.queued[email_id]
        attempts = self.attempts.get(email_id, 0)
        return OutboxEmail(
            email_id, e.customer_id, e.to, e.subject, e.template, e.context, "", "", e.message_id, attempts,
            e.attach_invoice_id,
        )  # fmt: skip

    def due_emails(self, now: datetime, limit: int) -> list[OutboxEmail]:
        due = [i for i in sorted(self.queued) if self.status[i] == "queued" and self.queued[i].queued_at <= now]
        return [self._taken(i) for i in due[:limit]]

    def due_email(self, email_id: int, now: datetime) -> OutboxEmail | None:
        return next((e for e in self.due_emails(now, len(self.queued)) if e.id == email_id), None)

    def mark_sent(self, email_id: int, at: datetime, entry: AuditEntry, body: Rendered | None = None) -> bool:
        if self.status.get(email_id) != "queued":
            return False
        self.status[email_id] = "sent"
        self._workspace.audit.record(entry)
        return True

    def mark_retry(self, email_id: int, attempts: int, next_at: datetime, error: str) -> None:
        self.attempts[email_id] = attempts

    def mark_failed(self, email_id: int, attempts: int, error: str, at: datetime) -> None:
        self.status[email_id], self.attempts[email_id] = "failed", attempts


class FakeDashboard:
    """The dashboard's reads: the company's aging and the collectors' loads as a test sets them (the
    database sums those), the tasks and promises due from the fake tasks."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.totals: list[AgingTotal] = []
        self.loads: list[CollectorLoad] = []

    def aging_totals(self, as_of: date) -> list[AgingTotal]:
        return list(self.totals)

    def collector_loads(self) -> list[CollectorLoad]:
        return list(self.loads)

    def tasks_due(self, day: date, assignee_id: int | None, limit: int) -> Page:
        w = self._workspace
        due = [
            task
            for _, task in sorted(w.tasks.rows.items())
            if task.is_open and task.due_date == day and assignee_id in (None, task.assignee_id)
        ]
        items = []
        for task in due[:limit]:
            assert task.id is not None
            customer = w.ledger.customer_refs[task.customer_id]
            items.append(
                DueTask(
                    task.id,
                    customer.external_id,
                    customer.name,
                    task.type.value,
                    task.description,
                    w.accounts.name_of(task.assignee_id),
                    task.due_date,
                )
            )
        return Page(items, limit if len(due) > limit else None, len(due))

    def promises_due(
        self,
        start: date | None,
        end: date | None,
        paid_up_to: date,
        assignee_id: int | None,
        limit: int,
        customer_id: int | None = None,
    ) -> Page:
        w = self._workspace
        due = sorted(
            (
                task
                for task in w.tasks.rows.values()
                if task.type is TaskType.EXPECTED_PAYMENT
                and task.status in (TaskStatus.OPEN, TaskStatus.DONE)
                and task.promise is not None
                and (start or date.min) <= task.promise.due <= (end or date.max)
                and assignee_id in (None, task.assignee_id)
                and customer_id in (None, task.customer_id)
            ),
            key=lambda task: (task.promise.due if task.promise else date.min, task.id or 0),
        )
        items = []
        for task in due[:limit]:
            promise = task.promise
            assert promise is not None and task.id is not None
            customer = w.ledger.customer_refs[task.customer_id]
            paid = w.tasks.paid_between(task.customer_id, task.invoice_ids, promise.made_on, paid_up_to)
            items.append(
                PromiseDue(
                    task.id,
                    customer.external_id,
                    customer.name,
                    w.accounts.name_of(task.assignee_id),
                    promise.amount_minor,
                    promise.currency,
                    promise.due,
                    promise.made_on,
                    task.status.value,
                    task.outcome,
                    paid,
                )
            )
        return Page(items, limit if len(due) > limit else None, len(due))


# -- the workspace and its unit of work ---------------------------------------------------------------


class _Reads(dict[str, int]):
    """Counts that every transaction's copy of the workspace shares (a deep copy is this same
    object), so a read inside `with uow` is still counted when the copy is thrown away."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _Reads:
        return self


class FakeEmailTemplates:
    """Template parts saved from the templates page, and the version each save or reset changes;
    `reads` counts the reads of the version and of the sources (what a process pays to stay current)."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.parts: dict[tuple[str, str], tuple[str, int | None, datetime]] = {}
        self.saves = 0
        self.reads = _Reads(version=0, sources=0)

    def version(self) -> str | None:
        self.reads["version"] += 1
        return f"v{self.saves}" if self.saves else None

    def sources(self) -> dict[tuple[str, str], str]:
        self.reads["sources"] += 1
        return {key: source for key, (source, _, _) in self.parts.items()}

    def stored(self) -> list[StoredPart]:
        people = self._workspace.accounts.people
        return [
            StoredPart(name, part, source, people[by].user.name if by in people else None, at)
            for (name, part), (source, by, at) in sorted(self.parts.items())
        ]

    def save(self, name: str, parts: Mapping[str, str], by: int | None, at: datetime) -> None:
        self.parts = {key: value for key, value in self.parts.items() if key[0] != name}
        self.parts.update({(name, part): (source, by, at) for part, source in parts.items()})
        self.saves += 1

    def reset(self, name: str) -> int:
        removed = [key for key in self.parts if key[0] == name]
        for key in removed:
            del self.parts[key]
        self.saves += 1
        return len(removed)


# -- the customer portal --------------------------------------------------------------------------


@dataclass
class StoredLink:
    link: PortalLink
    token_hash: str
    issued_by: str
    last_seen_at: datetime | None = None


class FakePortal:
    """The portal's links and the online payments, in memory; a payment's `payment_pending` cache
    is kept on the ledger's invoice references, as the SQL adapter keeps it on the invoices."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.links: dict[int, StoredLink] = {}
        self.payments: dict[int, OnlinePayment] = {}

    def add_link(
        self,
        customer_id: int,
        contact_id: int | None,
        token_hash: str,
        issued_at: datetime,
        expires_at: datetime,
        issued_by: str,
    ) -> int:
        link_id = len(self.links) + 1
        link = PortalLink(link_id, customer_id, contact_id, issued_at, expires_at, None)
        self.links[link_id] = StoredLink(link, token_hash, issued_by)
        return link_id

    def link(self, token_hash: str) -> PortalLink | None:
        return next((s.link for s in self.links.values() if s.token_hash == token_hash), None)

    def mark_seen(self, link_id: int, at: datetime, quiet_for: float) -> bool:
        stored = self.links[link_id]
        quiet = stored.last_seen_at is None or stored.last_seen_at <= at - timedelta(seconds=quiet_for)
        stored.last_seen_at = at
        return quiet

    def revoke_links(self, customer_id: int, at: datetime) -> int:
        revoked = 0
        for stored in self.links.values():
            if stored.link.customer_id == customer_id and stored.link.revoked_at is None:
                stored.link = replace(stored.link, revoked_at=at)
                revoked += 1
        return revoked

    def active_links(self, customer_id: int, at: datetime) -> int:
        return sum(1 for s in self.links.values() if s.link.customer_id == customer_id and s.link.valid_at(at))

    def add_payment(
        self,
        provider: str,
        customer_id: int,
        currency: str,
        amount_minor: int,
        invoice_ids: Sequence[int],
        at: datetime,
        *,
        portal_link_id: int | None = None,
        checkout_session_id: str | None = None,
        payment_intent_id: str | None = None,
        status: str = "started",
    ) -> int:
        for other in self.payments.values():
            same_session = checkout_session_id and other.checkout_session_id == checkout_session_id
            same_intent = payment_intent_id and other.payment_intent_id == payment_intent_id
            if other.provider == provider and (same_session or same_intent):
                raise Conflict("an online payment of that session or payment intent exists")
        payment_id = len(self.payments) + 1
        self.payments[payment_id] = OnlinePayment(
            payment_id,
            provider,
            customer_id,
            currency,
            amount_minor,
            status,
            checkout_session_id,
            payment_intent_id,
            tuple(sorted(set(invoice_ids))),
            at,
            at,
        )
        self._flag_pending(invoice_ids)
        return payment_id

    def set_checkout_session(self, payment_id: int, checkout_session_id: str, at: datetime) -> None:
        self.payments[payment_id] = replace(
            self.payments[payment_id], checkout_session_id=checkout_session_id, updated_at=at
        )

    def payment(self, payment_id: int) -> OnlinePayment | None:
        return self.payments.get(payment_id)

    def payment_for_update(
        self, provider: str, *, checkout_session_id: str | None = None, payment_intent_id: str | None = None
    ) -> OnlinePayment | None:
        for key, value in (("checkout_session_id", checkout_session_id), ("payment_intent_id", payment_intent_id)):
            if value:
                for payment in self.payments.values():
                    if payment.provider == provider and getattr(payment, key) == value:
                        return payment
        return None

    def update_payment(
        self,
        payment_id: int,
        status: str,
        at: datetime,
        *,
        payment_intent_id: str | None = None,
        event_id: str | None = None,
        error: str | None = None,
    ) -> None:
        payment = self.payments[payment_id]
        self.payments[payment_id] = replace(
            payment,
            status=status,
            updated_at=at,
            error=error,
            payment_intent_id=payment_intent_id if payment_intent_id is not None else payment.payment_intent_id,
        )
        self._flag_pending(payment.invoice_ids)

    def _flag_pending(self, invoice_ids: Sequence[int]) -> None:
        ledger = self._workspace.ledger
        for invoice_id in invoice_ids:
            pending = any(p.status == "pending" and invoice_id in p.invoice_ids for p in self.payments.values())
            invoice = ledger.invoice_refs.get(invoice_id)
            if invoice is not None and invoice.payment_pending != pending:
                ledger.invoice_refs[invoice_id] = replace(invoice, payment_pending=pending)
                self._workspace.changed.add(invoice.customer_id)

    def customer_payments(self, customer_id: int, limit: int) -> list[OnlinePayment]:
        mine = [p for p in self.payments.values() if p.customer_id == customer_id]
        return sorted(mine, key=lambda p: p.id, reverse=True)[:limit]


class FakeCalls:
    """Call recordings by id (services/call_ports.Recordings)."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self._workspace = workspace
        self.rows: dict[int, Recording] = {}

    def add(self, new: NewRecording) -> int:
        recording_id = max(self.rows, default=0) + 1
        self.rows[recording_id] = Recording(
            recording_id, new.task_id, new.customer_id, new.filename, new.format, new.size, new.duration_ms,
            new.storage_key, RecordingStatus.PENDING.value, 0, None, None, (), None, new.created_at, None, None,
        )  # fmt: skip
        return recording_id

    def recording(self, recording_id: int) -> Recording | None:
        return self.rows.get(recording_id)

    def of_task(self, task_id: int) -> Recording | None:
        return next((r for r in self.rows.values() if r.task_id == task_id), None)

    def of_tasks(self, task_ids: Sequence[int]) -> dict[int, Recording]:
        return {r.task_id: r for r in self.rows.values() if r.task_id in task_ids}

    def of_customer(self, customer_id: int, limit: int) -> list[Recording]:
        mine = [r for r in self.rows.values() if r.customer_id == customer_id]
        return sorted(mine, key=lambda r: (r.created_at, r.id), reverse=True)[:limit]

    def start(self, recording_id: int, at: datetime) -> bool:
        found = self.rows.get(recording_id)
        if found is None or found.status == RecordingStatus.DONE.value:
            return False
        self.rows[recording_id] = replace(found, status=RecordingStatus.TRANSCRIBING.value, attempts=found.attempts + 1)
        return True

    def finish(self, recording_id: int, transcript: Transcript, at: datetime) -> None:
        self.rows[recording_id] = replace(
            self.rows[recording_id],
            status=RecordingStatus.DONE.value,
            error=None,
            transcript=transcript.text,
            segments=transcript.segments,
            language=transcript.language,
            transcribed_at=at,
        )

    def fail(self, recording_id: int, error: str, at: datetime) -> None:
        self.rows[recording_id] = replace(self.rows[recording_id], status=RecordingStatus.FAILED.value, error=error)

    def waiting(self, before: datetime, limit: int) -> list[int]:
        waiting = ("pending", "failed")
        return [r.id for r in self.rows.values() if r.status in waiting and r.storage_key and r.created_at < before]

    def with_audio_before(self, before: datetime, limit: int) -> list[Recording]:
        return [r for r in self.rows.values() if r.storage_key is not None and r.created_at < before][:limit]

    def audio_deleted(self, recording_id: int, at: datetime) -> None:
        self.rows[recording_id] = replace(self.rows[recording_id], storage_key=None, audio_deleted_at=at)


class FakeWorkspace:
    """Every area's data in one object, so that a transaction copies it whole and the areas keep
    reading each other (a dispute marks its invoice, a stale task looks for its alert)."""

    def __init__(self, clock: FakeClock, database: _Database | None = None) -> None:
        self.clock = clock
        self.database = database
        self.ledger = FakeLedger(self)
        self.tasks = FakeTasks(self)
        self.task_list = FakeTaskList(self)
        self.alerts = FakeAlerts(self)
        self.audit = FakeAudit(self)
        self.balances = FakeBalances(self)
        self.plans = FakePlans(self)
        self.disputes = FakeDisputes(self)
        self.accounts = FakeAccounts(self)
        self.users = FakeUsers(self)
        self.failed_attempts = FakeFailedAttempts(self)
        self.customer_records = FakeCustomerRecords(self)
        self.customer_list = FakeCustomerList(self)
        self.dashboard = FakeDashboard(self)
        self.outbox = FakeOutbox(self)
        self.email_templates = FakeEmailTemplates(self)
        self.portal = FakePortal(self)
        self.calls = FakeCalls(self)
        self.changed: set[int] = set()  # customers whose balances this transaction's writes moved

    def copy(self) -> FakeWorkspace:
        """A transaction's copy: its own data, the same clock and database."""
        return copy.deepcopy(self, memo={id(self.clock): self.clock, id(self.database): self.database})

    def here_and_committed(self, area: Callable[[FakeWorkspace], T]) -> list[T]:
        """`area` of this copy and, when this is a transaction's copy, of the committed workspace: where
        another writer's commit lands (seen by this transaction too, as a read after it would)."""
        committed = self.database.committed if self.database is not None else self
        return [area(self)] if committed is self else [area(self), area(committed)]


class _Database:
    """What every unit of work of one test shares: the committed workspace, and how often it was committed."""

    def __init__(self, clock: FakeClock) -> None:
        self.committed = FakeWorkspace(clock, self)
        self.commits = 0
        self.rollbacks = 0


class FakeUnitOfWork:
    """`with uow: ...; uow.commit()` over the fake areas; leaving the block without a commit keeps nothing.

    The areas a use case of these tests never touches (the automation's, reports, export, the import)
    are left out: reaching for one fails at once with an AttributeError that names it."""

    def __init__(self, clock: FakeClock | None = None, *, _database: _Database | None = None) -> None:
        self.clock = clock or FakeClock()
        self._database = _database or _Database(self.clock)
        self._working: FakeWorkspace | None = None
        self.dispute_reasons: tuple[str, ...] | None = None  # ARREARS_DISPUTE_REASONS: not set

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"the fake unit of work has no {name!r}: no use case tested over fakes reads it")

    def fresh(self) -> FakeUnitOfWork:
        """Another unit of work on the same data (what a `uow_factory` returns)."""
        fresh = FakeUnitOfWork(self.clock, _database=self._database)
        fresh.dispute_reasons = self.dispute_reasons
        return fresh

    @property
    def commits(self) -> int:
        return self._database.commits

    @property
    def rollbacks(self) -> int:
        return self._database.rollbacks

    @property
    def _now(self) -> FakeWorkspace:
        return self._working if self._working is not None else self._database.committed

    # -- transactions ------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        assert self._working is None, "this unit of work is already in a transaction"
        self._working = self._database.committed.copy()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._working = None

    def commit(self) -> None:
        assert self._working is not None, "commit outside a transaction"
        self._working.balances.refresh_changed(self.clock.today())
        self._database.committed = self._working
        self._database.commits += 1
        self._working = self._working.copy()  # what follows the commit is a transaction of its own

    def rollback(self) -> None:
        assert self._working is not None, "rollback outside a transaction"
        self._database.rollbacks += 1
        self._working = self._database.committed.copy()

    # -- the areas -------------------------------------------------------------------------------

    @property
    def ledger(self) -> FakeLedger:
        return self._now.ledger

    @property
    def tasks(self) -> FakeTasks:
        return self._now.tasks

    @property
    def task_list(self) -> FakeTaskList:
        return self._now.task_list

    @property
    def alerts(self) -> FakeAlerts:
        return self._now.alerts

    @property
    def audit(self) -> FakeAudit:
        return self._now.audit

    @property
    def balances(self) -> FakeBalances:
        return self._now.balances

    @property
    def plans(self) -> FakePlans:
        return self._now.plans

    @property
    def disputes(self) -> FakeDisputes:
        return self._now.disputes

    @property
    def portal(self) -> FakePortal:
        return self._now.portal

    @property
    def accounts(self) -> FakeAccounts:
        return self._now.accounts

    @property
    def users(self) -> FakeUsers:
        return self._now.users

    @property
    def failed_attempts(self) -> FakeFailedAttempts:
        return self._now.failed_attempts

    @property
    def customer_records(self) -> FakeCustomerRecords:
        return self._now.customer_records

    @property
    def customer_list(self) -> FakeCustomerList:
        return self._now.customer_list

    @property
    def dashboard(self) -> FakeDashboard:
        return self._now.dashboard

    @property
    def outbox(self) -> FakeOutbox:
        return self._now.outbox

    @property
    def email_templates(self) -> FakeEmailTemplates:
        return self._now.email_templates

    @property
    def calls(self) -> FakeCalls:
        return self._now.calls


# -- a desk to work at ----------------------------------------------------------------------------

# Acme (C1, USD, collector maria): I1 100.00 due 2026-05-01 and I2 250.00 due 2026-05-15 (both overdue
# on TODAY, 2026-05-31), I3 80.00 due 2026-06-30. Beta (C2, EUR, collector sam): B1 40.00 due 2026-04-30.
ACME = make_customer()
BETA = make_customer(id=2, external_id="C2", name="Beta GmbH", currency="EUR", collector=SAM.id)
I1 = make_invoice()
I2 = make_invoice(id=12, external_id="I2", due=date(2026, 5, 15), outstanding_minor=250_00)
I3 = make_invoice(id=13, external_id="I3", due=date(2026, 6, 30), outstanding_minor=80_00)
B1 = make_invoice(
    id=21, external_id="B1", customer_id=2, currency="EUR", due=date(2026, 4, 30), outstanding_minor=40_00
)


def acme_desk(clock: FakeClock | None = None) -> FakeUnitOfWork:
    """A workspace with an owner (olivia), a manager (morgan), two collectors (maria, sam), and the
    ledger above."""
    uow = FakeUnitOfWork(clock)
    for user in (OLIVIA, MORGAN, MARIA, SAM):
        uow.accounts.add_user(user)
    uow.ledger.add_customer(ACME, phone="+1 415 555 0100")
    uow.ledger.add_customer(BETA, tags=("key", "eu"))
    for invoice in (I1, I2, I3, B1):
        uow.ledger.add_invoice(invoice, number="INV-2002" if invoice.external_id == "I2" else None)
    return uow


def rolled(uow: FakeUnitOfWork) -> FakeUnitOfWork:
    """`uow` with its balances as of today, as the server leaves them when it starts (set up in
    place: no commit and no refresh counted)."""
    uow.balances.refresh_balances(uow.clock.today())
    uow.balances.refreshes.clear()
    return uow


def _is_what_the_services_take(
    uow: FakeUnitOfWork, clock: FakeClock, hasher: FakeHasher
) -> tuple[UnitOfWork, Clock, PasswordHasher]:
    """Never called: mypy checks here that each fake keeps to its port (`mypy --strict tests/fakes.py`)."""
    return uow, clock, hasher
