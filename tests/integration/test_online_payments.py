"""Stripe's events on both databases (services/online_payments.py over the SQL adapters): a payment
lands in `export payments` with method stripe and external ids of its payment intent; a pending
bank debit holds its invoices back from chasing; concurrent deliveries record each payment once
(PostgreSQL for real: threads, each its own unit of work, released together by a barrier)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.services import inbox, online_payments
from arrears.services import ledger as ledger_service
from arrears.services.portal_ports import CheckoutRequest, CheckoutSession
from tests.ledger import Ledger, customer, invoice

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CREATED = int(datetime(2026, 5, 31, 22, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def app(db_url: str) -> Iterator[Arrears]:
    arrears = bootstrap(Settings(database_url=db_url), clock=FixedClock(NOW))
    yield arrears
    arrears.close()


@pytest.fixture
def ledger(app: Arrears, tmp_path: Path) -> Ledger:
    """Acme (C1, USD) owes I1 100.00 due 2026-05-01 and I2 250.00 due 2026-05-15; Beta (C2) owes B1."""
    ledger = Ledger(app, tmp_path)
    ledger.load("customers", [customer("C1", "Acme Ltd"), customer("C2", "Beta Inc")])
    ledger.load(
        "invoices",
        [
            invoice("I2", "C1", due=date(2026, 5, 15), amount="250.00"),
            invoice("I1", "C1", due=date(2026, 5, 1), amount="100.00"),
            invoice("B1", "C2", due=date(2026, 5, 1), amount="40.00"),
        ],
    )
    return ledger


class Gateway:
    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        return CheckoutSession("cs_1", "https://checkout.test/cs_1")


def start(app: Arrears, *invoices: str) -> None:
    with app.uow() as uow:
        acme = uow.ledger.customer("C1")
    assert acme is not None
    online_payments.start_payment(
        app.uow(),
        Gateway(),
        customer_id=acme.id,
        portal_link_id=None,
        invoice_external_ids=list(invoices),
        amount=None,
        success_url="https://a.test/ok",
        cancel_url="https://a.test/back",
    )


def event(
    kind: str = "checkout.session.completed",
    *,
    event_id: str = "evt_1",
    session: str = "cs_1",
    intent: str = "pi_1",
    customer: str = "C1",
    invoices: str = "I1,I2",
    amount: int = 400_00,
    payment_status: str = "paid",
) -> dict[str, Any]:
    obj = {
        "id": session,
        "object": "checkout.session",
        "payment_intent": intent,
        "client_reference_id": customer,
        "amount_total": amount,
        "currency": "usd",
        "payment_status": payment_status,
        "metadata": {"arrears_invoices": invoices},
    }
    return {"id": event_id, "type": kind, "created": CREATED, "data": {"object": obj}}


def pending_flags(app: Arrears) -> dict[str, bool]:
    i = t.invoices
    with app.engine.connect() as connection:
        return {
            row.external_id: row.payment_pending
            for row in connection.execute(select(i.c.external_id, i.c.payment_pending))
        }


def alert_kinds(app: Arrears) -> list[str]:
    with app.engine.connect() as connection:
        return list(connection.execute(select(t.alerts.c.kind).order_by(t.alerts.c.id)).scalars())


def test_a_paid_checkout_appears_in_the_payments_export_with_method_stripe(app: Arrears, ledger: Ledger) -> None:
    start(app, "I1", "I2")

    outcome = online_payments.receive_stripe_event(app.uow(), event(), timezone="Europe/Paris")

    assert outcome == "applied"
    rows = [
        (r["external_id"], r["invoice_external_id"], r["amount"], r["date"], r["method"])
        for r in ledger.exported_rows("payments")
    ]
    assert sorted(rows) == [
        ("pi_1-1", "I1", "100.00", "2026-06-01", "stripe"),  # 22:00 UTC on May 31 is June 1 in Paris
        ("pi_1-2", "I2", "250.00", "2026-06-01", "stripe"),
        ("pi_1-3", "", "50.00", "2026-06-01", "stripe"),
    ]
    assert (ledger.invoice("I1"), ledger.invoice("I2")) == (("paid", "0.00"), ("paid", "0.00"))
    assert ledger.aging_of("C1", date(2026, 6, 1))["unapplied_cash"] == "50.00"
    with app.uow() as uow:
        acme = uow.ledger.customer("C1")
        assert acme is not None
        [payment] = uow.portal.customer_payments(acme.id, 10)
        assert (payment.status, payment.payment_intent_id) == ("succeeded", "pi_1")
        assert uow.ledger.event_counts() == {"processed": 1}


def test_a_replayed_event_and_a_second_event_of_the_intent_change_nothing(app: Arrears, ledger: Ledger) -> None:
    start(app, "I1", "I2")
    online_payments.receive_stripe_event(app.uow(), event())
    before = ledger.exported_rows("payments")

    again = online_payments.receive_stripe_event(app.uow(), event())
    other = online_payments.receive_stripe_event(
        app.uow(), event("checkout.session.async_payment_succeeded", event_id="evt_2")
    )

    assert (again, other) == ("duplicate", "applied")
    assert ledger.exported_rows("payments") == before


def test_a_pending_debit_holds_chasing_until_it_fails_and_then_alerts(app: Arrears, ledger: Ledger) -> None:
    start(app, "I1", "I2")

    online_payments.receive_stripe_event(app.uow(), event(payment_status="unpaid"))
    held = pending_flags(app)
    online_payments.receive_stripe_event(app.uow(), event("checkout.session.async_payment_failed", event_id="evt_2"))

    assert held == {"I1": True, "I2": True, "B1": False}
    assert pending_flags(app) == {"I1": False, "I2": False, "B1": False}
    assert ledger.exported_rows("payments") == []
    assert alert_kinds(app) == ["payment_failed"]


def test_money_for_another_customers_invoice_is_not_recorded_but_alerted(app: Arrears, ledger: Ledger) -> None:
    outcome = online_payments.receive_stripe_event(app.uow(), event(invoices="I1,B1", session="cs_9"))

    assert outcome == "applied"
    assert ledger.exported_rows("payments") == []
    assert alert_kinds(app) == ["payment_unmatched"]


def test_an_event_that_failed_to_apply_is_applied_by_the_workers_inbox_job(
    app: Arrears, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(app, "I1", "I2")
    real = ledger_service.record_payments

    def down(*args: Any) -> Any:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(ledger_service, "record_payments", down)
    deferred = online_payments.receive_stripe_event(app.uow(), event())
    monkeypatch.setattr(ledger_service, "record_payments", real)
    assert isinstance(app.clock, FixedClock)
    app.clock.at = NOW + timedelta(hours=1)

    report = inbox.process_pending(app.uow, app.inbox_handlers())

    assert deferred == "deferred"
    assert report.processed == 1
    assert len(ledger.exported_rows("payments")) == 3


# -- concurrent deliveries --------------------------------------------------------------------------


def deliver_at_once(app: Arrears, events: list[dict[str, Any]]) -> list[str]:
    """Deliver `events` from as many threads, each with its own unit of work, released together."""
    barrier = threading.Barrier(len(events))

    def deliver(one: dict[str, Any]) -> str:
        uow = app.uow()
        barrier.wait(timeout=30)
        return online_payments.receive_stripe_event(uow, one)

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(deliver, events))


def test_two_concurrent_deliveries_of_one_event_record_one_payment(app: Arrears, ledger: Ledger) -> None:
    start(app, "I1", "I2")

    outcomes = deliver_at_once(app, [event(), event()])

    assert sorted(outcomes) == ["applied", "duplicate"]
    assert sorted(r["external_id"] for r in ledger.exported_rows("payments")) == ["pi_1-1", "pi_1-2", "pi_1-3"]
    assert ledger.invoice("I2") == ("paid", "0.00")


def test_two_concurrent_events_of_one_intent_not_started_on_the_portal_record_it_once(
    app: Arrears, ledger: Ledger
) -> None:
    completed = event(session="cs_x", intent="pi_x")
    succeeded = event("checkout.session.async_payment_succeeded", event_id="evt_2", session="cs_x", intent="pi_x")

    outcomes = deliver_at_once(app, [completed, succeeded])

    assert sorted(outcomes) == ["applied", "applied"]
    assert sorted(r["external_id"] for r in ledger.exported_rows("payments")) == ["pi_x-1", "pi_x-2", "pi_x-3"]


def test_fifty_concurrent_deliveries_of_ten_events_record_ten_payments(app: Arrears, ledger: Ledger) -> None:
    ledger.load("customers", [customer(f"K{n}", f"Customer {n}") for n in range(10)])
    ledger.load("invoices", [invoice(f"KI{n}", f"K{n}", due=date(2026, 5, 1), amount="10.00") for n in range(10)])
    events = [
        event(
            event_id=f"evt_k{n}",
            session=f"cs_k{n}",
            intent=f"pi_k{n}",
            customer=f"K{n}",
            invoices=f"KI{n}",
            amount=10_00,
        )
        for n in range(10)
    ]

    outcomes = deliver_at_once(app, events * 5)

    assert sorted(set(outcomes)) == ["applied", "duplicate"]
    assert outcomes.count("applied") == 10
    rows = ledger.exported_rows("payments")
    assert sorted(r["external_id"] for r in rows) == sorted(f"pi_k{n}-1" for n in range(10))
    assert {ledger.invoice(f"KI{n}") for n in range(10)} == {("paid", "0.00")}
    with app.uow() as uow:
        assert uow.ledger.event_counts() == {"processed": 10}
