"""Rendering a workflow step's email for one customer without sending it (`arrears email preview`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..domain.errors import InvalidValue, NotFound
from ..domain.workflows import Workflow
from . import outbox
from .automation_ports import Rendered, Renderer
from .ports import UnitOfWork


def preview(
    uow: UnitOfWork,
    templates: Renderer,
    workflows: Sequence[Workflow],
    step_name: str,
    customer_external_id: str,
    as_of: date,
) -> tuple[Rendered, tuple[str, ...]]:
    """The email the step would send the customer today, listing the customer's open invoices; and to whom."""
    steps = [s for w in workflows for s in w.steps if s.name == step_name]
    if not steps:
        known = ", ".join(s.name for w in workflows for s in w.steps)
        raise NotFound(f"no workflow step named {step_name!r} (known: {known})")
    step = steps[0]
    if step.email is None:
        raise InvalidValue(f"step {step_name!r} creates a task and sends no email")
    with uow:
        customer = uow.workspace.customer(customer_external_id)
        if customer is None:
            raise NotFound(f"no customer with external id {customer_external_id!r}")
        recipient = uow.automation.recipients([customer.id])[customer.id]
        invoices = [i for i in uow.automation.open_invoices(customer.id)]
    context = {
        "customer": {"name": customer.name, "external_id": customer.external_id},
        "contact_name": recipient.contact_name,
        "invoices": [outbox.invoice_context(i, (as_of - i.due_date).days) for i in invoices],
        "total": outbox.decimal(sum(i.outstanding_minor for i in invoices), customer.currency),
        "currency": customer.currency,
        "step": {"name": step.name, "days": step.days},
        "as_of": as_of,
    }
    return templates.email(step.email, context), recipient.addresses
