"""The automation in SQL: which invoices and instalments a workflow step has come due for, the
step-run ledger that makes every step run once per subject, and the email outbox.

The selection is set-based: one anti-join per workflow step against `step_runs`, so a steady-state
day reads only what is newly due, not every open invoice.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
    case,
    cast,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ...domain.audit import AuditEntry
from ...domain.tasks import Task
from ...domain.workflows import Workflow
from ...services.automation_ports import (
    DueSubject,
    NewEmail,
    OutboxEmail,
    Recipient,
    Rendered,
    RunLink,
    StepClaim,
)
from . import tables as t
from .receivables import first_match, is_chaseable, matches, outstanding, paid_on_plan
from .workspace.tasks import SqlTasks

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


class SqlAutomation:
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

    # -- what came before the first cycle ----------------------------------------------------------

    def high_water(self) -> tuple[int, int] | None:
        s = t.app_settings
        value = self.connection.execute(select(s.c.value).where(s.c.key == HIGH_WATER_KEY)).scalar()
        if value is None:
            return None
        marks = json.loads(value)
        return int(marks["customer_id"]), int(marks["invoice_id"])

    def set_high_water(self) -> tuple[int, int]:
        """Remember the last customer and invoice that existed when the first cycle ran: events fire
        only for what comes after (importing a historical ledger sends no welcome and no old invoices)."""
        customer = int(self.connection.execute(select(func.coalesce(func.max(t.customers.c.id), 0))).scalar_one())
        invoice = int(self.connection.execute(select(func.coalesce(func.max(t.invoices.c.id), 0))).scalar_one())
        value = json.dumps({"customer_id": customer, "invoice_id": invoice})
        statement = self._insert(t.app_settings).values(key=HIGH_WATER_KEY, value=value)
        self.connection.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
        marks = self.high_water()
        assert marks is not None
        return marks

    # -- what is due -------------------------------------------------------------------------------

    def due_subjects(self, workflows: Sequence[Workflow], as_of: date) -> list[DueSubject]:
        out: list[DueSubject] = []
        for index, workflow in enumerate(workflows):
            match = first_match(workflows, index)
            bounds = [(step.name, as_of - timedelta(days=step.days or 0)) for step in workflow.dated_steps]
            out += self._due_invoices(workflows, index, bounds, as_of)
            for step, bound in bounds:
                out += self._due_instalments(workflow.name, step, bound, match)
        return out

    def _due_invoices(
        self, workflows: Sequence[Workflow], index: int, bounds: Sequence[tuple[str, date]], as_of: date
    ) -> list[DueSubject]:
        """The invoices due for every dated step of a workflow, in two statements. First the
        anti-joins: the open invoices up to the widest step's bound, read once from the index of
        open invoices by due date (`ix_invoices_open_due_id`, without touching the table), each
        step's against its runs on the `(workflow, step, subject)` index. Then the rows of the few
        invoices that leaves, by id, kept if chaseable under this workflow (`receivables.is_chaseable`:
        disputed, excluded, on a plan, paused, on hold, promised, the workflow's tags)."""
        if not bounds:
            return []
        i, r = t.invoices, t.step_runs
        workflow = workflows[index].name
        candidates = (
            select(i.c.id, i.c.due_date, _subject("invoice", i.c.id).label("subject"))
            .where(i.c.status == "open", i.c.due_date <= max(bound for _, bound in bounds))
            .cte("candidates")
            .prefix_with("MATERIALIZED")
        )
        pairs = union_all(
            *(
                select(literal(step, String).label("step"), candidates.c.id).where(
                    candidates.c.due_date <= bound,
                    ~exists().where(r.c.workflow == workflow, r.c.step == step, r.c.subject == candidates.c.subject),
                )
                for step, bound in bounds
            )
        )
        found = [(row.step, row.id) for row in self.connection.execute(pairs)]
        if not found:
            return []
        chaseable = is_chaseable(as_of, workflows=workflows, index=index)
        rows: dict[int, Any] = {}
        ids = sorted({invoice_id for _, invoice_id in found})
        for chunk in self._id_chunks(ids):
            query = _invoice_subject_query().where(self._id_in(i.c.id, chunk), chaseable)
            rows.update((row.id, row) for row in self.connection.execute(query))
        return [
            _invoice_subject(workflow, step, row)
            for step, invoice_id in found
            if (row := rows.get(invoice_id)) is not None
        ]

    def _invoices(
        self, workflow: str, step: str, *where: ColumnElement[bool], order: tuple[Any, ...] = ()
    ) -> list[DueSubject]:
        """Invoices as subjects of a workflow step (or, with no step, as documents), with their customer."""
        query = _invoice_subject_query().where(*where).order_by(*order)
        return [_invoice_subject(workflow, step, row) for row in self.connection.execute(query)]

    def _plan_paid(self) -> Select[Any]:
        """(plan_id, paid) of the active plans: `receivables.paid_on_plan`."""
        p = t.payment_plans
        return select(p.c.id.label("plan_id"), paid_on_plan(p).label("paid")).where(p.c.status == "active")

    def _due_instalments(self, workflow: str, step: str, bound: date, match: ColumnElement[bool]) -> list[DueSubject]:
        """Plans are chased by instalment: the unpaid part of each instalment, payments filling them in date order."""
        inst, p, c = t.plan_instalments, t.payment_plans, t.customers
        running = select(
            inst.c.id,
            inst.c.plan_id,
            inst.c.due_date,
            inst.c.amount_minor,
            func.sum(inst.c.amount_minor)
            .over(partition_by=inst.c.plan_id, order_by=(inst.c.due_date, inst.c.id))
            .label("through"),
            func.count().over(partition_by=inst.c.plan_id, order_by=(inst.c.due_date, inst.c.id)).label("number"),
        ).subquery()
        paid = self._plan_paid().subquery()
        unpaid_through = running.c.through - paid.c.paid
        unpaid = case(
            (unpaid_through <= 0, literal(0)),
            (unpaid_through >= running.c.amount_minor, running.c.amount_minor),
            else_=unpaid_through,
        )
        subject = _subject("instalment", running.c.id)
        query = (
            select(
                subject.label("subject"),
                p.c.customer_id,
                p.c.id.label("plan_id"),
                running.c.number,
                running.c.due_date,
                running.c.amount_minor,
                unpaid.label("unpaid"),
                p.c.currency,
                p.c.start_date,
            )
            .select_from(
                running.join(p, p.c.id == running.c.plan_id)
                .join(paid, paid.c.plan_id == p.c.id)
                .join(c, c.c.id == p.c.customer_id)
            )
            .where(
                p.c.status == "active",
                unpaid > 0,
                running.c.due_date <= bound,
                c.c.on_hold == false(),
                c.c.workflow_paused == false(),
                match,
                _not_run(workflow, step, subject),
            )
        )
        rows = list(self.connection.execute(query))
        if not rows:
            return []
        pi = t.plan_invoices
        invoices: dict[int, list[int]] = defaultdict(list)
        for plan_id, invoice_id in self.connection.execute(
            select(pi.c.plan_id, pi.c.invoice_id)
            .where(pi.c.plan_id.in_({row.plan_id for row in rows}))
            .order_by(pi.c.invoice_id)
        ):
            invoices[plan_id].append(invoice_id)
        return [
            DueSubject(
                workflow,
                step,
                row.subject,
                row.customer_id,
                tuple(invoices[row.plan_id]),
                f"Instalment {row.number} of payment plan {row.plan_id}",
                row.start_date,
                row.due_date,
                row.amount_minor,
                int(row.unpaid),
                row.currency,
            )
            for row in rows
        ]

    def new_customers(self, workflow: Workflow, step: str, after_id: int) -> list[int]:
        c = t.customers
        query = (
            select(c.c.id)
            .where(
                c.c.id > after_id,
                c.c.workflow_paused == false(),
                matches(workflow),
                _not_run(workflow.name, step, _subject("customer", c.c.id)),
            )
            .order_by(c.c.id)
        )
        return list(self.connection.execute(query).scalars())

    def new_invoices(self, workflow: Workflow, step: str, after_id: int, as_of: date) -> list[DueSubject]:
        i, c = t.invoices, t.customers
        return self._invoices(
            workflow.name,
            step,
            i.c.id > after_id,
            i.c.status == "open",
            i.c.due_date >= as_of,
            i.c.workflow_paused == false(),
            c.c.workflow_paused == false(),
            matches(workflow),
            _not_run(workflow.name, step, _subject("invoice", i.c.id)),
            order=(i.c.id,),
        )

    def open_invoices(self, customer_id: int) -> list[DueSubject]:
        i = t.invoices
        return self._invoices(
            "", "", i.c.customer_id == customer_id, i.c.status == "open", order=(i.c.due_date, i.c.id)
        )

    def chaseable_invoices(
        self, customer_id: int, workflows: Sequence[Workflow], index: int, as_of: date
    ) -> list[DueSubject]:
        """The customer's invoices that the cycle of `as_of` chases under `workflows[index]`
        (`receivables.is_chaseable`), by due date: what its emails may list."""
        i = t.invoices
        chaseable = is_chaseable(as_of, workflows=workflows, index=index)
        return self._invoices("", "", i.c.customer_id == customer_id, chaseable, order=(i.c.due_date, i.c.id))

    def invoice_document(self, invoice_id: int) -> DueSubject | None:
        found = self._invoices("", "", t.invoices.c.id == invoice_id)
        return found[0] if found else None

    def recipients(self, customer_ids: Sequence[int]) -> dict[int, Recipient]:
        """Who a customer's reminders go to: contacts who receive reminders, else the customer's own address."""
        c, k = t.customers, t.contacts
        contacts: dict[int, list[tuple[str, str]]] = defaultdict(list)
        out: dict[int, Recipient] = {}
        for chunk in self._id_chunks(sorted(set(customer_ids))):
            for row in self.connection.execute(
                select(k.c.customer_id, k.c.name, k.c.email)
                .where(self._id_in(k.c.customer_id, chunk), k.c.receives_reminders == true(), k.c.email.is_not(None))
                .order_by(k.c.customer_id, k.c.id)
            ):
                contacts[row.customer_id].append((row.name, row.email))
            for customer in self.connection.execute(
                select(c.c.id, c.c.external_id, c.c.name, c.c.collector_id, c.c.email).where(self._id_in(c.c.id, chunk))
            ):
                people = contacts.get(customer.id, [])
                addresses = tuple(dict.fromkeys(email for _, email in people)) or (
                    (customer.email,) if customer.email else ()
                )
                out[customer.id] = Recipient(
                    customer.id,
                    customer.external_id,
                    customer.name,
                    customer.collector_id,
                    people[0][0] if people else None,
                    addresses,
                )
        return out

    # -- writing -----------------------------------------------------------------------------------

    def claim(
        self, workflow: str, step: str, status: str, cycle_date: date, subjects: Sequence[tuple[str, int, int | None]]
    ) -> list[str]:
        """Record that a step ran (or was skipped) for these subjects; returns the ones this call
        recorded. A subject some other run already recorded is left out: that is what makes two
        cycles at the same moment create everything once."""
        claims = [
            StepClaim(workflow, step, subject, customer, invoice, status) for subject, customer, invoice in subjects
        ]
        return [subject for _, _, subject in self.claim_runs(cycle_date, claims)]

    def claim_runs(self, cycle_date: date, claims: Sequence[StepClaim]) -> dict[tuple[str, str, str], int]:
        if not claims:
            return {}
        rows = [
            {
                "workflow": c.workflow,
                "step": c.step,
                "subject": c.subject,
                "customer_id": c.customer_id,
                "invoice_id": c.invoice_id,
                "status": c.status,
                "cycle_date": cycle_date,
                "email_id": c.email_id,
                "task_id": c.task_id,
            }
            for c in claims
        ]
        # One statement per CLAIM_CHUNK rows (SQLAlchemy's "insertmanyvalues"), built once per dialect:
        # a first cycle on a large ledger skips tens of thousands of subjects in one step, and one
        # statement may carry at most 65,535 parameters on PostgreSQL (32,766 on SQLite).
        if self.dialect == "postgresql":
            r = t.step_runs
            statement = (
                postgresql.insert(r)
                .from_select(list(rows[0]), _unnest_rows(r, rows))
                .on_conflict_do_nothing(index_elements=["workflow", "step", "subject"])
                .returning(r.c.id, r.c.workflow, r.c.step, r.c.subject)
            )
            result = self.connection.execute(statement)
        else:
            result = self.connection.execute(_writes(self.dialect).claim, rows)
        return {(row.workflow, row.step, row.subject): int(row.id) for row in result}

    def reserve_ids(self, emails: int, tasks: int) -> tuple[list[int], list[int]] | None:
        if self.dialect != "postgresql":
            return None
        # The runs' references to the emails and tasks (DEFERRABLE, migration 0008) are checked at
        # commit, when the rows they name exist. Ids a lost claim leaves unused are only a gap.
        self.connection.execute(
            text("SET CONSTRAINTS fk_step_runs_email_id_emails, fk_step_runs_task_id_tasks DEFERRED")
        )
        reserved = self.connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('emails', 'id')) AS id, 'e' AS kind "
                "FROM generate_series(1, :emails) UNION ALL "
                "SELECT nextval(pg_get_serial_sequence('tasks', 'id')), 't' FROM generate_series(1, :tasks)"
            ),
            {"emails": emails, "tasks": tasks},
        ).all()
        return [int(r.id) for r in reserved if r.kind == "e"], [int(r.id) for r in reserved if r.kind == "t"]

    def link_runs_many(self, links: Sequence[RunLink]) -> None:
        if not links:
            return
        # By the runs' ids (the claim returned them): a primary-key lookup per run, where the
        # (workflow, step, subject) key cost three text comparisons in a wider index.
        if self.dialect == "postgresql":
            r = t.step_runs
            rows = [{"id": k.run_id, "email_id": k.email_id, "task_id": k.task_id} for k in links]
            v = _unnest_rows(r, rows).subquery("v")
            self.connection.execute(
                update(r).where(r.c.id == v.c.id).values(email_id=v.c.email_id, task_id=v.c.task_id)
            )
            return
        self.connection.execute(
            _writes(self.dialect).link,
            [{"l_run": k.run_id, "l_email": k.email_id, "l_task": k.task_id} for k in links],
        )

    def queue_email(self, email: NewEmail) -> int | None:
        return self.queue_emails([email])[0]

    def queue_emails(self, emails: Sequence[NewEmail]) -> list[int | None]:
        if not emails:
            return []
        _reserved([email.id for email in emails])
        rows = [
            {
                **_id_given(email.id),
                "customer_id": email.customer_id,
                "dedupe_key": email.dedupe_key,
                "to_addresses": json.dumps(list(email.to)),
                "subject": email.subject,
                "html": "",  # rendered when sent
                "text": "",
                "template": email.template,
                "context": email.context,
                "workflow": email.workflow,
                "step": email.step,
                "cycle_date": email.cycle_date,
                "message_id": email.message_id,
                "attach_invoice_id": email.attach_invoice_id,
                "next_attempt_at": email.queued_at,
                "created_at": email.queued_at,
                "updated_at": email.queued_at,
            }
            for email in emails
        ]
        # a dedupe key another run took returns no row: that email is not queued again
        if self.dialect == "postgresql":
            e = t.emails
            statement: Executable = (
                postgresql.insert(e)
                .from_select(list(rows[0]), _unnest_rows(e, rows))
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(e.c.id, e.c.dedupe_key)
            )
            result = self.connection.execute(statement)
        else:
            result = self.connection.execute(_writes(self.dialect).email, rows)
        ids = {row.dedupe_key: int(row.id) for row in result}
        tags = [
            {"email_id": ids[email.dedupe_key], "invoice_id": invoice_id}
            for email in emails
            if email.dedupe_key in ids
            for invoice_id in email.invoice_ids
        ]
        if tags:
            self._insert_pairs(t.email_invoices, "email_id", tags)
        return [ids.get(email.dedupe_key) for email in emails]

    def add_tasks(self, tasks: Sequence[Task]) -> list[int]:
        if not tasks:
            return []
        reserved = _reserved([task.id for task in tasks])
        rows = [{**_id_given(task.id), **SqlTasks._task_values(task), "created_by": None} for task in tasks]
        k = t.tasks
        if self.dialect == "postgresql" and reserved:
            self.connection.execute(insert(k).from_select(list(rows[0]), _unnest_rows(k, rows)))
            ids = reserved
        elif self.dialect == "postgresql":
            # One INSERT … SELECT: the ids come from the sequence in the arrays' order, so sorted
            # they are the tasks' ids in order (what SQLAlchemy's own sorted RETURNING relies on).
            statement = insert(k).from_select(list(rows[0]), _unnest_rows(k, rows)).returning(k.c.id)
            ids = sorted(int(row.id) for row in self.connection.execute(statement))
        else:
            ids = [int(row.id) for row in self.connection.execute(_writes(self.dialect).task, rows)]
        tags = [
            {"task_id": task_id, "invoice_id": invoice_id}
            for task_id, task in zip(ids, tasks, strict=True)
            for invoice_id in task.invoice_ids
        ]
        if tags:
            self._insert_pairs(t.task_invoices, "task_id", tags)
        return ids

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

    def record_all(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        if self.dialect == "postgresql":
            a = t.audit_log
            rows = [{name.removeprefix("audit_"): value for name, value in _audit_row(e).items()} for e in entries]
            self.connection.execute(insert(a).from_select(list(rows[0]), _unnest_rows(a, rows)))
            return
        self.connection.execute(_writes(self.dialect).audit, [_audit_row(entry) for entry in entries]).all()

    def due_emails(self, now: datetime, limit: int) -> list[OutboxEmail]:
        """Queued emails whose time has come, locked so that two workers never send the same one.

        On PostgreSQL, the transaction that takes them also commits without waiting for its WAL to
        reach the disk (`synchronous_commit = off` for this transaction only, set in the same round
        trip): a killed worker loses nothing by it; only a crash of the database server itself can
        lose the last fraction of a second of "sent" marks, and each email so lost goes once more."""
        return [
            OutboxEmail(
                row.id,
                row.customer_id,
                tuple(json.loads(row.to_addresses)),
                row.subject,
                row.template,
                row.context,
                row.html,
                row.text,
                row.message_id,
                row.attempts,
                row.attach_invoice_id,
            )
            for row in self.connection.execute(_outbox(self.dialect).due, {"now": now, "limit": limit})
        ]

    def mark_sent(self, email_id: int, at: datetime, entry: AuditEntry, body: Rendered | None = None) -> bool:
        """Mark a queued email sent (keeping the body rendered at send time) and write `entry` on
        the audit log: one round trip on PostgreSQL. False (and no entry) if the email was not
        queued any more."""
        statements = _outbox(self.dialect)
        params = {
            "email_id": email_id,
            "marked_at": at,
            "sent_html": body.html if body else None,
            "sent_text": body.text if body else None,
            **_audit_row(entry),
        }
        if statements.sent_and_audit is not None:
            return len(self.connection.execute(statements.sent_and_audit, params).all()) == 1
        if self.connection.execute(statements.sent, params).rowcount != 1:
            return False
        self.connection.execute(statements.audit, params)
        return True

    def mark_retry(self, email_id: int, attempts: int, next_at: datetime, error: str) -> None:
        e = t.emails
        self.connection.execute(
            update(e)
            .where(e.c.id == email_id)
            .values(
                attempts=attempts, next_attempt_at=next_at, last_error=error[:2000], updated_at=func.current_timestamp()
            )
        )

    def mark_failed(self, email_id: int, attempts: int, error: str, at: datetime) -> None:
        e = t.emails
        self.connection.execute(
            update(e)
            .where(e.c.id == email_id)
            .values(status="failed", attempts=attempts, last_error=error[:2000], updated_at=at)
        )

    # -- cycles and workflow files -------------------------------------------------------------------

    def start_cycle(self, as_of: date, at: datetime, dry_run: bool) -> int:
        c = t.cycle_runs
        return int(
            self.connection.execute(
                insert(c).values(as_of=as_of, started_at=at, dry_run=dry_run).returning(c.c.id)
            ).scalar_one()
        )

    def finish_cycle(self, run_id: int, at: datetime, summary: str) -> None:
        c = t.cycle_runs
        self.connection.execute(update(c).where(c.c.id == run_id).values(finished_at=at, summary=summary))

    def last_cycle_day(self) -> date | None:
        """The latest day a real (not dry) cycle finished for."""
        c = t.cycle_runs
        value = self.connection.execute(
            select(func.max(c.c.as_of)).where(c.c.dry_run == false(), c.c.finished_at.is_not(None))
        ).scalar()
        return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))

    def workflow_source(self) -> str | None:
        w = t.workflow_files
        value = self.connection.execute(select(w.c.source).order_by(w.c.id.desc()).limit(1)).scalar()
        return None if value is None else str(value)

    def save_workflow_source(self, source: str, by: int | None) -> None:
        self.connection.execute(insert(t.workflow_files).values(source=source, updated_by=by))
