"""Payment plans: instalments adding up to what is outstanding, and the plan as the API shows it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ...domain.money import format_minor
from ...domain.plans import Instalment
from ...services.workspace_ports import PlanRow
from .common import Day, ExternalId, MoneyIn, MoneyOut, Request


class InstalmentIn(Request):
    due_date: Day
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
