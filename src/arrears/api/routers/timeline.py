"""/api/v1/customers/{external_id}/timeline: everything that happened on an account, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ...services import history
from ..deps import CurrentUser, Paging, Uow
from ..errors import ERRORS
from ..schemas import NO_NUL, Page, TimelineOut
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/customers", tags=["customers"], responses=ERRORS)


@router.get("/{external_id}/timeline")
def timeline(
    external_id: Annotated[str, Path(pattern=NO_NUL, min_length=1, max_length=128, examples=["C1"])],
    user: CurrentUser,
    uow: Uow,
    paging: Paging,
    kind: Annotated[
        str | None, Query(max_length=32, pattern=NO_NUL, description="An entity: task, email, dispute…")
    ] = None,
    invoice: Annotated[
        str | None, Query(max_length=128, pattern=NO_NUL, description="An invoice's external id: the entries about it")
    ] = None,
    step: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="A workflow step: its emails and tasks")
    ] = None,
) -> Page[TimelineOut]:
    """Tasks, promises, disputes, plans and more on the account, from the audit log, newest first;
    narrowed to a kind of entry, an invoice or a workflow step when asked."""
    page = history.timeline(uow, user, external_id, paging.limit, paging.offset, kind=kind, invoice=invoice, step=step)
    return Page[TimelineOut].of(page.items, page.next_offset, TimelineOut.of)
