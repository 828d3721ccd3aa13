"""A customer's record as a collector opens it: the header (balance, overdue, the aging bar, credit
limit, collector, hold, paused), the invoices with days past due, their dispute and plan markers and
how often they were reminded, the payments and credit notes with the invoice each went to, the plans
with their instalments, the promises with their state, the contacts, the account notes, the open
issues, the emails with their delivery state, the customer portal (how many links are valid, the
online payments made there) and the latest of the timeline.
And the one write that belongs to the record itself: adding a note to the account.

Every list is bounded (MAX_ROWS, or the timeline's limit) and each is one statement, so the page costs
the same handful of queries for a customer with five invoices or with five thousand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..domain.aging import BUCKETS, days_past_due
from ..domain.audit import Actor, AuditEntry
from ..domain.errors import InvalidValue, NotFound
from ..domain.permissions import Action, require
from ..domain.tasks import TaskType
from ..domain.users import User
from . import settings as workspace_settings
from .call_ports import Recording
from .dashboard import PromiseLine, promise_state
from .portal_ports import OnlinePayment
from .ports import UnitOfWork
from .workspace_ports import (
    CashLine,
    ContactRow,
    CustomerRow,
    DisputeFilter,
    DisputeRow,
    EmailRow,
    InvoiceRow,
    IssueRow,
    PlanRow,
    Reminded,
    TimelineRow,
)

MAX_ROWS = 500
MAX_NOTES = 50
MAX_EMAILS = 50
MAX_CASH = 100
MAX_PROMISES = 50
MAX_ONLINE_PAYMENTS = 50
# An online payment's state as the record says it (services/portal_ports.OnlinePayment.status).
PAYMENT_STATES = {
    "started": "Started",  # the customer opened the provider's checkout page; nothing paid yet
    "pending": "Processing",  # paid by a method that takes days (a bank debit): its invoices are not chased
    "succeeded": "Paid",
    "failed": "Failed",
    "expired": "Abandoned",  # the checkout page expired unpaid
}
MAX_NOTE_CHARS = 5000
BAR_WIDTH = 1000  # the aging bar's SVG viewBox width: segment widths are in these units
# What "create task for selected" offers: every task type but the promise, which has its own form.
TASK_TYPES = tuple(
    (t.value, t.value.replace("_", " ").capitalize()) for t in TaskType if t is not TaskType.EXPECTED_PAYMENT
)


MAX_CALLS = 50  # the newest call recordings whose transcripts the timeline shows


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    invoice: InvoiceRow
    days_past_due: int  # 0 when not yet due, paid, void or written off

    @property
    def selectable(self) -> bool:
        """Open with something owed: what a task, a promise or a dispute can be about."""
        return self.invoice.status == "open" and self.invoice.outstanding_minor > 0


@dataclass(frozen=True, slots=True)
class OnlinePaymentLine:
    """A payment started on the customer's portal, with the invoices it is for (external ids)."""

    payment: OnlinePayment
    invoice_external_ids: tuple[str, ...]

    @property
    def state(self) -> str:
        return PAYMENT_STATES.get(self.payment.status, self.payment.status.capitalize())


@dataclass(frozen=True, slots=True)
class AgingSegment:
    bucket: str  # one of domain.aging.BUCKETS
    minor: int
    x: int  # where the segment starts on the bar, in BAR_WIDTH units
    width: int  # its width in BAR_WIDTH units (0 for an empty bucket)


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    customer: CustomerRow
    today: date
    outstanding_invoice_count: int
    balance_minor: int  # everything outstanding
    overdue_minor: int  # chaseable overdue, as the task list shows it
    over_credit_limit: bool  # the balance exceeds the credit limit
    aging: list[AgingSegment]
    invoices: list[InvoiceLine]
    invoice_count: int  # all of the customer's invoices; `invoices` holds the first MAX_ROWS
    contacts: list[ContactRow]
    standing_notes: str | None  # the customer's own notes (the customers.notes of the ledger)
    notes: list[TimelineRow]  # notes added on the account, newest first
    issues: list[IssueRow]  # open issues
    emails: list[EmailRow]  # newest first
    timeline: list[TimelineRow]
    more_timeline: bool
    dispute_reasons: tuple[str, ...]
    # The call recordings the timeline's entries name, by id (as the audit log writes it): their transcripts.
    calls: dict[str, Recording] = field(default_factory=dict)
    disputes: list[DisputeRow] = field(default_factory=list)  # the open ones, newest first
    task_types: tuple[tuple[str, str], ...] = TASK_TYPES
    cash: list[CashLine] = field(default_factory=list)  # payments and credit notes, newest first
    plans: list[PlanRow] = field(default_factory=list)  # every plan, newest first
    promises: list[PromiseLine] = field(default_factory=list)  # every promise, latest date first
    reminded: dict[str, Reminded] = field(default_factory=dict)  # by invoice external id
    paused: bool = False  # its workflows are paused
    email_count: int = 0  # all its emails; `emails` holds the newest MAX_EMAILS
    portal_links: int = 0  # links to its portal valid now
    online_payments: list[OnlinePaymentLine] = field(default_factory=list)  # newest first

    @property
    def disputed_minor(self) -> int:
        """The amount in dispute: the open disputes' amounts (each a part or all of an invoice)."""
        return sum(d.amount_minor for d in self.disputes)

    @property
    def invoice_numbers(self) -> dict[str, str]:
        """The invoices' numbers (what the customer knows them by) by external id, for the lines
        that name invoices: tasks, plans."""
        return {line.invoice.external_id: line.invoice.number for line in self.invoices}

    @property
    def more_invoices(self) -> bool:
        return self.invoice_count > len(self.invoices)

    @property
    def selectable_count(self) -> int:
        return sum(1 for line in self.invoices if line.selectable)


def aging_bar(minors: tuple[int, ...], width: int = BAR_WIDTH) -> list[AgingSegment]:
    """The aging buckets laid end to end on a bar `width` units wide, each as wide as its share of the
    total (integer units; the last non-empty segment takes the rounding, so the bar is always full)."""
    total = sum(m for m in minors if m > 0)
    segments: list[AgingSegment] = []
    x = 0
    last = max((index for index, minor in enumerate(minors) if minor > 0), default=-1)
    for index, (bucket, minor) in enumerate(zip(BUCKETS, minors, strict=True)):
        if minor <= 0 or total == 0:
            segments.append(AgingSegment(bucket, minor, x, 0))
            continue
        span = width - x if index == last else minor * width // total
        segments.append(AgingSegment(bucket, minor, x, span))
        x += span
    return segments


def customer_record(uow: UnitOfWork, user: User, external_id: str, *, timeline_limit: int = 100) -> CustomerRecord:
    """Everything the customer page shows, read in one transaction (balances as of their last roll: today)."""
    require(user, Action.READ)
    with uow:
        today = uow.clock.today()
        ref = uow.ledger.customer(external_id)
        if ref is None:
            raise NotFound(f"no customer with external id {external_id!r}")
        customer = uow.ledger.ledger_records("customers", 1, 0, external_id=external_id).items[0]
        balance = uow.balances.customer_balance(ref.id) or (0, 0, 0)
        aging = uow.customer_records.customer_aging(ref.id, today)
        invoices = uow.customer_records.customer_invoices(ref.id, MAX_ROWS)
        contacts = uow.ledger.ledger_records("contacts", MAX_ROWS, 0, customer_external_id=external_id).items
        standing_notes, notes = uow.customer_records.customer_notes(ref.id, MAX_NOTES)
        issues = uow.customer_records.issues(ref.id, "open")[:MAX_ROWS]
        emails = uow.customer_records.customer_emails(ref.id, MAX_EMAILS)
        timeline = uow.audit.timeline(ref.id, timeline_limit, 0)
        calls = (
            {str(r.id): r for r in uow.calls.of_customer(ref.id, MAX_CALLS)}
            if any(e.entity == "call_recording" for e in timeline.items)
            else {}
        )
        reasons = workspace_settings.load(uow).dispute_reasons
        open_disputes = uow.disputes.disputes(DisputeFilter(status="open", customer_id=ref.id), MAX_ROWS, 0).items
        cash = uow.customer_records.customer_cash(ref.id, MAX_CASH)
        plans = uow.plans.plans(None, ref.id)
        promises = uow.dashboard.promises_due(None, None, today, None, MAX_ROWS, ref.id).items
        reminded = uow.customer_records.reminders(ref.id)
        portal_links = uow.portal.active_links(ref.id, uow.clock.now())
        online = uow.portal.customer_payments(ref.id, MAX_ONLINE_PAYMENTS)
        paid_for = {i.id: i.external_id for i in uow.ledger.invoices_by_id([n for p in online for n in p.invoice_ids])}
    lines = [
        InvoiceLine(i, max(0, days_past_due(i.due_date, today)) if i.status == "open" and i.outstanding_minor else 0)
        for i in invoices.items
    ]
    limit = customer.credit_limit_minor
    return CustomerRecord(
        customer=customer,
        today=today,
        outstanding_invoice_count=balance[0],
        balance_minor=balance[1],
        overdue_minor=balance[2],
        over_credit_limit=limit is not None and balance[1] > limit,
        aging=aging_bar(aging),
        invoices=lines,
        invoice_count=invoices.total or len(lines),
        contacts=list(contacts),
        standing_notes=standing_notes,
        notes=notes,
        issues=issues,
        emails=list(emails.items),
        email_count=emails.total or 0,
        timeline=list(timeline.items),
        more_timeline=timeline.next_offset is not None,
        calls=calls,
        dispute_reasons=reasons,
        disputes=list(open_disputes),
        cash=cash,
        plans=sorted(plans, key=lambda plan: plan.id, reverse=True),
        promises=[PromiseLine(row, promise_state(row, today)) for row in reversed(promises)][:MAX_PROMISES],
        reminded=reminded,
        paused=ref.paused,
        portal_links=portal_links,
        online_payments=[
            OnlinePaymentLine(p, tuple(paid_for[i] for i in p.invoice_ids if i in paid_for)) for p in online
        ],
    )


def add_note(uow: UnitOfWork, user: User, external_id: str, text: str) -> TimelineRow:
    """A note on the account, kept in the audit log (so it is on the timeline, with who and when).
    Whoever may log work on an account (create a task on it) may write a note on it."""
    require(user, Action.CREATE_TASK)
    note = text.strip()
    if not note:
        raise InvalidValue("write the note before adding it")
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidValue(f"a note has at most {MAX_NOTE_CHARS} characters")
    with uow:
        ref = uow.ledger.customer(external_id)
        if ref is None:
            raise NotFound(f"no customer with external id {external_id!r}")
        entry = AuditEntry(
            uow.clock.now(),
            Actor.of(user),
            "customer",
            ref.external_id,
            "note",
            f"Note: {note}",
            ref.id,
            {"note": note},
        )
        uow.audit.record(entry)
        uow.commit()
    return TimelineRow(
        entry.at,
        entry.actor.name,
        entry.actor.kind.value,
        entry.entity,
        entry.entity_id,
        entry.action,
        entry.summary,
        entry.changes,
    )
