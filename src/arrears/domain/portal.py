"""The customer portal's rules: its links and how a payment made there is spread over invoices.

A link is an opaque random token (43 URL-safe characters, 256 bits): the database keeps only its
SHA-256, so a stolen copy of the database opens no portal. A link is per customer (and contact when
it went to one), expires, and can be revoked; opening it (a GET) never uses it up, since mail
scanners open every link before the customer does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from .errors import InvalidValue

TOKEN_BYTES = 32
# What secrets.token_urlsafe(32) gives: anything else is refused before the database is asked.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_LINK_DAYS = 366


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token, and looked up: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(text: str) -> bool:
    return bool(TOKEN_SHAPE.match(text))


def check_link_days(days: int) -> int:
    if not 1 <= days <= MAX_LINK_DAYS:
        raise InvalidValue(f"a portal link is valid 1 to {MAX_LINK_DAYS} days, not {days}")
    return days


@dataclass(frozen=True, slots=True)
class PortalLink:
    id: int
    customer_id: int
    contact_id: int | None
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def valid_at(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at


@dataclass(frozen=True, slots=True)
class Owed:
    """An open invoice as a payment is spread over it: its external id, due date and outstanding."""

    external_id: str
    due_date: date
    outstanding_minor: int


@dataclass(frozen=True, slots=True)
class Allocation:
    """A payment spread over invoices: minor units per invoice (external id), in the order paid, and
    what is left over, unapplied on the customer's account."""

    parts: tuple[tuple[str, int], ...]
    unapplied_minor: int


def allocate_oldest_first(amount_minor: int, invoices: Sequence[Owed]) -> Allocation:
    """Spread `amount_minor` over `invoices`, the oldest due date first (then by external id), each
    up to its outstanding amount; the rest stays unapplied. Invoices with nothing outstanding get
    nothing."""
    if amount_minor < 0:
        raise InvalidValue("a payment cannot be negative")
    left = amount_minor
    parts: list[tuple[str, int]] = []
    for invoice in sorted(invoices, key=lambda owed: (owed.due_date, owed.external_id)):
        if left == 0:
            break
        share = min(left, invoice.outstanding_minor)
        if share > 0:
            parts.append((invoice.external_id, share))
            left -= share
    return Allocation(tuple(parts), left)
