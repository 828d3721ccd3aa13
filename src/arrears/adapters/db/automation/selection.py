"""What the cycle works on: the subjects due for a step (one anti-join per workflow against
`step_runs`, so a steady day reads only what is newly due), the new customers and invoices for
events, the invoices and recipients of an email."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    exists,
    false,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)

from ....domain.workflows import Workflow
from ....services.automation_ports import (
    DueSubject,
    Recipient,
)
from .. import tables as t
from ..receivables import first_match, is_chaseable, matches, paid_on_plan
from .common import SqlAutomationArea, _invoice_subject, _invoice_subject_query, _not_run, _subject


class SqlSelection(SqlAutomationArea):
    def due_subjects(self, workflows: Sequence[Workflow], as_of: date) -> list[DueSubject]:
        out: list[DueSubject] = []
        for index, workflow in enumerate(workflows):
            match = first_match(workflows, index)
            bounds = [(step.name, as_of - timedelta(days=step.days or 0)) for step in workflow.dated_steps]
            out += self._due_invoices(workflows, index, bounds, as_of)
            for step, bound in bounds:
                out += self._due_instalments(workflow.name, step, bound, match)
        return out

    def _due_invoices(
        self, workflows: Sequence[Workflow], index: int, bounds: Sequence[tuple[str, date]], as_of: date
    ) -> list[DueSubject]:
        """The invoices due for every dated step of a workflow, in two statements. First the
        anti-joins: the open invoices up to the widest step's bound, read once from the index of
        open invoices by due date (`ix_invoices_open_due_id`, without touching the table), each
        step's against its runs on the `(workflow, step, subject)` index. Then the rows of the few
        invoices that leaves, by id, kept if chaseable under this workflow (`receivables.is_chaseable`:
        disputed, excluded, on a plan, paused, on hold, promised, the workflow's tags)."""
        if not bounds:
            return []
        i, r = t.invoices, t.step_runs
        workflow = workflows[index].name
        candidates = (
            select(i.c.id, i.c.due_date, _subject("invoice", i.c.id).label("subject"))
            .where(i.c.status == "open", i.c.due_date <= max(bound for _, bound in bounds))
            .cte("candidates")
            .prefix_with("MATERIALIZED")
        )
        pairs = union_all(
            *(
                select(literal(step, String).label("step"), candidates.c.id).where(
                    candidates.c.due_date <= bound,
                    ~exists().where(r.c.workflow == workflow, r.c.step == step, r.c.subject == candidates.c.subject),
                )
                for step, bound in bounds
            )
        )
        found = [(row.step, row.id) for row in self.connection.execute(pairs)]
        if not found:
            return []
        chaseable = is_chaseable(as_of, workflows=workflows, index=index)
        rows: dict[int, Any] = {}
        ids = sorted({invoice_id for _, invoice_id in found})
        for chunk in self._id_chunks(ids):
            query = _invoice_subject_query().where(self._id_in(i.c.id, chunk), chaseable)
            rows.update((row.id, row) for row in self.connection.execute(query))
        return [
            _invoice_subject(workflow, step, row)
            for step, invoice_id in found
            if (row := rows.get(invoice_id)) is not None
        ]

    def _invoices(
        self, workflow: str, step: str, *where: ColumnElement[bool], order: tuple[Any, ...] = ()
    ) -> list[DueSubject]:
        """Invoices as subjects of a workflow step (or, with no step, as documents), with their customer."""
        query = _invoice_subject_query().where(*where).order_by(*order)
        return [_invoice_subject(workflow, step, row) for row in self.connection.execute(query)]

    def _plan_paid(self) -> Select[Any]:
        """(plan_id, paid) of the active plans: `receivables.paid_on_plan`."""
        p = t.payment_plans
        return select(p.c.id.label("plan_id"), paid_on_plan(p).label("paid")).where(p.c.status == "active")

    def _due_instalments(self, workflow: str, step: str, bound: date, match: ColumnElement[bool]) -> list[DueSubject]:
        """Plans are chased by instalment: the unpaid part of each instalment, payments filling them in date order."""
        inst, p, c = t.plan_instalments, t.payment_plans, t.customers
        running = select(
            inst.c.id,
            inst.c.plan_id,
            inst.c.due_date,
            inst.c.amount_minor,
            func.sum(inst.c.amount_minor)
            .over(partition_by=inst.c.plan_id, order_by=(inst.c.due_date, inst.c.id))
            .label("through"),
            func.count().over(partition_by=inst.c.plan_id, order_by=(inst.c.due_date, inst.c.id)).label("number"),
        ).subquery()
        paid = self._plan_paid().subquery()
        unpaid_through = running.c.through - paid.c.paid
        unpaid = case(
            (unpaid_through <= 0, literal(0)),
            (unpaid_through >= running.c.amount_minor, running.c.amount_minor),
            else_=unpaid_through,
        )
        subject = _subject("instalment", running.c.id)
        query = (
            select(
                subject.label("subject"),
                p.c.customer_id,
                p.c.id.label("plan_id"),
                running.c.number,
                running.c.due_date,
                running.c.amount_minor,
                unpaid.label("unpaid"),
                p.c.currency,
                p.c.start_date,
            )
            .select_from(
                running.join(p, p.c.id == running.c.plan_id)
                .join(paid, paid.c.plan_id == p.c.id)
                .join(c, c.c.id == p.c.customer_id)
            )
            .where(
                p.c.status == "active",
                unpaid > 0,
                running.c.due_date <= bound,
                c.c.on_hold == false(),
                c.c.workflow_paused == false(),
                match,
                _not_run(workflow, step, subject),
            )
        )
        rows = list(self.connection.execute(query))
        if not rows:
            return []
        pi = t.plan_invoices
        invoices: dict[int, list[int]] = defaultdict(list)
        for plan_id, invoice_id in self.connection.execute(
            select(pi.c.plan_id, pi.c.invoice_id)
            .where(pi.c.plan_id.in_({row.plan_id for row in rows}))
            .order_by(pi.c.invoice_id)
        ):
            invoices[plan_id].append(invoice_id)
        return [
            DueSubject(
                workflow,
                step,
                row.subject,
                row.customer_id,
                tuple(invoices[row.plan_id]),
                f"Instalment {row.number} of payment plan {row.plan_id}",
                row.start_date,
                row.due_date,
                row.amount_minor,
                int(row.unpaid),
                row.currency,
            )
            for row in rows
        ]

    def new_customers(self, workflow: Workflow, step: str, after_id: int) -> list[int]:
        c = t.customers
        query = (
            select(c.c.id)
            .where(
                c.c.id > after_id,
                c.c.workflow_paused == false(),
                matches(workflow),
                _not_run(workflow.name, step, _subject("customer", c.c.id)),
            )
            .order_by(c.c.id)
        )
        return list(self.connection.execute(query).scalars())

    def new_invoices(self, workflow: Workflow, step: str, after_id: int, as_of: date) -> list[DueSubject]:
        i, c = t.invoices, t.customers
        return self._invoices(
            workflow.name,
            step,
            i.c.id > after_id,
            i.c.status == "open",
            i.c.due_date >= as_of,
            i.c.workflow_paused == false(),
            c.c.workflow_paused == false(),
            matches(workflow),
            _not_run(workflow.name, step, _subject("invoice", i.c.id)),
            order=(i.c.id,),
        )

    def open_invoices(self, customer_id: int) -> list[DueSubject]:
        i = t.invoices
        return self._invoices(
            "", "", i.c.customer_id == customer_id, i.c.status == "open", order=(i.c.due_date, i.c.id)
        )

    def chaseable_invoices(
        self, customer_id: int, workflows: Sequence[Workflow], index: int, as_of: date
    ) -> list[DueSubject]:
        """The customer's invoices that the cycle of `as_of` chases under `workflows[index]`
        (`receivables.is_chaseable`), by due date: what its emails may list."""
        i = t.invoices
        chaseable = is_chaseable(as_of, workflows=workflows, index=index)
        return self._invoices("", "", i.c.customer_id == customer_id, chaseable, order=(i.c.due_date, i.c.id))

    def invoice_document(self, invoice_id: int) -> DueSubject | None:
        found = self._invoices("", "", t.invoices.c.id == invoice_id)
        return found[0] if found else None

    def recipients(self, customer_ids: Sequence[int]) -> dict[int, Recipient]:
        """Who a customer's reminders go to: contacts who receive reminders, else the customer's own
        address; never an address flagged after repeated bounces (until it is fixed)."""
        c, k, b = t.customers, t.contacts, t.bounced_addresses
        # the customer's own address, unless it is flagged
        flagged = case(
            (exists().where(b.c.address == func.lower(c.c.email), b.c.flagged_at.is_not(None)), null()),
            else_=c.c.email,
        )
        contacts: dict[int, list[tuple[str, str]]] = defaultdict(list)
        out: dict[int, Recipient] = {}
        for chunk in self._id_chunks(sorted(set(customer_ids))):
            for row in self.connection.execute(
                select(k.c.customer_id, k.c.name, k.c.email)
                .where(
                    self._id_in(k.c.customer_id, chunk),
                    k.c.receives_reminders == true(),
                    k.c.email.is_not(None),
                    ~exists().where(b.c.address == func.lower(k.c.email), b.c.flagged_at.is_not(None)),
                )
                .order_by(k.c.customer_id, k.c.id)
            ):
                contacts[row.customer_id].append((row.name, row.email))
            for customer in self.connection.execute(
                select(c.c.id, c.c.external_id, c.c.name, c.c.collector_id, flagged.label("email")).where(
                    self._id_in(c.c.id, chunk)
                )
            ):
                people = contacts.get(customer.id, [])
                addresses = tuple(dict.fromkeys(email for _, email in people)) or (
                    (customer.email,) if customer.email else ()
                )
                out[customer.id] = Recipient(
                    customer.id,
                    customer.external_id,
                    customer.name,
                    customer.collector_id,
                    people[0][0] if people else None,
                    addresses,
                )
        return out
