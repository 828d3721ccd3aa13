"""A customer's credit line, and a credit hold set or released."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from ...services.credit import CreditLine
from .common import NO_NUL, Currency, MoneyOut, Request


class CreditOut(BaseModel):
    external_id: str
    name: str
    currency: Currency
    credit_limit: MoneyOut | None
    exposure: MoneyOut
    available: MoneyOut | None
    score: int | None
    max_score: int | None
    score_date: date | None
    score_source: str | None
    behavioural_score: int | None
    credit_hold: bool
    hold_note: str | None
    next_review_date: date | None
    flags: list[str]

    @classmethod
    def of(cls, line: CreditLine) -> CreditOut:
        document = line.document()
        return cls.model_validate({**document, "hold_note": line.hold_note})


class CreditHoldIn(Request):
    hold: bool
    note: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=2_000)] | None = None
