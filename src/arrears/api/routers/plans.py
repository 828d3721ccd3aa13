"""/api/v1/payment-plans: invoices put on dated instalments that add up to what they owe."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from ...services import plans
from ..deps import CurrentUser, Uow
from ..errors import ERRORS
from ..schemas import INT32, PlanCreate, PlanOut
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/payment-plans", tags=["payment plans"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_plan(body: PlanCreate, user: CurrentUser, uow: Uow) -> PlanOut:
    """The instalments must add up to the invoices' outstanding amount, on distinct dates from today on."""
    return PlanOut.of(plans.create_plan(uow, user, body.invoice_external_ids, body.to_instalments()))


@router.get("/{plan_id}")
def get_plan(plan_id: Annotated[int, Path(ge=1, le=INT32, examples=[1])], user: CurrentUser, uow: Uow) -> PlanOut:
    return PlanOut.of(plans.get_plan(uow, user, plan_id))
