"""The inbox: events received from outside (payment provider webhooks, inbound mail), applied once.

Receiving only stores the event (unique on provider and event id, so a provider's retries change
nothing) and answers at once; a job processes what is pending, one event per transaction: the
handler's ledger writes and the event's "processed" mark commit together, so an event is applied
exactly once even if a worker dies halfway. A handler that fails is retried with backoff (1 minute
… 6 hours), then the event is marked failed with its error for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.emails import retry_after
from ..domain.errors import InvalidValue
from .ledger_ports import InboxEvent
from .ports import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
# What applies one provider's events: called inside the unit of work that marks the event processed.
Handler = Callable[[UnitOfWork, InboxEvent], None]


@dataclass
class InboxReport:
    processed: int = 0
    retried: int = 0
    failed: int = 0


def receive(uow: UnitOfWork, provider: str, event_id: str, kind: str, payload: dict[str, Any]) -> bool:
    """Store an event as it arrives; returns False when the same event was received before."""
    if not provider or not event_id or not kind:
        raise InvalidValue("an event needs a provider, an id and a type")
    if len(provider) > 32 or len(event_id) > 255 or len(kind) > 100:
        raise InvalidValue("an event's provider, id or type is too long (32, 255 and 100 characters at most)")
    with uow:
        new = uow.ledger.receive_event(provider, event_id, kind, payload, uow.clock.now())
        uow.commit()
    return new


def process_pending(uow_factory: UowFactory, handlers: Mapping[str, Handler], limit: int = 1_000) -> InboxReport:
    """Apply up to `limit` pending events, oldest first, each in its own transaction."""
    report = InboxReport()
    for _ in range(limit):
        with uow_factory() as uow:
            now = uow.clock.now()
            event = uow.ledger.next_event(now)
            if event is None:
                break
            handler = handlers.get(event.provider)
            attempts = event.attempts + 1
            try:
                if handler is None:
                    raise InvalidValue(f"no handler for events of {event.provider!r}")
                handler(uow, event)
            except Exception as error:  # any failure of a handler is the event's, not the loop's
                uow.rollback()
                _failed(uow_factory, event, attempts, f"{type(error).__name__}: {error}", report)
                continue
            uow.ledger.mark_event(event.id, "processed", now, attempts=attempts, next_at=None, error=None)
            uow.commit()
            report.processed += 1
    return report


def _failed(uow_factory: UowFactory, event: InboxEvent, attempts: int, error: str, report: InboxReport) -> None:
    with uow_factory() as uow:
        now = uow.clock.now()
        wait = retry_after(attempts)
        if wait is None:
            uow.ledger.mark_event(event.id, "failed", now, attempts=attempts, next_at=None, error=error)
            report.failed += 1
        else:
            uow.ledger.mark_event(event.id, "pending", now, attempts=attempts, next_at=now + wait, error=error)
            report.retried += 1
        uow.commit()
