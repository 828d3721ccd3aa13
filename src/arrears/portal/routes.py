"""The portal's addresses (docs/portal.md): the page of a link, its PDFs and transfer QR code, and
the forms that dispute, promise and pay. Each parses, calls one service with the link's token and
renders; the services decide what the link may see and do."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.responses import RedirectResponse, Response

from ..adapters.epc_qr import epc_qr_svg
from ..bootstrap import Arrears
from ..domain import dates
from ..domain.currencies import minor_unit
from ..domain.errors import ArrearsError, InvalidValue, NotFound
from ..domain.iban import find_iban
from ..services import online_payments, statements, throttles
from ..services import portal as portal_service
from ..services.portal import MAX_MESSAGE, PortalView, portal_url
from ..services.workspace_ports import InvoiceRow
from .pages import (
    BadForm,
    FormData,
    PortalRoute,
    Throttled,
    error_page,
    formats_for,
    portal_of,
    read_form,
    render,
    status_of,
)

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Token = Annotated[str, PathParam()]  # any text: one that is no token is a link that does not work (404)
InvoiceId = Annotated[str, PathParam(max_length=200)]
Flag = Annotated[str | None, Query(max_length=5)]
Form = Annotated[FormData, Depends(read_form)]

NOTICES = {
    "disputed": "Thank you: your dispute was received. We will not send reminders about that invoice while we "
    "look into it, and we will be in touch.",
    "promised": "Thank you: your promise to pay was noted. We will not send reminders about those invoices "
    "before that date.",
    "paid": "Thank you: your payment is on its way. It shows below as processing until the payment provider "
    "confirms it.",
    "cancelled": "The payment was cancelled: nothing was charged.",
}
MAX_REFERENCE = 140  # characters of a SEPA transfer's remittance text
PAYMENT_STATES = {
    "started": "Processing",
    "pending": "Processing",
    "succeeded": "Paid",
    "failed": "Failed",
    "expired": "Not completed",
}


class BadFormValue(InvalidValue):
    """A value of a portal form that cannot be taken as it is (shown beside the form, 400)."""


def arrears_of(request: Request) -> Arrears:
    return portal_of(request).arrears


def base_path(token: str) -> str:
    return f"/portal/{token}"


def invoice_pdf_path(token: str, external_id: str) -> str:
    return f"{base_path(token)}/invoices/{quote(external_id, safe='')}.pdf"


def reason_label(code: str) -> str:
    return code.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Transfer:
    """Paying by bank transfer: the instructions, and the EPC QR code when one can be drawn (an
    IBAN in the instructions and euros owed)."""

    details: str
    iban: str | None
    eur_minor: int
    reference: str  # shown: the customer and the invoices to pay
    qr_reference: str  # in the QR code: the customer and the invoices in euros

    @property
    def qr(self) -> bool:
        return self.iban is not None and self.eur_minor > 0

    def svg(self, company: str) -> bytes | None:
        if self.iban is None or self.eur_minor <= 0:
            return None
        return epc_qr_svg(company, self.iban, Decimal(self.eur_minor).scaleb(-minor_unit("EUR")), self.qr_reference)


def transfer_of(arrears: Arrears, view: PortalView) -> Transfer:
    """What to pay by transfer: the listed invoices that are not disputed, on a plan (paid by its
    instalments) or already being paid online; the QR code asks for those in euros, in full. The
    reference is the customer's id and the invoices' numbers."""
    details = arrears.settings.bank_details.strip()
    payable = [
        invoice for invoice in view.invoices if not (invoice.disputed or invoice.plan_id or invoice.payment_pending)
    ]
    euros = [invoice for invoice in payable if invoice.currency == "EUR"]

    def reference(invoices: list[InvoiceRow]) -> str:
        """The customer's id and the invoices' numbers, or the id alone when they would not fit
        the 140 characters of a transfer's remittance text."""
        numbers = ", ".join(invoice.number for invoice in invoices)
        whole = f"{view.customer_external_id}: {numbers}"
        return whole if numbers and len(whole) <= MAX_REFERENCE else view.customer_external_id

    return Transfer(
        details,
        find_iban(details) if details else None,
        sum(invoice.outstanding_minor for invoice in euros),
        reference(payable),
        reference(euros),
    )


@dataclass(frozen=True, slots=True)
class Line:
    """An open invoice as its row shows it, written out once (the page may list 500 of them)."""

    invoice: InvoiceRow
    pdf: str
    issued: str
    due: str
    late: int
    outstanding: str


def lines_of(request: Request, token: str, view: PortalView) -> list[Line]:
    formats = formats_for(request)
    return [
        Line(
            invoice,
            invoice_pdf_path(token, invoice.external_id),
            formats.day(invoice.issue_date),
            formats.day(invoice.due_date),
            view.days_past_due(invoice),
            formats.money(invoice.outstanding_minor, invoice.currency),
        )
        for invoice in view.invoices
    ]


def page(
    request: Request,
    token: str,
    view: PortalView,
    *,
    status: int = 200,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    """The portal's page for a valid link, with the browser's CSRF nonce (made when it has none)."""
    portal = portal_of(request)
    arrears = portal.arrears
    nonce = portal.nonce_of(request)
    fresh = nonce is None
    nonce = nonce or secrets.token_urlsafe(32)
    kept = values or {}
    lines = lines_of(request, token, view)
    response = render(
        request,
        "portal.html",
        status,
        view=view,
        base=base_path(token),
        lines=lines,
        csrf=portal.form_token(nonce, token),
        notice=notice,
        errors=errors or {},
        values=kept,
        selected=set(kept.get("invoice_external_ids", ())),
        disputable=[line for line in lines if not line.invoice.disputed],
        reasons=[(code, reason_label(code)) for code in view.reasons],
        payments=[(payment, PAYMENT_STATES.get(payment.status, payment.status)) for payment in view.payments],
        can_pay=arrears.payment_gateway() is not None,
        transfer=transfer_of(arrears, view),
        max_message=MAX_MESSAGE,
    )
    if fresh:
        portal.set_nonce(request, response, nonce)
    return response


@router.get("/portal/{token}")
def show(request: Request, token: Token, paid: Flag = None, cancelled: Flag = None) -> Response:
    portal = portal_of(request)
    view = portal_service.view(portal.arrears.uow(), token)
    left = portal.notice_of(request, token)
    code = left or ("paid" if paid else "cancelled" if cancelled else "")
    response = page(request, token, view, notice=NOTICES.get(code))
    if left is not None:
        portal.clear_notice(response)
    return response


def pdf(document: statements.Document) -> Response:
    return Response(
        document.data,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{document.filename}"'},
    )


@router.get("/portal/{token}/statement.pdf")
def statement(request: Request, token: Token) -> Response:
    arrears = arrears_of(request)
    return pdf(portal_service.statement_pdf(arrears.uow(), token, arrears.templates))


@router.get("/portal/{token}/invoices/{invoice_external_id:path}.pdf")
def invoice(request: Request, token: Token, invoice_external_id: InvoiceId) -> Response:
    arrears = arrears_of(request)
    return pdf(portal_service.invoice_pdf(arrears.uow(), token, arrears.templates, invoice_external_id))


@router.get("/portal/{token}/transfer-qr.svg")
def transfer_qr(request: Request, token: Token) -> Response:
    arrears = arrears_of(request)
    view = portal_service.view(arrears.uow(), token)
    svg = transfer_of(arrears, view).svg(arrears.workspace.company_name)
    if svg is None:
        raise NotFound("there is no transfer to draw as a QR code for this account")
    return Response(svg, media_type="image/svg+xml")


# -- the forms ---------------------------------------------------------------------------------------


def done(request: Request, token: str, code: str) -> Response:
    """POST-redirect-GET: back to the page, which shows the notice once."""
    response = RedirectResponse(base_path(token), status_code=303)
    portal_of(request).set_notice(request, response, token, code)
    return response


def refused(request: Request, token: str, form_name: str, error: ArrearsError, values: dict[str, Any]) -> Response:
    """A form the service refused: the page again with the error beside that form and the input
    kept (400, 409, 502); an invoice that is not this account's: a page saying so (404)."""
    status = status_of(error)
    if status == 404:
        return error_page(request, 404, error.message, back=base_path(token))
    view = portal_service.view(arrears_of(request).uow(), token)
    return page(request, token, view, status=status, errors={form_name: error.message}, values=values)


def checked(request: Request, token: str, form: FormData) -> portal_service.PortalAccess:
    """The link's customer, once the link is known valid (else 404, counted), the form came from
    its page (else 403) and the customer has not sent too many forms of late (else 429): nothing is
    done before all three."""
    arrears = arrears_of(request)
    who = portal_service.check(arrears.uow(), token)
    portal_of(request).check_form(request, token, form)
    limit = throttles.PORTAL_FORM_LIMIT
    wait = throttles.over_rate(arrears.uow(), throttles.PORTAL_FORM, str(who.customer.id), limit)
    if wait is not None:
        minutes = max(1, round(wait / 60))
        raise Throttled(f"too many forms were sent from this page of late: try again in {minutes} minute(s)", wait)
    return who


@router.post("/portal/{token}/disputes")
def dispute(request: Request, token: Token, form: Form) -> Response:
    checked(request, token, form)
    values = {
        "invoice_external_id": form.get("invoice_external_id"),
        "reason": form.get("reason"),
        "message": form.get("message", MAX_MESSAGE + 1000),
    }
    try:
        if not values["invoice_external_id"]:
            raise BadFormValue("choose the invoice you dispute")
        portal_service.dispute(
            arrears_of(request).uow(), token, values["invoice_external_id"], values["reason"], values["message"]
        )
    except ArrearsError as error:
        return refused(request, token, "dispute", error, values)
    return done(request, token, "disputed")


def _total_of(view: PortalView, selected: Sequence[str]) -> str:
    """The outstanding total of the selected invoices, as a decimal string (a promise's amount
    when none is given)."""
    chosen = [invoice for invoice in view.invoices if invoice.external_id in set(selected)]
    if not chosen:
        raise BadFormValue("give the amount you will pay, or select the invoices you will pay in full")
    currencies = {invoice.currency for invoice in chosen}
    if len(currencies) > 1:
        raise BadFormValue("select invoices of one currency at a time")
    [currency] = currencies
    return str(Decimal(sum(invoice.outstanding_minor for invoice in chosen)).scaleb(-minor_unit(currency)))


def _selected(form: FormData) -> list[str]:
    ids = form.all("invoice_external_ids")
    if len(ids) > portal_service.MAX_SELECTED:
        raise BadForm(f"select at most {portal_service.MAX_SELECTED} invoices")
    return ids


@router.post("/portal/{token}/promises")
def promise(request: Request, token: Token, form: Form) -> Response:
    checked(request, token, form)
    selected = _selected(form)
    values: dict[str, Any] = {"date": form.get("date"), "amount": form.get("amount"), "invoice_external_ids": selected}
    arrears = arrears_of(request)
    try:
        try:
            on = dates.parse_day(str(values["date"] or ""), "the date you will pay by")
        except dates.NotADate:
            raise BadFormValue("give the date you will pay by (YYYY-MM-DD)") from None
        amount = values["amount"].strip()
        if not amount:
            amount = _total_of(portal_service.view(arrears.uow(), token), selected)
        portal_service.promise(arrears.uow(), token, on, amount, selected)
    except ArrearsError as error:
        return refused(request, token, "selected", error, values)
    return done(request, token, "promised")


@router.post("/portal/{token}/pay")
def pay(request: Request, token: Token, form: Form) -> Response:
    arrears = arrears_of(request)
    gateway = arrears.payment_gateway()
    if gateway is None:
        raise NotFound("online payment is not offered here")
    who = checked(request, token, form)
    selected = _selected(form)
    values: dict[str, Any] = {"amount": form.get("amount"), "invoice_external_ids": selected}
    page_url = portal_url(arrears.settings.base_url, token)
    try:
        url = online_payments.start_payment(
            arrears.uow(),
            gateway,
            customer_id=who.customer.id,
            portal_link_id=who.link_id,
            invoice_external_ids=selected,
            amount=values["amount"].strip() or None,
            success_url=f"{page_url}?paid=1",
            cancel_url=f"{page_url}?cancelled=1",
        )
    except ArrearsError as error:
        return refused(request, token, "selected", error, values)
    if not url.startswith(("https://", "http://")):
        raise RuntimeError("the payment provider gave no web address for its checkout page")
    return RedirectResponse(url, status_code=303)
