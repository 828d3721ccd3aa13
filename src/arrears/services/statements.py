"""A customer's statement and copies of its invoices, as PDFs: downloaded from the customer's record,
or attached to an email (rendered when the email is sent, from the ledger as it is then).

A statement lists the open invoices (oldest due first, at most MAX_LINES of them, with days past due),
the total outstanding and the aging buckets per currency (over every open invoice), the payments and
credit notes of the last STATEMENT_DAYS days, and the bank-transfer details (ARREARS_BANK_DETAILS)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..domain.aging import BUCKETS, days_past_due
from ..domain.currencies import minor_unit
from ..domain.errors import NotFound
from ..domain.permissions import Action, require
from ..domain.users import User
from .automation_ports import Renderer
from .ports import UnitOfWork
from .tasks import customer_named
from .workspace_ports import CustomerRef, InvoiceRow

STATEMENT_DAYS = 90
MAX_LINES = 500
BUCKET_LABELS = tuple("Current" if bucket == "current" else f"{bucket} days" for bucket in BUCKETS)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Document:
    filename: str  # safe in a Content-Disposition header and a MIME part: ASCII letters, digits, . _ -
    data: bytes


def _amount(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_unit(currency))


def pdf_name(*parts: str) -> str:
    """A file name made of `parts` ("invoice", "INV/7") with anything unsafe replaced: invoice-INV-7.pdf."""
    return "-".join(_UNSAFE.sub("-", part).strip("-") or "x" for part in parts) + ".pdf"


def statement_context(uow: UnitOfWork, customer: CustomerRef, as_of: date) -> dict[str, Any]:
    """What `statement.html` is given (inside an open unit of work): amounts as exact decimals."""
    since = as_of - timedelta(days=STATEMENT_DAYS)
    lines = uow.customer_records.statement(customer.id, as_of, since, MAX_LINES)
    return {
        "customer": {"name": customer.name, "external_id": customer.external_id},
        "as_of": as_of,
        "since": since,
        "items": [
            {
                "number": i.number,
                "issue_date": i.issue_date,
                "due_date": i.due_date,
                "days_past_due": max(0, days_past_due(i.due_date, as_of)),
                "amount": _amount(i.amount_minor, i.currency),
                "outstanding": _amount(i.outstanding_minor, i.currency),
                "currency": i.currency,
            }
            for i in lines.open_invoices
        ],
        "more_items": max(0, lines.open_count - len(lines.open_invoices)),
        "bucket_labels": BUCKET_LABELS,
        "totals": [
            {
                "currency": line.currency,
                "outstanding": _amount(sum(line.minors), line.currency),
                "buckets": [_amount(minor, line.currency) for minor in line.minors],
            }
            for line in lines.aging
        ],
        "activity": [
            {
                "date": c.date,
                "kind": "Payment" if c.kind == "payment" else "Credit note",
                "reference": c.external_id,
                "invoice": c.invoice_number or c.invoice_external_id,
                "amount": _amount(c.amount_minor, c.currency),
                "currency": c.currency,
            }
            for c in lines.cash
        ],
        "more_activity": lines.more_cash,
    }


def invoice_context(invoice: InvoiceRow, customer_name: str, as_of: date) -> dict[str, Any]:
    """What `invoice.html` is given, as the outbox gives it for an invoice attached by a workflow."""
    return {
        "invoice": {
            "number": invoice.number,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "amount": _amount(invoice.amount_minor, invoice.currency),
            "outstanding": _amount(invoice.outstanding_minor, invoice.currency),
            "days_past_due": max(0, days_past_due(invoice.due_date, as_of)),
        },
        "customer": {"name": customer_name, "external_id": invoice.customer_external_id},
        "currency": invoice.currency,
    }


def statement_pdf(uow: UnitOfWork, user: User, templates: Renderer, external_id: str) -> Document:
    """The customer's statement as of today, as a PDF. Any signed-in role may download it."""
    require(user, Action.READ)
    with uow:
        customer = customer_named(uow, external_id)
        today = uow.clock.today()
        context = statement_context(uow, customer, today)
    return Document(pdf_name("statement", customer.external_id, today.isoformat()), templates.statement_pdf(context))


def invoice_pdf(
    uow: UnitOfWork, user: User, templates: Renderer, external_id: str, invoice_external_id: str
) -> Document:
    """A copy of one of the customer's invoices, as a PDF; NotFound for an invoice of another customer."""
    require(user, Action.READ)
    with uow:
        customer = customer_named(uow, external_id)
        rows = uow.ledger.ledger_records("invoices", 1, 0, external_id=invoice_external_id).items
        invoice = rows[0] if rows else None
        if not isinstance(invoice, InvoiceRow) or invoice.customer_external_id != customer.external_id:
            raise NotFound(f"customer {external_id!r} has no invoice {invoice_external_id!r}")
        context = invoice_context(invoice, customer.name, uow.clock.today())
    return Document(pdf_name("invoice", invoice.number), templates.invoice_pdf(context))
