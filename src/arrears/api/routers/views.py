"""/api/v1/views: a user's saved task-list views."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from ...services import accounts
from ..deps import CurrentUser, Uow
from ..errors import ERRORS
from ..schemas import INT32, Page, ViewCreate, ViewOut
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/views", tags=["views"], responses=ERRORS)


@router.get("")
def list_views(user: CurrentUser, uow: Uow) -> Page[ViewOut]:
    """Your saved views; "Open" (the default) and "All" until you save your own."""
    return Page[ViewOut].of(accounts.views(uow, user), None, ViewOut.of)


@router.post("", status_code=status.HTTP_201_CREATED)
def save_view(body: ViewCreate, user: CurrentUser, uow: Uow) -> ViewOut:
    """Save (or replace, by name) a view of the task list."""
    return ViewOut.of(accounts.save_view(uow, user, body.name, body.filters, body.is_default))


@router.delete("/{view_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_view(view_id: Annotated[int, Path(ge=1, le=INT32, examples=[1])], user: CurrentUser, uow: Uow) -> None:
    accounts.delete_view(uow, user, view_id)
