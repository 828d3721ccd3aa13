"""A customer's credit over time: its credit limit and payment terms as each write changed them (read
from the audit log, where every ledger write keeps the rows it wrote and what they were before),
and its scores, reported and computed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.permissions import Action, require
from ..domain.users import User
from .credit_ports import ScoreRow
from .ports import UnitOfWork
from .tasks import customer_named
from .workspace_ports import TimelineFilter, TimelineRow

MAX_ENTRIES = 500


@dataclass(frozen=True, slots=True)
class TermsChange:
    at: datetime
    by: str | None  # who wrote it (a user, an import, the API)
    credit_limit_minor: int | None
    payment_terms_days: int | None
    was_limit_minor: int | None
    was_terms_days: int | None
    created: bool  # the customer's first write


@dataclass(frozen=True, slots=True)
class CreditHistory:
    currency: str
    terms: tuple[TermsChange, ...]  # oldest first
    scores: tuple[ScoreRow, ...]  # oldest first


def terms_changes(entries: Sequence[TimelineRow], external_id: str) -> list[TermsChange]:
    """The writes among `entries` (the customer's audit entries, newest first as the timeline gives
    them) that set or changed its credit limit or payment terms, oldest first."""
    found = []
    for entry in sorted(reversed(entries), key=lambda e: e.at):
        rows = entry.changes.get("rows") if isinstance(entry.changes, Mapping) else None
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, Mapping) or row.get("external_id") != external_id:
                continue
            was = row.get("was")
            limit, terms = _int(row.get("credit_limit_minor")), _int(row.get("payment_terms_days"))
            if isinstance(was, Mapping):
                was_limit, was_terms = _int(was.get("credit_limit_minor")), _int(was.get("payment_terms_days"))
                limit = was_limit if "credit_limit_minor" not in row else limit
                terms = was_terms if "payment_terms_days" not in row else terms
                if (limit, terms) == (was_limit, was_terms):
                    continue
                found.append(TermsChange(entry.at, entry.actor, limit, terms, was_limit, was_terms, False))
            else:
                found.append(TermsChange(entry.at, entry.actor, limit, terms, None, None, True))
    return found


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def credit_history(uow: UnitOfWork, user: User, external_id: str, *, scores: int = 60) -> CreditHistory:
    """The customer's limit and terms changes and its newest `scores` scores, oldest first."""
    require(user, Action.READ)
    with uow:
        customer = customer_named(uow, external_id)
        page = uow.audit.timeline(customer.id, MAX_ENTRIES, 0, TimelineFilter(kind="customer"))
        entries = [item for item in page.items if isinstance(item, TimelineRow)]
        history = uow.credit.score_history(customer.id, scores)
    return CreditHistory(customer.currency, tuple(terms_changes(entries, customer.external_id)), tuple(history))
