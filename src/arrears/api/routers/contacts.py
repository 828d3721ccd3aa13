"""/api/v1/contacts: customers' contacts, read and written with the CSV import's validation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from ...services import ledger
from ..deps import CurrentUser, Paging, QueryText, Uow
from ..errors import ERRORS
from ..schemas import NO_NUL, Batch, BatchResult, ContactIn, ContactOut, ContactRowIn, Page
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/contacts", tags=["contacts"], responses=ERRORS)

KIND = "contacts"
ExternalId = Annotated[str, Path(pattern=NO_NUL, min_length=1, max_length=128, examples=["K1"])]


@router.get("")
def list_contacts(
    user: CurrentUser, uow: Uow, paging: Paging, customer_external_id: QueryText = None
) -> Page[ContactOut]:
    """Contacts by customer, optionally of one customer."""
    page = ledger.list_records(
        uow, user, KIND, customer_external_id=customer_external_id, limit=paging.limit, offset=paging.offset
    )
    return Page[ContactOut].of(page.items, page.next_offset, ContactOut.of)


@router.post("/batch")
def upsert_contacts(body: Batch[ContactRowIn], user: CurrentUser, uow: Uow) -> BatchResult:
    """Create or update up to 10,000 contacts at once, by external id: all or nothing, like a CSV file."""
    summary = ledger.upsert_rows(uow, user, KIND, body.to_rows(), "contacts batch")
    counts = summary.counts
    return BatchResult(
        kind=KIND, rows=summary.rows, created=counts.created, updated=counts.updated, unchanged=counts.unchanged
    )


@router.get("/{external_id}")
def get_contact(
    external_id: ExternalId, user: CurrentUser, uow: Uow, customer_external_id: QueryText = None
) -> ContactOut:
    return ContactOut.of(ledger.get_record(uow, user, KIND, external_id, customer_external_id=customer_external_id))


@router.put("/{external_id}", responses={201: {"model": ContactOut, "description": "Created"}})
def put_contact(
    external_id: ExternalId, body: ContactIn, response: Response, user: CurrentUser, uow: Uow
) -> ContactOut:
    """Create (201) or update (200) one contact by external id; a field left out keeps its value."""
    created, record = ledger.put_record(uow, user, KIND, external_id, body.to_row(), "contact " + external_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return ContactOut.of(record)
