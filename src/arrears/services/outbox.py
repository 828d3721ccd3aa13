"""Sending the outbox: each queued email is sent and marked in one transaction, so a worker killed
mid-send sends it at most once more; failures are retried with backoff, then alerted."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime
from typing import Any

from ..domain.audit import SYSTEM, AuditEntry
from ..domain.currencies import minor_unit
from ..domain.emails import PermanentFailure, TemporaryFailure, retry_after
from ..domain.errors import ArrearsError, InvalidValue
from ..domain.inbound import reply_address, token_of
from ..domain.portal import check_link_days
from ..domain.workflows import Step
from . import email_templates, portal
from .automation_ports import DueSubject, OutboxEmail, Rendered, Renderer, Sender
from .ports import UnitOfWork
from .statements import pdf_name, statement_context

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True, slots=True)
class PortalLinks:
    """How emails link to the customer portal: under ARREARS_BASE_URL, valid ARREARS_PORTAL_LINK_DAYS.

    Every email rendered at send time gets a link of its own, issued in the transaction that sends
    it (the template's `portal_url`); a template that does not use it leaves an unused link behind,
    as does an email put back for another try: a token that never left has no holder."""

    base_url: str
    days: int

    def __post_init__(self) -> None:
        try:  # a bad ARREARS_PORTAL_LINK_DAYS stops here, not at each email
            check_link_days(self.days)
        except InvalidValue as error:
            raise InvalidValue(f"ARREARS_PORTAL_LINK_DAYS: {error.message}") from None

    def example(self) -> str:
        """What `portal_url` is where nothing is sent (the render that checks a template before an
        email is queued): an example that opens nothing."""
        return portal.example_url(self.base_url)

    def issue(self, uow: UnitOfWork, email: OutboxEmail) -> str:
        token = portal.issue_for_email(uow, email.customer_id, None, self.days, f"email {email.id}")
        return portal.portal_url(self.base_url, token)

    def withheld(self, rendered: Rendered, link: str) -> Rendered:
        """The copy of a sent email that is kept (the timeline, the email page): its link replaced
        by one that opens nothing, since only the token's hash may stay in the database."""
        if not link:
            return rendered
        kept = portal.withheld_url(self.base_url)
        return KeptCopy(rendered.subject, rendered.html.replace(link, kept), rendered.text.replace(link, kept))


@dataclass(frozen=True, slots=True)
class KeptCopy:
    subject: str
    html: str
    text: str


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    alerts_raised: int = 0


def decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_unit(currency))


def invoice_context(invoice: DueSubject, as_of_days: int | None = None) -> dict[str, object]:
    return {
        "number": invoice.number,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "amount": decimal(invoice.amount_minor, invoice.currency),
        "outstanding": decimal(invoice.outstanding_minor, invoice.currency),
        "days_past_due": as_of_days or 0,
    }


def _tagged(value: object) -> dict[str, str]:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, date) and not isinstance(value, datetime):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} cannot be stored in an email's context")


def _untagged(value: dict[str, Any]) -> object:
    if len(value) == 1:
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$date" in value:
            return date.fromisoformat(value["$date"])
    return value


def freeze(context: dict[str, Any]) -> str:
    """An email's template context as JSON, stored on its outbox row when the cycle decides to send
    it: the body is rendered from it at send time. Amounts (Decimal) and dates keep their types."""
    return json.dumps(context, default=_tagged, ensure_ascii=False, separators=(",", ":"))


def thaw(frozen: str) -> dict[str, Any]:
    """The context `freeze` stored, with its amounts and dates as they were."""
    context: dict[str, Any] = json.loads(frozen, object_hook=_untagged)
    return context


def email_context(
    customer_name: str,
    customer_external_id: str,
    contact_name: str | None,
    subjects: Sequence[DueSubject],
    currency: str,
    step: Step,
    as_of: date,
) -> dict[str, Any]:
    """What an email template is given (templates/README.md): the invoices among `subjects` (a
    customer's welcome has none), their total outstanding, the step and the day."""
    return {
        "customer": {"name": customer_name, "external_id": customer_external_id},
        "contact_name": contact_name,
        "invoices": [invoice_context(i, (as_of - i.due_date).days) for i in subjects if i.number],
        "total": decimal(sum(i.outstanding_minor for i in subjects), currency),
        "currency": currency,
        "step": {"name": step.name, "days": step.days},
        "as_of": as_of,
    }


def render_stored(templates: Renderer, template: str, frozen: str, subject: str, *, portal_url: str) -> Rendered:
    """An email's body as the send loop renders it: from the context as stored, under its subject,
    with `portal_url` (the email's own link to the portal; an example where nothing is sent; "" for
    a mailer without links)."""
    return templates.body(template, {**thaw(frozen), "portal_url": portal_url}, subject)


def body(email: OutboxEmail, templates: Renderer, portal_url: str = "") -> Rendered | None:
    """The body to send: rendered now from the email's template and stored context, under the
    subject it was queued with; None for an email queued with its body (before migration 0008).
    Whatever fails here fails this email (PermanentFailure: a later try would fail the same way),
    and never the send loop, which would otherwise take the same email first again and again."""
    if email.context is None:
        return None
    try:
        return render_stored(templates, email.template, email.context, email.subject, portal_url=portal_url)
    # a template's error, or a stored context that does not read back (JSON, a date, a decimal)
    except (ArrearsError, ValueError, TypeError, KeyError, ArithmeticError) as error:
        raise PermanentFailure(f"{error}") from None


class _ShortHeaders(Compat32):
    """compat32, except that a header that fits on one line as plain ASCII is written as it is:
    the Header class would fold it to the same bytes, at a third of the cost of the whole message."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) < 76
            and "\n" not in value
            and "\r" not in value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_POLICY = _ShortHeaders()


def build_message(
    email: OutboxEmail,
    sender_address: str,
    attachments: Sequence[tuple[str, bytes]],
    now: datetime,
    rendered: Rendered | None = None,
    *,
    reply_to: str = "",
) -> Message:
    """The MIME message: text and HTML alternatives (`rendered`, or the email's stored body), then
    the PDFs attached (name, data), if any. Its Reply-To carries the email's reply token (`reply_to`
    the template, empty: the sender plus-addressed), so a reply finds its way back to the customer;
    `Auto-Submitted: auto-generated` asks auto-responders not to answer (RFC 3834); an answer to a
    received message names it in In-Reply-To and References.
    (email.mime is used rather than EmailMessage: it builds a message in a tenth of the time.)"""
    # Every part is base64 (utf-8 text, the PDF), and no base64 line starts with "--": a random
    # boundary cannot occur in them, so the generator's search for one (a regex per message) is spared.
    text, html = (rendered.text, rendered.html) if rendered is not None else (email.text, email.html)
    parts = MIMEMultipart("alternative", boundary=f"=_alt_{uuid.uuid4().hex}", policy=_POLICY)
    parts.attach(MIMEText(text, "plain", "utf-8", policy=_POLICY))
    parts.attach(MIMEText(html, "html", "utf-8", policy=_POLICY))
    message: Message = parts
    if attachments:
        message = MIMEMultipart("mixed", boundary=f"=_mixed_{uuid.uuid4().hex}", policy=_POLICY)
        message.attach(parts)
        for name, data in attachments:
            pdf = MIMEApplication(data, "pdf", policy=_POLICY, Name=name)
            pdf.add_header("Content-Disposition", "attachment", filename=name)
            message.attach(pdf)
    message["From"] = sender_address
    message["To"] = ", ".join(email.to)
    message["Reply-To"] = reply_address(reply_to, sender_address, token_of(email.message_id))
    message["Subject"] = email.subject if email.subject.isascii() else Header(email.subject, "utf-8").encode()
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(now)
    message["Auto-Submitted"] = "auto-generated"
    if email.in_reply_to:
        message["In-Reply-To"] = email.in_reply_to
        message["References"] = email.in_reply_to
    return message


def _attachment(uow: UnitOfWork, templates: Renderer, invoice_id: int | None) -> tuple[str, bytes] | None:
    if invoice_id is None:
        return None
    invoice = uow.selection.invoice_document(invoice_id)
    if invoice is None:
        return None
    customer = uow.ledger.customer_by_id(invoice.customer_id)
    context = {
        "invoice": invoice_context(invoice),
        "customer": {
            "name": customer.name if customer else "",
            "external_id": customer.external_id if customer else "",
        },
        "currency": invoice.currency,
    }
    return f"invoice-{invoice.number}.pdf".replace("/", "-"), templates.invoice_pdf(context)


def _attachments(uow: UnitOfWork, templates: Renderer, email: OutboxEmail) -> list[tuple[str, bytes]]:
    """The PDFs the email carries, made now: the invoice a workflow's step attaches
    (`attach_invoice_id`), and those its context asks for (`"attachments"`: `{"kind": "invoice",
    "invoice_id": 12}` or `{"kind": "statement"}`, an email sent by hand). An invoice deleted since
    is left out; a context that does not read fails the email."""
    found = [_attachment(uow, templates, email.attach_invoice_id)]
    if email.context is not None and '"attachments"' in email.context:  # spares the cycle's emails a parse
        try:
            wanted = thaw(email.context).get("attachments") or []
            for attachment in wanted:
                if attachment["kind"] == "invoice":
                    found.append(_attachment(uow, templates, int(attachment["invoice_id"])))
                elif attachment["kind"] == "statement":
                    found.append(_statement(uow, templates, email.customer_id))
                else:
                    raise ValueError(f"no attachment of kind {attachment['kind']!r}")
        except (ArrearsError, ValueError, TypeError, KeyError, ArithmeticError) as error:
            raise PermanentFailure(f"the email's attachments cannot be made: {error}") from None
    return [pdf for pdf in found if pdf is not None]


def _statement(uow: UnitOfWork, templates: Renderer, customer_id: int) -> tuple[str, bytes] | None:
    customer = uow.ledger.customer_by_id(customer_id)
    if customer is None:
        return None
    today = uow.clock.today()
    context = statement_context(uow, customer, today)
    return pdf_name("statement", customer.external_id, today.isoformat()), templates.statement_pdf(context)


def send_due(
    uow_factory: UowFactory,
    sender: Sender,
    templates: Renderer,
    sender_address: str,
    *,
    limit: int | None = None,
    links: PortalLinks | None = None,
    reply_to: str = "",
) -> SendReport:
    """Send queued emails whose time has come, one transaction each, until none is left (or `limit`
    have been tried). An email put back for a later try comes due again only after its wait (a
    minute, then longer, a few tries in all), so a call that runs that long may try it again. With
    `links`, each email rendered now carries a fresh link to its customer's portal; `reply_to` is
    ARREARS_REPLY_TO (`reply_address`)."""
    report = SendReport()
    email_templates.load_stored(uow_factory(), templates)  # those saved since the last send
    try:
        _send(uow_factory, sender, templates, (sender_address, reply_to), limit, links, report)
    finally:
        sender.close()
    return report


def _send(
    uow_factory: UowFactory,
    sender: Sender,
    templates: Renderer,
    addresses: tuple[str, str],
    limit: int | None,
    links: PortalLinks | None,
    report: SendReport,
) -> None:
    for _ in itertools.count() if limit is None else range(limit):
        with uow_factory() as uow:
            now = uow.clock.now()
            due = uow.outbox.due_emails(now, 1)
            if not due:
                break
            _send_one(uow, due[0], now, sender, templates, addresses, links, report)
            uow.commit()


def send_email(
    uow_factory: UowFactory,
    sender: Sender,
    templates: Renderer,
    sender_address: str,
    email_id: int,
    *,
    links: PortalLinks | None = None,
    reply_to: str = "",
) -> SendReport:
    """Send the one queued email `email_id` now, as the loop of `send_due` would (an email queued by
    hand goes at once); nothing if it is not due (sent, or taken by a worker at this moment). A
    temporary failure leaves it queued for the worker's or `arrears outbox send`'s next try."""
    report = SendReport()
    try:
        with uow_factory() as uow:
            now = uow.clock.now()
            email = uow.outbox.due_email(email_id, now)
            if email is not None:
                _send_one(uow, email, now, sender, templates, (sender_address, reply_to), links, report)
                uow.commit()
    finally:
        sender.close()
    return report


def _send_one(
    uow: UnitOfWork,
    email: OutboxEmail,
    now: datetime,
    sender: Sender,
    templates: Renderer,
    addresses: tuple[str, str],
    links: PortalLinks | None,
    report: SendReport,
) -> None:
    """Send one email taken from the queue and mark it (sent, to retry, or failed), in `uow`; an
    email rendered now gets a fresh portal link, issued in `uow` (none for one queued with its body).
    `addresses`: the sender's address and the Reply-To template (ARREARS_REPLY_TO)."""
    attempts = email.attempts + 1
    rendered: Rendered | None = None
    try:
        link = links.issue(uow, email) if links is not None and email.context is not None else ""
        rendered = body(email, templates, link)
        attachments = _attachments(uow, templates, email)
        sender.send(build_message(email, addresses[0], attachments, now, rendered, reply_to=addresses[1]))
    except TemporaryFailure as failure:
        wait = retry_after(attempts)
        if wait is not None:
            uow.outbox.mark_retry(email.id, attempts, now + wait, failure.reason)
            report.retried += 1
        else:
            report.alerts_raised += _fail(uow, email, attempts, f"{failure.reason} (gave up after {attempts} tries)")
            report.failed += 1
    except PermanentFailure as failure:
        report.alerts_raised += _fail(uow, email, attempts, failure.reason)
        report.failed += 1
    else:
        uow.outbox.mark_sent(
            email.id,
            now,
            AuditEntry(
                now,
                SYSTEM,
                "email",
                str(email.id),
                "sent",
                f"Email sent to {', '.join(email.to)}: {email.subject}",
                email.customer_id,
            ),
            links.withheld(rendered, link) if links is not None and rendered is not None else rendered,
        )
        report.sent += 1


def _fail(uow: UnitOfWork, email: OutboxEmail, attempts: int, reason: str) -> int:
    now = uow.clock.now()
    uow.outbox.mark_failed(email.id, attempts, reason, now)
    uow.audit.record(
        AuditEntry(
            now,
            SYSTEM,
            "email",
            str(email.id),
            "failed",
            f"Error sending email to {', '.join(email.to)}: {reason}",
            email.customer_id,
        )
    )
    raised = uow.alerts.raise_alert(
        "email_failed",
        f"email_failed:{email.id}",
        f'Error sending email "{email.subject}" to {", ".join(email.to)}: {reason}',
        customer_id=email.customer_id,
        task_id=None,
        user_id=None,
        at=now,
    )
    return 1 if raised else 0
