"""Ports of the automation: what the daily cycle and the outbox need from storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import Message
from typing import Any, Protocol

from ..domain.audit import AuditEntry
from ..domain.tasks import Task
from ..domain.workflows import Workflow


@dataclass(frozen=True, slots=True)
class DueSubject:
    """An invoice (or a plan instalment) for which a workflow step has come due and not yet run."""

    workflow: str
    step: str
    subject: str  # "invoice:<id>", "instalment:<id>", "customer:<id>"
    customer_id: int
    invoice_ids: tuple[int, ...]  # what a task tags: the invoice, or the plan's invoices
    number: str
    issue_date: date | None
    due_date: date
    amount_minor: int
    outstanding_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class Recipient:
    customer_id: int
    customer_external_id: str
    customer_name: str
    collector_id: int | None
    contact_name: str | None
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutboxEmail:
    """A queued email as the send loop takes it. Its body is rendered at send time from `template`
    and `context` (the JSON of `outbox.freeze`); an email queued before migration 0008 carries its
    rendered `html` and `text` instead, and no context."""

    id: int
    customer_id: int
    to: tuple[str, ...]
    subject: str
    template: str
    context: str | None
    html: str
    text: str
    message_id: str
    attempts: int
    attach_invoice_id: int | None
    in_reply_to: str | None = None  # the received message this email answers (threaded)


@dataclass(frozen=True, slots=True)
class NewEmail:
    """An email to queue: its subject rendered, its body to be rendered when it is sent, from
    `template` and `context` (the JSON of `outbox.freeze`: the invoices and amounts as decided)."""

    customer_id: int
    dedupe_key: str
    to: tuple[str, ...]
    subject: str
    template: str
    context: str
    workflow: str | None
    step: str | None
    cycle_date: date | None
    message_id: str
    invoice_ids: tuple[int, ...]
    queued_at: datetime
    attach_invoice_id: int | None = None
    id: int | None = None  # reserved beforehand (`Automation.reserve_ids`), else the database's
    in_reply_to: str | None = None  # the Message-ID of the received message it answers


@dataclass(frozen=True, slots=True)
class StepClaim:
    """A step run to record, fired or skipped, unless some run already recorded it."""

    workflow: str
    step: str
    subject: str
    customer_id: int
    invoice_id: int | None
    status: str  # fired or skipped
    email_id: int | None = None  # the email and the task it will produce, if their ids are reserved
    task_id: int | None = None


@dataclass(frozen=True, slots=True)
class RunLink:
    """The email and the task a fired step run (by its id) produced."""

    run_id: int
    email_id: int | None
    task_id: int | None


@dataclass(frozen=True, slots=True)
class FannedOut:
    """A worker's cycle cut into batch jobs: its day, the batches not fired yet, whether its closing
    phases ran, and the counts so far (JSON: the opening phases', then each fired batch's)."""

    run_id: int
    as_of: date
    pending: tuple[int, ...]
    finished: bool
    summaries: tuple[str, ...]


class Rendered(Protocol):
    @property
    def subject(self) -> str: ...

    @property
    def html(self) -> str: ...

    @property
    def text(self) -> str: ...


class Renderer(Protocol):
    """The email and invoice templates: the stored ones (`use_stored`), a folder's, the built-in ones."""

    def names(self) -> set[str]: ...
    def subject(self, name: str, context: dict[str, Any]) -> str: ...
    def body(self, name: str, context: dict[str, Any], subject: str) -> Rendered: ...
    def invoice_pdf(self, context: dict[str, Any]) -> bytes: ...
    def statement_pdf(self, context: dict[str, Any]) -> bytes:
        """A customer's statement (services/statements.py `statement_context`) as a PDF."""
        ...

    @property
    def stored_version(self) -> str | None:
        """The version of the stored templates in use (`services.email_templates.load_stored`)."""

    def use_stored(self, version: str | None, sources: dict[tuple[str, str], str]) -> None:
        """Render with these stored parts ({(name, part): source}) before the folder and the built-ins."""

    def source(self, name: str, part: str, *, stored: bool = True) -> tuple[str, str] | None:
        """(the text of a part as used now, where it comes from: stored, folder or built-in), or None;
        with `stored=False`, what it would be without the stored parts."""

    def trial(self, name: str, parts: dict[str, str], context: dict[str, Any]) -> Rendered:
        """The email rendered from `parts` ({part: source}) in place of the template's own; raises
        domain.email_templates.TemplateRefused naming each part that does not parse or render."""

    @property
    def currency(self) -> str:
        """The currency of the locale's country (the sample of the templates page is in it)."""


class Sender(Protocol):
    """An email transport; raises domain.emails.TemporaryFailure or PermanentFailure."""

    def send(self, message: Message) -> None: ...

    def close(self) -> None:
        """Let go of the connection kept between messages."""


class Selection(Protocol):
    """What the cycle works on: subjects due for a step, new customers and invoices, the invoices and
    recipients of an email."""

    def due_subjects(self, workflows: Sequence[Workflow], as_of: date) -> list[DueSubject]: ...
    def new_customers(self, workflow: Workflow, step: str, after_id: int) -> list[int]: ...
    def new_invoices(self, workflow: Workflow, step: str, after_id: int, as_of: date) -> list[DueSubject]: ...
    def open_invoices(self, customer_id: int) -> list[DueSubject]: ...
    def chaseable_invoices(
        self, customer_id: int, workflows: Sequence[Workflow], index: int, as_of: date
    ) -> list[DueSubject]:
        """The customer's invoices that the cycle of `as_of` chases under `workflows[index]`, by due date."""
        ...

    def invoice_document(self, invoice_id: int) -> DueSubject | None: ...
    def recipients(self, customer_ids: Sequence[int]) -> dict[int, Recipient]: ...


class StepRuns(Protocol):
    """The step-run ledger (each step once per subject) and what a fired step writes with it."""

    def claim(
        self, workflow: str, step: str, status: str, cycle_date: date, subjects: Sequence[tuple[str, int, int | None]]
    ) -> list[str]: ...
    def claim_runs(self, cycle_date: date, claims: Sequence[StepClaim]) -> dict[tuple[str, str, str], int]:
        """Record these step runs in one statement (per thousand); returns the (workflow, step,
        subject) of the ones this call recorded, with the id of each run."""
        ...

    def reserve_ids(self, emails: int, tasks: int) -> tuple[list[int], list[int]] | None:
        """Ids for that many emails and tasks, taken now so that the claims can name them, and the
        step runs' references to them checked at commit; None where the database cannot (SQLite:
        the claims are linked afterwards, `link_runs_many`)."""
        ...

    def link_runs_many(self, links: Sequence[RunLink]) -> None: ...
    def add_tasks(self, tasks: Sequence[Task]) -> list[int]:
        """Workflow tasks (with their invoice tags), in one statement; their ids, in order."""
        ...

    def open_workflow_tasks(self, customer_ids: Sequence[int]) -> dict[tuple[int, str], int]:
        """The open tasks that a workflow created for these customers, by (customer id, task type):
        the oldest of each, which the cycle's next tasks of that type join."""
        ...

    def tag_tasks(self, tags: Sequence[tuple[int, Sequence[int]]]) -> None:
        """Tag more invoices onto open tasks, (task id, invoice ids) each; a tag already there stays
        once. Each task's version moves on (an editor of the old version is told)."""
        ...

    def record_all(self, entries: Sequence[AuditEntry]) -> None:
        """Audit-log entries, in one statement."""
        ...


class Outbox(Protocol):
    """The email outbox."""

    def queue_email(self, email: NewEmail) -> int | None: ...
    def queue_emails(self, emails: Sequence[NewEmail]) -> list[int | None]:
        """Queue the emails, in one statement; for each, its id, or None if its dedupe key was taken."""
        ...

    def due_emails(self, now: datetime, limit: int) -> list[OutboxEmail]: ...
    def due_email(self, email_id: int, now: datetime) -> OutboxEmail | None:
        """That one email if it is queued and its time has come, taken as `due_emails` takes them
        (locked: a worker sending at the same moment passes it by); else None."""
        ...

    def mark_sent(self, email_id: int, at: datetime, entry: AuditEntry, body: Rendered | None = None) -> bool:
        """Mark a queued email sent, keeping the `body` that went out if it was rendered at send
        time, and write `entry`; False (and no entry) if it was not queued any more."""
        ...

    def mark_retry(self, email_id: int, attempts: int, next_at: datetime, error: str) -> None: ...
    def mark_failed(self, email_id: int, attempts: int, error: str, at: datetime) -> None: ...


class CycleRuns(Protocol):
    """The cycles that ran, the marks from which events are new, the stored workflow file."""

    def high_water(self) -> tuple[int, int] | None: ...
    def set_high_water(self) -> tuple[int, int]: ...
    def start_cycle(self, as_of: date, at: datetime, dry_run: bool) -> int: ...
    def finish_cycle(self, run_id: int, at: datetime, summary: str) -> None: ...
    def last_cycle_day(self) -> date | None: ...
    def fan_out(self, run_id: int, at: datetime, batches: Sequence[str], summary: str) -> None:
        """Store a run's batches (their groups' JSON, numbered from 0) and its opening counts."""
        ...

    def fanned_out_on(self, as_of: date) -> int | None:
        """The newest real cycle of `as_of` whose batches are stored, finished or not."""
        ...

    def fanned_out(self, run_id: int) -> FannedOut | None: ...
    def batch(self, run_id: int, number: int) -> tuple[date, str] | None:
        """A batch's day and groups, unless it is done (or is not there)."""
        ...

    def finish_batch(self, run_id: int, number: int, at: datetime, summary: str) -> int | None:
        """Mark a batch done with its counts, in the caller's transaction, the run locked so that
        two batches finishing at once see each other: how many are still pending, or None if this
        one was done already (another worker fired it first)."""
        ...

    def workflow_source(self) -> str | None: ...
    def save_workflow_source(self, source: str, by: int | None) -> None: ...
