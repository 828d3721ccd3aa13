"""The API's JSON: request bodies (parsed into service arguments) and answers (rendered from rows).

Money is a decimal string in the currency's minor unit ("1234.50"), never a JSON number, so no float
ever touches an amount. Dates are `YYYY-MM-DD`; timestamps are ISO 8601 in UTC. No text may hold a
NUL character (PostgreSQL cannot store one). Ledger rows are the CSV columns of CONTRACT.md, checked
by the CSV import itself (services/ledger.py), so the API and the files accept exactly the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..domain.money import format_minor
from ..domain.plans import Instalment
from ..domain.tasks import TaskSource, TaskStatus, TaskType
from ..services import tasks as task_service
from ..services.settings import RuleSettings
from ..services.workspace_ports import (
    AlertRow,
    CashRow,
    ContactRow,
    CustomerRow,
    DisputeRow,
    InvoiceRow,
    IssueRow,
    LedgerRecord,
    PlanRow,
    SavedView,
    TaskRow,
    TimelineRow,
)

INT32 = 2_147_483_647  # ids and versions are 32-bit integers in the database
NO_NUL = r"^[^\x00]*$"
MONEY_IN = r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$"
MONEY_OUT = r"^-?[0-9]+(\.[0-9]+)?$"

Id = Annotated[int, Field(ge=1, le=INT32)]
Version = Annotated[int, Field(ge=1, le=INT32, description="The task's version as read; a stale one is a 409.")]
Text = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=10_000)]
ShortText = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=500)]
Description = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=5_000)]
ExternalId = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=128)]
UserName = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=64)]
Outcome = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=64)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
MoneyIn = Annotated[
    str,
    StringConstraints(pattern=MONEY_IN),
    Field(description="A decimal string with '.' as separator, e.g. 1234.50", examples=["100.00"]),
]
MoneyOut = Annotated[
    str,
    StringConstraints(pattern=MONEY_OUT),
    Field(description="A decimal string with the currency's decimals, e.g. 1234.50"),
]
CsvText = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=1_000)]

T = TypeVar("T")
R = TypeVar("R")


class Request(BaseModel):
    """A request body: unknown fields are an error, as unknown CSV columns are."""

    model_config = ConfigDict(extra="forbid")


# -- errors ---------------------------------------------------------------------------------------


class ErrorItem(BaseModel):
    row: int | None = Field(None, description="Row of the request (1 = first; 0 = the columns as a whole)")
    column: str | None = Field(None, description="The column, or where in the request the bad value is")
    reason: str


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable: not_found, forbidden, conflict, invalid_value, import_rejected, ...")
    message: str
    errors: list[ErrorItem] | None = None
    total_errors: int | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


# -- pages ----------------------------------------------------------------------------------------


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="The cursor of the next page, or null on the last one")

    @classmethod
    def of(cls, items: Sequence[R], next_offset: int | None, render: Callable[[R], T]) -> Page[T]:
        return cls(items=[render(item) for item in items], next=None if next_offset is None else str(next_offset))


# -- tasks ----------------------------------------------------------------------------------------


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
        )


class NewContactIn(Request):
    name: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=200)]
    phone: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=64)] | None = None
    email: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=254)] | None = None
    role: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=100)] | None = None


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
    due_date: date | None = Field(None, description="Default: today")
    invoice_external_ids: list[ExternalId] = Field(default_factory=list, max_length=1000)
    contact_id: Id | None = None
    new_contact: NewContactIn | None = None
    issue_id: Id | None = None
    issue_title: ShortText | None = Field(None, description="Opens a new issue on the account for this task")
    expected_amount: MoneyIn | None = Field(None, description="A promise to pay (expected_payment tasks)")
    expected_date: date | None = None
    expected_currency: Currency | None = Field(None, description="Default and only choice: the customer's")
    complete: bool = Field(False, description="Done at entry, when nothing is left to do")
    outcome: Outcome | None = None
    note: Text | None = None
    follow_up_date: date | None = None

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
    due_date: date | None = None
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
    follow_up_date: date | None = Field(None, description="Opens a follow-up task due that day")
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

    due_date: date
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
    due_date: date


class BulkCompleted(BaseModel):
    completed: int


class BulkReassigned(BaseModel):
    reassigned: int


class BulkMoved(BaseModel):
    moved: int


# -- ledger records -------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


class LedgerIn(Request):
    """A CSV row as JSON: a field left out keeps its stored value; null (or "") clears it."""

    def to_row(self) -> dict[str, str]:
        return {name: _cell(getattr(self, name)) for name in self.model_fields_set}


Tags = Annotated[list[Annotated[str, StringConstraints(pattern=r"^[^\x00;]*$", max_length=100)]], Field(max_length=100)]


class CustomerIn(LedgerIn):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Acme Ltd", "currency": "USD", "collector": "maria"}]}
    )

    name: CsvText
    currency: CsvText | None = None
    payment_terms_days: Annotated[int, Field(ge=0, le=INT32)] | CsvText | None = None
    credit_limit: MoneyIn | None = None
    collector: CsvText | None = Field(None, description="A user name")
    email: CsvText | None = None
    phone: CsvText | None = None
    tags: Tags | CsvText | None = Field(None, description="A list, or one ;-separated string")
    on_hold: bool | CsvText | None = None


class CustomerRowIn(CustomerIn):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"external_id": "C7", "name": "Gamma SA", "currency": "EUR"}]}
    )

    external_id: CsvText


class ContactIn(LedgerIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"customer_external_id": "C1", "name": "Pat Payables", "email": "ap@acme.example"}]
        },
    )

    customer_external_id: CsvText
    name: CsvText
    email: CsvText | None = None
    phone: CsvText | None = None
    role: CsvText | None = None
    receives_reminders: bool | CsvText | None = None


class ContactRowIn(ContactIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"customer_external_id": "C1", "external_id": "K7", "name": "Lee", "role": "AP clerk"}]
        },
    )

    external_id: CsvText | None = Field(None, description="Without one, a contact is known by its name")


class InvoiceIn(LedgerIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"customer_external_id": "C1", "issue_date": "2026-05-01", "due_date": "2026-05-31", "amount": "120.00"}
            ]
        },
    )

    customer_external_id: CsvText
    issue_date: date
    due_date: date
    amount: MoneyIn
    number: CsvText | None = Field(None, description="Default: the external id")
    currency: CsvText | None = Field(None, description="Default: the customer's")
    status: CsvText | None = Field(None, description="open or void; default open")


class InvoiceRowIn(InvoiceIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "external_id": "I7",
                    "customer_external_id": "C1",
                    "issue_date": "2026-05-01",
                    "due_date": "2026-05-31",
                    "amount": "120.00",
                }
            ]
        },
    )

    external_id: CsvText


class PaymentIn(LedgerIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"customer_external_id": "C1", "date": "2026-06-20", "amount": "10.00", "invoice_external_id": "I2"}
            ]
        },
    )

    customer_external_id: CsvText
    date: date
    amount: MoneyIn
    invoice_external_id: CsvText | None = Field(None, description="The allocation; empty: unapplied on account")
    currency: CsvText | None = None
    method: CsvText | None = None


class PaymentRowIn(PaymentIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "external_id": "PAY7",
                    "customer_external_id": "C1",
                    "date": "2026-06-20",
                    "amount": "10.00",
                    "invoice_external_id": "I1",
                }
            ]
        },
    )

    external_id: CsvText


class CreditNoteIn(LedgerIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"customer_external_id": "C1", "date": "2026-06-20", "amount": "5.00", "invoice_external_id": "I2"}
            ]
        },
    )

    customer_external_id: CsvText
    date: date
    amount: MoneyIn
    invoice_external_id: CsvText | None = None
    reason: CsvText | None = None


class CreditNoteRowIn(CreditNoteIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"external_id": "CN7", "customer_external_id": "C1", "date": "2026-06-20", "amount": "5.00"}]
        },
    )

    external_id: CsvText


L = TypeVar("L", bound=LedgerIn)


class Batch(Request, Generic[L]):
    rows: list[L] = Field(min_length=1, max_length=10_000)

    def to_rows(self) -> list[dict[str, str]]:
        return [row.to_row() for row in self.rows]


class BatchResult(BaseModel):
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int


class CustomerOut(BaseModel):
    external_id: str
    name: str
    currency: str
    payment_terms_days: int
    credit_limit: MoneyOut | None
    collector: str | None
    email: str | None
    phone: str | None
    tags: list[str]
    on_hold: bool

    @classmethod
    def of(cls, row: LedgerRecord) -> CustomerOut:
        assert isinstance(row, CustomerRow)
        limit = None if row.credit_limit_minor is None else format_minor(row.credit_limit_minor, row.currency)
        return cls(
            external_id=row.external_id,
            name=row.name,
            currency=row.currency,
            payment_terms_days=row.payment_terms_days,
            credit_limit=limit,
            collector=row.collector,
            email=row.email,
            phone=row.phone,
            tags=row.tags,
            on_hold=row.on_hold,
        )


class ContactOut(BaseModel):
    id: int
    customer_external_id: str
    external_id: str | None
    name: str
    email: str | None
    phone: str | None
    role: str | None
    receives_reminders: bool

    @classmethod
    def of(cls, row: LedgerRecord) -> ContactOut:
        assert isinstance(row, ContactRow)
        return cls(
            id=row.id,
            customer_external_id=row.customer_external_id,
            external_id=row.external_id,
            name=row.name,
            email=row.email,
            phone=row.phone,
            role=row.role,
            receives_reminders=row.receives_reminders,
        )


class InvoiceOut(BaseModel):
    external_id: str
    customer_external_id: str
    number: str
    issue_date: date
    due_date: date
    amount: MoneyOut
    outstanding_amount: MoneyOut
    currency: str
    status: Literal["open", "paid", "void", "written_off"]
    disputed: bool
    plan_id: int | None

    @classmethod
    def of(cls, row: LedgerRecord) -> InvoiceOut:
        assert isinstance(row, InvoiceRow)
        return cls(
            external_id=row.external_id,
            customer_external_id=row.customer_external_id,
            number=row.number,
            issue_date=row.issue_date,
            due_date=row.due_date,
            amount=format_minor(row.amount_minor, row.currency),
            outstanding_amount=format_minor(row.outstanding_minor, row.currency),
            currency=row.currency,
            status=row.status,  # type: ignore[arg-type]  # the table's check constraint holds it to these
            disputed=row.disputed,
            plan_id=row.plan_id,
        )


class PaymentOut(BaseModel):
    external_id: str
    customer_external_id: str
    date: date
    amount: MoneyOut
    currency: str
    invoice_external_id: str | None
    method: str | None

    @classmethod
    def of(cls, row: LedgerRecord) -> PaymentOut:
        assert isinstance(row, CashRow)
        return cls(
            external_id=row.external_id,
            customer_external_id=row.customer_external_id,
            date=row.date,
            amount=format_minor(row.amount_minor, row.currency),
            currency=row.currency,
            invoice_external_id=row.invoice_external_id,
            method=row.note,
        )


class CreditNoteOut(BaseModel):
    external_id: str
    customer_external_id: str
    date: date
    amount: MoneyOut
    currency: str
    invoice_external_id: str | None
    reason: str | None

    @classmethod
    def of(cls, row: LedgerRecord) -> CreditNoteOut:
        assert isinstance(row, CashRow)
        return cls(
            external_id=row.external_id,
            customer_external_id=row.customer_external_id,
            date=row.date,
            amount=format_minor(row.amount_minor, row.currency),
            currency=row.currency,
            invoice_external_id=row.invoice_external_id,
            reason=row.note,
        )


# -- disputes, plans, alerts, issues, timeline, views, settings -----------------------------------


class DisputeCreate(Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"invoice_external_id": "I2", "reason": "pricing", "amount": "50.00"}]},
    )

    invoice_external_id: ExternalId
    reason: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=40)]
    amount: MoneyIn | None = Field(None, description="Default: the whole outstanding amount")
    note: Text | None = None
    owner: UserName | None = Field(None, description="Default: you")


class DisputeClose(Request):
    resolution: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=10_000)]


class DisputeOut(BaseModel):
    id: int
    invoice_external_id: str
    customer_external_id: str
    reason: str
    amount: MoneyOut
    currency: str
    owner: str | None
    status: Literal["open", "resolved", "rejected"]
    resolution: str | None
    note: str | None
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: DisputeRow) -> DisputeOut:
        return cls(
            id=row.id,
            invoice_external_id=row.invoice_external_id,
            customer_external_id=row.customer_external_id,
            reason=row.reason,
            amount=format_minor(row.amount_minor, row.currency),
            currency=row.currency,
            owner=row.owner,
            status=row.status,  # type: ignore[arg-type]  # the table's check constraint holds it to these
            resolution=row.resolution,
            note=row.note,
            created_at=row.created_at,
            closed_at=row.closed_at,
        )


class InstalmentIn(Request):
    due_date: date
    amount: MoneyIn


class PlanCreate(Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "invoice_external_ids": ["I1"],
                    "instalments": [
                        {"due_date": "2026-07-15", "amount": "50.00"},
                        {"due_date": "2026-08-15", "amount": "50.00"},
                    ],
                }
            ]
        },
    )

    invoice_external_ids: list[ExternalId] = Field(min_length=1, max_length=1000)
    instalments: list[InstalmentIn] = Field(min_length=1, max_length=600, description="Adding up to the outstanding")

    def to_instalments(self) -> list[tuple[date, str]]:
        return [(i.due_date, i.amount) for i in self.instalments]


class InstalmentOut(BaseModel):
    due_date: date
    amount: MoneyOut


class PlanOut(BaseModel):
    id: int
    customer_external_id: str
    currency: str
    status: Literal["active", "completed", "defaulted"]
    start_date: date
    total: MoneyOut
    paid: MoneyOut
    invoice_external_ids: list[str]
    instalments: list[InstalmentOut]

    @classmethod
    def of(cls, row: PlanRow) -> PlanOut:
        def instalment(i: Instalment) -> InstalmentOut:
            return InstalmentOut(due_date=i.due_date, amount=format_minor(i.amount_minor, row.currency))

        return cls(
            id=row.id,
            customer_external_id=row.customer_external_id,
            currency=row.currency,
            status=row.status,  # type: ignore[arg-type]  # the table's check constraint holds it to these
            start_date=row.start_date,
            total=format_minor(row.total_minor, row.currency),
            paid=format_minor(row.paid_minor, row.currency),
            invoice_external_ids=row.invoice_external_ids,
            instalments=[instalment(i) for i in row.instalments],
        )


class AlertOut(BaseModel):
    id: int
    kind: str
    status: Literal["open", "closed"]
    message: str
    customer_external_id: str | None
    task_id: int | None
    user: str | None
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: AlertRow) -> AlertOut:
        return cls(
            id=row.id,
            kind=row.kind,
            status=row.status,  # type: ignore[arg-type]  # the table's check constraint holds it to these
            message=row.message,
            customer_external_id=row.customer_external_id,
            task_id=row.task_id,
            user=row.user,
            created_at=row.created_at,
            closed_at=row.closed_at,
        )


class IssueOut(BaseModel):
    id: int
    customer_external_id: str
    title: str
    status: Literal["open", "closed"]
    open_tasks: int
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: IssueRow) -> IssueOut:
        return cls(
            id=row.id,
            customer_external_id=row.customer_external_id,
            title=row.title,
            status=row.status,  # type: ignore[arg-type]  # the table's check constraint holds it to these
            open_tasks=row.open_tasks,
            created_at=row.created_at,
            closed_at=row.closed_at,
        )


class TimelineOut(BaseModel):
    at: datetime
    actor: str | None
    actor_kind: str
    entity: str
    entity_id: str | None
    action: str
    summary: str
    changes: dict[str, Any]

    @classmethod
    def of(cls, row: TimelineRow) -> TimelineOut:
        return cls(
            at=row.at,
            actor=row.actor,
            actor_kind=row.actor_kind,
            entity=row.entity,
            entity_id=row.entity_id,
            action=row.action,
            summary=row.summary,
            changes=row.changes,
        )


class ViewCreate(Request):
    name: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
    filters: dict[str, Any] = Field(default_factory=dict, description="The task list's filters, as the UI keeps them")
    is_default: bool = False


class ViewOut(BaseModel):
    id: int
    name: str
    filters: dict[str, Any]
    is_default: bool

    @classmethod
    def of(cls, row: SavedView) -> ViewOut:
        return cls(id=row.id, name=row.name, filters=row.filters, is_default=row.is_default)


Days = Annotated[int, Field(ge=0, le=3650)]
ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class SettingsOut(BaseModel):
    auto_close_paid_tasks: bool
    auto_close_issues: bool
    promises_close_tasks: bool
    stale_after_days: int
    plan_default_after_days: int
    dispute_reasons: list[str]

    @classmethod
    def of(cls, settings: RuleSettings) -> SettingsOut:
        return cls(
            auto_close_paid_tasks=settings.auto_close_paid_tasks,
            auto_close_issues=settings.auto_close_issues,
            promises_close_tasks=settings.promises_close_tasks,
            stale_after_days=settings.stale_after_days,
            plan_default_after_days=settings.plan_default_after_days,
            dispute_reasons=list(settings.dispute_reasons),
        )


class SettingsPatch(Request):
    auto_close_paid_tasks: bool | None = None
    auto_close_issues: bool | None = None
    promises_close_tasks: bool | None = None
    stale_after_days: Days | None = None
    plan_default_after_days: Days | None = None
    dispute_reasons: list[ReasonCode] | None = Field(None, min_length=1, max_length=100)

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}
