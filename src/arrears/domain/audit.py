"""Audit: who changed what, when. Every write of a use case records one entry (collectors ask:
"how many times did we send that past-due notice, was payment promised, did we forgive an amount")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .users import TERMINAL, User


class ActorKind(StrEnum):
    USER = "user"
    WORKFLOW = "workflow"
    IMPORT = "import"
    SYSTEM = "system"
    CUSTOMER = "customer"  # the customer, on the portal


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    user_id: int | None = None
    name: str | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        if user == TERMINAL:
            return cls(ActorKind.SYSTEM, None, TERMINAL.name)
        return cls(ActorKind.USER, user.id, user.name)


SYSTEM = Actor(ActorKind.SYSTEM, None, "system")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: Actor
    entity: str
    entity_id: str | None
    action: str
    summary: str
    customer_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{"field": [before, after]} for each field whose value changed."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
