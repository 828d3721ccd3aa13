"""Ledger records (customers, contacts, invoices, payments, credit notes): rows in, as the CSV columns
of docs/csv.md, one or a batch; and the stored records out."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...domain.money import format_minor
from ...services.workspace_ports import CashRow, ContactRow, CustomerRow, InvoiceRow, LedgerRecord
from .common import INT32, CsvText, Day, MoneyIn, MoneyOut, Request


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
    issue_date: Day
    due_date: Day
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
    date: Day
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
    date: Day
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
    credit_hold: bool = Field(
        description="On credit hold: no new orders on credit until a manager releases it (`arrears credit release`)"
    )

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
            credit_hold=row.credit_hold,
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
