"""/api/v1/customers/{external_id}/timeline: everything that happened on an account, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ...services import accounts
from ..deps import CurrentUser, Paging, Uow
from ..errors import ERRORS
from ..schemas import NO_NUL, Page, TimelineOut

router = APIRouter(prefix="/customers", tags=["customers"], responses=ERRORS)


@router.get("/{external_id}/timeline")
def timeline(
    external_id: Annotated[str, Path(pattern=NO_NUL, min_length=1, max_length=128, examples=["C1"])],
    user: CurrentUser,
    uow: Uow,
    paging: Paging,
) -> Page[TimelineOut]:
    """Tasks, promises, disputes, plans and more on the account, from the audit log."""
    page = accounts.timeline(uow, user, external_id, paging.limit, paging.offset)
    return Page[TimelineOut].of(page.items, page.next_offset, TimelineOut.of)
