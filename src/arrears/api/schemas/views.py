"""Saved views of the task list."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from ...services.workspace_ports import SavedView
from .common import NO_NUL, Request


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
