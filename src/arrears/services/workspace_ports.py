"""Ports of the collector's workspace: what the task, promise, plan and dispute use cases need
from storage. Read models (the task list, the timeline) return plain rows; rules stay in the domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from ..domain.aging import AgingLine
from ..domain.audit import AuditEntry
from ..domain.plans import Instalment
from ..domain.tasks import Task
from ..domain.users import User
from ..domain.worklist import Standing
from .call_ports import Recording


@dataclass(frozen=True, slots=True)
class CustomerRef:
    id: int
    external_id: str
    name: str
    currency: str
    collector_id: int | None
    on_hold: bool
    paused: bool = False  # its workflows are paused (chasing.set_chasing)


@dataclass(frozen=True, slots=True)
class InvoiceRef:
    id: int
    external_id: str
    customer_id: int
    currency: str
    status: str
    due_date: date
    outstanding_minor: int
    disputed: bool
    plan_id: int | None
    payment_pending: bool = False  # an online payment by a delayed method is on its way (not paid yet)


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """The task list's filters."""

    assignee_ids: tuple[int, ...] | None = None  # None: everyone
    status: str = "open"  # open, done, cancelled, all
    done_today: bool | None = None  # True: only tasks completed today; False: hide them
    types: tuple[str, ...] = ()
    due_from: date | None = None
    due_to: date | None = None
    customer_external_id: str | None = None
    min_overdue_minor: int | None = None
    min_overdue: Decimal | None = None  # at least this much, in each customer's own currency (major units)
    tag: str | None = None
    q: str | None = None
    ids: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """The customer list's filters."""

    q: str | None = None  # name, external id, email or phone, a contact's, or an invoice number
    collector_id: int | None = None
    unassigned: bool = False  # only customers without a collector
    overdue: bool = False  # only customers with something overdue
    on_hold: bool = False
    disputed: bool = False  # only customers with an open invoice in dispute
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerListRow:
    id: int
    external_id: str
    name: str
    currency: str
    collector: str | None
    open_invoice_count: int
    outstanding_minor: int
    overdue_minor: int
    on_hold: bool
    tags: tuple[str, ...]
    disputed_invoice_count: int
    phone: str | None
    email: str | None
    credit_hold: bool = False


@dataclass(frozen=True, slots=True)
class TaskRow:
    id: int
    customer_id: int
    customer_external_id: str
    customer_name: str
    type: str
    status: str
    assignee: str | None
    assignee_id: int | None
    due_date: date
    description: str
    invoice_external_ids: list[str]
    outstanding_invoice_count: int
    overdue_minor: int
    currency: str
    phones: list[str]
    source: str
    outcome: str | None
    note: str | None
    completed_at: datetime | None
    completed_by: str | None
    follow_up_date: date | None
    issue_id: int | None
    contact_id: int | None
    expected_amount_minor: int | None
    expected_date: date | None
    version: int
    unread_mail: int = 0  # the customer's received messages nobody has read (the list's ✉ marker)
    credit_hold: bool = False  # the customer is on credit hold (no new orders on credit)
    recording: Recording | None = None  # a call task's recording and its transcript
    # The worklist (domain/worklist.py): the customer's standing and priority as stored beside its
    # balances; `why` and `expected_payment_date` are filled by the task list's service.
    standing: Standing | None = None
    priority: int = 0
    why: str = ""
    expected_payment_date: date | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    next_offset: int | None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to raise: at most one is open per key (e.g. "stale_task:42")."""

    kind: str
    key: str
    message: str
    customer_id: int | None
    task_id: int | None
    user_id: int | None


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    kind: str
    status: str
    message: str
    customer_external_id: str | None
    task_id: int | None
    user: str | None
    created_at: datetime
    closed_at: datetime | None
    customer_name: str | None = None


@dataclass(frozen=True, slots=True)
class DisputeRow:
    id: int
    invoice_external_id: str
    customer_external_id: str
    reason: str
    amount_minor: int
    currency: str
    owner: str | None
    status: str
    resolution: str | None
    note: str | None
    created_at: datetime
    closed_at: datetime | None
    customer_name: str = ""
    invoice_number: str = ""  # the number the customer knows (the external id is the ERP's key)
    source: str = "workspace"  # where it was opened: workspace or portal
    credit_note_minor: int | None = None  # what resolving it recorded on the ledger (DISPUTE-<id>-CN)
    write_off_minor: int | None = None  # and written off (DISPUTE-<id>-WO)


@dataclass(frozen=True, slots=True)
class DisputeFilter:
    """The dispute list's filters (None: any)."""

    status: str | None = None
    reason: str | None = None
    owner_id: int | None = None
    customer_id: int | None = None


@dataclass(frozen=True, slots=True)
class PlanRow:
    id: int
    customer_external_id: str
    currency: str
    status: str
    start_date: date
    total_minor: int
    paid_minor: int
    invoice_external_ids: list[str]
    instalments: list[Instalment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IssueRow:
    id: int
    customer_external_id: str
    title: str
    status: str
    open_tasks: int
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class TimelineRow:
    at: datetime
    actor: str | None
    actor_kind: str
    entity: str
    entity_id: str | None
    action: str
    summary: str
    changes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SavedView:
    id: int
    name: str
    filters: dict[str, Any]
    is_default: bool


@dataclass(frozen=True, slots=True)
class TokenRow:
    """An API token as the owners' page lists it: never the token, which only its holder has."""

    id: int
    user_name: str
    user_active: bool
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


# -- ledger records as the API reads them (amounts in minor units of their currency) ----------------


@dataclass(frozen=True, slots=True)
class CustomerRow:
    external_id: str
    name: str
    currency: str
    payment_terms_days: int
    credit_limit_minor: int | None
    collector: str | None
    email: str | None
    phone: str | None
    tags: list[str]
    on_hold: bool
    credit_hold: bool = False


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    customer_external_id: str
    external_id: str | None
    name: str
    email: str | None
    phone: str | None
    role: str | None
    receives_reminders: bool


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    external_id: str
    customer_external_id: str
    number: str
    issue_date: date
    due_date: date
    amount_minor: int
    outstanding_minor: int
    currency: str
    status: str  # open, paid, void, written_off
    disputed: bool
    plan_id: int | None
    excluded: bool = False  # excluded from chasing (chasing.set_chasing): overdue nowhere
    payment_pending: bool = False  # an online payment by a delayed method is on its way (not paid yet)


@dataclass(frozen=True, slots=True)
class CashRow:
    """A payment (allocation) or a credit note; `note` is the payment's method or the note's reason."""

    external_id: str
    customer_external_id: str
    date: date
    amount_minor: int
    currency: str
    invoice_external_id: str | None
    note: str | None


LedgerRecord = CustomerRow | ContactRow | InvoiceRow | CashRow


@dataclass(frozen=True, slots=True)
class CashLine:
    """A payment or a credit note on the customer record, with the invoice it went to (if any)."""

    kind: str  # payment or credit_note
    external_id: str
    date: date
    amount_minor: int
    currency: str
    invoice_external_id: str | None  # None: unapplied, on the account
    invoice_number: str | None
    note: str | None  # the payment's method or the credit note's reason


@dataclass(frozen=True, slots=True)
class Reminded:
    """How often an invoice was listed in an email to its customer (queued or sent; failed ones
    do not count), and the last of those emails."""

    times: int
    last_at: datetime
    last_step: str | None  # None: an email sent by hand
    last_email_id: int


@dataclass(frozen=True, slots=True)
class EmailFilter:
    """A customer's emails narrowed to a status, a workflow step, an invoice they list."""

    status: str | None = None
    step: str | None = None
    invoice_id: int | None = None


@dataclass(frozen=True, slots=True)
class EmailView:
    """One email of the outbox, whole. `html` and `text` are empty until it is sent (the body is
    rendered at sending, from `template` and its context)."""

    row: EmailRow
    customer_id: int
    customer_external_id: str
    message_id: str
    workflow: str | None
    step: str | None
    cycle_date: date | None
    html: str
    text: str
    invoice_external_ids: list[str]
    invoice_numbers: list[str] = field(default_factory=list)  # the same invoices, by number


@dataclass(frozen=True, slots=True)
class TimelineFilter:
    """What the customer's history is narrowed to: a kind of entry (the audit entity: task,
    email, dispute, invoice, customer, plan...), an invoice by external id, a workflow step."""

    kind: str | None = None
    invoice_id: int | None = None
    step: str | None = None


# -- the dashboard's read models (services/dashboard.py) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class AgingTotal:
    """The company's outstanding minor units in one currency, per bucket of domain.aging.BUCKETS."""

    currency: str
    buckets: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CollectorLoad:
    """One collector's book in one currency (`currency` None: a row of open tasks only)."""

    collector: str | None  # None: customers with no collector, or tasks with no assignee
    currency: str | None
    customers: int
    overdue_customers: int
    overdue_minor: int
    open_tasks: int


@dataclass(frozen=True, slots=True)
class DueTask:
    id: int
    customer_external_id: str
    customer_name: str
    type: str
    description: str
    assignee: str | None
    due_date: date


@dataclass(frozen=True, slots=True)
class PromiseDue:
    """A promise to pay (an expected payment task) with what has been paid towards it so far."""

    task_id: int
    customer_external_id: str
    customer_name: str
    assignee: str | None
    amount_minor: int
    currency: str
    expected_date: date
    made_on: date
    status: str  # the task's: open or done
    outcome: str | None
    paid_minor: int


# -- the customer record's own reads (services/customer_record.py) --------------------------------


@dataclass(frozen=True, slots=True)
class EmailRow:
    """An email of the outbox as the customer's record shows it, with its delivery state."""

    id: int
    created_at: datetime
    to: list[str]
    subject: str
    template: str
    status: str  # queued, sent, failed, bounced
    attempts: int
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class StatementLines:
    """What a customer's statement lists: its open invoices (oldest due first, a bounded number of
    them), how many are open in all, what it owes per currency and aging bucket (over every open
    invoice), and its payments and credit notes since a day (newest first, bounded)."""

    open_invoices: list[InvoiceRow]
    open_count: int
    aging: list[AgingLine]  # one per currency, by currency
    cash: list[CashLine]
    more_cash: bool  # more payments or credit notes in the period than `cash` holds


class LedgerReads(Protocol):
    """Customers and invoices as references, the API's pages of ledger records, the chasing flags."""

    def customer(self, external_id: str) -> CustomerRef | None: ...

    def customer_by_id(self, customer_id: int) -> CustomerRef | None: ...

    def invoices(self, external_ids: Sequence[str]) -> list[InvoiceRef]: ...

    def invoices_by_id(self, invoice_ids: Sequence[int]) -> list[InvoiceRef]: ...

    def set_flag(self, kind: str, external_id: str, flag: str, value: bool) -> int | None:
        """Set `workflow_paused` (customers, invoices) or `excluded` (invoices); returns the customer id."""

    def ledger_records(
        self,
        kind: str,
        limit: int,
        offset: int,
        *,
        external_id: str | None = None,
        customer_external_id: str | None = None,
    ) -> Page:
        """A page of LedgerRecord of `kind` (customers, contacts, invoices, payments, credit-notes)."""


class Accounts(Protocol):
    """Users, workspace settings, saved views and API tokens."""

    def user(self, name: str) -> User | None: ...

    def user_by_id(self, user_id: int) -> User | None: ...

    def managers(self) -> list[User]: ...

    def setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...

    def add_setting(self, key: str, value: str) -> str:
        """Store `value` under `key` unless a value is stored there already (by another process in the
        meantime); returns the value stored."""

    def views(self, user_id: int) -> list[SavedView]: ...

    def save_view(self, user_id: int, name: str, filters: dict[str, Any], is_default: bool) -> SavedView: ...

    def delete_view(self, user_id: int, view_id: int) -> bool: ...

    def add_token(self, user_id: int, token_hash: str, name: str | None) -> int: ...

    def user_by_token(self, token_hash: str, at: datetime) -> User | None: ...

    def revoke_tokens(self, user_id: int, at: datetime) -> int: ...

    def list_tokens(self) -> list[TokenRow]:
        """Every API token, revoked ones too: active ones first, then newest first."""
        ...

    def token(self, token_id: int) -> TokenRow | None: ...

    def revoke_token(self, token_id: int, at: datetime) -> bool:
        """Revoke one token; False when it was revoked already (or does not exist)."""
        ...


class CustomerRecords(Protocol):
    """What the customer record shows beyond the task list."""

    def contact_of(self, customer_id: int, contact_id: int) -> bool: ...

    def contact(self, customer_id: int, contact_id: int) -> ContactRow | None:
        """The customer's contact of that id (None: no such contact of this customer)."""

    def add_contact(
        self,
        customer_id: int,
        name: str,
        email: str | None,
        phone: str | None,
        role: str | None,
        receives_reminders: bool = False,
    ) -> int:
        """A contact of the customer (the one of that name if there is one already); its id."""
        ...

    def issue_of(self, customer_id: int, issue_id: int) -> bool: ...

    def add_issue(self, customer_id: int, title: str, by: int | None, at: datetime | None = None) -> int:
        """A new open issue, opened at `at` (the workspace's clock; the database's time when None)."""

    def issues(self, customer_id: int | None, status: str | None) -> list[IssueRow]: ...

    def customer_invoices(self, customer_id: int, limit: int) -> Page:
        """InvoiceRow of the customer, open ones first by due date, then the rest newest due first;
        `total` is the number of the customer's invoices."""

    def customer_aging(self, customer_id: int, as_of: date) -> tuple[int, ...]:
        """What the customer owes now on open invoices, in minor units, per bucket of domain.aging.BUCKETS."""

    def customer_notes(self, customer_id: int, limit: int) -> tuple[str | None, list[TimelineRow]]:
        """The customer's standing `notes` and the notes added on the account, newest first."""

    def customer_emails(self, customer_id: int, limit: int, offset: int = 0, where: EmailFilter | None = None) -> Page:
        """EmailRow of the customer's emails of the outbox, newest first, narrowed by `where`, with the total."""

    def email(self, email_id: int) -> EmailView | None:
        """One email with its headers and body, as it went out (or as queued)."""

    def customer_cash(self, customer_id: int, limit: int) -> list[CashLine]:
        """The customer's payments and credit notes, newest first (by date, then id), `limit` of them."""

    def reminders(self, customer_id: int) -> dict[str, Reminded]:
        """For each invoice of the customer listed in one of its emails (by invoice external id),
        how often and when last."""

    def update_contact(
        self, contact_id: int, name: str, email: str | None, phone: str | None, role: str | None, reminders: bool
    ) -> None: ...

    def remove_contact(self, contact_id: int) -> None:
        """Delete the contact (tasks that named it keep their history, without the link)."""

    def set_collector(self, customer_id: int, collector_id: int | None) -> None: ...

    def statement(self, customer_id: int, as_of: date, since: date, limit: int) -> StatementLines:
        """The customer's statement as of `as_of`: at most `limit` open invoices and `limit` payments
        and credit notes dated from `since`; the aging covers every open invoice."""
        ...


class Tasks(Protocol):
    """Tasks one by one, and the rules that close or flag them in bulk."""

    def task(self, task_id: int) -> Task | None: ...

    def add_task(self, task: Task, created_by: int | None) -> int: ...

    def save_task(self, task: Task, expected_version: int) -> bool: ...

    def bulk_update(self, task_ids: Sequence[int], values: dict[str, Any], at: datetime) -> int: ...

    def open_task_ids(self, customer_id: int, assignee_id: int) -> list[int]:
        """The customer's open tasks assigned to `assignee_id`, by id."""

    def open_promises(self) -> list[Task]: ...

    def paid_between(self, customer_id: int, invoice_ids: Sequence[int], start: date, end: date) -> int: ...

    def settled_tasks(self) -> list[int]:
        """The open tasks whose tagged invoices are all settled, promises aside, by id."""
        ...

    def close_settled_tasks(self, at: datetime, task_ids: Sequence[int]) -> list[tuple[int, int]]:
        """Close (done, outcome `invoices_paid`) those of `task_ids` that are still open and settled;
        a task someone closed meanwhile stays as they closed it. The (task id, customer id) closed."""

    def close_finished_issues(self, at: datetime) -> list[tuple[int, int]]:
        """Close the open issues whose tasks are all closed, unless their customer has unread mail;
        the (issue id, customer id) closed."""

    def stale_tasks(self, before: date) -> list[tuple[int, int, int | None, date, str]]: ...


class CustomerList(Protocol):
    """The customer list as a read model (balances from `customer_balances`)."""

    def customers(self, flt: CustomerFilter, sort: str, limit: int, offset: int) -> Page:
        """One page of `CustomerListRow`, `limit` rows from `offset` in the order `sort` (one of
        `services/customers.SORTS`)."""
        ...


class TaskList(Protocol):
    """The task list as a read model."""

    def list_tasks(
        self, flt: TaskFilter, today: date, sort: str, limit: int, offset: int, *, count: bool = False
    ) -> Page: ...

    def task_rows(self, task_ids: Sequence[int]) -> list[TaskRow]: ...

    def matching_task_ids(self, flt: TaskFilter, today: date, limit: int) -> list[tuple[int, int | None, str]]: ...

    def count_tasks(self, flt: TaskFilter, today: date, cap: int) -> int: ...


class Alerts(Protocol):
    """Alerts: raised once per key while open, closed, listed."""

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
    ) -> bool: ...

    def raise_alerts(self, alerts: Sequence[NewAlert], at: datetime) -> int:
        """Raise many at once (one statement per hundred); how many were new."""
        ...

    def close_alerts(self, keys: Sequence[str], at: datetime) -> int: ...

    def close_alert(self, alert_id: int, at: datetime) -> bool: ...

    def close_open(self, alert_ids: Sequence[int] | None, kind: str | None, at: datetime) -> list[int]:
        """Close the open alerts among `alert_ids` (None: every open one), of `kind` when given;
        the ids closed, in order."""

    def open_counts(self, user_id: int | None) -> dict[str, int]:
        """How many alerts are open per kind (one user's when given)."""

    def alerts(
        self, status: str | None, user_id: int | None, limit: int, offset: int, *, kind: str | None = None
    ) -> Page: ...


class Dashboard(Protocol):
    """The dashboard: one statement each, summed by the database."""

    def aging_totals(self, as_of: date) -> list[AgingTotal]: ...

    def collector_loads(self) -> list[CollectorLoad]:
        """Per collector and currency, from the balances as last refreshed, and open tasks per assignee."""

    def tasks_due(self, day: date, assignee_id: int | None, limit: int) -> Page:
        """Open tasks due on `day` (an assignee's, or everyone's), first `limit` of them, with the total."""

    def promises_due(
        self,
        start: date | None,
        end: date | None,
        paid_up_to: date,
        assignee_id: int | None,
        limit: int,
        customer_id: int | None = None,
    ) -> Page:
        """PromiseDue rows of open or done promises dated `start`..`end` (None: no bound), of one
        assignee or customer when given, by date, with the total; paid up to `paid_up_to`."""


class Audit(Protocol):
    """The audit log and the customer timeline read from it."""

    def record(self, entry: AuditEntry) -> None: ...

    def timeline(self, customer_id: int, limit: int, offset: int, where: TimelineFilter | None = None) -> Page:
        """TimelineRow of the customer's audit entries, newest first, narrowed by `where`."""

    def timeline_kinds(self, customer_id: int) -> list[str]:
        """The kinds (entities) of the customer's audit entries, by name: what the history filters by."""


class Balances(Protocol):
    """Per-customer balances kept for the task list."""

    def customer_balance(self, customer_id: int) -> tuple[int, int, int] | None: ...

    def balances_as_of(self) -> date | None: ...

    def refresh_balances(self, as_of: date, customer_ids: Sequence[int] | None = None) -> int: ...

    def set_days_late(self, days_late: Mapping[int, int], as_of: date) -> None:
        """Each customer's average days late (for the worklist's priority), then every priority again."""
        ...


class Plans(Protocol):
    """Payment plans."""

    def add_plan(
        self,
        customer_id: int,
        currency: str,
        invoices: Sequence[int],
        instalments: Sequence[Instalment],
        start: date,
        total_minor: int,
        by: int | None,
    ) -> int: ...

    def plan(self, plan_id: int) -> PlanRow | None: ...

    def plans(self, status: str | None, customer_id: int | None = None) -> list[PlanRow]: ...

    def set_plan_status(self, plan_id: int, status: str) -> None: ...


class Disputes(Protocol):
    """Disputes on invoices."""

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
        """A dispute opened at `at` (the workspace's clock, as every record it keeps), from `source`:
        workspace (a page, the API, the CLI) or portal (the customer)."""

    def dispute(self, dispute_id: int) -> DisputeRow | None: ...

    def close_dispute(self, dispute_id: int, status: str, resolution: str | None, at: datetime) -> None: ...

    def set_owner(self, dispute_id: int, owner_id: int, at: datetime) -> None:
        """Hand the dispute to another user."""

    def disputes(self, flt: DisputeFilter, limit: int, offset: int) -> Page:
        """`DisputeRow`s matching `flt`, newest first."""
        ...
