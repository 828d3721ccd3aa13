"""/api/v1/credit-notes: credit notes, read and written with the CSV import's validation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from ...services import ledger
from ..deps import CurrentUser, Paging, QueryText, Uow
from ..errors import ERRORS
from ..schemas import NO_NUL, Batch, BatchResult, CreditNoteIn, CreditNoteOut, CreditNoteRowIn, Page
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/credit-notes", tags=["credit-notes"], responses=ERRORS)

KIND = "credit-notes"
ExternalId = Annotated[str, Path(pattern=NO_NUL, min_length=1, max_length=128, examples=["CN1"])]


@router.get("")
def list_credit_notes(
    user: CurrentUser, uow: Uow, paging: Paging, customer_external_id: QueryText = None
) -> Page[CreditNoteOut]:
    """Credit notes by external id, optionally of one customer."""
    page = ledger.list_records(
        uow, user, KIND, customer_external_id=customer_external_id, limit=paging.limit, offset=paging.offset
    )
    return Page[CreditNoteOut].of(page.items, page.next_offset, CreditNoteOut.of)


@router.post("/batch")
def upsert_credit_notes(body: Batch[CreditNoteRowIn], user: CurrentUser, uow: Uow) -> BatchResult:
    """Create or update up to 10,000 credit notes at once, by external id: all or nothing, like a CSV file."""
    summary = ledger.upsert_rows(uow, user, KIND, body.to_rows(), "credit-notes batch")
    counts = summary.counts
    return BatchResult(
        kind=KIND, rows=summary.rows, created=counts.created, updated=counts.updated, unchanged=counts.unchanged
    )


@router.get("/{external_id}")
def get_credit_note(external_id: ExternalId, user: CurrentUser, uow: Uow) -> CreditNoteOut:
    return CreditNoteOut.of(ledger.get_record(uow, user, KIND, external_id))


@router.put("/{external_id}", responses={201: {"model": CreditNoteOut, "description": "Created"}})
def put_credit_note(
    external_id: ExternalId, body: CreditNoteIn, response: Response, user: CurrentUser, uow: Uow
) -> CreditNoteOut:
    """Create (201) or update (200) one credit note by external id; a field left out keeps its value."""
    created, record = ledger.put_record(uow, user, KIND, external_id, body.to_row(), "credit note " + external_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return CreditNoteOut.of(record)
