"""/api/v1/customers/{external_id}/credit: a customer's credit line, and its credit hold."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ...services import credit
from ..deps import ArrearsApp, CurrentUser, Uow
from ..errors import ERRORS
from ..schemas import NO_NUL
from ..schemas.credit import CreditHoldIn, CreditOut
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/customers", tags=["credit"], responses=ERRORS)

ExternalId = Annotated[str, Path(pattern=NO_NUL, min_length=1, max_length=128, examples=["C1"])]


@router.get("/{external_id}/credit")
def get_credit(external_id: ExternalId, user: CurrentUser, uow: Uow, arrears: ArrearsApp) -> CreditOut:
    """Limit, exposure, available, the score that counts, the behavioural score, credit hold, the
    next review and the flags (docs/credit.md)."""
    return CreditOut.of(credit.customer_credit(uow, user, external_id, arrears.credit_policy()))


@router.put("/{external_id}/credit-hold")
def put_credit_hold(
    external_id: ExternalId, body: CreditHoldIn, user: CurrentUser, uow: Uow, arrears: ArrearsApp
) -> CreditOut:
    """Put the customer on credit hold (`hold: true`) or release it (managers and owners), with a
    note for its timeline; the same state asked again changes nothing."""
    if body.hold:
        credit.hold(uow, user, external_id, body.note)
    else:
        credit.release(uow, user, external_id, body.note)
    return CreditOut.of(credit.customer_credit(arrears.uow(), user, external_id, arrears.credit_policy()))
