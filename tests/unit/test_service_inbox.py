"""The inbox of events from outside (services/inbox.py), over fakes: stored once however often they
are sent, applied once each in the transaction that marks them processed, retried with backoff while
their handler fails, then marked failed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from arrears.domain.audit import SYSTEM, AuditEntry
from arrears.domain.emails import MAX_ATTEMPTS
from arrears.domain.errors import InvalidValue
from arrears.services import inbox
from arrears.services.inbox import InboxReport
from arrears.services.ledger_ports import InboxEvent
from arrears.services.ports import UnitOfWork
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import NOW


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def received(uow: FakeUnitOfWork, *event_ids: str, provider: str = "stripe") -> None:
    for event_id in event_ids:
        inbox.receive(uow, provider, event_id, "charge.succeeded", {"id": event_id})


def broken(uow: UnitOfWork, event: InboxEvent) -> None:
    uow.audit.record(AuditEntry(NOW, SYSTEM, "payment", event.event_id, "received", "half applied"))
    raise RuntimeError("the provider's object could not be fetched")


# -- receiving -------------------------------------------------------------------------------------------


def test_an_event_sent_twice_is_stored_once(uow: FakeUnitOfWork) -> None:
    first = inbox.receive(uow, "stripe", "evt_1", "charge.succeeded", {"amount": 1200})
    again = inbox.receive(uow, "stripe", "evt_1", "charge.succeeded", {"amount": 1200})

    assert (first, again) == (True, False)
    [event] = uow.ledger.events.values()
    assert (event.provider, event.event_id, event.payload, event.status, event.received_at) == (
        "stripe",
        "evt_1",
        {"amount": 1200},
        "pending",
        NOW,
    )


def test_the_same_event_id_from_another_provider_is_another_event(uow: FakeUnitOfWork) -> None:
    inbox.receive(uow, "stripe", "evt_1", "charge.succeeded", {})

    assert inbox.receive(uow, "mailgun", "evt_1", "inbound", {}) is True

    assert uow.ledger.event_counts() == {"pending": 2}


@pytest.mark.parametrize(("provider", "event_id", "kind"), [("", "e", "k"), ("p", "", "k"), ("p", "e", "")])
def test_an_event_needs_a_provider_an_id_and_a_type(
    uow: FakeUnitOfWork, provider: str, event_id: str, kind: str
) -> None:
    with pytest.raises(InvalidValue, match="an event needs a provider, an id and a type"):
        inbox.receive(uow, provider, event_id, kind, {})

    assert uow.ledger.events == {}


# -- processing ------------------------------------------------------------------------------------------


def test_each_pending_event_is_applied_once_in_the_order_received(uow: FakeUnitOfWork) -> None:
    received(uow, "evt_0", "evt_1", "evt_2")
    seen: list[str] = []

    def apply(uow: UnitOfWork, event: InboxEvent) -> None:
        seen.append(event.event_id)

    first = inbox.process_pending(uow.fresh, {"stripe": apply})
    second = inbox.process_pending(uow.fresh, {"stripe": apply})

    assert seen == ["evt_0", "evt_1", "evt_2"]
    assert (first, second) == (InboxReport(processed=3), InboxReport())
    assert uow.ledger.event_counts() == {"processed": 3}
    assert {(e.attempts, e.processed_at) for e in uow.ledger.events.values()} == {(1, NOW)}


def test_what_a_handler_writes_commits_with_its_event(uow: FakeUnitOfWork) -> None:
    received(uow, "evt_1")

    def apply(uow: UnitOfWork, event: InboxEvent) -> None:
        uow.audit.record(AuditEntry(NOW, SYSTEM, "payment", event.event_id, "received", "applied"))

    inbox.process_pending(uow.fresh, {"stripe": apply})

    assert [e.summary for e in uow.audit.entries] == ["applied"]
    assert uow.commits == 2  # the receipt, then the event with what it wrote


def test_a_failing_handler_writes_nothing_and_its_event_is_retried_a_minute_later(uow: FakeUnitOfWork) -> None:
    received(uow, "evt_1")

    report = inbox.process_pending(uow.fresh, {"stripe": broken})

    assert report == InboxReport(retried=1)
    assert uow.audit.entries == []
    [event] = uow.ledger.events.values()
    assert (event.status, event.attempts, event.next_attempt_at, event.last_error) == (
        "pending",
        1,
        NOW + timedelta(minutes=1),
        "RuntimeError: the provider's object could not be fetched",
    )


def test_an_event_waiting_for_its_next_try_is_not_tried_before_then(uow: FakeUnitOfWork) -> None:
    received(uow, "evt_1")
    inbox.process_pending(uow.fresh, {"stripe": broken})

    too_soon = inbox.process_pending(uow.fresh, {"stripe": broken})
    uow.clock.advance(timedelta(minutes=1))
    on_time = inbox.process_pending(uow.fresh, {"stripe": broken})

    assert (too_soon, on_time) == (InboxReport(), InboxReport(retried=1))
    assert uow.ledger.events[1].next_attempt_at == NOW + timedelta(minutes=1 + 2)


def test_an_event_that_keeps_failing_is_marked_failed_with_its_error(uow: FakeUnitOfWork) -> None:
    received(uow, "evt_1")

    reports = []
    for _ in range(MAX_ATTEMPTS):
        reports.append(inbox.process_pending(uow.fresh, {"stripe": broken}))
        uow.clock.advance(timedelta(days=1))

    assert reports[-1] == InboxReport(failed=1)
    assert sum(r.retried for r in reports) == MAX_ATTEMPTS - 1
    event = uow.ledger.events[1]
    assert (event.status, event.attempts, event.last_error) == (
        "failed",
        MAX_ATTEMPTS,
        "RuntimeError: the provider's object could not be fetched",
    )
    assert inbox.process_pending(uow.fresh, {"stripe": broken}) == InboxReport()


def test_an_event_of_a_provider_without_a_handler_waits_for_one(uow: FakeUnitOfWork) -> None:
    received(uow, "evt_1", provider="paypal")

    report = inbox.process_pending(uow.fresh, {"stripe": broken})

    assert report == InboxReport(retried=1)
    assert uow.ledger.events[1].last_error == "InvalidValue: no handler for events of 'paypal'"


def test_one_failing_event_does_not_hold_back_the_others(uow: FakeUnitOfWork) -> None:
    received(uow, "evt_0")
    received(uow, "evt_1", provider="mailgun")
    received(uow, "evt_2")

    report = inbox.process_pending(uow.fresh, {"stripe": lambda uow, event: None, "mailgun": broken})

    assert report == InboxReport(processed=2, retried=1)
    assert [e.status for e in uow.ledger.events.values()] == ["processed", "pending", "processed"]


def test_a_run_applies_at_most_its_limit_of_events(uow: FakeUnitOfWork) -> None:
    received(uow, "evt_0", "evt_1", "evt_2")

    report = inbox.process_pending(uow.fresh, {"stripe": lambda uow, event: None}, limit=2)

    assert report == InboxReport(processed=2)
    assert uow.ledger.event_counts() == {"processed": 2, "pending": 1}
