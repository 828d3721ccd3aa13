"""/api/v1/payments: payments (one row per allocation), read and written with the CSV import's validation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from ...services import ledger
from ..deps import CurrentUser, Paging, QueryText, Uow
from ..errors import ERRORS
from ..schemas import NO_NUL, Batch, BatchResult, Page, PaymentIn, PaymentOut, PaymentRowIn
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/payments", tags=["payments"], responses=ERRORS)

KIND = "payments"
ExternalId = Annotated[str, Path(pattern=NO_NUL, min_length=1, max_length=128, examples=["PAY1"])]


@router.get("")
def list_payments(
    user: CurrentUser, uow: Uow, paging: Paging, customer_external_id: QueryText = None
) -> Page[PaymentOut]:
    """Payments by external id, optionally of one customer."""
    page = ledger.list_records(
        uow, user, KIND, customer_external_id=customer_external_id, limit=paging.limit, offset=paging.offset
    )
    return Page[PaymentOut].of(page.items, page.next_offset, PaymentOut.of)


@router.post("/batch")
def upsert_payments(body: Batch[PaymentRowIn], user: CurrentUser, uow: Uow) -> BatchResult:
    """Create or update up to 10,000 payments at once, by external id: all or nothing, like a CSV file."""
    summary = ledger.upsert_rows(uow, user, KIND, body.to_rows(), "payments batch")
    counts = summary.counts
    return BatchResult(
        kind=KIND, rows=summary.rows, created=counts.created, updated=counts.updated, unchanged=counts.unchanged
    )


@router.get("/{external_id}")
def get_payment(external_id: ExternalId, user: CurrentUser, uow: Uow) -> PaymentOut:
    return PaymentOut.of(ledger.get_record(uow, user, KIND, external_id))


@router.put("/{external_id}", responses={201: {"model": PaymentOut, "description": "Created"}})
def put_payment(
    external_id: ExternalId, body: PaymentIn, response: Response, user: CurrentUser, uow: Uow
) -> PaymentOut:
    """Create (201) or update (200) one payment by external id; a field left out keeps its value."""
    created, record = ledger.put_record(uow, user, KIND, external_id, body.to_row(), "payment " + external_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return PaymentOut.of(record)
