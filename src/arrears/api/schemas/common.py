"""What every schema of the API uses: bounded texts and ids, money as decimal strings, request
bodies that refuse unknown fields, and pages.

Money is a decimal string in the currency's minor unit ("1234.50"), never a JSON number, so no float
ever touches an amount. Dates are `YYYY-MM-DD`; timestamps are ISO 8601 in UTC. No text may hold a
NUL character (PostgreSQL cannot store one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...domain.dates import FIRST_DAY, LAST_DAY, SUPPORTED

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
# A date a client sends: within the days Arrears computes with (domain/dates.py), else a 422.
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY, description=f"YYYY-MM-DD, from {SUPPORTED}")]
CsvText = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=1_000)]

T = TypeVar("T")
R = TypeVar("R")


class Request(BaseModel):
    """A request body: unknown fields are an error, as unknown CSV columns are."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="The cursor of the next page, or null on the last one")

    @classmethod
    def of(cls, items: Sequence[R], next_offset: int | None, render: Callable[[R], T]) -> Page[T]:
        return cls(items=[render(item) for item in items], next=None if next_offset is None else str(next_offset))
