"""/api/v1/issues: collection objectives on an account, each grouping tasks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ...services import accounts
from ..deps import CurrentUser, QueryText, Uow
from ..errors import ERRORS
from ..schemas import IssueOut, Page
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/issues", tags=["issues"], responses=ERRORS)


@router.get("")
def list_issues(
    user: CurrentUser,
    uow: Uow,
    customer_external_id: QueryText = None,
    issue_status: Annotated[Literal["open", "closed", "all"], Query(alias="status")] = "all",
) -> Page[IssueOut]:
    """Issues, newest first, of one customer or all."""
    wanted = None if issue_status == "all" else issue_status
    return Page[IssueOut].of(accounts.list_issues(uow, user, customer_external_id, wanted), None, IssueOut.of)
