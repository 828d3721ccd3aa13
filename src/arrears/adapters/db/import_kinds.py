"""The kinds of ledger rows an import (or an API write) stages: for each, its table, its key, and
which CSV column fills which stored column; and what the audit calls each kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Integer, String, Table
from sqlalchemy.types import TypeEngine

from . import tables as t


@dataclass(frozen=True)
class Field:
    """One staged column: its type, the target column it fills, and the CSV column it comes from
    (None: always written). Columns a file leaves out keep their stored value on update."""

    name: str
    type: TypeEngine[Any]
    target: str | None
    source: str | None


@dataclass(frozen=True)
class Kind:
    table: Table
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    key_label: str  # how an error names the key: "external_id", "customer_external_id + date + source"


def _f(name: str, type_: TypeEngine[Any], source: str | None = None, target: str | None = "") -> Field:
    return Field(name, type_, name if target == "" else target, source)


def _cash_fields(note_target: str) -> tuple[Field, ...]:
    return (
        _f("external_id", String(128)),
        _f("customer_id", Integer()),
        _f("date", Date()),
        _f("amount_minor", BigInteger()),
        _f("currency", String(3)),
        _f("invoice_external_id", String(128), target=None),
        _f("note", String(200), note_target, target=note_target),
        _f("invoice_id", Integer(), "invoice_external_id"),  # resolved after staging
    )


KINDS: dict[str, Kind] = {
    "customers": Kind(
        t.customers,
        ("external_id",),
        (
            _f("external_id", String(128)),
            _f("name", String()),
            _f("currency", String(3), "currency"),
            _f("payment_terms_days", Integer(), "payment_terms_days"),
            _f("credit_limit_minor", BigInteger(), "credit_limit"),
            _f("collector_id", Integer(), "collector"),
            _f("email", String(254), "email"),
            _f("phone", String(64), "phone"),
            _f("tags", String(), "tags"),
            _f("on_hold", Boolean(), "on_hold"),
            _f("credit_hold", Boolean(), "credit_hold"),
        ),
        "external_id",
    ),
    "contacts": Kind(
        t.contacts,
        ("customer_id", "contact_key"),
        (
            _f("customer_id", Integer()),
            _f("contact_key", String(300)),
            _f("external_id", String(128), "external_id"),
            _f("name", String()),
            _f("email", String(254), "email"),
            _f("phone", String(64), "phone"),
            _f("role", String(100), "role"),
            _f("receives_reminders", Boolean(), "receives_reminders"),
            _f("name_key", String(300), target=None),
        ),
        "contact (same external_id, or same name when it has none) for this customer",
    ),
    "invoices": Kind(
        t.invoices,
        ("external_id",),
        (
            _f("external_id", String(128)),
            _f("customer_id", Integer()),
            _f("number", String(128), "number"),
            _f("issue_date", Date()),
            _f("due_date", Date()),
            _f("amount_minor", BigInteger()),
            _f("currency", String(3)),
            _f("is_void", Boolean(), "status"),
        ),
        "external_id",
    ),
    "payments": Kind(t.payments, ("external_id",), _cash_fields("method"), "external_id"),
    "credit-notes": Kind(t.credit_notes, ("external_id",), _cash_fields("reason"), "external_id"),
    "credit-scores": Kind(
        t.credit_scores,
        ("customer_id", "date", "source"),
        (
            _f("customer_id", Integer()),
            _f("date", Date()),
            _f("score", Integer()),
            _f("max_score", Integer(), "max_score"),
            _f("rating", String(32), "rating"),
            _f("source", String(100)),
        ),
        "customer_external_id + date + source",
    ),
}


# The kinds whose rows hold money or decide what money may be allocated (a customer's currency).
LOCKING_KINDS = frozenset({"customers", "invoices", "payments", "credit-notes"})


# What an audit entry calls a row of each kind, and the staged fields it leaves out (internal keys).
ENTITIES = {
    "customers": "customer",
    "contacts": "contact",
    "invoices": "invoice",
    "payments": "payment",
    "credit-notes": "credit_note",
    "credit-scores": "credit_score",
}
HIDDEN_FIELDS = frozenset({"customer_id", "contact_key", "name_key", "invoice_id", "collector_id"})
