"""The customer portal and Stripe's webhooks (docs/benchmarks.md, "Customer portal and webhooks").

1. A fresh database (SQLite file under bench/out/, or PostgreSQL: ARREARS_BENCH_POSTGRES_URL, default
   the database `arrears_bench_portal`) migrated to the newest schema, filled through the services:
   one customer with 500 open invoices (and 1,500 paid ones), 10 of them disputed, and 200 other
   customers with 5 open invoices each; a portal link for the big customer.
2. Timed, with a clock fixed on the ledger's day, after 5 warm-up requests, `--repeat` times each:
   - `GET /portal/TOKEN` straight through the ASGI app of `arrears serve` (middleware, routing, the
     token check, the services, SQL and the page's rendering: the server's whole work but the HTTP
     parsing), then the service alone (`portal.view`), beside the baseline: one hand-written
     statement reading the same 500 open invoice rows on the raw DBAPI connection.
   - `POST /webhooks/stripe` of signed `checkout.session.completed` events, each a new payment of one
     invoice of another customer (signature check, inbox, customer lock, allocation check, payment
     rows, balances, audit, commit), beside the baseline: the same event stored and its payment
     written the naive way (insert the event, insert the payment, add to the invoice's paid amount)
     in one raw transaction.
   - 50 concurrent deliveries (threads) of 10 distinct events, 5 deliveries each: the payments
     recorded (10 expected), the answers other than 200 (none expected), the wall time.

Targets (from the issue): the page under 150 ms p95 server time; a webhook under 50 ms p95.
Reported, never asserted.

    python bench/portal.py                              # both databases
    python bench/portal.py --backend sqlite --repeat 20
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import re
import sqlite3
import sys
import threading
import time as timer
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.cli.serve import server_app, settle_memory
from arrears.config import Settings
from arrears.domain.users import TERMINAL
from arrears.services import disputes, imports, portal, users
from customer_page import bench_main, csv_file, fresh, line, log, timed

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench_portal"
TODAY = date(2026, 6, 30)
NOW = datetime.combine(TODAY, time(9), UTC)
BIG, OPEN, PAID = "BIG", 500, 1500
OTHERS, OTHER_INVOICES = 200, 5
SECRET = "whsec_bench"  # noqa: S105 - the signing secret of a throwaway endpoint
PAGE_TARGET_MS, WEBHOOK_TARGET_MS = 150.0, 50.0

# The baseline of the page: what a person would write by hand to read its invoice rows.
RAW_INVOICES = """
SELECT i.external_id, i.number, i.issue_date, i.due_date,
       i.amount_minor - i.paid_minor - i.credited_minor - i.written_off_minor, i.currency, i.disputed,
       i.plan_id, i.payment_pending
FROM invoices AS i JOIN customers AS c ON c.id = i.customer_id
WHERE c.external_id = :customer AND i.status = 'open'
ORDER BY i.due_date, i.id
LIMIT 500
"""


def build(app: Arrears, seed: int) -> str:
    """The ledger, through the services; returns a portal token of the big customer."""
    rng = random.Random(seed)
    owner = users.add_user(app.uow(), app.hasher, "olivia", "owner", email=None, password=None)

    def load(kind: str, header: list[str], rows: list[list[object]]) -> None:
        imports.import_csv(app.uow(), kind, csv_file(header, rows), f"{kind}.csv")

    customers = [[BIG, "Big Buyer Ltd", "USD"]] + [[f"C{n:03d}", f"Customer {n}", "USD"] for n in range(OTHERS)]
    load("customers", ["external_id", "name", "currency"], customers)
    invoices: list[list[object]] = []
    payments: list[list[object]] = []
    for n in range(OPEN + PAID):
        due = TODAY - timedelta(days=rng.randint(-30, 400))
        amount = rng.randint(5_000, 500_000)
        invoices.append([f"B{n:05d}", BIG, due - timedelta(days=30), due, f"{amount / 100:.2f}"])
        if n >= OPEN:
            payments.append([f"P{n:05d}", BIG, min(TODAY, due), f"{amount / 100:.2f}", f"B{n:05d}"])
    for c in range(OTHERS):
        for n in range(OTHER_INVOICES):
            due = TODAY - timedelta(days=rng.randint(-30, 200))
            invoices.append([f"O{c:03d}-{n}", f"C{c:03d}", due - timedelta(days=30), due, "100.00"])
    load("invoices", ["external_id", "customer_external_id", "issue_date", "due_date", "amount"], invoices)
    load("payments", ["external_id", "customer_external_id", "date", "amount", "invoice_external_id"], payments)
    disputes.open_disputes(app.uow(), owner, BIG, [f"B{n:05d}" for n in range(10)], "pricing")
    url = portal.issue_link(app.uow(), TERMINAL, BIG, days=30, base_url="http://testserver").url
    return url.rsplit("/", 1)[1]


def completed(number: int) -> dict[str, Any]:
    """A paid checkout of 100.00 for one invoice of another customer (each event a new payment)."""
    customer, invoice = divmod(number, OTHER_INVOICES)
    return {
        "id": f"evt_bench_{number}",
        "type": "checkout.session.completed",
        "created": int(NOW.timestamp()),
        "data": {
            "object": {
                "id": f"cs_bench_{number}",
                "object": "checkout.session",
                "payment_status": "paid",
                "payment_intent": f"pi_bench_{number}",
                "amount_total": 100_00,
                "currency": "usd",
                "client_reference_id": f"C{customer % OTHERS:03d}",
                "metadata": {"arrears_invoices": f"O{customer % OTHERS:03d}-{invoice}"},
            }
        },
    }


def signed(event: dict[str, Any]) -> tuple[bytes, str]:
    body = json.dumps(event).encode()
    stamp = int(timer.time())
    digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={digest}"


def asgi_call(
    app: Any, method: str, path: str, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> Any:
    """`method path` straight through the ASGI app (no HTTP client, no socket), in a loop of its own:
    returns a function doing it once, giving the answer's status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode()), *(headers or [])],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
    }

    async def call() -> int:
        status = 0
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(dict(scope), receive, send)
        return status

    loop = asyncio.new_event_loop()
    return lambda: loop.run_until_complete(call())


def raw(backend: str, url: str) -> Any:
    if backend == "sqlite":
        return sqlite3.connect(make_url(url).database or "")
    return psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


def param(backend: str, statement: str) -> str:
    return statement if backend == "sqlite" else re.sub(r"(?<!:):(\w+)", r"%(\1)s", statement)


def naive_webhook(backend: str, connection: Any, numbers: Any) -> Callable[[], None]:
    """The baseline of a webhook: the event stored and its payment written in one raw transaction."""
    store = param(
        backend,
        "INSERT INTO inbox_events (provider, event_id, kind, payload, received_at, status, attempts, "
        "next_attempt_at) VALUES ('naive', :id, :kind, :payload, :at, 'processed', 1, :at)",
    )
    pay = param(
        backend,
        "INSERT INTO payments (external_id, customer_id, invoice_id, date, amount_minor, currency, method, "
        "created_at, updated_at) SELECT :pid, i.customer_id, i.id, :day, 10000, 'USD', 'stripe', :at, :at "
        "FROM invoices AS i WHERE i.external_id = :invoice",
    )
    add = param(backend, "UPDATE invoices SET paid_minor = paid_minor + 10000 WHERE external_id = :invoice")

    def write() -> None:
        number = next(numbers)
        event = completed(number)
        invoice = event["data"]["object"]["metadata"]["arrears_invoices"]
        values = {"id": f"naive_{number}", "kind": event["type"], "payload": json.dumps(event), "at": NOW}
        connection.execute(store, values)
        connection.execute(pay, {"pid": f"naive-{number}", "day": TODAY, "at": NOW, "invoice": invoice})
        connection.execute(add, {"invoice": invoice})
        connection.commit()

    return write


def run(backend: str, postgres_url: str, repeat: int, seed: int) -> list[str]:
    url = fresh(backend, postgres_url, "portal")
    settings = Settings(database_url=url, stripe_webhook_secret=SECRET, base_url="http://testserver")
    app = bootstrap(settings, FixedClock(NOW))
    try:
        started = timer.perf_counter()
        token = build(app, seed)
        log(f"{backend}: built in {timer.perf_counter() - started:.1f} s")
        if backend == "postgresql":
            with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(), autocommit=True) as c:
                c.execute("VACUUM ANALYZE")
        asgi = server_app(app)
        settle_memory()  # as `arrears serve` does before it serves
        get = asgi_call(asgi, "GET", f"/portal/{token}")
        assert get() == 200

        def page() -> None:
            assert get() == 200

        connection = raw(backend, url)
        try:
            rows = connection.execute(param(backend, RAW_INVOICES), {"customer": BIG}).fetchall()
            connection.rollback()
            assert len(rows) == OPEN, len(rows)

            def read() -> None:
                connection.execute(param(backend, RAW_INVOICES), {"customer": BIG}).fetchall()
                connection.rollback()

            page_times = timed(repeat, page)
            view_times = timed(repeat, lambda: portal.view(app.uow(), token))
            raw_times = timed(repeat, read)

            numbers = iter(range(10**6))

            def webhook() -> None:
                body, signature = signed(completed(next(numbers)))
                post = asgi_call(asgi, "POST", "/webhooks/stripe", body, [(b"stripe-signature", signature.encode())])
                assert post() == 200

            webhook_times = timed(repeat, webhook)
            naive_times = timed(repeat, naive_webhook(backend, connection, iter(range(10**6))))
        finally:
            connection.close()

        # 50 concurrent deliveries of 10 new events, 5 each, all at once.
        first = 900_000
        bodies = [signed(completed(first + n)) for n in range(10)] * 5
        statuses: list[int] = []
        barrier = threading.Barrier(len(bodies))

        def deliver(body: bytes, signature: str) -> None:
            post = asgi_call(asgi, "POST", "/webhooks/stripe", body, [(b"stripe-signature", signature.encode())])
            barrier.wait()
            statuses.append(post())

        threads = [threading.Thread(target=deliver, args=pair) for pair in bodies]
        started = timer.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        burst_s = timer.perf_counter() - started
        with app.engine.connect() as db:
            p = t.payments
            recorded = db.execute(select(func.count()).where(p.c.external_id.like("pi_bench_9000%"))).scalar_one()
        not_ok = sum(1 for status in statuses if status != 200)
        log(f"{backend}: 50 deliveries of 10 events in {burst_s:.2f} s: {recorded} payments, {not_ok} answers not 200")
        return [
            line(f"{backend}: GET /portal/TOKEN ({OPEN} open invoices) through the ASGI app", page_times),
            line(f"{backend}: portal.view service alone", view_times),
            line(f"{backend}: raw SQL, the same {OPEN} open invoice rows, one statement", raw_times),
            line(f"{backend}: POST /webhooks/stripe, a paid checkout recorded", webhook_times),
            line(f"{backend}: raw SQL, the event stored and its payment written naively", naive_times),
            f"| {backend}: 50 concurrent deliveries of 10 events: {recorded} payments, {not_ok} errors, "
            f"{burst_s * 1000:.0f} ms in all | | | | | |",
        ]
    finally:
        app.close()


def main() -> None:
    targets = f"targets: page {PAGE_TARGET_MS:.0f} ms, webhook {WEBHOOK_TARGET_MS:.0f} ms (p95)"
    bench_main(__doc__ or "", DEFAULT_POSTGRES_URL, run, targets)


if __name__ == "__main__":
    main()
