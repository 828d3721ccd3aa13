"""Export of the ledger in the CSV import format, streamed from the database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, literal, null, select, union_all

from ...domain.disputes import EXPORT_FIELDS
from ...domain.money import format_minor
from . import tables as t


def _money(minor: int | None, currency: str) -> str:
    return "" if minor is None else format_minor(minor, currency)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _customers() -> tuple[list[str], Select[Any], Callable[[Any], tuple[str, ...]]]:
    c, u = t.customers, t.users
    query = select(c, u.c.name.label("collector")).outerjoin(u, u.c.id == c.c.collector_id).order_by(c.c.external_id)
    header = [
        "external_id",
        "name",
        "currency",
        "payment_terms_days",
        "credit_limit",
        "collector",
        "email",
        "phone",
        "tags",
        "on_hold",
        "credit_hold",
    ]
    return (
        header,
        query,
        lambda r: (
            r.external_id,
            r.name,
            r.currency,
            str(r.payment_terms_days),
            _money(r.credit_limit_minor, r.currency),
            _text(r.collector),
            _text(r.email),
            _text(r.phone),
            r.tags,
            _flag(r.on_hold),
            _flag(r.credit_hold),
        ),
    )


def _contacts() -> tuple[list[str], Select[Any], Callable[[Any], tuple[str, ...]]]:
    k, c = t.contacts, t.customers
    query = (
        select(k, c.c.external_id.label("customer_external_id"))
        .join(c, c.c.id == k.c.customer_id)
        .order_by(c.c.external_id, k.c.id)
    )
    header = ["customer_external_id", "external_id", "name", "email", "phone", "role", "receives_reminders"]
    return (
        header,
        query,
        lambda r: (
            r.customer_external_id,
            _text(r.external_id),
            r.name,
            _text(r.email),
            _text(r.phone),
            _text(r.role),
            _flag(r.receives_reminders),
        ),
    )


def _invoices() -> tuple[list[str], Select[Any], Callable[[Any], tuple[str, ...]]]:
    i, c = t.invoices, t.customers
    query = (
        select(i, c.c.external_id.label("customer_external_id"))
        .join(c, c.c.id == i.c.customer_id)
        .order_by(i.c.external_id)
    )
    header = [
        "external_id",
        "customer_external_id",
        "number",
        "issue_date",
        "due_date",
        "amount",
        "currency",
        "status",
    ]
    return (
        header,
        query,
        lambda r: (
            r.external_id,
            r.customer_external_id,
            r.number,
            r.issue_date.isoformat(),
            r.due_date.isoformat(),
            format_minor(r.amount_minor, r.currency),
            r.currency,
            "void" if r.is_void else "open",
        ),
    )


def _cash(table: Any, note: str) -> tuple[list[str], Select[Any], Callable[[Any], tuple[str, ...]]]:
    c, i = t.customers, t.invoices
    query = (
        select(table, c.c.external_id.label("customer_external_id"), i.c.external_id.label("invoice_external_id"))
        .join(c, c.c.id == table.c.customer_id)
        .outerjoin(i, i.c.id == table.c.invoice_id)
        .order_by(table.c.external_id)
    )
    header = ["external_id", "customer_external_id", "date", "amount", "invoice_external_id", note]
    if note == "method":
        header.insert(5, "currency")
        return (
            header,
            query,
            lambda r: (
                r.external_id,
                r.customer_external_id,
                r.date.isoformat(),
                format_minor(r.amount_minor, r.currency),
                _text(r.invoice_external_id),
                r.currency,
                _text(r.method),
            ),
        )
    return (
        header,
        query,
        lambda r: (
            r.external_id,
            r.customer_external_id,
            r.date.isoformat(),
            format_minor(r.amount_minor, r.currency),
            _text(r.invoice_external_id),
            _text(r.reason),
        ),
    )


def _credit_scores() -> tuple[list[str], Select[Any], Callable[[Any], tuple[str, ...]]]:
    s, c = t.credit_scores, t.customers
    query = (
        select(s, c.c.external_id.label("customer_external_id"))
        .join(c, c.c.id == s.c.customer_id)
        .order_by(c.c.external_id, s.c.date, s.c.source)
    )
    header = ["customer_external_id", "date", "score", "source", "rating", "max_score"]
    return (
        header,
        query,
        lambda r: (
            r.customer_external_id,
            r.date.isoformat(),
            str(r.score),
            r.source,
            _text(r.rating),
            _text(r.max_score),
        ),
    )


def _listed(value: str | None) -> list[str]:
    return sorted(value.split(";")) if value else []


def _emails() -> tuple[list[str], Select[Any], Callable[[Any], tuple[Any, ...]]]:
    """The emails sent (direction `out`, by id), then those received (`in`, by id): a received
    message has its sender in `from`, whether it was `read`, status `received` and no template;
    one not matched to a customer yet has no customer."""
    e, c, ei, i, r = t.emails, t.customers, t.email_invoices, t.invoices, t.received_emails
    invoices = (
        select(func.aggregate_strings(i.c.external_id, ";"))
        .select_from(ei.join(i, i.c.id == ei.c.invoice_id))
        .where(ei.c.email_id == e.c.id)
        .scalar_subquery()
    )
    sent = (
        select(
            literal(0).label("direction"),
            e.c.id,
            c.c.external_id.label("customer_external_id"),
            e.c.to_addresses,
            e.c.subject,
            e.c.template,
            e.c.workflow,
            e.c.step,
            invoices.label("invoice_external_ids"),
            e.c.status,
            e.c.attempts,
            e.c.last_error,
            e.c.created_at,
            e.c.sent_at,
            null().label("from_address"),
            null().label("read_at"),
        )
        .select_from(e)
        .join(c, c.c.id == e.c.customer_id)
    )
    received = (
        select(
            literal(1).label("direction"),
            r.c.id,
            c.c.external_id,
            r.c.to_addresses,
            r.c.subject,
            null(),
            null(),
            null(),
            null(),
            literal("received"),
            literal(0),
            r.c.bounce_diagnostic,
            r.c.received_at,
            r.c.sent_at,
            r.c.from_address,
            r.c.read_at,
        )
        .select_from(r)
        .outerjoin(c, c.c.id == r.c.customer_id)
    )
    both = union_all(sent, received).subquery()
    query = select(both).order_by(both.c.direction, both.c.id)
    header = [
        "id",
        "customer_external_id",
        "to",
        "subject",
        "template",
        "workflow",
        "workflow_step",
        "invoice_external_ids",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
        "direction",
        "from",
        "read",
    ]

    def shape(r: Any) -> tuple[Any, ...]:
        incoming = r.direction == 1
        return (
            r.id,
            r.customer_external_id,
            json.loads(r.to_addresses),
            r.subject,
            r.template,
            r.workflow,
            r.step,
            _listed(r.invoice_external_ids),
            r.status,
            r.attempts,
            r.last_error,
            _stamp(r.created_at),
            _stamp(r.sent_at),
            "in" if incoming else "out",
            r.from_address,
            (r.read_at is not None) if incoming else None,
        )

    return header, query, shape


def _stamp(value: Any) -> str | None:
    """A timestamp as ISO 8601 in UTC (a union's column comes back from SQLite as text)."""
    if value is None:
        return None
    stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _disputes() -> tuple[list[str], Select[Any], Callable[[Any], tuple[Any, ...]]]:
    d, c, i, u = t.disputes, t.customers, t.invoices, t.users
    query = (
        select(
            d,
            c.c.external_id.label("customer_external_id"),
            i.c.external_id.label("invoice_external_id"),
            u.c.name.label("owner"),
        )
        .join(c, c.c.id == d.c.customer_id)
        .join(i, i.c.id == d.c.invoice_id)
        .outerjoin(u, u.c.id == d.c.owner_id)
        .order_by(d.c.id)
    )
    header = list(EXPORT_FIELDS)
    return (
        header,
        query,
        lambda r: (
            r.id,
            r.customer_external_id,
            r.invoice_external_id,
            r.reason,
            format_minor(r.amount_minor, r.currency),
            r.currency,
            r.owner,
            r.status,
            r.resolution,
            r.note,
            r.created_at.isoformat(),
            r.closed_at.isoformat() if r.closed_at else None,
        ),
    )


EXPORTS: dict[str, Callable[[], tuple[list[str], Select[Any], Callable[[Any], tuple[Any, ...]]]]] = {
    "emails": _emails,
    "disputes": _disputes,
    "customers": _customers,
    "contacts": _contacts,
    "invoices": _invoices,
    "payments": lambda: _cash(t.payments, "method"),
    "credit-notes": lambda: _cash(t.credit_notes, "reason"),
    "credit-scores": _credit_scores,
}


class SqlExport:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def rows(self, kind: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        header, query, shape = EXPORTS[kind]()
        result = self.connection.execution_options(stream_results=True, yield_per=5000).execute(query)
        return header, (shape(row) for row in result)
