"""Online payment through Stripe (services/online_payments.py), over fakes: a payment started on the
portal, then Stripe's events in any number and order, each recorded once per payment intent,
spread oldest due first with the rest on account; pending bank debits pause chasing; failures,
refunds, chargebacks and money nobody can place raise alerts."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from arrears.adapters.stripe_gateway import checkout_params, invoices_metadata
from arrears.domain.audit import ActorKind
from arrears.domain.errors import InvalidValue, NotFound, PaymentProviderError
from arrears.domain.money import parse_amount
from arrears.domain.records import CashRecord, Lookups
from arrears.services import inbox, online_payments
from arrears.services import ledger as ledger_service
from arrears.services.ledger_ports import InboxEvent
from arrears.services.portal_ports import CheckoutRequest, CheckoutSession, OnlinePayment
from arrears.services.ports import AuditStamp, ImportCounts, RowProblem, UnitOfWork
from tests.fakes import FakeLedger, FakeUnitOfWork, StoredAlert, acme_desk, make_invoice
from tests.unit.builders import MARIA, NOW

# Acme (C1, USD, maria): I1 100.00 due 2026-05-01, I2 250.00 due 2026-05-15, I3 80.00 due 2026-06-30.
# Beta (C2, EUR, sam): B1 40.00. Acme also has I4, 30.00 in EUR (for the one-currency rule).
CREATED = int(datetime(2026, 5, 31, 23, 30, tzinfo=UTC).timestamp())  # 2026-06-01 in Auckland


# -- the ledger's payment rows, over fakes ----------------------------------------------------------


def recorded(ledger: FakeLedger) -> dict[str, CashRecord]:
    """The payment rows written through `record_payments`, by external id (kept on the fake ledger,
    so that they commit and roll back with it)."""
    rows: dict[str, CashRecord] = ledger.__dict__.setdefault("payment_rows", {})
    return rows


class FakePaymentBatch:
    """What the import's SQL batch does for payment rows, in memory: unknown and foreign invoices
    refused, rows upserted by external id (a row seen before changes nothing), each new allocation
    paying its invoice or sitting on account."""

    def __init__(self, uow: PayingUnitOfWork) -> None:
        self.uow = uow
        self.staged: list[tuple[int, CashRecord]] = []

    def lookups(self, customers_wanted: Collection[str] | None = None) -> Lookups:
        customers = self.uow.ledger.customer_refs.values()
        return Lookups({c.external_id: (c.id, c.currency) for c in customers}, {})

    def stage(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.staged.extend((row[0], CashRecord(*row[1:])) for row in rows)

    def problems_before(self) -> Iterator[RowProblem]:
        ledger = self.uow.ledger
        for line, record in self.staged:
            if record.invoice_external_id is None:
                continue
            found = ledger.invoices([record.invoice_external_id])
            if not found:
                yield RowProblem(line, "invoice_external_id", "no such invoice")
            elif found[0].customer_id != record.customer_id:
                yield RowProblem(line, "invoice_external_id", "the invoice is another customer's")

    def apply(self, stamp: AuditStamp) -> ImportCounts:
        ledger = self.uow.ledger
        rows = recorded(ledger)
        created = updated = unchanged = 0
        for _, record in self.staged:
            before = rows.get(record.external_id)
            if before == record:
                unchanged += 1
                continue
            if before is None:
                created += 1
            else:  # the row is rewritten: its old allocation goes first
                updated += 1
                self._undo(before)
            rows[record.external_id] = record
            if record.invoice_external_id is None:
                ledger.pay_on_account(record.customer_id, record.amount_minor, record.date)
            else:
                ledger.pay(record.invoice_external_id, record.amount_minor, record.date)
        return ImportCounts(created, updated, unchanged)

    def _undo(self, record: CashRecord) -> None:
        ledger = self.uow.ledger
        invoice_id = None
        if record.invoice_external_id is not None:
            invoice = ledger.invoice(record.invoice_external_id)
            invoice_id = invoice.id
            ledger.change_invoice(
                invoice.external_id, outstanding_minor=invoice.outstanding_minor + record.amount_minor, status="open"
            )
        gone = next(
            p
            for p in ledger.payments
            if (p.invoice_id, p.amount_minor, p.on) == (invoice_id, record.amount_minor, record.date)
        )
        ledger.payments.remove(gone)

    def problems_after(self) -> Iterator[RowProblem]:
        return iter(())


class PayingUnitOfWork(FakeUnitOfWork):
    """The fake unit of work with the import's batch for payment rows (`record_payments`)."""

    def import_batch(self, kind: str, columns: frozenset[str]) -> FakePaymentBatch:
        assert kind == "payments"
        return FakePaymentBatch(self)

    def fresh(self) -> PayingUnitOfWork:
        return PayingUnitOfWork(self.clock, _database=self._database)


@pytest.fixture
def uow() -> PayingUnitOfWork:
    desk = acme_desk()
    paying = PayingUnitOfWork(desk.clock, _database=desk._database)
    paying.ledger.add_invoice(make_invoice(id=14, external_id="I4", currency="EUR", outstanding_minor=30_00))
    return paying


class FakeGateway:
    """A provider that opens checkout pages (or fails), keeping what it was asked."""

    def __init__(self, fails: Exception | None = None) -> None:
        self.requests: list[CheckoutRequest] = []
        self.fails = fails

    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        self.requests.append(request)
        if self.fails is not None:
            raise self.fails
        return CheckoutSession(f"cs_{len(self.requests)}", f"https://checkout.test/pay/cs_{len(self.requests)}")


# -- events -----------------------------------------------------------------------------------------


def session_event(
    kind: str = "checkout.session.completed",
    *,
    event_id: str = "evt_1",
    session: str = "cs_1",
    intent: str | None = "pi_1",
    customer: str | None = "C1",
    invoices: str | None = "I1,I2",
    amount: int = 350_00,
    currency: str = "usd",
    payment_status: str = "paid",
    created: int = CREATED,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": session,
        "object": "checkout.session",
        "payment_intent": intent,
        "client_reference_id": customer,
        "amount_total": amount,
        "currency": currency,
        "payment_status": payment_status,
        "metadata": {} if invoices is None else {"arrears_invoices": invoices},
    }
    return {"id": event_id, "object": "event", "type": kind, "created": created, "data": {"object": obj}}


def charge_event(kind: str, *, event_id: str = "evt_r", intent: str = "pi_1", amount: int = 100_00) -> dict[str, Any]:
    if kind == "charge.refunded":
        obj = {"id": "ch_1", "object": "charge", "payment_intent": intent, "amount_refunded": amount}
    else:
        obj = {"id": "dp_1", "object": "dispute", "payment_intent": intent, "amount": amount, "reason": "fraudulent"}
    event = {"id": event_id, "type": kind, "created": CREATED, "data": {"object": {**obj, "currency": "usd"}}}
    return event


def receive(uow: UnitOfWork, event: dict[str, Any], timezone: str = "UTC") -> str:
    return online_payments.receive_stripe_event(uow, event, timezone=timezone)


def started(uow: PayingUnitOfWork, *invoices: str, amount: str | None = None) -> OnlinePayment:
    """A payment started on Acme's portal for `invoices` (session cs_1): the stored online payment."""
    online_payments.start_payment(
        uow,
        FakeGateway(),
        customer_id=1,
        portal_link_id=None,
        invoice_external_ids=list(invoices or ("I1", "I2")),
        amount=amount,
        success_url="https://arrears.test/portal/t/paid",
        cancel_url="https://arrears.test/portal/t",
    )
    return max(uow.portal.payments.values(), key=lambda p: p.id)


def rows_of(uow: FakeUnitOfWork) -> list[tuple[str, str | None, int, date, str | None]]:
    return sorted(
        (r.external_id, r.invoice_external_id, r.amount_minor, r.date, r.note) for r in recorded(uow.ledger).values()
    )


def alerts_of(uow: FakeUnitOfWork) -> list[StoredAlert]:
    return list(uow.alerts.rows.values())


def status_of(uow: FakeUnitOfWork, payment_id: int) -> str:
    return uow.portal.payments[payment_id].status


def pending_flags(uow: FakeUnitOfWork) -> dict[str, bool]:
    return {i.external_id: i.payment_pending for i in uow.ledger.invoice_refs.values() if i.customer_id == 1}


# -- starting a payment -----------------------------------------------------------------------------


def test_starting_a_payment_records_it_then_opens_a_checkout_page_for_the_invoices_total(
    uow: PayingUnitOfWork,
) -> None:
    gateway = FakeGateway()

    url = online_payments.start_payment(
        uow,
        gateway,
        customer_id=1,
        portal_link_id=None,
        invoice_external_ids=["I2", "I1"],
        amount=None,
        success_url="https://arrears.test/ok",
        cancel_url="https://arrears.test/back",
        customer_email="pat@acme.test",
    )

    [payment] = uow.portal.payments.values()
    [request] = gateway.requests
    assert url == "https://checkout.test/pay/cs_1"
    assert (payment.status, payment.amount_minor, payment.currency, payment.checkout_session_id) == (
        "started",
        350_00,
        "USD",
        "cs_1",
    )
    assert payment.invoice_ids == (11, 12)
    assert request.idempotency_key == f"arrears-online-payment-{payment.id}"
    assert (request.customer_external_id, request.invoice_external_ids, request.amount_minor) == (
        "C1",
        ("I2", "I1"),
        350_00,
    )
    assert (request.customer_email, request.payment_id, request.currency) == ("pat@acme.test", payment.id, "USD")
    entry = uow.audit.entries[-1]
    assert (entry.actor.kind, entry.customer_id, entry.action) == (ActorKind.CUSTOMER, 1, "started")
    assert entry.summary == "Online payment of 350.00 USD started on the portal for invoices I2, I1"


def test_a_payment_is_committed_before_the_provider_is_asked(uow: PayingUnitOfWork) -> None:
    seen: list[int] = []

    class Watching(FakeGateway):
        def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
            seen.append(len(uow.fresh().portal.payments))  # what another transaction reads now
            return super().create_checkout_session(request)

    online_payments.start_payment(
        uow,
        Watching(),
        customer_id=1,
        portal_link_id=None,
        invoice_external_ids=["I1"],
        amount=None,
        success_url="s",
        cancel_url="c",
    )

    assert seen == [1]


def test_an_amount_of_ones_own_is_paid_up_to_the_invoices_total(uow: PayingUnitOfWork) -> None:
    payment = started(uow, "I1", "I2", amount="120.50")

    assert payment.amount_minor == 120_50


def paid_toward(uow: PayingUnitOfWork, amount: str) -> OnlinePayment:
    """An amount paid on Acme's portal without choosing invoices."""
    online_payments.start_payment(
        uow,
        FakeGateway(),
        customer_id=1,
        portal_link_id=None,
        invoice_external_ids=[],
        amount=amount,
        success_url="s",
        cancel_url="c",
    )
    return max(uow.portal.payments.values(), key=lambda p: p.id)


@pytest.mark.parametrize(
    ("amount", "invoices"),
    [("50.00", ("I1",)), ("100.00", ("I1",)), ("100.01", ("I1", "I2")), ("430.00", ("I1", "I2", "I3"))],
)
def test_an_amount_without_invoices_goes_to_the_oldest_of_the_customers_currency_that_it_reaches(
    uow: PayingUnitOfWork, amount: str, invoices: tuple[str, ...]
) -> None:
    payment = paid_toward(uow, amount)

    assert tuple(uow.ledger.invoice_refs[i].external_id for i in payment.invoice_ids) == invoices
    assert (payment.currency, payment.amount_minor) == ("USD", parse_amount(amount, "USD"))


def test_an_amount_without_invoices_passes_over_disputed_ones_and_cannot_exceed_what_is_owed(
    uow: PayingUnitOfWork,
) -> None:
    uow.ledger.change_invoice("I1", disputed=True)

    payment = paid_toward(uow, "50.00")
    with pytest.raises(InvalidValue, match=r"more than what these invoices owe \(330.00 USD\)"):
        paid_toward(uow, "330.01")

    assert [uow.ledger.invoice_refs[i].external_id for i in payment.invoice_ids] == ["I2"]


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("350.01", r"more than what these invoices owe \(350.00 USD\)"),
        ("0", "must be more than zero"),
        ("-5", "the amount to pay"),
        ("12.345", "the amount to pay"),
        ("lots", "the amount to pay"),
    ],
)
def test_an_amount_that_is_not_payable_is_refused_and_nothing_is_started(
    uow: PayingUnitOfWork, amount: str, reason: str
) -> None:
    gateway = FakeGateway()

    with pytest.raises(InvalidValue, match=reason):
        online_payments.start_payment(
            uow,
            gateway,
            customer_id=1,
            portal_link_id=None,
            invoice_external_ids=["I1", "I2"],
            amount=amount,
            success_url="s",
            cancel_url="c",
        )

    assert (uow.portal.payments, gateway.requests) == ({}, [])


@pytest.mark.parametrize(
    ("invoices", "reason"),
    [
        ([], "choose at least one invoice to pay, or give an amount"),
        (["B1"], "there is no invoice 'B1' on this account"),
        (["NOPE"], "there is no invoice 'NOPE' on this account"),
        (["I1", "I4"], r"one currency at a time \(these are in EUR, USD\)"),
        (["PAID"], "invoice PAID has nothing left to pay"),
        (["PENDING"], "a payment of invoice PENDING is already on its way"),
    ],
)
def test_invoices_that_cannot_be_paid_together_are_refused_in_the_customers_words(
    uow: PayingUnitOfWork, invoices: list[str], reason: str
) -> None:
    uow.ledger.add_invoice(make_invoice(id=15, external_id="PAID", status="paid", outstanding_minor=0))
    uow.ledger.add_invoice(replace(make_invoice(id=16, external_id="PENDING"), payment_pending=True))
    gateway = FakeGateway()

    with pytest.raises((InvalidValue, NotFound), match=reason):
        online_payments.start_payment(
            uow,
            gateway,
            customer_id=1,
            portal_link_id=None,
            invoice_external_ids=invoices,
            amount=None,
            success_url="s",
            cancel_url="c",
        )

    assert (uow.portal.payments, gateway.requests) == ({}, [])


def test_a_provider_that_fails_leaves_the_payment_failed_with_its_reason(uow: PayingUnitOfWork) -> None:
    gateway = FakeGateway(PaymentProviderError("the payment provider could not open a checkout page"))

    with pytest.raises(PaymentProviderError):
        online_payments.start_payment(
            uow,
            gateway,
            customer_id=1,
            portal_link_id=None,
            invoice_external_ids=["I1"],
            amount=None,
            success_url="s",
            cancel_url="c",
        )

    [payment] = uow.portal.payments.values()
    assert (payment.status, payment.checkout_session_id) == ("failed", None)
    assert payment.error == "the payment provider could not open a checkout page"


# -- a payment received -----------------------------------------------------------------------------


def test_a_paid_checkout_is_recorded_once_spread_oldest_due_first_with_the_rest_on_account(
    uow: PayingUnitOfWork,
) -> None:
    payment = started(uow, "I2", "I1")

    outcome = receive(uow, session_event(amount=400_00))

    day = date(2026, 5, 31)
    assert outcome == "applied"
    assert rows_of(uow) == [
        ("pi_1-1", "I1", 100_00, day, "stripe"),
        ("pi_1-2", "I2", 250_00, day, "stripe"),
        ("pi_1-3", None, 50_00, day, "stripe"),
    ]
    assert (uow.ledger.invoice("I1").status, uow.ledger.invoice("I2").outstanding_minor) == ("paid", 0)
    assert uow.ledger.payments[-1].invoice_id is None  # 50.00 unapplied on account
    stored = uow.portal.payments[payment.id]
    assert (stored.status, stored.payment_intent_id) == ("succeeded", "pi_1")
    assert uow.ledger.event_counts() == {"processed": 1}
    assert uow.audit.entries[-1].summary == (
        "Online payment of 400.00 USD received through Stripe (pi_1): I1 100.00 USD; I2 250.00 USD; "
        "50.00 USD unapplied on account"
    )


def test_a_partial_payment_pays_the_oldest_invoice_first(uow: PayingUnitOfWork) -> None:
    started(uow, "I1", "I2", amount="150.00")

    receive(uow, session_event(amount=150_00))

    assert [(ref, minor) for _, ref, minor, _, _ in rows_of(uow)] == [("I1", 100_00), ("I2", 50_00)]
    assert uow.ledger.invoice("I2").outstanding_minor == 200_00


@pytest.mark.parametrize(("timezone", "day"), [("Pacific/Auckland", date(2026, 6, 1)), ("UTC", date(2026, 5, 31))])
def test_a_payment_is_dated_the_events_day_in_the_workspaces_time_zone(
    uow: PayingUnitOfWork, timezone: str, day: date
) -> None:
    started(uow, "I1")

    receive(uow, session_event(amount=100_00, invoices="I1"), timezone)

    assert [row[3] for row in rows_of(uow)] == [day]


def test_the_same_event_delivered_again_changes_nothing(uow: PayingUnitOfWork) -> None:
    started(uow, "I1", "I2")
    receive(uow, session_event())
    before = (rows_of(uow), list(uow.audit.entries), uow.ledger.payments[:])

    again = receive(uow, session_event())

    assert again == "duplicate"
    assert (rows_of(uow), list(uow.audit.entries), uow.ledger.payments) == before


def test_two_events_of_one_payment_intent_record_it_once(uow: PayingUnitOfWork) -> None:
    started(uow, "I1", "I2")
    receive(uow, session_event(payment_status="unpaid", event_id="evt_1"))

    receive(uow, session_event("checkout.session.async_payment_succeeded", event_id="evt_2"))
    third = receive(uow, session_event("checkout.session.async_payment_succeeded", event_id="evt_3"))

    assert third == "applied"
    assert [row[:3] for row in rows_of(uow)] == [("pi_1-1", "I1", 100_00), ("pi_1-2", "I2", 250_00)]
    assert sum(p.amount_minor for p in uow.ledger.payments) == 350_00
    assert [e.action for e in uow.audit.entries if e.entity == "online_payment"].count("succeeded") == 1


def test_success_arriving_before_the_pending_completion_is_recorded_and_stays_so(uow: PayingUnitOfWork) -> None:
    payment = started(uow, "I1", "I2")

    receive(uow, session_event("checkout.session.async_payment_succeeded", event_id="evt_2"))
    receive(uow, session_event(payment_status="unpaid", event_id="evt_1"))

    assert status_of(uow, payment.id) == "succeeded"
    assert len(rows_of(uow)) == 2
    assert pending_flags(uow) == {"I1": False, "I2": False, "I3": False, "I4": False}


def test_a_failure_arriving_after_the_success_changes_nothing(uow: PayingUnitOfWork) -> None:
    payment = started(uow, "I1", "I2")
    receive(uow, session_event("checkout.session.async_payment_succeeded", event_id="evt_2"))

    receive(uow, session_event("checkout.session.async_payment_failed", event_id="evt_3"))

    assert status_of(uow, payment.id) == "succeeded"
    assert len(rows_of(uow)) == 2
    assert alerts_of(uow) == []


def test_a_checkout_not_started_on_the_portal_is_recorded_by_its_metadata(uow: PayingUnitOfWork) -> None:
    receive(uow, session_event(session="cs_elsewhere", intent="pi_9", invoices="I3", amount=80_00))

    [payment] = uow.portal.payments.values()
    assert (payment.status, payment.checkout_session_id, payment.payment_intent_id) == (
        "succeeded",
        "cs_elsewhere",
        "pi_9",
    )
    assert payment.invoice_ids == (13,)
    assert [row[:3] for row in rows_of(uow)] == [("pi_9-1", "I3", 80_00)]


def test_a_checkout_without_invoices_puts_the_money_on_account(uow: PayingUnitOfWork) -> None:
    receive(uow, session_event(invoices=None, amount=25_00))

    assert [row[:3] for row in rows_of(uow)] == [("pi_1-1", None, 25_00)]


# -- delayed methods: pending, then cleared or failed -------------------------------------------------


def test_a_pending_bank_debit_pauses_chasing_of_its_invoices_and_pays_nothing(uow: PayingUnitOfWork) -> None:
    payment = started(uow, "I1", "I2")

    receive(uow, session_event(payment_status="unpaid"))

    assert status_of(uow, payment.id) == "pending"
    assert pending_flags(uow) == {"I1": True, "I2": True, "I3": False, "I4": False}
    assert rows_of(uow) == []
    assert uow.ledger.invoice("I1").status == "open"
    entry = uow.audit.entries[-1]
    assert (entry.action, entry.customer_id) == ("pending", 1)
    assert "chasing of I1, I2 pauses until it clears" in entry.summary


def test_a_cleared_bank_debit_is_recorded_and_chasing_is_no_longer_held(uow: PayingUnitOfWork) -> None:
    started(uow, "I1", "I2")
    receive(uow, session_event(payment_status="unpaid"))

    receive(uow, session_event("checkout.session.async_payment_succeeded", event_id="evt_2"))

    assert len(rows_of(uow)) == 2
    assert pending_flags(uow)["I1"] is False


def test_a_failed_bank_debit_records_nothing_resumes_chasing_and_raises_an_alert(uow: PayingUnitOfWork) -> None:
    payment = started(uow, "I1", "I2")
    receive(uow, session_event(payment_status="unpaid"))

    receive(uow, session_event("checkout.session.async_payment_failed", event_id="evt_2"))

    assert status_of(uow, payment.id) == "failed"
    assert pending_flags(uow)["I1"] is False
    assert rows_of(uow) == []
    [alert] = alerts_of(uow)
    assert (alert.kind, alert.key, alert.customer_id, alert.user_id) == (
        "payment_failed",
        "stripe:evt_2",
        1,
        MARIA.id,
    )
    assert alert.message == (
        "Acme Ltd: The online payment of 350.00 USD (pi_1) failed: nothing was recorded, "
        "and chasing of its invoices resumes"
    )


def test_a_pending_debit_not_started_on_the_portal_is_held_all_the_same(uow: PayingUnitOfWork) -> None:
    receive(uow, session_event(payment_status="unpaid", session="cs_x", invoices="I3", amount=80_00))

    [payment] = uow.portal.payments.values()
    assert payment.status == "pending"
    assert pending_flags(uow)["I3"] is True


def test_an_expired_checkout_ends_the_started_payment_and_nothing_else(uow: PayingUnitOfWork) -> None:
    payment = started(uow, "I1")

    receive(uow, session_event("checkout.session.expired", payment_status="unpaid", intent=None))

    assert status_of(uow, payment.id) == "expired"
    assert (rows_of(uow), alerts_of(uow)) == ([], [])


# -- refunds, chargebacks and money nobody can place --------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "alert_kind", "words"),
    [
        ("charge.refunded", "payment_refunded", "Acme Ltd: Stripe refunded 100.00 USD of payment pi_1"),
        ("charge.dispute.created", "chargeback", "Acme Ltd: Chargeback of 100.00 USD on payment pi_1 (fraudulent)"),
    ],
)
def test_a_refund_or_chargeback_is_an_alert_on_the_customer_and_the_ledger_stays(
    uow: PayingUnitOfWork, kind: str, alert_kind: str, words: str
) -> None:
    started(uow, "I1", "I2")
    receive(uow, session_event())
    rows = rows_of(uow)

    receive(uow, charge_event(kind))

    [alert] = alerts_of(uow)
    assert (alert.kind, alert.customer_id, alert.user_id, alert.key) == (alert_kind, 1, MARIA.id, "stripe:evt_r")
    assert alert.message.startswith(words)
    assert "the ledger is unchanged" in alert.message
    assert rows_of(uow) == rows
    assert uow.audit.entries[-1].customer_id == 1


def test_a_refund_of_a_payment_nobody_knows_is_an_alert_without_a_customer(uow: PayingUnitOfWork) -> None:
    receive(uow, charge_event("charge.refunded", intent="pi_unknown"))

    [alert] = alerts_of(uow)
    assert (alert.kind, alert.customer_id, alert.user_id) == ("payment_refunded", None, None)
    assert "(no customer is known for it)" in alert.message


def test_money_for_an_unknown_customer_is_not_recorded_but_raises_an_alert(uow: PayingUnitOfWork) -> None:
    outcome = receive(uow, session_event(customer="C404", amount=12_34, intent="pi_7", session="cs_7"))

    assert outcome == "applied"
    assert rows_of(uow) == []
    [alert] = alerts_of(uow)
    assert (alert.kind, alert.customer_id) == ("payment_unmatched", None)
    for words in ("12.34 USD", "pi_7", "cs_7", "evt_1", "no customer has the external id 'C404'"):
        assert words in alert.message


@pytest.mark.parametrize(
    ("invoices", "currency", "problem"),
    [
        ("I1,B1", "usd", "invoice B1 is not C1's"),
        ("I1,NOPE", "usd", "no invoice NOPE"),
        ("I1", "eur", "it is in EUR, the customer's currency is USD"),
    ],
)
def test_money_for_an_invoice_that_is_not_the_customers_is_not_recorded_but_raises_an_alert(
    uow: PayingUnitOfWork, invoices: str, currency: str, problem: str
) -> None:
    receive(uow, session_event(invoices=invoices, currency=currency))

    assert rows_of(uow) == []
    [alert] = alerts_of(uow)
    assert (alert.kind, alert.customer_id, alert.user_id) == ("payment_unmatched", 1, MARIA.id)
    assert problem in alert.message


def test_an_event_of_a_type_we_do_not_handle_changes_nothing(uow: PayingUnitOfWork) -> None:
    outcome = receive(uow, {"id": "evt_x", "type": "customer.created", "data": {"object": {"id": "cus_1"}}})

    assert outcome == "applied"
    assert (rows_of(uow), alerts_of(uow), uow.portal.payments) == ([], [], {})
    assert uow.ledger.event_counts() == {"processed": 1}


# -- what cannot be applied at once waits in the inbox ------------------------------------------------


def test_an_event_that_fails_is_kept_pending_with_its_error_and_nothing_half_applied(
    uow: PayingUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = started(uow, "I1", "I2")

    def broken(*args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ledger_service, "record_payments", broken)

    outcome = receive(uow, session_event())

    assert outcome == "deferred"
    [event] = uow.ledger.events.values()
    assert (event.status, event.attempts, event.last_error) == ("pending", 1, "RuntimeError: the database went away")
    assert event.next_attempt_at > NOW
    assert status_of(uow, payment.id) == "started"
    assert rows_of(uow) == []


def test_the_worker_applies_a_deferred_event_when_it_tries_again(
    uow: PayingUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = started(uow, "I1", "I2")
    real = ledger_service.record_payments
    monkeypatch.setattr(ledger_service, "record_payments", lambda *args: (_ for _ in ()).throw(OSError("down")))
    receive(uow, session_event())
    monkeypatch.setattr(ledger_service, "record_payments", real)
    uow.clock.advance(timedelta(hours=1))

    def handler(u: UnitOfWork, e: InboxEvent) -> None:
        online_payments.apply_stripe_event(u, e)

    report = inbox.process_pending(uow.fresh, {"stripe": handler})

    assert report.processed == 1
    assert status_of(uow, payment.id) == "succeeded"
    assert len(rows_of(uow)) == 2
    assert receive(uow, session_event()) == "duplicate"


@pytest.mark.parametrize(
    ("key", "value"),
    [("amount_total", None), ("amount_total", "350.00"), ("amount_total", -1), ("amount_total", True), ("id", 7)],
)
def test_a_malformed_session_is_deferred_not_a_crash(uow: PayingUnitOfWork, key: str, value: object) -> None:
    event = session_event()
    event["data"]["object"][key] = value

    assert receive(uow, event) == "deferred"
    assert (rows_of(uow), uow.portal.payments) == ([], {})


def test_an_event_without_an_object_is_deferred_not_a_crash(uow: PayingUnitOfWork) -> None:
    assert receive(uow, {"id": "evt_9", "type": "checkout.session.completed", "data": []}) == "deferred"


def test_money_in_a_currency_this_version_does_not_know_is_alerted_in_minor_units(uow: PayingUnitOfWork) -> None:
    receive(uow, session_event(currency="xts", amount=123))

    [alert] = alerts_of(uow)
    assert alert.kind == "payment_unmatched"
    assert "123 minor units of XTS" in alert.message


# -- what Stripe is told --------------------------------------------------------------------------


def test_the_invoices_metadata_keeps_as_many_whole_ids_as_fit_in_500_characters() -> None:
    ids = tuple(f"INV-{n:05d}" for n in range(100))  # 9 characters each, 999 joined

    joined = invoices_metadata(ids)

    assert len(joined) <= 500
    assert joined.split(",") == list(ids[:50])


def test_a_checkout_session_is_one_line_of_the_amount_with_the_customer_and_invoices() -> None:
    request = CheckoutRequest(
        "arrears-online-payment-7",
        "C1",
        ("I1", "I2"),
        "USD",
        350_00,
        "Payment of invoices I1, I2",
        "https://a.test/ok",
        "https://a.test/back",
        None,
        7,
    )

    params = checkout_params(request)

    assert params["mode"] == "payment"
    assert params["line_items"] == [
        {
            "quantity": 1,
            "price_data": {
                "currency": "usd",
                "unit_amount": 350_00,
                "product_data": {"name": "Payment of invoices I1, I2"},
            },
        }
    ]
    assert params["client_reference_id"] == "C1"
    assert params["metadata"] == {"arrears_invoices": "I1,I2", "arrears_payment": "7"}
    assert params["payment_intent_data"] == {"metadata": params["metadata"]}
    assert "customer_email" not in params


def test_the_fake_clock_is_the_one_the_payments_are_dated_by_without_created(uow: PayingUnitOfWork) -> None:
    started(uow, "I1")
    event = session_event(amount=100_00, invoices="I1")
    del event["created"]
    uow.clock.at = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)

    receive(uow, event, "America/New_York")

    assert [row[3] for row in rows_of(uow)] == [date(2026, 6, 1)]
