"""Rendering a workflow step's email for one customer without sending it (`arrears email preview`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..domain.errors import InvalidValue, NotFound
from ..domain.workflows import Workflow
from . import email_templates, outbox, portal
from .automation_ports import Rendered, Renderer
from .cycle.planning import is_past_due_step
from .ports import UnitOfWork


def preview(
    uow: UnitOfWork,
    templates: Renderer,
    workflows: Sequence[Workflow],
    step_name: str,
    customer_external_id: str,
    as_of: date,
    *,
    base_url: str = "",
) -> tuple[Rendered, tuple[str, ...]]:
    """The email the step would send the customer on `as_of`, and to whom. It lists the invoices the
    cycle would chase under the step's workflow that day (`receivables.is_chaseable`): not the
    disputed, excluded, paused or promised ones, nor those on a payment plan (chased by instalment),
    and none if the customer is on hold or falls to another workflow. A step before the due date
    lists those not yet past due (it never speaks of a late one); a past-due step lists the past-due
    ones, as the customer's one past-due email of a day does. Its `portal_url` is an example under
    `base_url` (ARREARS_BASE_URL) that opens nothing: a preview issues no link."""
    steps = [(index, s) for index, w in enumerate(workflows) for s in w.steps if s.name == step_name]
    if not steps:
        known = ", ".join(s.name for w in workflows for s in w.steps)
        raise NotFound(f"no workflow step named {step_name!r} (known: {known})")
    index, step = steps[0]
    if step.email is None:
        raise InvalidValue(f"step {step_name!r} creates a task and sends no email")
    email_templates.load_stored(uow, templates)
    with uow:
        customer = uow.ledger.customer(customer_external_id)
        if customer is None:
            raise NotFound(f"no customer with external id {customer_external_id!r}")
        recipient = uow.selection.recipients([customer.id])[customer.id]
        invoices = uow.selection.chaseable_invoices(customer.id, workflows, index, as_of)
    if step.on is None:  # a step by date lists only the invoices on its side of their due date
        late = is_past_due_step(step)
        invoices = [i for i in invoices if (i.due_date < as_of) == late]
    context = outbox.email_context(
        customer.name, customer.external_id, recipient.contact_name, invoices, customer.currency, step, as_of
    )
    # As the email would go: the subject from the context, the body from its stored (JSON) form.
    subject = templates.subject(step.email, context)
    example = portal.example_url(base_url)
    rendered = outbox.render_stored(templates, step.email, outbox.freeze(context), subject, portal_url=example)
    return rendered, recipient.addresses
