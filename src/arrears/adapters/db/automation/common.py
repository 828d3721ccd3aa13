"""What the automation's adapters share: statement builders, id chunking, row shapes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Integer,
    Select,
    String,
    Text,
    any_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ....domain.audit import AuditEntry
from ....services.automation_ports import (
    DueSubject,
)
from .. import tables as t
from ..receivables import outstanding

HIGH_WATER_KEY = "automation_start"


CLAIM_CHUNK = 1000  # rows per INSERT of step runs: 7,000 parameters (SQLAlchemy's default page size)


ID_CHUNK = 5000  # ids per statement of an `IN` list on SQLite (its limit is 32,766 parameters)


ID_CHUNK_ARRAY = 100_000  # PostgreSQL: one array parameter


def _subject(prefix: str, column: ColumnElement[Any]) -> ColumnElement[str]:
    return literal(f"{prefix}:") + cast(column, String)


def _not_run(workflow: str, step: str, subject: ColumnElement[str]) -> ColumnElement[bool]:
    r = t.step_runs
    return ~exists().where(r.c.workflow == workflow, r.c.step == step, r.c.subject == subject)


def _audit_row(entry: AuditEntry) -> dict[str, Any]:
    """The parameters of an audit-log insert, named apart from any column of `emails`."""
    return {
        "audit_at": entry.at,
        "audit_actor_kind": entry.actor.kind.value,
        "audit_actor_id": entry.actor.user_id,
        "audit_actor_name": entry.actor.name,
        "audit_entity": entry.entity,
        "audit_entity_id": entry.entity_id,
        "audit_customer_id": entry.customer_id,
        "audit_action": entry.action,
        "audit_summary": entry.summary,
        "audit_changes": json.dumps(entry.changes, default=str, ensure_ascii=False) if entry.changes else None,
    }


def _unnest_rows(table: Any, rows: Sequence[dict[str, Any]]) -> Select[Any]:
    """PostgreSQL: the rows as one SELECT over arrays, a column each (`unnest` in the select list
    runs the arrays in step), to INSERT or UPDATE … FROM in one statement of a few parameters. A
    column with one value in every row is sent once. psycopg runs an executemany as one statement
    per row, and SQLAlchemy's multi-row VALUES as a statement of thousands of parameters."""
    names = list(rows[0])
    columns: list[ColumnElement[Any]] = []
    for name in names:
        kind = table.c[name].type
        values = [row[name] for row in rows]
        if columns and all(value == values[0] for value in values):
            columns.append(bindparam(f"u_{name}", values[0], type_=kind).label(name))
        elif isinstance(kind, String):
            # Strings as one JSON array: psycopg quotes each element of a text array with a regular
            # expression in Python (a third of the time of queueing a day's emails), json in C.
            listed = bindparam(f"u_{name}", json.dumps(values, ensure_ascii=False), type_=Text)
            columns.append(func.json_array_elements_text(cast(listed, postgresql.JSON)).label(name))
        else:
            columns.append(func.unnest(bindparam(f"u_{name}", values, type_=postgresql.ARRAY(kind))).label(name))
    return select(*columns)


@dataclass(frozen=True)
class _OutboxStatements:
    """The statements of the send loop, built once per dialect: the loop runs them per email, and
    building a SQLAlchemy statement costs more than running it."""

    due: Executable
    sent: Executable
    audit: Executable
    sent_and_audit: Executable | None  # PostgreSQL: the two above in one round trip


@cache
def _outbox(dialect: str) -> _OutboxStatements:
    e, a = t.emails, t.audit_log
    due = (
        select(
            e.c.id,
            e.c.customer_id,
            e.c.to_addresses,
            e.c.subject,
            e.c.template,
            e.c.context,
            e.c.html,
            e.c.text,
            e.c.message_id,
            e.c.attempts,
            e.c.attach_invoice_id,
            e.c.in_reply_to,
        )
        .where(e.c.status == "queued", e.c.next_attempt_at <= bindparam("now", type_=e.c.next_attempt_at.type))
        .order_by(e.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if dialect == "postgresql":
        lazy_commit = func.set_config("synchronous_commit", "off", true()).label("lazy_commit")
        due = due.add_columns(lazy_commit).with_for_update(skip_locked=True)
    sent_at = bindparam("marked_at", type_=e.c.sent_at.type)
    # The body that went out, if it was rendered at send time (else the stored one is kept).
    html = func.coalesce(bindparam("sent_html", type_=Text), e.c.html)
    text = func.coalesce(bindparam("sent_text", type_=Text), e.c.text)
    sent = (
        update(e)
        .where(e.c.id == bindparam("email_id", type_=Integer), e.c.status == "queued")
        .values(
            status="sent",
            sent_at=sent_at,
            attempts=e.c.attempts + 1,
            last_error=None,
            updated_at=sent_at,
            html=html,
            text=text,
        )
    )
    columns = [c for c in a.c if c.name != "id"]
    audit = insert(a).values({c: bindparam(f"audit_{c.name}", type_=c.type) for c in columns})
    sent_and_audit = None
    if dialect == "postgresql":
        marked = sent.returning(e.c.id).cte("marked")
        sent_and_audit = (
            insert(a)
            .from_select(
                [c.name for c in columns],
                select(*(bindparam(f"audit_{c.name}", type_=c.type) for c in columns)).select_from(marked),
            )
            .returning(a.c.id)  # what was marked: psycopg's rowcount of this statement is not it
        )
    return _OutboxStatements(due, sent, audit, sent_and_audit)


@dataclass(frozen=True)
class _WriteStatements:
    """The firing phase's writes, each run once per batch with many rows (executemany)."""

    claim: Executable
    link: Executable  # SQLite; PostgreSQL's is an UPDATE … FROM arrays
    email: Executable
    task: Executable
    audit: Executable


@cache
def _writes(dialect: str) -> _WriteStatements:
    r, e, k = t.step_runs, t.emails, t.tasks
    insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
    claim = (
        insert_of(r)
        .on_conflict_do_nothing(index_elements=["workflow", "step", "subject"])
        .returning(r.c.id, r.c.workflow, r.c.step, r.c.subject)
        .execution_options(insertmanyvalues_page_size=CLAIM_CHUNK)
    )
    link = (
        update(r).where(r.c.id == bindparam("l_run")).values(email_id=bindparam("l_email"), task_id=bindparam("l_task"))
    )
    email = insert_of(e).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(e.c.id, e.c.dedupe_key)
    task = insert(k).returning(k.c.id, sort_by_parameter_order=True)
    # RETURNING, although the ids are not used, makes SQLAlchemy send the rows in pages of a
    # thousand ("insertmanyvalues"); without it psycopg sends one INSERT per row.
    columns = [c for c in t.audit_log.c if c.name != "id"]
    audit = (
        insert(t.audit_log)
        .values({c: bindparam(f"audit_{c.name}", type_=c.type) for c in columns})
        .returning(t.audit_log.c.id)
    )
    return _WriteStatements(claim, link, email, task, audit)


def _reserved(ids: Sequence[int | None]) -> list[int]:
    """The ids reserved for the rows to insert (`Automation.reserve_ids`): all of them, or none."""
    given = [i for i in ids if i is not None]
    if given and len(given) != len(ids):
        raise ValueError("either every row has a reserved id or none has")
    return given


def _id_given(row_id: int | None) -> dict[str, int]:
    return {} if row_id is None else {"id": row_id}


def _invoice_subject_query() -> Select[Any]:
    """The invoice columns `_invoice_subject` reads, joined to the invoice's customer."""
    i, c = t.invoices, t.customers
    return select(
        i.c.customer_id,
        i.c.id,
        i.c.number,
        i.c.issue_date,
        i.c.due_date,
        i.c.amount_minor,
        outstanding(i).label("outstanding"),
        i.c.currency,
    ).join(c, c.c.id == i.c.customer_id)


def _invoice_subject(workflow: str, step: str, row: Any) -> DueSubject:
    """An invoice row (id, customer_id, number, dates, amount_minor, outstanding, currency) as the
    subject of a workflow step."""
    return DueSubject(
        workflow,
        step,
        f"invoice:{row.id}",
        row.customer_id,
        (row.id,),
        row.number,
        row.issue_date,
        row.due_date,
        row.amount_minor,
        int(row.outstanding),
        row.currency,
    )


class SqlAutomationArea:
    """One area of the automation on the unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _id_chunks(self, ids: Sequence[int]) -> list[Sequence[int]]:
        """The ids in as few statements as the database allows (SQLite: a parameter each)."""
        size = ID_CHUNK if self.dialect == "sqlite" else ID_CHUNK_ARRAY
        return [ids[start : start + size] for start in range(0, len(ids), size)]

    def _id_in(self, column: ColumnElement[int], ids: Sequence[int]) -> ColumnElement[bool]:
        """`column IN ids`; on PostgreSQL `= ANY` of one array parameter, one statement to compile
        and prepare whatever the number of ids (an IN list is rendered anew for each length)."""
        if self.dialect == "postgresql":
            return column == any_(bindparam("ids", list(ids), type_=postgresql.ARRAY(Integer), unique=True))
        return column.in_(ids)

    def _insert_pairs(self, table: Any, owner: str, rows: Sequence[dict[str, int]]) -> None:
        """(owner, invoice) rows of a tag table. On PostgreSQL in one statement, from two arrays:
        psycopg would send an executemany without RETURNING as one INSERT per row."""
        if self.dialect != "postgresql":
            self.connection.execute(insert(table), list(rows))
            return
        owners = bindparam("owners", [row[owner] for row in rows], type_=postgresql.ARRAY(Integer))
        invoices = bindparam("invoices", [row["invoice_id"] for row in rows], type_=postgresql.ARRAY(Integer))
        pairs = select(func.unnest(owners).label(owner), func.unnest(invoices).label("invoice_id"))
        self.connection.execute(insert(table).from_select([owner, "invoice_id"], pairs))
