"""/api/v1/invoices: invoices, read and written with the CSV import's validation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from ...services import ledger
from ..deps import CurrentUser, Paging, QueryText, Uow
from ..errors import ERRORS
from ..schemas import NO_NUL, Batch, BatchResult, InvoiceIn, InvoiceOut, InvoiceRowIn, Page
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/invoices", tags=["invoices"], responses=ERRORS)

KIND = "invoices"
ExternalId = Annotated[str, Path(pattern=NO_NUL, min_length=1, max_length=128, examples=["I1"])]


@router.get("")
def list_invoices(
    user: CurrentUser, uow: Uow, paging: Paging, customer_external_id: QueryText = None
) -> Page[InvoiceOut]:
    """Invoices by external id, optionally of one customer."""
    page = ledger.list_records(
        uow, user, KIND, customer_external_id=customer_external_id, limit=paging.limit, offset=paging.offset
    )
    return Page[InvoiceOut].of(page.items, page.next_offset, InvoiceOut.of)


@router.post("/batch")
def upsert_invoices(body: Batch[InvoiceRowIn], user: CurrentUser, uow: Uow) -> BatchResult:
    """Create or update up to 10,000 invoices at once, by external id: all or nothing, like a CSV file."""
    summary = ledger.upsert_rows(uow, user, KIND, body.to_rows(), "invoices batch")
    counts = summary.counts
    return BatchResult(
        kind=KIND, rows=summary.rows, created=counts.created, updated=counts.updated, unchanged=counts.unchanged
    )


@router.get("/{external_id}")
def get_invoice(external_id: ExternalId, user: CurrentUser, uow: Uow) -> InvoiceOut:
    return InvoiceOut.of(ledger.get_record(uow, user, KIND, external_id))


@router.put("/{external_id}", responses={201: {"model": InvoiceOut, "description": "Created"}})
def put_invoice(
    external_id: ExternalId, body: InvoiceIn, response: Response, user: CurrentUser, uow: Uow
) -> InvoiceOut:
    """Create (201) or update (200) one invoice by external id; a field left out keeps its value."""
    created, record = ledger.put_record(uow, user, KIND, external_id, body.to_row(), "invoice " + external_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return InvoiceOut.of(record)
