"""Disputes: opening one on an invoice, closing it, and the dispute as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...domain.money import format_minor
from ...services.workspace_ports import DisputeRow
from .common import NO_NUL, ExternalId, MoneyIn, MoneyOut, Request, Text, UserName


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
    """How the dispute closed. Resolving may record a credit note and a write-off against the
    invoice (together at most the disputed amount)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"resolution": "Price corrected", "credit_note": "50.00"}]},
    )

    resolution: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=10_000)] | None = Field(
        None, description='The note on the timeline (default: "Resolved" or "Rejected")'
    )
    credit_note: MoneyIn | None = Field(
        None, description="Resolve only: a credit note of this amount against the invoice (DISPUTE-<id>-CN)"
    )
    write_off: MoneyIn | None = Field(
        None, description="Resolve only: write off this amount (a credit note, reason write_off, DISPUTE-<id>-WO)"
    )


class DisputeAssign(Request):
    owner: UserName = Field(description="The user who owns the dispute from now on")


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
    credit_note: MoneyOut | None = Field(
        None, description="The credit note its resolution recorded (DISPUTE-<id>-CN); null when none"
    )
    write_off: MoneyOut | None = Field(
        None, description="The amount its resolution wrote off (DISPUTE-<id>-WO); null when none"
    )

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
            credit_note=_money(row.credit_note_minor, row.currency),
            write_off=_money(row.write_off_minor, row.currency),
        )


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else format_minor(minor, currency)
