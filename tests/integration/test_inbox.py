"""The inbox of events received from outside: stored once however often a provider sends them,
applied once each in the transaction that marks them processed, retried with backoff, then failed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from arrears.adapters.clock import FixedClock
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain.emails import MAX_ATTEMPTS
from arrears.domain.errors import InvalidValue
from arrears.services import inbox
from arrears.services.ledger_ports import InboxEvent
from arrears.services.ports import UnitOfWork

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(db_url: str) -> Iterator[Arrears]:
    arrears = bootstrap(Settings(database_url=db_url), clock=FixedClock(NOW))
    yield arrears
    arrears.close()


def _counts(app: Arrears) -> dict[str, int]:
    with app.uow() as uow:
        return uow.ledger.event_counts()


def test_an_event_sent_twice_is_stored_once(app: Arrears) -> None:
    first = inbox.receive(app.uow(), "stripe", "evt_1", "checkout.session.completed", {"amount": 1200})
    again = inbox.receive(app.uow(), "stripe", "evt_1", "checkout.session.completed", {"amount": 1200})
    other_provider = inbox.receive(app.uow(), "mailgun", "evt_1", "inbound", {})

    assert (first, again, other_provider) == (True, False, True)
    assert _counts(app) == {"pending": 2}


def test_an_event_without_provider_id_or_type_is_refused(app: Arrears) -> None:
    with pytest.raises(InvalidValue):
        inbox.receive(app.uow(), "stripe", "", "checkout.session.completed", {})
    with pytest.raises(InvalidValue, match="too long"):
        inbox.receive(app.uow(), "stripe", "e" * 256, "checkout.session.completed", {})

    assert _counts(app) == {}


def test_each_pending_event_is_applied_once_in_order(app: Arrears) -> None:
    for n in range(3):
        inbox.receive(app.uow(), "stripe", f"evt_{n}", "charge.refunded", {"n": n})
    seen: list[tuple[str, dict[str, object]]] = []

    def apply(uow: UnitOfWork, event: InboxEvent) -> None:
        seen.append((event.event_id, event.payload))

    first = inbox.process_pending(app.uow, {"stripe": apply})
    second = inbox.process_pending(app.uow, {"stripe": apply})

    assert seen == [("evt_0", {"n": 0}), ("evt_1", {"n": 1}), ("evt_2", {"n": 2})]
    assert (first.processed, second.processed) == (3, 0)
    assert _counts(app) == {"processed": 3}


def test_a_failing_handler_writes_nothing_and_its_event_is_retried_later(app: Arrears) -> None:
    inbox.receive(app.uow(), "stripe", "evt_1", "charge.refunded", {})

    def broken(uow: UnitOfWork, event: InboxEvent) -> None:
        uow.ledger.receive_event("side", "effect", "x", {}, NOW)  # a write the failure must undo
        raise RuntimeError("the provider's object could not be fetched")

    report = inbox.process_pending(app.uow, {"stripe": broken})
    again_now = inbox.process_pending(app.uow, {"stripe": broken})

    assert (report.retried, report.failed, again_now.retried) == (1, 0, 0)  # not before its next try
    assert _counts(app) == {"pending": 1}
    assert isinstance(app.clock, FixedClock)
    app.clock.at = NOW + timedelta(minutes=1)
    assert inbox.process_pending(app.uow, {"stripe": broken}).retried == 1


def test_an_event_that_keeps_failing_is_marked_failed_with_its_error(app: Arrears) -> None:
    inbox.receive(app.uow(), "stripe", "evt_1", "charge.refunded", {})
    clock = app.clock
    assert isinstance(clock, FixedClock)

    for attempt in range(MAX_ATTEMPTS):
        clock.at = NOW + timedelta(days=attempt)
        inbox.process_pending(app.uow, {})

    assert _counts(app) == {"failed": 1}
