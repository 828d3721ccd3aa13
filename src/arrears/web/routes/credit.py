"""The credit page (customers by exposure, their limits, scores, holds and flags, sorted and
filtered in SQL) and the customer record's credit hold form (managers and owners)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ...domain.permissions import Action, allowed
from ...services import credit
from ..pages import Form, WebRoute, WebState, WebUser, list_link, local_path, redirect, render
from .customers import CREDIT_FLAGS as FLAG_LABELS
from .customers import record_path

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 50
SORT_LABELS = {
    "-exposure": "Exposure, largest first (per currency)",
    "available": "Available, least first (per currency)",
    "score": "Score, lowest first",
    "name": "Name, A to Z",
    "-name": "Name, Z to A",
}
Flag = Annotated[str, Query(max_length=3, pattern="^(|on|1|true)$")]


@router.get("/credit")
def credit_list(
    request: Request,
    user: WebUser,
    web: WebState,
    flagged: Flag = "",
    on_hold: Flag = "",
    over_limit: Flag = "",
    currency: Annotated[str, Query(max_length=3, pattern="^[A-Za-z]{0,3}$")] = "",
    sort: Annotated[str, Query(max_length=16)] = "-exposure",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Every customer's credit: largest exposure first within each currency, by default."""
    found = credit.credit_page(
        web.arrears.uow(),
        user,
        web.arrears.credit_policy(),
        sort=sort,
        currency=currency.upper() or None,
        flagged=bool(flagged),
        on_hold=bool(on_hold),
        over_limit=bool(over_limit),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    params = {
        "flagged": flagged,
        "on_hold": on_hold,
        "over_limit": over_limit,
        "currency": currency.upper(),
        "sort": sort if sort != "-exposure" else "",
    }
    return render(
        request,
        "credit.html",
        user=user,
        lines=found.lines,
        currencies=found.currencies,
        params={**params, "sort": sort},
        filtered=any(v for k, v in params.items() if k != "sort"),
        link=list_link("/credit", params),
        page=page,
        has_next=found.next_offset is not None,
        sorts=SORT_LABELS,
        flag_labels=FLAG_LABELS,
        threshold=web.arrears.credit_policy().score_alert_below,
        may_manage=allowed(user, Action.WRITE_LEDGER),
    )


@router.post("/customers/{external_id:path}/credit-hold")
def credit_hold(request: Request, external_id: str, user: WebUser, web: WebState, form: Form) -> Response:
    """Put the customer on credit hold (`hold` = 1) or release it (0), with a note (managers and owners)."""
    on = form.get("hold", "") == "1"
    note = form.get("note", "").strip() or None
    action = credit.hold if on else credit.release
    changed = action(web.arrears.uow(), user, external_id, note)
    if on:
        request.state.session.flash(
            "Customer put on credit hold." if changed else "The customer was on credit hold already."
        )
    else:
        request.state.session.flash("Credit hold released." if changed else "The customer was not on credit hold.")
    return redirect(local_path(form.get("back"), record_path(external_id, "credit")))
