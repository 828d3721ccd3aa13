"""/api/v1/customers: customers, read and written with the CSV import's validation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from ...services import ledger
from ..deps import CurrentUser, Paging, QueryText, Uow
from ..errors import ERRORS
from ..schemas import NO_NUL, Batch, BatchResult, CustomerIn, CustomerOut, CustomerRowIn, Page
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/customers", tags=["customers"], responses=ERRORS)

KIND = "customers"
ExternalId = Annotated[str, Path(pattern=NO_NUL, min_length=1, max_length=128, examples=["C1"])]


@router.get("")
def list_customers(
    user: CurrentUser, uow: Uow, paging: Paging, customer_external_id: QueryText = None
) -> Page[CustomerOut]:
    """Customers by external id, optionally of one customer."""
    page = ledger.list_records(
        uow, user, KIND, customer_external_id=customer_external_id, limit=paging.limit, offset=paging.offset
    )
    return Page[CustomerOut].of(page.items, page.next_offset, CustomerOut.of)


@router.post("/batch")
def upsert_customers(body: Batch[CustomerRowIn], user: CurrentUser, uow: Uow) -> BatchResult:
    """Create or update up to 10,000 customers at once, by external id: all or nothing, like a CSV file."""
    summary = ledger.upsert_rows(uow, user, KIND, body.to_rows(), "customers batch")
    counts = summary.counts
    return BatchResult(
        kind=KIND, rows=summary.rows, created=counts.created, updated=counts.updated, unchanged=counts.unchanged
    )


@router.get("/{external_id}")
def get_customer(external_id: ExternalId, user: CurrentUser, uow: Uow) -> CustomerOut:
    return CustomerOut.of(ledger.get_record(uow, user, KIND, external_id))


@router.put("/{external_id}", responses={201: {"model": CustomerOut, "description": "Created"}})
def put_customer(
    external_id: ExternalId, body: CustomerIn, response: Response, user: CurrentUser, uow: Uow
) -> CustomerOut:
    """Create (201) or update (200) one customer by external id; a field left out keeps its value."""
    created, record = ledger.put_record(uow, user, KIND, external_id, body.to_row(), "customer " + external_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return CustomerOut.of(record)
