"""Payment plans and their instalments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import (
    ColumnElement,
    and_,
    insert,
    select,
    update,
)

from ....domain.plans import Instalment
from ....services.workspace_ports import (
    PlanRow,
)
from .. import tables as t
from ..receivables import paid_on_plan
from .common import SqlArea, chunks


class SqlPlans(SqlArea):
    def add_plan(
        self,
        customer_id: int,
        currency: str,
        invoices: Sequence[int],
        instalments: Sequence[Instalment],
        start: date,
        total_minor: int,
        by: int | None,
    ) -> int:
        p = t.payment_plans
        plan_id = int(
            self.connection.execute(
                insert(p)
                .values(
                    customer_id=customer_id, currency=currency, start_date=start, total_minor=total_minor, created_by=by
                )
                .returning(p.c.id)
            ).scalar_one()
        )
        self.connection.execute(insert(t.plan_invoices), [{"plan_id": plan_id, "invoice_id": i} for i in invoices])
        self.connection.execute(
            insert(t.plan_instalments),
            [{"plan_id": plan_id, "due_date": i.due_date, "amount_minor": i.amount_minor} for i in instalments],
        )
        self.connection.execute(update(t.invoices).where(t.invoices.c.id.in_(invoices)).values(plan_id=plan_id))
        self.changed.add(customer_id)
        return plan_id

    def _plan_rows(self, where: ColumnElement[bool] | None) -> list[PlanRow]:
        p, pi, inst, i, c = t.payment_plans, t.plan_invoices, t.plan_instalments, t.invoices, t.customers
        query = select(p, c.c.external_id.label("customer_external_id"), paid_on_plan(p).label("paid_on_plan")).join(
            c, c.c.id == p.c.customer_id
        )
        if where is not None:
            query = query.where(where)
        plans = list(self.connection.execute(query.order_by(p.c.id)))
        # Their invoices and instalments in one statement each, whatever the number of plans.
        invoices: dict[int, list[str]] = defaultdict(list)
        instalments: dict[int, list[Instalment]] = defaultdict(list)
        for chunk in chunks([plan.id for plan in plans]):
            for plan_id, external_id in self.connection.execute(
                select(pi.c.plan_id, i.c.external_id)
                .join(i, i.c.id == pi.c.invoice_id)
                .where(pi.c.plan_id.in_(chunk))
                .order_by(pi.c.plan_id, i.c.external_id)
            ):
                invoices[plan_id].append(external_id)
            for plan_id, due_date, amount_minor in self.connection.execute(
                select(inst.c.plan_id, inst.c.due_date, inst.c.amount_minor)
                .where(inst.c.plan_id.in_(chunk))
                .order_by(inst.c.plan_id, inst.c.due_date)
            ):
                instalments[plan_id].append(Instalment(due_date, amount_minor))
        return [
            PlanRow(
                plan.id,
                plan.customer_external_id,
                plan.currency,
                plan.status,
                plan.start_date,
                plan.total_minor,
                int(plan.paid_on_plan),
                invoices[plan.id],
                instalments[plan.id],
            )
            for plan in plans
        ]

    def plan(self, plan_id: int) -> PlanRow | None:
        rows = self._plan_rows(t.payment_plans.c.id == plan_id)
        return rows[0] if rows else None

    def plans(self, status: str | None, customer_id: int | None = None) -> list[PlanRow]:
        p = t.payment_plans
        wanted = [p.c.status == status] if status is not None else []
        if customer_id is not None:
            wanted.append(p.c.customer_id == customer_id)
        return self._plan_rows(and_(*wanted) if wanted else None)

    def set_plan_status(self, plan_id: int, status: str) -> None:
        """A plan that is no longer active lets go of its invoices: they are chased as usual again."""
        p = t.payment_plans
        customer_id = self.connection.execute(
            update(p).where(p.c.id == plan_id).values(status=status).returning(p.c.customer_id)
        ).scalar()
        if customer_id is not None:
            self.changed.add(int(customer_id))
        if status != "active":
            self.connection.execute(update(t.invoices).where(t.invoices.c.plan_id == plan_id).values(plan_id=None))
