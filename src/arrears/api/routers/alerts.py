"""/api/v1/alerts: what a person must look at (contributors see their own)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from ...services import alerts
from ..deps import CurrentUser, Paging, Uow
from ..errors import ERRORS
from ..schemas import INT32, AlertOut, Page
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/alerts", tags=["alerts"], responses=ERRORS)


@router.get("")
def list_alerts(
    user: CurrentUser,
    uow: Uow,
    paging: Paging,
    alert_status: Annotated[Literal["open", "closed", "all"], Query(alias="status")] = "open",
) -> Page[AlertOut]:
    """Alerts, newest first."""
    wanted = None if alert_status == "all" else alert_status
    page = alerts.list_alerts(uow, user, wanted, paging.limit, paging.offset)
    return Page[AlertOut].of(page.items, page.next_offset, AlertOut.of)


@router.post("/{alert_id}/dismiss", status_code=status.HTTP_204_NO_CONTENT)
def dismiss_alert(alert_id: Annotated[int, Path(ge=1, le=INT32, examples=[1])], user: CurrentUser, uow: Uow) -> None:
    """Close an open alert (managers and owners)."""
    alerts.dismiss_alert(uow, user, alert_id)
