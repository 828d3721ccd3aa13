"""/api/v1/disputes: an invoice the customer contests is not chased until the dispute closes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, status

from ...services import disputes
from ..deps import CurrentUser, Paging, Uow
from ..errors import ERRORS
from ..schemas import INT32, NO_NUL, DisputeAssign, DisputeClose, DisputeCreate, DisputeOut, Page
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/disputes", tags=["disputes"], responses=ERRORS)

DisputeId = Annotated[int, Path(ge=1, le=INT32, examples=[1])]
# The body of resolve and reject may be left out: the dispute closes with "Resolved" or "Rejected".
OptionalClose = Annotated[DisputeClose | None, Body()]


@router.post("", status_code=status.HTTP_201_CREATED)
def open_dispute(body: DisputeCreate, user: CurrentUser, uow: Uow) -> DisputeOut:
    """Open a dispute on an invoice (all of its outstanding amount unless an amount is given)."""
    row = disputes.open_dispute(
        uow, user, body.invoice_external_id, body.reason, amount=body.amount, note=body.note, owner=body.owner
    )
    return DisputeOut.of(row)


@router.get("")
def list_disputes(
    user: CurrentUser,
    uow: Uow,
    paging: Paging,
    dispute_status: Annotated[Literal["open", "resolved", "rejected", "all"], Query(alias="status")] = "all",
    reason: Annotated[str | None, Query(pattern=NO_NUL, max_length=64, description="Only this reason code")] = None,
    owner: Annotated[str | None, Query(pattern=NO_NUL, max_length=100, description="Only those this user owns")] = None,
    customer_external_id: Annotated[
        str | None, Query(pattern=NO_NUL, max_length=128, description="Only this customer's")
    ] = None,
) -> Page[DisputeOut]:
    """Disputes, newest first; narrowed by status, reason, owner and customer."""
    wanted = None if dispute_status == "all" else dispute_status
    page = disputes.list_disputes(
        uow,
        user,
        wanted,
        paging.limit,
        paging.offset,
        reason=reason,
        owner=owner,
        customer_external_id=customer_external_id,
    )
    return Page[DisputeOut].of(page.items, page.next_offset, DisputeOut.of)


@router.get("/{dispute_id}")
def get_dispute(dispute_id: DisputeId, user: CurrentUser, uow: Uow) -> DisputeOut:
    return DisputeOut.of(disputes.get_dispute(uow, user, dispute_id))


@router.post("/{dispute_id}/resolve")
def resolve_dispute(dispute_id: DisputeId, user: CurrentUser, uow: Uow, body: OptionalClose = None) -> DisputeOut:
    """Close the dispute as resolved (managers and owners); chasing resumes. With `credit_note`
    and/or `write_off`, each is recorded on the ledger against the invoice as a credit note."""
    body = body or DisputeClose.model_validate({})
    row = disputes.close_dispute(
        uow, user, dispute_id, "resolved", body.resolution, credit_note=body.credit_note, write_off=body.write_off
    )
    return DisputeOut.of(row)


@router.post("/{dispute_id}/reject")
def reject_dispute(dispute_id: DisputeId, user: CurrentUser, uow: Uow, body: OptionalClose = None) -> DisputeOut:
    """Close the dispute as rejected (managers and owners); chasing resumes. A rejection records
    nothing on the ledger (`credit_note` or `write_off` is refused)."""
    body = body or DisputeClose.model_validate({})
    row = disputes.close_dispute(
        uow, user, dispute_id, "rejected", body.resolution, credit_note=body.credit_note, write_off=body.write_off
    )
    return DisputeOut.of(row)


@router.post("/{dispute_id}/assign")
def assign_dispute(dispute_id: DisputeId, body: DisputeAssign, user: CurrentUser, uow: Uow) -> DisputeOut:
    """Hand an open dispute to another user (managers and owners)."""
    return DisputeOut.of(disputes.assign_dispute(uow, user, dispute_id, body.owner))
