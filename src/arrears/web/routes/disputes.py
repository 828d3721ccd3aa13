"""The dispute list (status, reason, owner, customer; newest first), resolving or rejecting a
dispute with a note, and handing it to another owner (managers and owners: services/disputes.py
decides)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from ...domain.disputes import DisputeStatus
from ...services import disputes, users
from ..pages import BadForm, Form, WebRoute, WebState, WebUser, list_link, local_path, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 50
DisputeId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
STATUSES = {"open": "Open", "resolved": "Resolved", "rejected": "Rejected", "all": "All"}


@router.get("/disputes")
def dispute_list(
    request: Request,
    user: WebUser,
    web: WebState,
    status: Annotated[str, Query(pattern="^(open|resolved|rejected|all)$")] = "open",
    reason: Annotated[str, Query(max_length=64, pattern=r"^[a-z0-9_]*$")] = "",
    owner: Annotated[str, Query(max_length=100)] = "",
    customer: Annotated[str, Query(max_length=128)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    found = disputes.list_disputes(
        web.arrears.uow(),
        user,
        None if status == "all" else status,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
        reason=reason or None,
        owner=owner or None,
        customer_external_id=customer or None,
    )
    params = {"status": status, "reason": reason, "owner": owner, "customer": customer}

    link = list_link("/disputes", params)

    assert web.arrears.clock is not None
    now = web.arrears.clock.now()
    return render(
        request,
        "disputes.html",
        user=user,
        rows=found.items,
        params=params,
        link=link,
        page=page,
        has_next=found.next_offset is not None,
        statuses=STATUSES,
        reasons=disputes.reasons(web.arrears.uow()),
        people=users.list_users(web.arrears.uow()),
        may_close=disputes.may_close(user),
        age=lambda opened: _age(opened, now),
        back=link(page=page if page > 1 else None),
        filtered=any((reason, owner, customer)),
    )


def _age(opened: datetime, now: datetime) -> str:
    days = (now - opened).days
    return "today" if days <= 0 else f"{days} day{'s' if days != 1 else ''}"


@router.post("/disputes/{dispute_id}/assign")
def assign(request: Request, dispute_id: DisputeId, user: WebUser, web: WebState, form: Form) -> Response:
    """Hand an open dispute to another user (audited: the owner before and after, on the timeline)."""
    owner = form.get("owner", "").strip()
    if not owner:
        raise BadForm("choose who owns the dispute")
    row = disputes.assign_dispute(web.arrears.uow(), user, dispute_id, owner)
    request.state.session.flash(f"Dispute on invoice {row.invoice_external_id} now owned by {row.owner}.")
    return redirect(local_path(form.get("back"), "/disputes"))


@router.post("/disputes/{dispute_id}/{outcome}")
def close(request: Request, dispute_id: DisputeId, outcome: str, user: WebUser, web: WebState, form: Form) -> Response:
    """Resolve or reject a dispute, saying how (the note goes on the customer's timeline)."""
    status = {"resolve": DisputeStatus.RESOLVED, "reject": DisputeStatus.REJECTED}.get(outcome)
    if status is None:
        raise BadForm("a dispute is resolved or rejected")
    note = form.get("resolution", "").strip()
    if not note:
        raise BadForm("say how the dispute was settled")
    # Resolving may record a credit note and a write-off against the invoice (empty fields: none).
    row = disputes.close_dispute(
        web.arrears.uow(),
        user,
        dispute_id,
        status,
        note,
        credit_note=form.get("credit_note", "").strip() or None,
        write_off=form.get("write_off", "").strip() or None,
    )
    request.state.session.flash(
        f"Dispute on invoice {row.invoice_external_id} {row.status}"
        + (": chasing of the invoice resumes." if row.status == DisputeStatus.REJECTED else ".")
    )
    return redirect(local_path(form.get("back"), "/disputes"))
