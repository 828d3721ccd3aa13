"""The body of every error answer: `{"error": {"code", "message", "errors"}}`."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
