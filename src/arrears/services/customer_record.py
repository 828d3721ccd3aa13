"""A customer's record as a collector opens it: the header (balance, overdue, credit limit, collector,
hold), the invoices with days past due, the contacts, and the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..domain.aging import days_past_due
from ..domain.errors import NotFound
from ..domain.permissions import Action, require
from ..domain.users import User
from .ports import UnitOfWork
from .tasks import _ensure_balances
from .workspace_ports import ContactRow, CustomerRow, InvoiceRow, TimelineRow

MAX_ROWS = 500


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    invoice: InvoiceRow
    days_past_due: int  # 0 when not yet due, paid, void or written off


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    customer: CustomerRow
    today: date
    outstanding_invoice_count: int
    balance_minor: int  # everything outstanding
    overdue_minor: int  # SPEC.md §2: chaseable overdue, as the task list shows it
    invoices: list[InvoiceLine]
    contacts: list[ContactRow]
    timeline: list[TimelineRow]
    more_timeline: bool


def customer_record(uow: UnitOfWork, user: User, external_id: str, *, timeline_limit: int = 100) -> CustomerRecord:
    """Everything the customer page shows, read in one transaction (balances as of today)."""
    require(user, Action.READ)
    with uow:
        ws, today = uow.workspace, uow.clock.today()
        ref = ws.customer(external_id)
        if ref is None:
            raise NotFound(f"no customer with external id {external_id!r}")
        _ensure_balances(uow, today)
        customer = ws.ledger_records("customers", 1, 0, external_id=external_id).items[0]
        balance = ws.customer_balance(ref.id) or (0, 0, 0)
        invoices = ws.ledger_records("invoices", MAX_ROWS, 0, customer_external_id=external_id).items
        contacts = ws.ledger_records("contacts", MAX_ROWS, 0, customer_external_id=external_id).items
        timeline = ws.timeline(ref.id, timeline_limit, 0)
        uow.commit()
    lines = [
        InvoiceLine(i, max(0, days_past_due(i.due_date, today)) if i.status == "open" and i.outstanding_minor else 0)
        for i in invoices
    ]
    lines.sort(key=lambda line: (line.invoice.status != "open", line.invoice.due_date, line.invoice.external_id))
    return CustomerRecord(
        customer=customer,
        today=today,
        outstanding_invoice_count=balance[0],
        balance_minor=balance[1],
        overdue_minor=balance[2],
        invoices=lines,
        contacts=list(contacts),
        timeline=list(timeline.items),
        more_timeline=timeline.next_offset is not None,
    )
