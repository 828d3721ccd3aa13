"""Two people putting the same invoice on a payment plan at the same moment (PostgreSQL): one plan
is made, the other is refused, never two plans on one invoice."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arrears.adapters.db import tables as t
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.domain.errors import ArrearsError
from arrears.services import plans
from tests.ledger import Ledger, customer, invoice

pytestmark = pytest.mark.postgres
INVOICES = 10


def test_one_invoice_never_gets_two_plans_from_writers_at_the_same_moment(pg_url: str, tmp_path: Path) -> None:
    app = bootstrap(Settings(database_url=pg_url))
    ledger = Ledger(app, tmp_path)
    ledger.load("customers", [customer(f"C{n}", currency="USD") for n in range(INVOICES)])
    ledger.load("invoices", [invoice(f"I{n}", f"C{n}", due=date(2027, 1, 1)) for n in range(INVOICES)])
    ledger.add_user("maria", "manager")
    with app.uow() as uow:
        maria = uow.users.by_name("maria")
    assert maria is not None
    start = threading.Barrier(2 * INVOICES)
    made: list[str] = []
    refused: list[str] = []

    def plan(n: int) -> None:
        start.wait()
        try:
            plans.create_plan(app.uow(), maria, [f"I{n}"], [(date(2027, 2, 1), "50.00"), (date(2027, 3, 1), "50.00")])
            made.append(f"I{n}")
        except ArrearsError as error:
            refused.append(str(error))

    threads = [threading.Thread(target=plan, args=(n,)) for n in range(INVOICES) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.engine.connect() as connection:
        per_invoice = connection.execute(
            select(t.plan_invoices.c.invoice_id, func.count()).group_by(t.plan_invoices.c.invoice_id)
        ).all()
    app.close()

    assert sorted(made) == sorted(f"I{n}" for n in range(INVOICES))
    assert len(refused) == INVOICES and all("already on payment plan" in reason for reason in refused)
    assert all(count == 1 for _, count in per_invoice)
