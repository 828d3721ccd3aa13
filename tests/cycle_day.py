"""One small ledger and its daily cycle, shared by the cycle's tests (in-process, in jobs, under
faults): six customers with reminder contacts and invoices at several ages, fresh copies of it, an
SMTP server on 127.0.0.1, and what a cycle leaves behind."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from arrears.adapters.db import tables as t
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from tests.ledger import Ledger, contact, customer, invoice
from tests.smtp import SmtpSink

DAY = date(2026, 6, 30)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def load_ledger(url: str, tmp_path: Path) -> None:
    """Six customers, each with reminder contacts and invoices at several ages."""
    app = bootstrap(Settings(database_url=url))
    ledger = Ledger(app, tmp_path)
    ledger.add_user("maria", "contributor")
    ledger.load("customers", [customer(f"C{n}", f"Customer {n}", collector="maria") for n in range(6)])
    ledger.load("contacts", [contact(f"C{n}", f"Person {n}", email=f"ap{n}@customer.example") for n in range(6)])
    ledger.load(
        "invoices",
        [
            invoice(f"I{n}-{age}", f"C{n}", due=DAY - timedelta(days=age), amount=f"{100 + age}.00")
            for n in range(6)
            for age in (-2, 10, 31, 47, 95)
        ],
    )
    app.close()


def state(url: str) -> dict[str, Any]:
    """What the cycle leaves behind, without ids or timestamps."""
    engine = create_engine(url)
    with engine.connect() as connection:
        e, r, k = t.emails, t.step_runs, t.tasks
        emails = sorted(
            (row.dedupe_key, row.subject, row.to_addresses, row.status) for row in connection.execute(select(e))
        )
        runs = sorted((row.workflow, row.step, row.subject, row.status) for row in connection.execute(select(r)))
        tasks = sorted(
            (row.customer_id, row.type, row.due_date.isoformat(), row.description, row.status)
            for row in connection.execute(select(k))
        )
    engine.dispose()
    return {"emails": emails, "runs": runs, "tasks": tasks}


@pytest.fixture
def fresh(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """A factory of fresh copies of one loaded database: `fresh(name) -> url`."""
    load_ledger(db_url, tmp_path)
    made: list[str] = []

    def copy(name: str) -> str:
        if db_url.startswith("sqlite"):
            target = tmp_path / f"{name}.db"
            shutil.copy(make_url(db_url).database or "", target)
            return f"sqlite:///{target}"
        source = make_url(db_url)
        copy_name = f"{source.database}_{name}"
        admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{copy_name}" TEMPLATE "{source.database}"'))
        admin.dispose()
        made.append(copy_name)
        return source.set(database=copy_name).render_as_string(hide_password=False)

    if not db_url.startswith("sqlite"):
        create_engine(db_url).dispose()
        # the template must have no other connection open
        admin = create_engine(make_url(db_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": make_url(db_url).database},
            )
        admin.dispose()
    yield copy
    if made:
        admin = create_engine(make_url(db_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
