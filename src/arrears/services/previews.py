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
        invoices = uow.automation.open_invoices(customer.id)
    context = outbox.email_context(
        customer.name, customer.external_id, recipient.contact_name, invoices, customer.currency, step, as_of
    )
    # As the email would go: the subject from the context, the body from its stored (JSON) form.
    subject = templates.subject(step.email, context)
    return outbox.render_stored(templates, step.email, outbox.freeze(context), subject), recipient.addresses
