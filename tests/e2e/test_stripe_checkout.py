"""Stripe end to end, offline: the real stripe SDK opens a Checkout Session against a local double of
Stripe's API (respx), and `POST /webhooks/stripe` of the served app receives events signed with
Stripe's scheme (`t=<time>,v1=<HMAC-SHA256 of "<time>.<body>">`), both databases.

A forged, missing or stale signature answers 400 and writes nothing; a good one answers 200 and the
payment is on the ledger, once however often it is delivered."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from arrears.adapters.clock import FixedClock
from arrears.adapters.db.tables import metadata
from arrears.bootstrap import Arrears, bootstrap
from arrears.cli.serve import server_app
from arrears.config import Settings
from arrears.domain.errors import PaymentProviderError
from arrears.services import online_payments
from arrears.services.portal_ports import OnlinePayment
from tests.ledger import Ledger, customer, invoice

SECRET = "whsec_test_arrears"
API_BASE = "http://stripe.test"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@dataclass
class Shop:
    arrears: Arrears
    ledger: Ledger
    client: TestClient

    def payments(self) -> list[tuple[str, str, str, str]]:
        rows = self.ledger.exported_rows("payments")
        return sorted((r["external_id"], r["invoice_external_id"], r["amount"], r["method"]) for r in rows)

    def fingerprint(self) -> str:
        """Every row of every table: equal before and after means nothing was written."""
        digest = hashlib.sha256()
        with self.arrears.engine.connect() as connection:
            for table in metadata.sorted_tables:
                rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                digest.update(f"{table.name}:{len(rows)}:{'|'.join(rows)}".encode())
        return digest.hexdigest()

    def online_payments(self) -> list[OnlinePayment]:
        acme_id = self.acme_id()
        with self.arrears.uow() as uow:
            return uow.portal.customer_payments(acme_id, 5)

    def acme_id(self) -> int:
        with self.arrears.uow() as uow:
            acme = uow.ledger.customer("C1")
        assert acme is not None
        return acme.id


def open_shop(db_url: str, tmp_path: Path, **settings: Any) -> Shop:
    """Acme (C1, USD) owes I1 100.00 (due 2026-05-01) and I2 250.00 (due 2026-05-15)."""
    values: dict[str, Any] = {
        "database_url": db_url,
        "email_url": f"file://{tmp_path / 'mail'}",
        "stripe_secret_key": "sk_test_arrears",
        "stripe_webhook_secret": SECRET,
        "stripe_api_base": API_BASE,
        **settings,
    }
    arrears = bootstrap(Settings(**values), FixedClock(NOW))
    ledger = Ledger(arrears, tmp_path)
    ledger.load("customers", [customer("C1", "Acme Ltd")])
    ledger.load(
        "invoices",
        [
            invoice("I1", "C1", due=date(2026, 5, 1), amount="100.00"),
            invoice("I2", "C1", due=date(2026, 5, 15), amount="250.00"),
        ],
    )
    client = TestClient(server_app(arrears), base_url="http://testserver", follow_redirects=False)
    return Shop(arrears, ledger, client)


@pytest.fixture
def shop(db_url: str, tmp_path: Path) -> Iterator[Shop]:
    opened = open_shop(db_url, tmp_path)
    yield opened
    opened.arrears.close()


def signed(payload: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for `payload`, computed here by hand."""
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def paid_event(
    *, event_id: str = "evt_1", session: str = "cs_test_1", intent: str = "pi_test_1", amount: int = 400_00
) -> bytes:
    obj = {
        "id": session,
        "object": "checkout.session",
        "payment_intent": intent,
        "client_reference_id": "C1",
        "amount_total": amount,
        "currency": "usd",
        "payment_status": "paid",
        "metadata": {"arrears_invoices": "I1,I2"},
    }
    event = {"id": event_id, "object": "event", "type": "checkout.session.completed", "data": {"object": obj}}
    return json.dumps({**event, "created": int(NOW.timestamp())}).encode()


def post(shop: Shop, payload: bytes, signature: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["stripe-signature"] = signature
    answer: httpx.Response = shop.client.post("/webhooks/stripe", content=payload, headers=headers)
    return answer


# -- the checkout session, through the real SDK ----------------------------------------------------


def test_a_portal_payment_opens_a_checkout_session_with_the_customer_invoices_and_idempotency_key(
    shop: Shop,
) -> None:
    gateway = shop.arrears.payment_gateway()
    assert gateway is not None
    with respx.mock(base_url=API_BASE, assert_all_called=True) as stripe_api:
        route = stripe_api.post("/v1/checkout/sessions").respond(
            200,
            json={"id": "cs_test_1", "object": "checkout.session", "url": "https://checkout.stripe.test/c/cs_test_1"},
        )

        url = online_payments.start_payment(
            shop.arrears.uow(),
            gateway,
            customer_id=shop.acme_id(),
            portal_link_id=None,
            invoice_external_ids=["I1", "I2"],
            amount="120.00",
            success_url="https://arrears.test/portal/t?paid=1",
            cancel_url="https://arrears.test/portal/t",
            customer_email="pat@acme.test",
        )

    assert url == "https://checkout.stripe.test/c/cs_test_1"
    request = route.calls.last.request
    form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
    assert request.headers["authorization"] == "Bearer sk_test_arrears"
    [payment] = shop.online_payments()
    assert request.headers["idempotency-key"] == f"arrears-online-payment-{payment.id}"
    assert form["mode"] == "payment"
    assert form["client_reference_id"] == "C1"
    assert form["metadata[arrears_invoices]"] == "I1,I2"
    assert form["metadata[arrears_payment]"] == str(payment.id)
    assert form["payment_intent_data[metadata][arrears_invoices]"] == "I1,I2"
    assert form["line_items[0][price_data][unit_amount]"] == "12000"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["line_items[0][price_data][product_data][name]"] == "Payment of invoices I1, I2"
    assert form["customer_email"] == "pat@acme.test"
    assert (payment.status, payment.checkout_session_id, payment.amount_minor) == ("started", "cs_test_1", 120_00)


def test_stripe_refusing_the_session_is_a_provider_error_and_the_payment_is_failed(shop: Shop) -> None:
    gateway = shop.arrears.payment_gateway()
    assert gateway is not None
    refusal = {"error": {"type": "invalid_request_error", "message": "Amount must be at least $0.50 usd"}}
    with respx.mock(base_url=API_BASE) as stripe_api:
        stripe_api.post("/v1/checkout/sessions").respond(400, json=refusal)

        with pytest.raises(PaymentProviderError, match="could not open a checkout page"):
            online_payments.start_payment(
                shop.arrears.uow(),
                gateway,
                customer_id=shop.acme_id(),
                portal_link_id=None,
                invoice_external_ids=["I1"],
                amount="0.10",
                success_url="https://arrears.test/ok",
                cancel_url="https://arrears.test/back",
            )

    [payment] = shop.online_payments()
    assert payment.status == "failed"
    assert payment.error is not None and "could not open a checkout page" in payment.error


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (httpx.Response(200, json={"id": "cs_test_1", "object": "checkout.session"}), "without a checkout page"),
        (httpx.ConnectError("connection refused"), "could not open a checkout page"),
    ],
)
def test_stripe_out_of_reach_or_answering_without_a_page_is_a_provider_error(
    shop: Shop, answer: httpx.Response | Exception, words: str
) -> None:
    gateway = shop.arrears.payment_gateway()
    assert gateway is not None
    with respx.mock(base_url=API_BASE) as stripe_api:
        route = stripe_api.post("/v1/checkout/sessions").mock(side_effect=[answer] * 3)

        with pytest.raises(PaymentProviderError, match=words):
            online_payments.start_payment(
                shop.arrears.uow(),
                gateway,
                customer_id=shop.acme_id(),
                portal_link_id=None,
                invoice_external_ids=["I1"],
                amount=None,
                success_url="https://arrears.test/ok",
                cancel_url="https://arrears.test/back",
            )

    keys = {call.request.headers["idempotency-key"] for call in route.calls}
    assert len(keys) == 1  # a retry after a network failure is the same request
    [payment] = shop.online_payments()
    assert payment.status == "failed"


# -- the webhook -------------------------------------------------------------------------------------


def test_a_signed_paid_checkout_is_recorded_once_however_often_it_is_delivered(shop: Shop) -> None:
    payload = paid_event()

    first = post(shop, payload, signed(payload))
    again = post(shop, payload, signed(payload))

    assert (first.status_code, first.text) == (200, "applied")
    assert (again.status_code, again.text) == (200, "duplicate")
    assert first.headers["x-content-type-options"] == "nosniff"
    assert shop.payments() == [
        ("pi_test_1-1", "I1", "100.00", "stripe"),
        ("pi_test_1-2", "I2", "250.00", "stripe"),
        ("pi_test_1-3", "", "50.00", "stripe"),
    ]


def test_a_session_started_on_the_portal_succeeds_when_its_event_arrives(shop: Shop) -> None:
    gateway = shop.arrears.payment_gateway()
    assert gateway is not None
    with respx.mock(base_url=API_BASE) as stripe_api:
        stripe_api.post("/v1/checkout/sessions").respond(
            200, json={"id": "cs_test_7", "object": "checkout.session", "url": "https://checkout.stripe.test/7"}
        )
        online_payments.start_payment(
            shop.arrears.uow(),
            gateway,
            customer_id=shop.acme_id(),
            portal_link_id=None,
            invoice_external_ids=["I2"],
            amount=None,
            success_url="https://arrears.test/ok",
            cancel_url="https://arrears.test/back",
        )
    payload = paid_event(session="cs_test_7", intent="pi_test_7", amount=250_00)

    answer = post(shop, payload, signed(payload))

    assert answer.status_code == 200
    assert shop.payments() == [("pi_test_7-1", "I2", "250.00", "stripe")]
    [payment] = shop.online_payments()
    assert (payment.status, payment.payment_intent_id) == ("succeeded", "pi_test_7")


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("no signature", "the Stripe-Signature header is missing"),
        ("another secret", "the signature does not match"),
        ("body changed", "the signature does not match"),
        ("stale", "the signature is too old"),
        ("garbage header", "the signature does not match"),
    ],
)
def test_a_missing_forged_or_stale_signature_is_a_400_that_writes_nothing(shop: Shop, case: str, reason: str) -> None:
    payload = paid_event()
    signature = {
        "no signature": None,
        "another secret": signed(payload, secret="whsec_someone_else"),
        "body changed": signed(paid_event(amount=1)),
        "stale": signed(payload, at=int(time.time()) - 301),
        "garbage header": "t=yesterday,v1=zz",
    }[case]
    before = shop.fingerprint()

    answer = post(shop, payload, signature)

    assert answer.status_code == 400
    assert reason in answer.text
    assert shop.fingerprint() == before


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json at all", "not JSON"),
        (b"[1, 2, 3]", "not an event"),
        (b'{"id": 7, "type": "x"}', "not an event"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_signed_body_that_is_no_event_is_a_400_that_writes_nothing(shop: Shop, payload: bytes, reason: str) -> None:
    before = shop.fingerprint()

    answer = post(shop, payload, signed(payload) if reason != "not UTF-8" else "t=1,v1=00")

    assert answer.status_code == 400
    assert reason in answer.text
    assert shop.fingerprint() == before


def test_an_event_of_a_type_we_do_not_handle_is_a_200_that_changes_nothing_on_the_ledger(shop: Shop) -> None:
    payload = json.dumps({"id": "evt_x", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}).encode()

    answer = post(shop, payload, signed(payload))

    assert answer.status_code == 200
    assert shop.payments() == []


def test_a_body_over_a_megabyte_is_a_413(shop: Shop) -> None:
    payload = b'{"id": "evt_big", "type": "x", "pad": "' + b"x" * 1_000_001 + b'"}'
    before = shop.fingerprint()

    answer = post(shop, payload, signed(payload))

    assert answer.status_code == 413
    assert shop.fingerprint() == before


def test_without_a_signing_secret_the_endpoint_is_not_there(db_url: str, tmp_path: Path) -> None:
    shop = open_shop(db_url, tmp_path, stripe_webhook_secret="")
    payload = paid_event()
    try:
        answer = post(shop, payload, signed(payload))
        assert answer.status_code == 404
        assert shop.payments() == []
    finally:
        shop.arrears.close()


def test_the_webhook_needs_no_session_and_no_csrf_token(shop: Shop) -> None:
    """A provider has neither: a fresh client with no cookie is answered by the signature alone."""
    payload = paid_event(event_id="evt_fresh")

    answer = TestClient(shop.client.app, base_url="http://testserver").post(
        "/webhooks/stripe", content=payload, headers={"stripe-signature": signed(payload)}
    )

    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers
