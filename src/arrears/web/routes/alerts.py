"""The alerts: what needs attention (stale tasks, disputes, broken promises, failed emails), and
dismissing one. Contributors see their own; managers and owners see all and dismiss (services/alerts.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from ...domain.alerts import AlertKind, label
from ...services import alerts
from ..pages import BadForm, Form, WebRoute, WebState, WebUser, list_link, local_path, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 25
AlertId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
KINDS = [(kind.value, label(kind)) for kind in AlertKind]


@router.get("/alerts")
def alert_list(
    request: Request,
    user: WebUser,
    web: WebState,
    status: Annotated[str, Query(pattern="^(open|closed)$")] = "open",
    kind: Annotated[str, Query(max_length=32, pattern=r"^[a-z_]*$")] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    found = alerts.list_alerts(web.arrears.uow(), user, status, PAGE_SIZE, (page - 1) * PAGE_SIZE, kind=kind or None)
    counts = alerts.open_counts(web.arrears.uow(), user)
    params = {"status": status, "kind": kind}

    link = list_link("/alerts", params)

    return render(
        request,
        "alerts.html",
        user=user,
        rows=found.items,
        params=params,
        link=link,
        page=page,
        has_next=found.next_offset is not None,
        kinds=KINDS,
        counts=counts,
        label=label,
        can_dismiss=alerts.may_dismiss(user),
        back=link(page=page if page > 1 else None),
    )


async def selected_alerts(request: Request) -> list[int]:
    """The alert numbers ticked on the page (the form was read, its CSRF token checked, by `Form`)."""
    chosen = (await request.form()).getlist("ids")
    if not all(isinstance(v, str) and v.isdigit() and len(v) <= 10 for v in chosen):
        raise BadForm("the alerts selected are not alert numbers")
    return [int(v) for v in chosen if isinstance(v, str)]


@router.post("/alerts/dismiss")
def dismiss_many(
    request: Request, user: WebUser, web: WebState, form: Form, ids: Annotated[list[int], Depends(selected_alerts)]
) -> Response:
    """Dismiss the alerts ticked on the page, or (`all_of_kind`) every open alert of a kind."""
    kind = form.get("all_of_kind", "").strip()
    count = alerts.dismiss_alerts(web.arrears.uow(), user, None if kind else ids, kind=kind or None)
    request.state.session.flash(f"{count} alert{'s' if count != 1 else ''} dismissed.")
    return redirect(local_path(form.get("back"), "/alerts"))


@router.post("/alerts/{alert_id}/dismiss")
def dismiss(request: Request, alert_id: AlertId, user: WebUser, web: WebState, form: Form) -> Response:
    alerts.dismiss_alert(web.arrears.uow(), user, alert_id)
    request.state.session.flash(f"Alert {alert_id} dismissed.")
    return redirect(local_path(form.get("back"), "/alerts"))
