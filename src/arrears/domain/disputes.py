"""Disputes: an invoice (or part of it) the customer contests; not chased while open. A resolved one
may settle on the ledger with a credit note and a write-off, each a credit note of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import InvalidValue

# The contract's default of ARREARS_DISPUTE_REASONS. Disputes opened under other codes (the earlier
# default's duplicate_billing and missing_po) keep them: a reason is checked when a dispute opens.
DEFAULT_REASONS: tuple[str, ...] = (
    "pricing",
    "quantity",
    "damaged",
    "not_received",
    "duplicate",
    "already_paid",
    "other",
)
# The default before the contract's: a workspace's stored rules that hold exactly this list kept it
# because every rule was saved together, not because an owner chose it.
EARLIER_DEFAULT_REASONS: tuple[str, ...] = (
    "pricing",
    "quantity",
    "damaged",
    "not_received",
    "duplicate_billing",
    "missing_po",
    "other",
)
MAX_REASONS = 100
# The reason of the credit note that records a write-off (docs/csv.md, credit-notes).
WRITE_OFF_REASON = "write_off"
_REASON = re.compile(r"[a-z][a-z0-9_]{0,39}")


# The fields of a dispute in `arrears export disputes` (docs/csv.md), in order.
EXPORT_FIELDS: tuple[str, ...] = (
    "id",
    "customer_external_id",
    "invoice_external_id",
    "reason",
    "amount",
    "currency",
    "owner",
    "status",
    "resolution",
    "note",
    "created_at",
    "closed_at",
)


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


def parse_reasons(text: str, source: str = "ARREARS_DISPUTE_REASONS") -> tuple[str, ...]:
    """The reason codes of a comma-separated list such as `pricing,quantity,other` (spaces around a
    code and repeats ignored); InvalidValue, naming `source`, for an empty list or a bad code."""
    codes = tuple(dict.fromkeys(code.strip() for code in text.split(",") if code.strip()))
    if not codes:
        raise InvalidValue(f"{source}: give one or more reason codes separated by commas, e.g. pricing,other")
    if len(codes) > MAX_REASONS:
        raise InvalidValue(f"{source}: at most {MAX_REASONS} reason codes")
    for code in codes:
        try:
            check_reason_code(code)
        except InvalidValue as error:
            raise InvalidValue(f"{source}: {error.message}") from None
    return codes


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


@dataclass(frozen=True, slots=True)
class Settlement:
    """What a resolved dispute records on the ledger against its invoice, in minor units of the
    invoice's currency: a credit note and a write-off (0: none)."""

    credit_note_minor: int = 0
    write_off_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.credit_note_minor + self.write_off_minor


def check_settlement(
    credit_note_minor: int | None, write_off_minor: int | None, disputed_minor: int, outstanding_minor: int
) -> Settlement:
    """The credit note and write-off a dispute is resolved with: each above zero when given, and
    together at most the disputed amount and what the invoice still owes (a settlement never
    credits more than was contested, nor pushes the invoice below zero)."""
    for amount, what in ((credit_note_minor, "credit note"), (write_off_minor, "write-off")):
        if amount is not None and amount <= 0:
            raise InvalidValue(f"the {what} must be greater than zero")
    settlement = Settlement(credit_note_minor or 0, write_off_minor or 0)
    if settlement.total_minor > disputed_minor:
        raise InvalidValue("the credit note and write-off together are above the disputed amount")
    if settlement.total_minor > outstanding_minor:
        raise InvalidValue("the credit note and write-off together are above the invoice's outstanding amount")
    return settlement


def credit_note_id(dispute_id: int) -> str:
    """The external id of the credit note that resolves dispute `dispute_id`: one per dispute, so
    writing it again changes nothing, and it is exported and re-imported under the same key."""
    return f"DISPUTE-{dispute_id}-CN"


def write_off_id(dispute_id: int) -> str:
    """The external id of the credit note (reason `write_off`) that writes off part of dispute
    `dispute_id`'s invoice."""
    return f"DISPUTE-{dispute_id}-WO"


def closing_text(status: str, note: str | None) -> str:
    """What a closed dispute says of how it closed: the note when given, else "Resolved" or
    "Rejected"."""
    text = (note or "").strip()
    return text or status.capitalize()
