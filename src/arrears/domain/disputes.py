"""Disputes: an invoice (or part of it) the customer contests; not chased while open."""

from __future__ import annotations

import re
from enum import StrEnum

from .errors import InvalidValue

DEFAULT_REASONS: tuple[str, ...] = (
    "pricing",
    "quantity",
    "damaged",
    "not_received",
    "duplicate_billing",
    "missing_po",
    "other",
)
_REASON = re.compile(r"[a-z][a-z0-9_]{0,39}")


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    REJECTED = "rejected"


def check_reason(reason: str, reasons: tuple[str, ...]) -> str:
    if reason not in reasons:
        raise InvalidValue(f"{reason!r} is not a dispute reason: use one of {', '.join(reasons)}")
    return reason


def check_reason_code(code: str) -> str:
    if not _REASON.fullmatch(code):
        raise InvalidValue(f"{code!r} is not a reason code: lower-case letters, digits and '_', 1 to 40")
    return code


def check_dispute_amount(amount_minor: int | None, outstanding_minor: int, status: str) -> int:
    """The disputed amount: the whole outstanding when none is given; never above it."""
    if status != "open" or outstanding_minor <= 0:
        raise InvalidValue(f"the invoice is {status} with nothing outstanding; there is nothing to dispute")
    if amount_minor is None:
        return outstanding_minor
    if amount_minor <= 0:
        raise InvalidValue("the disputed amount must be greater than zero")
    if amount_minor > outstanding_minor:
        raise InvalidValue("the disputed amount is above the invoice's outstanding amount")
    return amount_minor
