"""A customer's history, page by page and filtered (kind of entry, invoice, workflow step), its emails
(status, step, invoice, with how many match), and one email opened whole: its headers and its body
as it went out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.responses import HTMLResponse, Response

from ...services import history
from ..pages import WebRoute, WebState, WebUser, list_link, render
from .customers import record_path

router = APIRouter(route_class=WebRoute, include_in_schema=False)

EmailId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
Page = Annotated[int, Query(ge=1, le=100_000)]
Name = Annotated[str, Query(max_length=128)]
# The email's HTML as sent, opened on its own: no script, no request anywhere (its images are not
# loaded), in a sandbox of its own origin.
NOT_SENT = "<!doctype html><html><body><p>Not sent yet: the body is made when the email is sent.</p></body></html>"
BODY_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'none'"


@router.get("/customers/{external_id:path}/history")
def history_page(
    request: Request,
    external_id: str,
    user: WebUser,
    web: WebState,
    kind: Annotated[str, Query(max_length=32)] = "",
    invoice: Name = "",
    step: Annotated[str, Query(max_length=64)] = "",
    page: Page = 1,
) -> Response:
    found = history.history(web.arrears.uow(), user, external_id, kind=kind, invoice=invoice, step=step, page=page)
    params = {"kind": kind, "invoice": invoice, "step": step}
    return render(
        request,
        "history.html",
        user=user,
        found=found,
        params=params,
        filtered=any(params.values()),
        link=list_link(f"{record_path(external_id)}/history", params),
        emails_link=list_link(f"{record_path(external_id)}/emails", {"invoice": invoice, "step": step}),
        record=record_path(external_id),
        page=page,
        has_next=found.page.next_offset is not None,
    )


@router.get("/customers/{external_id:path}/emails")
def email_list(
    request: Request,
    external_id: str,
    user: WebUser,
    web: WebState,
    status: Annotated[str, Query(max_length=16)] = "",
    step: Annotated[str, Query(max_length=64)] = "",
    invoice: Name = "",
    page: Page = 1,
) -> Response:
    found = history.emails(web.arrears.uow(), user, external_id, status=status, step=step, invoice=invoice, page=page)
    params = {"status": status, "step": step, "invoice": invoice}
    return render(
        request,
        "emails.html",
        user=user,
        found=found,
        params=params,
        filtered=any(params.values()),
        statuses=history.EMAIL_STATUSES,
        link=list_link(f"{record_path(external_id)}/emails", params),
        record=record_path(external_id),
        page=page,
        has_next=found.page.next_offset is not None,
    )


@router.get("/emails/{email_id}")
def email_page(request: Request, email_id: EmailId, user: WebUser, web: WebState) -> Response:
    found = history.email(web.arrears.uow(), user, email_id)
    return render(request, "email.html", user=user, e=found, record=record_path(found.customer_external_id))


@router.get("/emails/{email_id}/body")
def email_body(email_id: EmailId, user: WebUser, web: WebState) -> Response:
    """The HTML part as it went out, alone, under a policy that runs nothing and loads nothing."""
    found = history.email(web.arrears.uow(), user, email_id)
    body = found.html or NOT_SENT
    return HTMLResponse(body, headers={"content-security-policy": BODY_CSP})
