"""Many writers at once on PostgreSQL, against the same invoices: `arrears import payments` processes
and `PUT /api/v1/payments/{id}` calls to a real `arrears serve`, all started together.

Whatever the interleaving, the ledger must hold: no invoice allocated above its amount, each stored
paid total equal to the sum of its payments, every write that was accepted stored as sent, and every
write that was refused absent. Without serialisation two writers both read "100.00 outstanding"
and both allocate 60.00 to it.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from arrears.adapters.db import tables as t
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.services import accounts, users
from arrears.services.imports import import_csv
from tests.e2e.test_api_serve import free_port

pytestmark = pytest.mark.postgres

INVOICES = 20
CLI_WRITERS = 4
API_WRITERS = 12
PUTS_PER_API_WRITER = 6
ARREARS = Path(sys.executable).with_name("arrears")


def _load(url: str, tmp_path: Path) -> None:
    """20 customers, each with one invoice of 100.00 USD."""
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "external_id,name,currency\n" + "".join(f"C{n},Customer {n},USD\n" for n in range(INVOICES)), encoding="utf-8"
    )
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "external_id,customer_external_id,issue_date,due_date,amount,currency\n"
        + "".join(f"I{n},C{n},2026-05-01,2026-05-31,100.00,USD\n" for n in range(INVOICES)),
        encoding="utf-8",
    )
    app = bootstrap(Settings(database_url=url))
    try:
        for kind, path in (("customers", customers), ("invoices", invoices)):
            with path.open("rb") as source:
                import_csv(app.uow(), kind, source, path.name)
    finally:
        app.close()


@dataclass
class Outcome:
    """What a writer sent and whether it was accepted: payment external id -> (invoice, minor units)."""

    payments: dict[str, tuple[str, int]]
    accepted: bool
    detail: str = ""


@pytest.fixture
def server(pg_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`arrears serve` on the test database, and an owner's API token."""
    _load(pg_url, tmp_path)
    app = bootstrap(Settings(database_url=pg_url))
    users.add_user(app.uow(), app.hasher, "erp", "owner", email=None, password=None)
    token = accounts.issue_token(app.uow(), "erp")
    app.close()
    port = free_port()
    process = subprocess.Popen(
        [str(ARREARS), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, "ARREARS_DATABASE_URL": pg_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "the server did not start"
                time.sleep(0.2)
        yield base, token
    finally:
        process.terminate()
        process.wait(timeout=30)


def _cli_writer(number: int, url: str, tmp_path: Path, start: threading.Barrier) -> Outcome:
    """One `arrears import payments` of a 60.00 payment on every invoice."""
    payments = {f"CLI{number}-{n}": (f"I{n}", 6000) for n in range(INVOICES)}
    path = tmp_path / f"payments-{number}.csv"
    path.write_text(
        "external_id,customer_external_id,date,amount,currency,invoice_external_id\n"
        + "".join(f"{ref},C{ref.split('-')[1]},2026-06-01,60.00,USD,{inv}\n" for ref, (inv, _) in payments.items()),
        encoding="utf-8",
    )
    start.wait()
    done = subprocess.run(
        [str(ARREARS), "import", "payments", str(path)],
        env={**os.environ, "ARREARS_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return Outcome(payments, done.returncode == 0, done.stderr)


def _api_writer(number: int, base: str, token: str, start: threading.Barrier) -> list[Outcome]:
    """PUT payments of 30.00 on random invoices, one after another."""
    chooser = random.Random(number)
    outcomes = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        start.wait()
        for put in range(PUTS_PER_API_WRITER):
            n = chooser.randrange(INVOICES)
            ref = f"API{number}-{put}"
            answer = client.put(
                f"/api/v1/payments/{ref}",
                json={
                    "customer_external_id": f"C{n}",
                    "date": "2026-06-02",
                    "amount": "30.00",
                    "currency": "USD",
                    "invoice_external_id": f"I{n}",
                },
            )
            assert answer.status_code in (201, 422), answer.text  # accepted, or refused: never a 5xx
            outcomes.append(Outcome({ref: (f"I{n}", 3000)}, answer.status_code == 201, answer.text))
    return outcomes


def test_concurrent_payment_writers_never_over_allocate_nor_lose_an_accepted_payment(
    server: tuple[str, str], pg_url: str, tmp_path: Path
) -> None:
    base, token = server
    start = threading.Barrier(CLI_WRITERS + API_WRITERS)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def run(work: object) -> None:
        result = work()  # type: ignore[operator]
        with lock:
            outcomes.extend(result if isinstance(result, list) else [result])

    threads = [
        threading.Thread(target=run, args=(lambda n=n: _cli_writer(n, pg_url, tmp_path, start),))
        for n in range(CLI_WRITERS)
    ] + [
        threading.Thread(target=run, args=(lambda n=n: _api_writer(n, base, token, start),)) for n in range(API_WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    engine = create_engine(pg_url)
    i, p = t.invoices, t.payments
    with engine.connect() as connection:
        invoices = {
            row.external_id: row
            for row in connection.execute(select(i.c.id, i.c.external_id, i.c.amount_minor, i.c.paid_minor, i.c.status))
        }
        stored = {
            row.external_id: (row.invoice, row.amount_minor)
            for row in connection.execute(
                select(p.c.external_id, i.c.external_id.label("invoice"), p.c.amount_minor).join(
                    i, i.c.id == p.c.invoice_id
                )
            )
        }
        sums = {
            invoice_id: int(total)
            for invoice_id, total in connection.execute(
                select(p.c.invoice_id, func.sum(p.c.amount_minor)).group_by(p.c.invoice_id)
            )
        }
    engine.dispose()

    assert len(outcomes) == CLI_WRITERS + API_WRITERS * PUTS_PER_API_WRITER
    accepted = {ref: value for o in outcomes if o.accepted for ref, value in o.payments.items()}
    refused = {ref for o in outcomes if not o.accepted for ref in o.payments}
    assert stored == accepted, "every accepted payment is stored as sent, and nothing else"
    assert not refused & stored.keys()
    for ref, row in invoices.items():
        assert sums.get(row.id, 0) <= row.amount_minor, f"{ref} is allocated above its amount"
        assert row.paid_minor == sums.get(row.id, 0), f"{ref}'s stored paid total is not the sum of its payments"
        assert row.status == ("paid" if row.paid_minor == row.amount_minor else "open")
    assert accepted and refused, "the writers competed: some were accepted and some refused"
    refusals = [o.detail for o in outcomes if not o.accepted]
    assert all("allocates more than invoice" in detail for detail in refusals), refusals[:3]
