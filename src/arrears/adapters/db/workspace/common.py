"""What the workspace's adapters share: chunking of id lists, row shapes, and a base holding the
connection."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    case,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ....domain import receivables
from ....domain.currencies import MINOR_UNITS
from ....domain.users import Role, User
from ....services.workspace_ports import (
    CashRow,
    ContactRow,
    CustomerRow,
    InvoiceRow,
    TimelineRow,
)
from .. import tables as t

CHUNK = 900  # ids per IN (...) list: well under SQLite's limit on bound parameters


BALANCES_KEY = "balances_as_of"


def chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def user_of(row: Any) -> User:
    return User(row.id, row.name, Role(row.role), row.email)


def in_minor_units_of_each_currency(amount: Decimal, currency: ColumnElement[str]) -> ColumnElement[int]:
    """`amount` (major units) as the least whole number of minor units of the row's currency that is
    not below it: 12.5 is 1250 for USD, 13 for JPY, 12500 for KWD."""

    def minor(exponent: int) -> int:
        return int(amount.scaleb(exponent).to_integral_value(rounding=ROUND_CEILING))

    return by_exponent(currency, minor)


def by_exponent(currency: ColumnElement[str], value: Callable[[int], int]) -> ColumnElement[int]:
    """`value(e)` for the row's currency, e its number of decimals (ISO 4217): a CASE over the
    currencies whose e is not the usual 2."""
    exponents: dict[int, list[str]] = defaultdict(list)
    for code, exponent in MINOR_UNITS.items():
        exponents[exponent].append(code)
    usual = 2
    cases = [(currency.in_(sorted(codes)), value(e)) for e, codes in sorted(exponents.items()) if e != usual]
    return case(*cases, else_=value(usual))


def timeline_row(row: Any) -> TimelineRow:
    return TimelineRow(
        row.at,
        row.actor_name,
        row.actor_kind,
        row.entity,
        row.entity_id,
        row.action,
        row.summary,
        json.loads(row.changes) if row.changes else {},
    )


def customer_row(r: Any) -> CustomerRow:
    return CustomerRow(
        r.external_id,
        r.name,
        r.currency,
        r.payment_terms_days,
        r.credit_limit_minor,
        r.collector,
        r.email,
        r.phone,
        [tag for tag in r.tags.split(";") if tag],
        r.on_hold,
        bool(r.credit_hold),
    )


def contact_row(r: Any) -> ContactRow:
    return ContactRow(
        r.id, r.customer_external_id, r.external_id, r.name, r.email, r.phone, r.role, r.receives_reminders
    )


def invoice_row(r: Any) -> InvoiceRow:
    owed = receivables.outstanding(
        receivables.Invoice(
            r.id,
            r.customer_id,
            r.currency,
            r.amount_minor,
            r.due_date,
            r.paid_minor,
            r.credited_minor,
            r.written_off_minor,
        )
    )
    return InvoiceRow(
        r.external_id,
        r.customer_external_id,
        r.number,
        r.issue_date,
        r.due_date,
        r.amount_minor,
        owed.minor if r.status == "open" else 0,
        r.currency,
        r.status,
        r.disputed,
        r.plan_id,
    )


def cash_row(note: str) -> Callable[[Any], CashRow]:
    def shape(r: Any) -> CashRow:
        return CashRow(
            r.external_id,
            r.customer_external_id,
            r.date,
            r.amount_minor,
            r.currency,
            r.invoice_external_id,
            getattr(r, note),
        )

    return shape


LEDGER_ROWS: dict[str, Callable[[Any], CustomerRow | ContactRow | InvoiceRow | CashRow]] = {
    "customers": customer_row,
    "contacts": contact_row,
    "invoices": invoice_row,
    "payments": cash_row("method"),
    "credit-notes": cash_row("reason"),
}


class SqlArea:
    """One area of the workspace on the unit of work's connection.

    `changed` is the unit of work's set of customers whose balances a write of this transaction
    moved (their ledger, a plan, a dispute, a chasing flag): an area that writes one adds it, and the
    unit of work refreshes those balances just before it commits."""

    def __init__(self, connection: Connection, changed: set[int] | None = None) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.changed: set[int] = set() if changed is None else changed

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)


def read_setting(connection: Connection, key: str) -> str | None:
    value = connection.execute(select(t.app_settings.c.value).where(t.app_settings.c.key == key)).scalar()
    return None if value is None else str(value)


def write_setting(connection: Connection, key: str, value: str) -> None:
    s = t.app_settings
    insert_ = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(s)
    connection.execute(
        insert_.values(key=key, value=value).on_conflict_do_update(index_elements=["key"], set_={"value": value})
    )
