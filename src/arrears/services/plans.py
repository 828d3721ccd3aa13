"""Payment plans: put invoices on dated instalments; while active, only overdue instalments count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..domain.audit import Actor, AuditEntry
from ..domain.errors import InvalidValue, NotFound
from ..domain.money import format_minor, parse_amount
from ..domain.permissions import Action, require
from ..domain.plans import Instalment, check_instalments
from ..domain.users import User
from .ports import UnitOfWork
from .workspace_ports import PlanRow


def create_plan(
    uow: UnitOfWork, user: User, invoice_external_ids: Sequence[str], instalments: Sequence[tuple[date, str]]
) -> PlanRow:
    """Instalments (date, decimal amount) must add up to the invoices' outstanding amount."""
    require(user, Action.WRITE_LEDGER)
    wanted = list(dict.fromkeys(invoice_external_ids))
    if not wanted:
        raise InvalidValue("a payment plan needs at least one invoice")
    with uow:
        today = uow.clock.today()
        found = {invoice.external_id: invoice for invoice in uow.ledger.invoices(wanted)}
        missing = [e for e in wanted if e not in found]
        if missing:
            raise NotFound(f"no invoice with external id {missing[0]!r}")
        customers = {found[e].customer_id for e in wanted}
        if len(customers) > 1:
            raise InvalidValue("the invoices of one plan must belong to one customer")
        # What the invoices owe cannot move under the plan (a payment, another plan): read it again
        # once the customer's ledger is ours.
        uow.ledger.lock_customers(list(customers))
        found = {invoice.external_id: invoice for invoice in uow.ledger.invoices(wanted)}
        invoices = [found[e] for e in wanted]
        for invoice in invoices:
            if invoice.status != "open" or invoice.outstanding_minor <= 0:
                raise InvalidValue(
                    f"invoice {invoice.external_id!r} is {invoice.status}; only open invoices go on a plan"
                )
            if invoice.plan_id is not None:
                raise InvalidValue(f"invoice {invoice.external_id!r} is already on payment plan {invoice.plan_id}")
        currency = invoices[0].currency
        parsed = [Instalment(due, parse_amount(amount, currency, allow_zero=False)) for due, amount in instalments]
        total = sum(i.outstanding_minor for i in invoices)
        check_instalments(parsed, total, currency, today)
        customer_id = invoices[0].customer_id
        plan_id = uow.plans.add_plan(
            customer_id,
            currency,
            [i.id for i in invoices],
            sorted(parsed, key=lambda i: i.due_date),
            today,
            total,
            user.id,
        )
        uow.audit.record(
            AuditEntry(
                uow.clock.now(),
                Actor.of(user),
                "payment_plan",
                str(plan_id),
                "created",
                f"Payment plan of {format_minor(total, currency)} {currency} in {len(parsed)} instalments on "
                f"{', '.join(wanted)}",
                customer_id,
                {"instalments": [[i.due_date.isoformat(), format_minor(i.amount_minor, currency)] for i in parsed]},
            )
        )
        uow.commit()
        plan = uow.plans.plan(plan_id)
        assert plan is not None
        return plan


def get_plan(uow: UnitOfWork, user: User, plan_id: int) -> PlanRow:
    require(user, Action.READ)
    with uow:
        plan = uow.plans.plan(plan_id)
    if plan is None:
        raise NotFound(f"no payment plan {plan_id}")
    return plan
