"""Tables. Money is stored as integer minor units (BigInteger), never NUMERIC (SQLite's NUMERIC
is a float and loses digits); timestamps are UTC; business dates are plain dates.

`paid_minor` and `credited_minor` on invoices are caches of the allocations that point at them;
the import keeps them in step in the same transaction, so aging and the task list can sum one table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone: we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC)


def _now() -> Any:
    return text("CURRENT_TIMESTAMP")


def _timestamps() -> list[Column[Any]]:
    return [
        Column("created_at", UTCDateTime(), nullable=False, server_default=_now()),
        Column("updated_at", UTCDateTime(), nullable=False, server_default=_now()),
    ]


app_settings = Table(
    "app_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("email", String(254)),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    *_timestamps(),
    CheckConstraint("role IN ('owner', 'manager', 'contributor')", name="role"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_terms_days", Integer, nullable=False, server_default=text("30")),
    Column("credit_limit_minor", BigInteger),
    Column("collector_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), index=True),
    Column("email", String(254)),
    Column("phone", String(64)),
    Column("tags", Text, nullable=False, server_default=""),
    Column("on_hold", Boolean, nullable=False, server_default=text("false")),
    Column("notes", Text),
    *_timestamps(),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    # "id:<external id>" or "name:<casefolded name>": what a re-import matches on.
    Column("contact_key", String(300), nullable=False),
    Column("external_id", String(128)),
    Column("name", Text, nullable=False),
    Column("email", String(254)),
    Column("phone", String(64)),
    Column("role", String(100)),
    Column("receives_reminders", Boolean, nullable=False, server_default=text("true")),
    *_timestamps(),
    UniqueConstraint("customer_id", "contact_key", name="uq_contacts_customer_key"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("number", String(128), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default=text("0")),
    Column("credited_minor", BigInteger, nullable=False, server_default=text("0")),
    Column("written_off_minor", BigInteger, nullable=False, server_default=text("0")),
    Column("is_void", Boolean, nullable=False, server_default=text("false")),
    # open, paid, void, written_off: derived from is_void and the allocations by the import.
    Column("status", String(16), nullable=False, server_default="open"),
    Column("excluded", Boolean, nullable=False, server_default=text("false")),
    *_timestamps(),
    CheckConstraint("status IN ('open', 'paid', 'void', 'written_off')", name="status"),
    CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    Index("ix_invoices_customer_status", "customer_id", "status"),
    Index("ix_invoices_status_due", "status", "due_date"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="SET NULL"), index=True),
    Column("date", Date, nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("method", String(200)),
    *_timestamps(),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)

credit_notes = Table(
    "credit_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="SET NULL"), index=True),
    Column("date", Date, nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(200)),
    *_timestamps(),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)

credit_scores = Table(
    "credit_scores",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("date", Date, nullable=False),
    Column("score", Integer, nullable=False),
    Column("max_score", Integer),
    Column("rating", String(32)),
    Column("source", String(100), nullable=False),
    *_timestamps(),
    UniqueConstraint("customer_id", "date", "source", name="uq_credit_scores_customer_date_source"),
)
