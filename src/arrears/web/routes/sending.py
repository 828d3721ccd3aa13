"""What is sent from a customer's record: an email written or chosen there ("Email this customer",
sent at once through the outbox), the customer's statement as a PDF, a copy of one of its invoices.

Included before `customers`, whose record route (`/customers/{external_id:path}`) would take these
addresses for a customer id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ...services import sending, statements
from ..pages import BadForm, Form, WebRoute, WebState, WebUser, redirect, render
from .customers import record_path

router = APIRouter(route_class=WebRoute, include_in_schema=False)

MAX_CHOSEN = 1000  # values of one repeated field the page reads at most


async def chosen(request: Request) -> dict[str, tuple[str, ...]]:
    """The repeated fields of the form (`to`, `invoice`), each value once. The form was read, and its
    CSRF token checked, by the `Form` dependency: Starlette keeps it."""
    form = await request.form()
    found: dict[str, tuple[str, ...]] = {}
    for name in ("to", "invoice"):
        values = [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]
        if len(values) > MAX_CHOSEN:
            raise BadForm(f"choose at most {MAX_CHOSEN} values for {name!r}")
        found[name] = tuple(dict.fromkeys(values))
    return found


Chosen = Annotated[dict[str, tuple[str, ...]], Depends(chosen)]
TICKED = ("on", "1", "true")


def pdf(document: statements.Document) -> Response:
    return Response(
        document.data,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{document.filename}"'},
    )


@router.get("/customers/{external_id:path}/email")
def email_form(request: Request, external_id: str, user: WebUser, web: WebState) -> Response:
    form = sending.email_form(web.arrears.uow(), user, web.arrears.templates.names(), external_id)
    return render(
        request,
        "send_email.html",
        user=user,
        form=form,
        c=form.customer,
        max_subject=sending.MAX_SUBJECT,
        max_body=sending.MAX_BODY,
    )


@router.post("/customers/{external_id:path}/email")
def send_email(request: Request, external_id: str, user: WebUser, web: WebState, form: Form, lists: Chosen) -> Response:
    """Queue the email and send it at once; back to the record's emails, saying how it went."""
    email = sending.HandEmail(
        key=form.get("key", ""),
        to=lists["to"],
        template=form.get("template", "").strip() or None,
        subject=form.get("subject", ""),
        body=form.get("body", ""),
        invoice_external_ids=lists["invoice"],
        attach_invoices=form.get("attach_invoices", "") in TICKED,
        attach_statement=form.get("attach_statement", "") in TICKED,
    )
    sent = sending.send_email(web.arrears.uow, user, web.arrears.own_mailer(), external_id, email)
    to, subject = ", ".join(sent.queued.to), sent.queued.subject
    request.state.session.flash(
        {
            "sent": f"Email sent to {to}: {subject}.",
            "retry": f"Email to {to} queued: the mail server did not take it yet, it will be tried again.",
            "failed": f"Email to {to} could not be sent: its error is in the emails below.",
            "queued": f"Email to {to} queued: {subject}.",
            "": "This form was sent already: its email was not queued again.",
        }[sent.delivery]
    )
    return redirect(record_path(external_id, "emails"))


@router.get("/customers/{external_id:path}/statement.pdf")
def statement_pdf(external_id: str, user: WebUser, web: WebState) -> Response:
    return pdf(statements.statement_pdf(web.arrears.uow(), user, web.arrears.templates, external_id))


@router.get("/customers/{external_id:path}/invoices/{invoice_external_id:path}.pdf")
def invoice_pdf(external_id: str, invoice_external_id: str, user: WebUser, web: WebState) -> Response:
    document = statements.invoice_pdf(web.arrears.uow(), user, web.arrears.templates, external_id, invoice_external_id)
    return pdf(document)
