"""Tasks: the task as the API shows it, creating, editing, completing and rescheduling one, and the
bulk actions on many."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...domain.money import format_minor
from ...domain.tasks import TaskSource, TaskStatus, TaskType
from ...services import tasks as task_service
from ...services.workspace_ports import TaskRow
from .calls import RecordingOut
from .common import (
    NO_NUL,
    Currency,
    Day,
    Description,
    ExternalId,
    Id,
    MoneyIn,
    MoneyOut,
    Outcome,
    Request,
    ShortText,
    Text,
    UserName,
    Version,
)


class TaskOut(BaseModel):
    """A task: the fields of `arrears tasks --format json`, and what the API needs to edit it."""

    id: int
    customer_external_id: str
    customer_name: str
    type: TaskType
    status: TaskStatus
    assignee: str | None
    due_date: date
    description: str
    invoice_external_ids: list[str]
    outstanding_invoice_count: int
    overdue_amount: MoneyOut
    currency: str
    phones: list[str]
    version: int
    outcome: str | None
    note: str | None
    completed_at: datetime | None
    follow_up_date: date | None
    expected_amount: MoneyOut | None
    expected_date: date | None
    source: TaskSource
    issue_id: int | None
    transcript: str | None = Field(None, description="What was said on the call (its recording's transcript)")
    recording: RecordingOut | None = Field(None, description="A call task's recording, when one is attached")
    priority: int = Field(
        0, description="The customer's priority on the worklist: higher first, 0 sinks (docs/workspace.md)"
    )
    why: str = Field("", description="One line on where the customer stands, e.g. what is overdue and how late it pays")
    expected_payment_date: date | None = Field(
        None, description="When the customer is expected to pay: its oldest due date plus its average days late"
    )

    @classmethod
    def of(cls, row: TaskRow) -> TaskOut:
        return cls(
            id=row.id,
            customer_external_id=row.customer_external_id,
            customer_name=row.customer_name,
            type=TaskType(row.type),
            status=TaskStatus(row.status),
            assignee=row.assignee,
            due_date=row.due_date,
            description=row.description,
            invoice_external_ids=row.invoice_external_ids,
            outstanding_invoice_count=row.outstanding_invoice_count,
            overdue_amount=format_minor(row.overdue_minor, row.currency),
            currency=row.currency,
            phones=row.phones,
            version=row.version,
            outcome=row.outcome,
            note=row.note,
            completed_at=row.completed_at,
            follow_up_date=row.follow_up_date,
            expected_amount=None
            if row.expected_amount_minor is None
            else format_minor(row.expected_amount_minor, row.currency),
            expected_date=row.expected_date,
            source=TaskSource(row.source),
            issue_id=row.issue_id,
            transcript=row.recording.transcript if row.recording and row.recording.status == "done" else None,
            recording=RecordingOut.of(row.recording) if row.recording else None,
            priority=row.priority,
            why=row.why,
            expected_payment_date=row.expected_payment_date,
        )


class NewContactIn(Request):
    name: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=200)]
    phone: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=64)] | None = None
    email: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=254)] | None = None
    role: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=100)] | None = None
    receives_reminders: bool = Field(
        False, description="Send the reminders to this contact too (needs an email); off unless asked for"
    )


class TaskCreate(Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"customer_external_id": "C1", "type": "call", "description": "Call about I1"},
                {
                    "customer_external_id": "C1",
                    "type": "expected_payment",
                    "expected_amount": "100.00",
                    "expected_date": "2026-07-10",
                    "invoice_external_ids": ["I1"],
                },
            ]
        },
    )

    customer_external_id: ExternalId
    type: TaskType
    description: Description = ""
    assignee: UserName | None = Field(None, description="Default: the customer's collector, else you")
    due_date: Day | None = Field(None, description="Default: today")
    invoice_external_ids: list[ExternalId] = Field(default_factory=list, max_length=1000)
    contact_id: Id | None = None
    new_contact: NewContactIn | None = None
    issue_id: Id | None = None
    issue_title: ShortText | None = Field(None, description="Opens a new issue on the account for this task")
    expected_amount: MoneyIn | None = Field(None, description="A promise to pay (expected_payment tasks)")
    expected_date: Day | None = None
    expected_currency: Currency | None = Field(None, description="Default and only choice: the customer's")
    complete: bool = Field(False, description="Done at entry, when nothing is left to do")
    outcome: Outcome | None = None
    note: Text | None = None
    follow_up_date: Day | None = None

    def to_new_task(self) -> task_service.NewTask:
        contact = None
        if self.new_contact is not None:
            contact = task_service.NewContact(**self.new_contact.model_dump())
        return task_service.NewTask(
            **self.model_dump(exclude={"new_contact", "invoice_external_ids"}),
            invoice_external_ids=tuple(self.invoice_external_ids),
            new_contact=contact,
        )


class TaskPatch(Request):
    version: Version
    description: Description | None = None
    due_date: Day | None = None
    assignee: UserName | None = Field(None, description="null unassigns; managers and owners reassign")
    note: Text | None = None
    status: Literal["cancelled"] | None = Field(None, description="Only cancelling; complete a task to finish it")

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set if name != "version"}


class TaskComplete(Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"outcome": "left_voicemail", "note": "Call back", "follow_up_date": "2026-07-03"},
                {"outcome": "answered", "new_contact": {"name": "Dana Ortiz", "email": "dana@example.com"}},
            ]
        },
    )

    outcome: Outcome | None = Field(None, description="For calls: answered, not_answered, left_voicemail, skipped")
    note: Text | None = None
    follow_up_date: Day | None = Field(None, description="Opens a follow-up task due that day")
    follow_up_assignee: UserName | None = Field(None, description="Default: you")
    version: Version | None = None
    contact_id: Id | None = Field(None, description="The customer's contact spoken to")
    new_contact: NewContactIn | None = Field(None, description="Someone new spoken to: added to the customer")

    def contact(self) -> task_service.NewContact | None:
        return None if self.new_contact is None else task_service.NewContact(**self.new_contact.model_dump())


class TaskReschedule(Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"due_date": "2026-07-02", "outcome": "not_answered"},
                {"due_date": "2026-07-02", "outcome": "answered", "new_contact": {"name": "Dana Ortiz", "role": "AP"}},
            ]
        },
    )

    due_date: Day
    outcome: Outcome | None = None
    note: Text | None = None
    version: Version | None = None
    contact_id: Id | None = Field(None, description="The customer's contact spoken to")
    new_contact: NewContactIn | None = Field(None, description="Someone new spoken to: added to the customer")

    def contact(self) -> task_service.NewContact | None:
        return None if self.new_contact is None else task_service.NewContact(**self.new_contact.model_dump())


class Completed(BaseModel):
    task: TaskOut
    follow_up: TaskOut | None


TaskIds = Annotated[list[Id], Field(min_length=1, max_length=task_service.MAX_BULK)]


class BulkComplete(Request):
    ids: TaskIds


class BulkReassign(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"ids": [1, 2], "assignee": "sam"}]})

    ids: TaskIds
    assignee: UserName


class BulkMove(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"ids": [1], "due_date": "2026-07-31"}]})

    ids: TaskIds
    due_date: Day


class BulkCompleted(BaseModel):
    completed: int


class BulkReassigned(BaseModel):
    reassigned: int


class BulkMoved(BaseModel):
    moved: int
