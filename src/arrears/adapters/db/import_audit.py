"""The audit of a ledger write, set-based: one entry per customer naming who wrote what, when,
through what, with each row added or changed and what it was before."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    String,
    Table,
    Text,
    case,
    cast,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from ...services.ports import AuditStamp
from . import tables as t
from .import_kinds import ENTITIES, HIDDEN_FIELDS, KINDS, Field


def _key_text(kind: str, s: Table) -> ColumnElement[Any]:
    """How an audit entry names a row: its external id, a contact by its key, a score by its date."""
    if kind == "contacts":
        return s.c.contact_key
    if kind == "credit-scores":
        return cast(s.c.date, String) + literal(" ") + s.c.source
    return s.c.external_id


def _key_label(kind: str) -> str:
    return "key" if kind == "credit-scores" else "external_id"


def _json_object(pg: bool, pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    args: list[Any] = [arg for name, value in pairs for arg in (literal(name), value)]
    return func.json_build_object(*args) if pg else func.json_object(*args)


def _json_rows(pg: bool, row: ColumnElement[Any], line: ColumnElement[Any]) -> ColumnElement[str]:
    """{"rows": [row, ...]} in file order, as text."""
    if pg:
        ordered = func.json_agg(aggregate_order_by(row, line))
        return cast(func.json_build_object(literal("rows"), ordered), Text)
    return func.json_object(literal("rows"), func.json(func.json_group_array(func.json(row))))


def record_changes(
    connection: Connection,
    kind: str,
    s: Table,
    stamp: AuditStamp,
    match: ColumnElement[bool],
    updates: list[Field],
    changed: ColumnElement[bool],
) -> int:
    """Audit what this write adds and changes: one entry per customer, saying who wrote it (the
    terminal, a user of the import page, an API token's user), when, and, for each row added or
    changed, its values and, for a changed row, what they were. Set-based, before the upsert (which
    overwrites the values it was). Returns the id of the first entry written."""
    target, a = KINDS[kind].table, t.audit_log
    pg = connection.dialect.name == "postgresql"
    shown = [f for f in updates if f.target and f.name not in HIDDEN_FIELDS]
    # A row is named by its external id; a contact by its own fields (its key is internal), a credit
    # score by its date and source.
    new: list[tuple[str, ColumnElement[Any]]] = [] if kind == "contacts" else [(_key_label(kind), _key_text(kind, s))]
    new += [(f.target or f.name, s.c[f.name]) for f in shown]
    was: list[tuple[str, ColumnElement[Any]]] = [(f.target or f.name, target.c[f.target or f.name]) for f in shown]
    source = s.outerjoin(target, match)
    if "invoice_id" in s.c:
        before, after = t.invoices.alias("before_invoice"), t.invoices.alias("after_invoice")
        source = source.outerjoin(after, after.c.id == s.c.invoice_id).outerjoin(
            before, before.c.id == target.c.invoice_id
        )
        new.append(("invoice", after.c.external_id))
        was.append(("invoice", before.c.external_id))
    was_object = case((target.c.id.is_(None), null()), else_=_json_object(pg, was))
    row_object = _json_object(pg, [*new, ("was", was_object)])
    # A new customer has no id yet: its entry is grouped by its external id, and tied to it after the
    # upsert (`tie_entries_to_new_customers`).
    customer = s.c.external_id if kind == "customers" else s.c.customer_id
    added = func.sum(case((target.c.id.is_(None), 1), else_=0))
    noun = ENTITIES[kind].replace("_", " ")
    summary = (
        literal(f"{stamp.origin}: ")
        + cast(added, String)
        + literal(f" {noun}(s) added, ")
        + cast(func.count() - added, String)
        + literal(" changed")
    )
    rows = (
        select(
            literal(stamp.at, t.UTCDateTime()).label("at"),
            literal(stamp.actor.kind.value).label("actor_kind"),
            literal(stamp.actor.user_id, Integer()).label("actor_id"),
            literal(stamp.actor.name, String()).label("actor_name"),
            literal(ENTITIES[kind]).label("entity"),
            case((func.count() == 1, func.min(_key_text(kind, s))), else_=null()).label("entity_id"),
            (func.min(target.c.id) if kind == "customers" else customer).label("customer_id"),
            literal("imported").label("action"),
            summary.label("summary"),
            _json_rows(pg, row_object, s.c.line).label("changes"),
        )
        .select_from(source)
        .where(or_(target.c.id.is_(None), changed))
        .group_by(customer)
    )
    if pg:  # the grouping by customer sorts every row of the file: in memory, not spilled to disk
        connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    first = connection.execute(select(func.coalesce(func.max(a.c.id), 0))).scalar_one()
    columns = ["at", "actor_kind", "actor_id", "actor_name", "entity", "entity_id", "customer_id"]
    connection.execute(insert(a).from_select([*columns, "action", "summary", "changes"], rows))
    return int(first) + 1


def tie_entries_to_new_customers(connection: Connection, first_entry: int, stamp: AuditStamp) -> None:
    """The entries of customers this write created name them now that they have an id."""
    a, c = t.audit_log, t.customers
    connection.execute(
        update(a)
        .values(customer_id=select(c.c.id).where(c.c.external_id == a.c.entity_id).scalar_subquery())
        .where(a.c.id >= first_entry, a.c.at == stamp.at, a.c.customer_id.is_(None), a.c.entity == "customer")
    )
