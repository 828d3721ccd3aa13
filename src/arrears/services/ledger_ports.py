"""What the ledger's use cases need beyond the import: customer locks and the inbox of events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .workspace_ports import LedgerReads


@dataclass(frozen=True, slots=True)
class InboxEvent:
    id: int
    provider: str
    event_id: str  # the provider's id of the event
    kind: str  # the provider's event type
    payload: dict[str, Any]
    attempts: int


class Ledger(LedgerReads, Protocol):
    def lock_customers(self, customer_ids: Sequence[int]) -> None:
        """Serialise this transaction with every other write to these customers' ledgers."""

    def receive_event(self, provider: str, event_id: str, kind: str, payload: dict[str, Any], at: datetime) -> bool:
        """Store an event as received; False (and nothing changed) when it was received before."""

    def inbox_id(self, provider: str, event_id: str) -> int | None:
        """The inbox's own id of that provider's event (None: never received), to mark it."""

    def next_event(self, at: datetime) -> InboxEvent | None:
        """The oldest pending event due to be tried at `at`, held by this transaction (another worker
        takes the next one)."""

    def mark_event(
        self, event_id: int, status: str, at: datetime, *, attempts: int, next_at: datetime | None, error: str | None
    ) -> None: ...

    def event_counts(self) -> dict[str, int]:
        """How many events are pending, processed and failed."""
