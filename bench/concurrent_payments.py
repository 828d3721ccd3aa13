"""Throughput of concurrent payment writers on PostgreSQL, beside a raw baseline in the same run.

Each writer is a process of its own that records payments one at a time, as an ERP syncing through
`PUT /api/v1/payments/{id}` does: through the service behind that route
(`arrears.services.ledger.put_record`: parse, lock the customer, check the allocation, upsert,
refresh the invoice's totals, audit, commit). Writers pick invoices at random among 1,000 customers
with 10 invoices each, so two writers meet on a customer now and then, and must wait for each other.

The baseline is the same number of processes writing the same payments the naive way, raw psycopg:
`INSERT INTO payments` then `UPDATE invoices SET paid_minor = paid_minor + amount`, one transaction
per payment, no check, no audit, no lock of its own (what the ledger must never do, and the fastest
it could go).

    python bench/concurrent_payments.py --writers 1,4,16 --payments 2000 [--write-docs]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import multiprocessing.synchronize
import platform
import random
import re
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, func, select, text

from arrears.adapters.db import tables as t
from arrears.adapters.db.engine import upgrade
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.domain.users import Role, User
from arrears.services import ledger, users
from arrears.services.imports import import_csv

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE = "arrears_bench_payments"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
CUSTOMERS = 1_000
INVOICES_PER_CUSTOMER = 10
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def fresh_database() -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    engine = create_engine(URL)
    upgrade(engine)
    engine.dispose()
    app = bootstrap(Settings(database_url=URL))
    customers = "external_id,name,currency\n" + "".join(f"C{c},Customer {c},USD\n" for c in range(CUSTOMERS))
    invoices = "external_id,customer_external_id,issue_date,due_date,amount,currency\n" + "".join(
        f"I{c}-{n},C{c},2026-05-01,2026-05-31,1000000.00,USD\n"
        for c in range(CUSTOMERS)
        for n in range(INVOICES_PER_CUSTOMER)
    )
    for kind, data in (("customers", customers), ("invoices", invoices)):
        import_csv(app.uow(), kind, io.BytesIO(data.encode()), f"{kind}.csv")
    users.add_user(app.uow(), app.hasher, "erp", "owner", email=None, password=None)
    app.close()


def _targets(writer: int, count: int) -> list[tuple[int, int]]:
    chooser = random.Random(writer)
    return [(chooser.randrange(CUSTOMERS), chooser.randrange(INVOICES_PER_CUSTOMER)) for _ in range(count)]


_start: multiprocessing.synchronize.Barrier | None = None


def _hold(start: multiprocessing.synchronize.Barrier) -> None:
    """Pool initializer: a barrier reaches a process by inheritance only."""
    global _start
    _start = start


def _go() -> None:
    assert _start is not None
    _start.wait()


def service_writer(args: tuple[str, int, int]) -> int:
    run, writer, count = args
    app = bootstrap(Settings(database_url=URL))
    with app.uow() as uow:
        found = uow.users.by_name("erp")
    assert found is not None
    erp = User(found.id, found.name, Role.OWNER, None)
    _go()
    for n, (c, i) in enumerate(_targets(writer, count)):
        row = {
            "customer_external_id": f"C{c}",
            "date": "2026-06-01",
            "amount": "1.00",
            "currency": "USD",
            "invoice_external_id": f"I{c}-{i}",
        }
        ledger.put_record(app.uow(), erp, "payments", f"{run}-{writer}-{n}", row, "payment")
    app.close()
    return count


def raw_writer(args: tuple[str, int, int]) -> int:
    run, writer, count = args
    with psycopg.connect(URL.replace("+psycopg", "")) as connection:
        ids = dict(connection.execute("SELECT external_id, id FROM invoices").fetchall())
        customers = dict(connection.execute("SELECT external_id, id FROM customers").fetchall())
        connection.commit()
        _go()
        for n, (c, i) in enumerate(_targets(writer, count)):
            invoice_id = ids[f"I{c}-{i}"]
            connection.execute(
                "INSERT INTO payments (external_id, customer_id, date, amount_minor, currency, invoice_id)"
                " VALUES (%s, %s, %s, 100, 'USD', %s)",
                (f"{run}-{writer}-{n}", customers[f"C{c}"], date(2026, 6, 1), invoice_id),
            )
            connection.execute("UPDATE invoices SET paid_minor = paid_minor + 100 WHERE id = %s", (invoice_id,))
            connection.commit()
    return count


@dataclass
class Figure:
    writers: int
    payments: int
    service_per_second: float
    raw_per_second: float


def timed_run(side: str, writers: int, per_writer: int) -> float:
    target = service_writer if side == "service" else raw_writer
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(writers + 1)
    run = f"{side}{writers}x{time.monotonic_ns()}"
    with context.Pool(writers, initializer=_hold, initargs=(start,)) as pool:
        result = pool.map_async(target, [(run, w, per_writer) for w in range(writers)])
        start.wait()
        began = time.perf_counter()
        done = sum(result.get(timeout=3600))
        elapsed = time.perf_counter() - began
    return done / elapsed


def check_totals() -> None:
    """What the service wrote adds up: each invoice's stored paid total is the sum of its payments."""
    engine = create_engine(URL)
    i, p = t.invoices, t.payments
    sums = select(p.c.invoice_id, func.sum(p.c.amount_minor).label("paid")).group_by(p.c.invoice_id).subquery()
    with engine.connect() as connection:
        wrong = connection.execute(
            select(func.count())
            .select_from(i.join(sums, sums.c.invoice_id == i.c.id))
            .where(i.c.paid_minor != sums.c.paid)
        ).scalar_one()
    engine.dispose()
    assert wrong == 0, f"{wrong} invoices' paid totals differ from their payments"


def write_docs(figures: list[Figure], command: str) -> None:
    rows = "\n".join(
        f"| {f.writers} | {f.payments:,} | {f.service_per_second:,.0f} | {f.raw_per_second:,.0f} | "
        f"{f.raw_per_second / f.service_per_second:.1f}x |"
        for f in figures
    )
    block = (
        "<!-- bench:concurrent-payments:start -->\n"
        f"### Results of {date.today().isoformat()}\n\n"  # noqa: DTZ011 - the date the figures were measured
        f"`{command}` on {platform.processor() or platform.machine()}, Python {platform.python_version()}.\n\n"
        "| writers | payments per side | service payments/s | raw payments/s | raw/service |\n"
        "|---:|---:|---:|---:|---:|\n"
        f"{rows}\n"
        "<!-- bench:concurrent-payments:end -->"
    )
    docs = DOCS.read_text(encoding="utf-8")
    pattern = re.compile(r"<!-- bench:concurrent-payments:start -->.*<!-- bench:concurrent-payments:end -->", re.S)
    if pattern.search(docs):
        docs = pattern.sub(lambda _: block, docs)
    else:
        docs += "\n" + block + "\n"
    DOCS.write_text(docs, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", default="1,4,16", help="numbers of concurrent writers, comma-separated")
    parser.add_argument("--payments", type=int, default=2000, help="payments per side and writer count")
    parser.add_argument("--write-docs", action="store_true")
    options = parser.parse_args()
    fresh_database()
    figures = []
    for writers in (int(n) for n in options.writers.split(",")):
        per_writer = max(1, options.payments // writers)
        service = timed_run("service", writers, per_writer)
        raw = timed_run("raw", writers, per_writer)
        figures.append(Figure(writers, per_writer * writers, service, raw))
        print(f"{writers:>3} writers: service {service:,.0f} payments/s, raw {raw:,.0f} payments/s", flush=True)
    check_totals()
    if options.write_docs:
        write_docs(figures, "python bench/concurrent_payments.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
