"""A collector's desk for tests: a ledger on one database, a fixed clock, users of every role,
and the workspace services called as those users."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain.users import User
from arrears.services import balances, task_list, tasks
from arrears.services.workspace_ports import TaskRow
from tests.ledger import Ledger, customer, invoice

TODAY = date(2026, 6, 30)


@dataclass
class Desk:
    """Arrears on a fixed day, with an owner, a manager and two collectors (maria, sam)."""

    arrears: Arrears
    ledger: Ledger
    clock: FixedClock
    people: dict[str, User] = field(default_factory=dict)

    @classmethod
    def open(cls, db_url: str, tmp_path: Path) -> Desk:
        clock = FixedClock(datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=9))
        arrears = bootstrap(Settings(database_url=db_url), clock)
        desk = cls(arrears, Ledger(arrears, tmp_path), clock)
        for name, role in (
            ("olivia", "owner"),
            ("morgan", "manager"),
            ("maria", "contributor"),
            ("sam", "contributor"),
        ):
            desk.ledger.add_user(name, role)
        with arrears.uow() as uow:
            desk.people = {user.name: user for user in uow.users.all()}
        return desk

    def __getitem__(self, name: str) -> User:
        return self.people[name]

    def uow(self) -> Any:
        return self.arrears.uow()

    def travel(self, day: date) -> None:
        """Move the clock to 09:00 UTC on `day`, and roll the balances to it as a running server
        or worker would have done by then."""
        self.clock.at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
        balances.roll_balances(self.uow())

    def accounts(self) -> None:
        """Acme (C1, USD, collector maria): I1 100.00 due 2026-05-31 (30 days late), I2 250.00 due
        2026-06-15, I3 80.00 not yet due. Beta (C2, EUR, collector sam): B1 40.00 due 2026-04-30."""
        self.ledger.load(
            "customers",
            [
                customer("C1", "Acme Ltd", collector="maria", phone="+1 415 555 0100"),
                customer("C2", "Beta GmbH", currency="EUR", collector="sam", tags="key;eu"),
            ],
        )
        self.ledger.load(
            "invoices",
            [
                invoice("I1", "C1", due=date(2026, 5, 31), amount="100.00"),
                invoice("I2", "C1", due=date(2026, 6, 15), amount="250.00", number="INV-2002"),
                invoice("I3", "C1", due=date(2026, 7, 15), amount="80.00"),
                invoice("B1", "C2", due=date(2026, 4, 30), amount="40.00"),
            ],
        )

    def task(self, as_user: str = "maria", customer_id: str = "C1", type: str = "call", **fields: Any) -> TaskRow:
        return tasks.create_task(self.uow(), self[as_user], tasks.NewTask(customer_id, type, **fields))

    def row(self, task_id: int) -> TaskRow:
        with self.uow() as uow:
            return uow.task_list.task_rows([task_id])[0]

    def mine(self, as_user: str = "maria", **filters: Any) -> list[TaskRow]:
        flt = task_list.task_filter(self.uow(), self[as_user], **filters)
        return list(task_list.list_tasks(self.uow(), self[as_user], flt, limit=500).items)

    def everyone(self, **filters: Any) -> list[TaskRow]:
        return self.mine("morgan", everyone=True, **filters)

    def count(self, table: Any, *where: Any) -> int:
        with self.arrears.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    def open_alerts(self, kind: str) -> int:
        return self.count(t.alerts, t.alerts.c.kind == kind, t.alerts.c.status == "open")
