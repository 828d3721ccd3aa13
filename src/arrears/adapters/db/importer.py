"""The set-based half of a CSV import: stage parsed rows in a temporary table, check them with SQL,
then upsert them in one statement per file.

Staging uses the fastest bulk path of each backend (COPY on PostgreSQL, executemany on SQLite), and
every check and write after it is one SQL statement over the staged rows: nothing goes through ORM
objects one by one, so a million-row file costs a few statements, not a million round trips.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    MetaData,
    Select,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ...domain.money import format_minor
from ...domain.records import Lookups
from ...services.ports import AuditStamp, ImportCounts, RowProblem
from . import tables as t
from .import_audit import record_changes, tie_entries_to_new_customers
from .import_kinds import KINDS, LOCKING_KINDS, Field
from .locks import lock_customers
from .receivables import invoice_status, outstanding

# The staging tables, one definition per kind, made once per process: a statement over the same Table
# object is compiled once and then found in SQLAlchemy's cache (a new table per import made every
# statement of a one-row API write compile afresh: most of its time). Each is a temporary table of
# the connection's session, dropped before it is made again, so two imports never meet: a session is
# one connection, and its imports run one after the other.
_STAGING = MetaData()


def _temporary(name: str, *columns: Column[Any]) -> Table:
    """The temporary table `name`, defined once (the columns of a later call are those of the first)."""
    if name in _STAGING.tables:
        return _STAGING.tables[name]
    return Table(name, _STAGING, *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP", keep_existing=True)


def _fresh(connection: Connection, table: Table) -> None:
    """Make the temporary table anew in this session (an earlier import's, if any, goes first:
    SQLite keeps a session's temporary tables past the commit)."""
    schema = "temp." if connection.dialect.name == "sqlite" else ""
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}{table.name}")
    table.create(connection)


# Staged rows from which the planner is told about them (ANALYZE): a few rows need no statistics.
ANALYZE_FROM = 1_000


def _money(minor: int, currency: str) -> str:
    return f"{format_minor(minor, currency)} {currency}"


class SqlImportBatch:
    """ImportBatch on a SQLAlchemy connection, inside the unit of work's transaction."""

    def __init__(
        self, connection: Connection, kind: str, columns: frozenset[str], changed: set[int] | None = None
    ) -> None:
        self.connection = connection
        self.changed: set[int] = set() if changed is None else changed  # customers whose balances move
        self.kind_name = kind
        self.kind = KINDS[kind]
        self.columns = columns
        self.dialect = connection.dialect.name
        # Fields filled from the parsed record, in record order (invoice_id is resolved later).
        self.record_fields = [f for f in self.kind.fields if f.name != "invoice_id"]
        self.staging = _temporary(
            f"staging_{kind.replace('-', '_')}",
            Column("line", Integer, nullable=False),
            *(Column(f.name, f.type) for f in self.kind.fields),
        )
        _fresh(connection, self.staging)
        self.staged = 0
        self._affected: Table | None = None

    # -- loading ---------------------------------------------------------------------------------

    def lookups(self, customers_wanted: Collection[str] | None = None) -> Lookups:
        c = t.customers
        query = select(c.c.external_id, c.c.id, c.c.currency)
        if customers_wanted is not None:  # a few rows (an API call): not the whole customers table
            query = query.where(c.c.external_id.in_(sorted(customers_wanted)))
        customers = {row.external_id: (row.id, row.currency) for row in self.connection.execute(query)}
        users = {row.name: row.id for row in self.connection.execute(select(t.users.c.name, t.users.c.id))}
        return Lookups(customers, users)

    def stage(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.staged += len(rows)
        names = ["line", *(f.name for f in self.record_fields)]
        raw: Any = self.connection.connection.dbapi_connection
        if self.dialect == "postgresql":
            sql = f"COPY {self.staging.name} ({', '.join(names)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(names))
            cursor = raw.cursor()
            cursor.executemany(
                f"INSERT INTO {self.staging.name} ({', '.join(names)}) VALUES ({marks})",
                [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows],
            )
            cursor.close()

    def _prepare(self) -> None:
        """Index the staged rows and resolve invoice references, once everything is staged."""
        s = self.staging
        # In DDL text, not an Index object: one would stay on the shared Table and be made with it next time.
        self.connection.exec_driver_sql(f"CREATE INDEX ix_{s.name}_key ON {s.name} ({', '.join(self.kind.key)})")
        if "invoice_id" in s.c and "invoice_external_id" in self.columns:
            self.connection.execute(
                update(s)
                .values(
                    invoice_id=select(t.invoices.c.id)
                    .where(t.invoices.c.external_id == s.c.invoice_external_id)
                    .scalar_subquery()
                )
                .where(s.c.invoice_external_id.is_not(None))
            )
        elif "invoice_id" in s.c:  # a file without the column keeps each row's allocation: check against it
            stored = self.kind.table
            self.connection.execute(
                update(s).values(
                    invoice_id=select(stored.c.invoice_id)
                    .where(stored.c.external_id == s.c.external_id)
                    .scalar_subquery()
                )
            )
        if self.dialect == "postgresql" and self.staged > ANALYZE_FROM:
            self.connection.exec_driver_sql(f"ANALYZE {s.name}")

    # -- checks ----------------------------------------------------------------------------------

    def problems_before(self) -> Iterator[RowProblem]:
        self._prepare()
        self._lock_customers()
        yield from self._repeated_keys()
        if self.kind_name == "customers":
            yield from self._currency_changes()
        if self.kind_name == "invoices":
            yield from self._invoices_changing_customer()
            if "status" in self.columns:
                yield from self._voiding_invoices_with_allocations()
        if "invoice_id" in self.staging.c:
            yield from self._bad_invoice_references()

    def _lock_customers(self) -> None:
        """Serialise this write with every other write to the same customers' ledgers.

        On PostgreSQL each customer whose ledger the file touches (the customer of each row, and the
        one a stored row belongs to now) is locked, in id order so that two writers never deadlock,
        before anything is checked or written: a concurrent write to those customers waits for this
        transaction to end, and this one reads what the other committed. Checks, allocation limits and
        the stored totals are therefore computed on a ledger that cannot move under them. (`FOR NO KEY
        UPDATE`: rows that merely reference a customer, as tasks and emails do, can still be written.)
        SQLite runs one writer at a time (`BEGIN IMMEDIATE`), so it needs nothing more.
        """
        if self.dialect != "postgresql" or self.kind_name not in LOCKING_KINDS:
            return
        self.connection.execute(lock_customers(self._customers_touched()))
        if self.kind_name in ("payments", "credit-notes"):
            # Again, for a payment or credit note that another writer moved to another customer while
            # this one waited (an invoice never changes customer, a customer is its own row).
            self.connection.execute(lock_customers(self._customers_touched()))

    def _customers_touched(self) -> Select[Any] | CompoundSelect[Any]:
        s, target, c = self.staging, self.kind.table, t.customers
        if self.kind_name == "customers":
            return select(c.c.id).join(s, s.c.external_id == c.c.external_id)
        match = and_(*(target.c[k] == s.c[k] for k in self.kind.key))
        return select(s.c.customer_id).union(select(target.c.customer_id).join(s, match))

    def _repeated_keys(self) -> Iterator[RowProblem]:
        s = self.staging
        key = [s.c[k] for k in self.kind.key]
        first = select(*key, func.min(s.c.line).label("first_line")).group_by(*key).having(func.count() > 1).subquery()
        query = (
            select(s.c.line, first.c.first_line)
            .join(first, and_(*(s.c[k] == first.c[k] for k in self.kind.key)))
            .where(s.c.line > first.c.first_line)
            .order_by(s.c.line)
        )
        column = {"contacts": "name", "credit-scores": "date"}.get(self.kind_name, "external_id")
        for line, first_line in self.connection.execute(query):
            yield RowProblem(line, column, f"the same {self.kind.key_label} is already on line {first_line}")

    def _currency_changes(self) -> Iterator[RowProblem]:
        s, c, i = self.staging, t.customers, t.invoices
        if "currency" not in self.columns:
            return
        query = (
            select(s.c.line, c.c.currency, s.c.currency.label("new"))
            .join(c, c.c.external_id == s.c.external_id)
            .where(
                c.c.currency != s.c.currency,
                or_(*(exists().where(table.c.customer_id == c.c.id) for table in (i, t.payments, t.credit_notes))),
            )
            .order_by(s.c.line)
        )
        for line, old, new in self.connection.execute(query):
            yield RowProblem(
                line,
                "currency",
                f"the customer already has invoices, payments or credit notes in {old}; it cannot change to {new}",
            )

    def _invoices_changing_customer(self) -> Iterator[RowProblem]:
        s, i, c = self.staging, t.invoices, t.customers
        query = (
            select(s.c.line, c.c.external_id)
            .join(i, i.c.external_id == s.c.external_id)
            .join(c, c.c.id == i.c.customer_id)
            .where(i.c.customer_id != s.c.customer_id)
            .order_by(s.c.line)
        )
        for line, owner in self.connection.execute(query):
            yield RowProblem(line, "customer_external_id", f"the invoice belongs to customer {owner!r}; it cannot move")

    def _voiding_invoices_with_allocations(self) -> Iterator[RowProblem]:
        """A void invoice is out of aging: cash or credit still on it would vanish from the ledger."""
        s, i = self.staging, t.invoices
        allocated = i.c.paid_minor + i.c.credited_minor
        query = (
            select(s.c.line, i.c.external_id, i.c.currency, allocated)
            .join(i, i.c.external_id == s.c.external_id)
            .where(s.c.is_void == true(), allocated > 0)
            .order_by(s.c.line)
        )
        for line, ref, currency, minor in self.connection.execute(query):
            yield RowProblem(
                line,
                "status",
                f"invoice {ref!r} has {_money(minor, currency)} paid or credited on it; "
                "move those payments and credit notes off it before voiding it",
            )

    def _bad_invoice_references(self) -> Iterator[RowProblem]:
        s, i, c = self.staging, t.invoices, t.customers
        column = "invoice_external_id"
        unknown = select(s.c.line, s.c.invoice_external_id).where(
            s.c.invoice_external_id.is_not(None), s.c.invoice_id.is_(None)
        )
        for line, ref in self.connection.execute(unknown.order_by(s.c.line)):
            yield RowProblem(line, column, f"no invoice with external id {ref!r}: import it in the invoices file first")
        wrong = (
            select(s.c.line, i.c.external_id, c.c.external_id.label("owner"), i.c.is_void)
            .join(i, i.c.id == s.c.invoice_id)
            .join(c, c.c.id == i.c.customer_id)
            .where(or_(i.c.customer_id != s.c.customer_id, i.c.is_void == true()))
            .order_by(s.c.line)
        )
        for line, ref, owner, is_void in self.connection.execute(wrong):
            if is_void:
                yield RowProblem(line, column, f"invoice {ref!r} is void; nothing can be allocated to it")
            else:
                yield RowProblem(
                    line, column, f"invoice {ref!r} belongs to customer {owner!r}, not to this row's customer"
                )

    # -- writing ---------------------------------------------------------------------------------

    def _present(self, f: Field) -> bool:
        return f.target is not None and (f.source is None or f.source in self.columns)

    def apply(self, stamp: AuditStamp) -> ImportCounts:
        s, target = self.staging, self.kind.table
        if self.kind_name == "contacts":
            self._adopt_external_ids()
        if "invoice_id" in s.c:
            self._remember_affected_invoices()
        match = and_(*(target.c[k] == s.c[k] for k in self.kind.key))
        updates = [f for f in self.kind.fields if self._present(f) and f.name not in self.kind.key]
        changed = or_(*(target.c[f.target].is_distinct_from(s.c[f.name]) for f in updates if f.target))
        total, matched, updated = self.connection.execute(
            select(
                func.count(),
                func.count(target.c.id),
                func.coalesce(func.sum(case((and_(target.c.id.is_not(None), changed), 1), else_=0)), 0),
            ).select_from(s.outerjoin(target, match))
        ).one()
        first_entry = (
            record_changes(self.connection, self.kind_name, self.staging, stamp, match, updates, changed)
            if total - matched + updated
            else None
        )

        inserted = [f for f in self.kind.fields if f.target is not None]
        values: list[ColumnElement[Any]] = [s.c[f.name] for f in inserted]
        names: list[str] = [f.target for f in inserted if f.target]
        if self.kind_name == "invoices":
            names.append("status")
            values.append(case((s.c.is_void == true(), literal("void")), else_=literal("open")))
        insert = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(target)
        statement = insert.from_select(names, select(*values).where(true()))
        excluded = statement.excluded
        set_: dict[str, Any] = {f.target: excluded[f.target] for f in updates if f.target}
        set_["updated_at"] = func.now() if self.dialect == "postgresql" else func.current_timestamp()
        if self.kind_name == "invoices":
            i = t.invoices
            is_void = excluded.is_void if "status" in self.columns else i.c.is_void
            set_["status"] = invoice_status(
                is_void, excluded.amount_minor, i.c.paid_minor, i.c.credited_minor, i.c.written_off_minor
            )
        where: ColumnElement[bool] = or_(
            *(target.c[name].is_distinct_from(excluded[name]) for name in set_ if name not in ("updated_at", "status"))
        )
        if self._affected is not None and self.dialect == "postgresql":
            # Move an allocation only off an invoice this write refreshes: a row that another writer
            # inserted meanwhile (for another customer) stays as it is, and `problems_after` says so.
            where = and_(
                where, or_(target.c.invoice_id.is_(None), target.c.invoice_id.in_(select(self._affected.c.id)))
            )
        self.connection.execute(
            statement.on_conflict_do_update(index_elements=list(self.kind.key), set_=set_, where=where)
        )
        if self._affected is not None:
            self._refresh_invoices()
        if first_entry is not None and self.kind_name == "customers":  # new customers have an id now
            tie_entries_to_new_customers(self.connection, first_entry, stamp)
        self._note_changed()
        return ImportCounts(created=total - matched, updated=updated, unchanged=matched - updated)

    def _note_changed(self) -> None:
        """The customers of this file, whose balances the unit of work refreshes as it commits
        (contacts and credit scores move no balance)."""
        if self.kind_name in ("contacts", "credit-scores"):
            return
        s = self.staging
        if self.kind_name == "customers":
            ids = select(t.customers.c.id).join(s, s.c.external_id == t.customers.c.external_id)
        else:
            ids = select(s.c.customer_id).distinct()
        self.changed.update(self.connection.execute(ids).scalars())

    def _adopt_external_ids(self) -> None:
        """A contact imported by name alone, and now with an external id, is the same person: re-key it
        (unless that id is already taken), so that the upsert updates it instead of adding a twin."""
        s, k = self.staging, t.contacts
        taken = k.alias("taken")
        new_key = (
            select(s.c.contact_key)
            .where(s.c.customer_id == k.c.customer_id, s.c.name_key == k.c.contact_key, s.c.external_id.is_not(None))
            .order_by(s.c.line)
            .limit(1)
            .scalar_subquery()
        )
        self.connection.execute(
            update(k)
            .values(contact_key=new_key)
            .where(
                k.c.external_id.is_(None),
                new_key.is_not(None),
                ~exists().where(taken.c.customer_id == k.c.customer_id, taken.c.contact_key == new_key),
            )
        )

    def _written_meanwhile(self) -> Iterator[RowProblem]:
        """Rows that another writer created at the same moment as this one, for another customer's
        invoice: this write did not overwrite them (it could not refresh that invoice), so it fails
        whole, and sending it again applies it."""
        if self._affected is None or self.dialect != "postgresql":
            return
        s, cash = self.staging, self.kind.table
        query = (
            select(s.c.line)
            .join(cash, cash.c.external_id == s.c.external_id)
            .where(cash.c.invoice_id.is_not(None), cash.c.invoice_id.not_in(select(self._affected.c.id)))
            .order_by(s.c.line)
        )
        for (line,) in self.connection.execute(query):
            yield RowProblem(
                line,
                "external_id",
                "was written by another import at the same moment; nothing was imported: send it again",
            )

    def _remember_affected_invoices(self) -> None:
        """Invoices whose paid or credited amount this file can change: the ones it allocates to,
        and the ones its rows were allocated to before (an allocation can move)."""
        s, target = self.staging, self.kind.table
        self._affected = _temporary(f"{s.name}_invoices", Column("id", Integer, primary_key=True))
        _fresh(self.connection, self._affected)
        new = select(s.c.invoice_id).where(s.c.invoice_id.is_not(None))
        old = (
            select(target.c.invoice_id)
            .join(s, s.c.external_id == target.c.external_id)
            .where(target.c.invoice_id.is_not(None))
        )
        self.connection.execute(self._affected.insert().from_select(["id"], new.union(old)))

    def _refresh_invoices(self) -> None:
        assert self._affected is not None
        i, p, cn = t.invoices, t.payments, t.credit_notes
        affected = select(self._affected.c.id)
        paid = select(func.coalesce(func.sum(p.c.amount_minor), 0)).where(p.c.invoice_id == i.c.id).scalar_subquery()
        credited = (
            select(func.coalesce(func.sum(cn.c.amount_minor), 0)).where(cn.c.invoice_id == i.c.id).scalar_subquery()
        )
        self.connection.execute(update(i).values(paid_minor=paid, credited_minor=credited).where(i.c.id.in_(affected)))
        status = invoice_status(
            i.c.is_void, i.c.amount_minor, i.c.paid_minor, i.c.credited_minor, i.c.written_off_minor
        )
        self.connection.execute(update(i).values(status=status).where(i.c.id.in_(affected), i.c.status != status))

    # -- a complete file: an ERP's full sync of its customers' invoices ------------------------------

    def _absent(self) -> Select[Any]:
        """The open invoices of this file's customers that the file does not list, with the first line
        of their customer in the file."""
        s, i, c = self.staging, t.invoices, t.customers
        first_line = select(func.min(s.c.line)).where(s.c.customer_id == i.c.customer_id).scalar_subquery()
        return (
            select(
                i.c.id,
                i.c.external_id,
                i.c.customer_id,
                c.c.external_id.label("customer"),
                i.c.currency,
                (i.c.paid_minor + i.c.credited_minor).label("allocated"),
                first_line.label("line"),
            )
            .join(c, c.c.id == i.c.customer_id)
            .where(
                i.c.customer_id.in_(select(s.c.customer_id)),
                i.c.status == "open",
                ~exists().where(s.c.external_id == i.c.external_id),
            )
            .order_by(first_line, i.c.external_id)
        )

    def absent_problems(self) -> Iterator[RowProblem]:
        assert self.kind_name == "invoices"
        absent = self._absent().subquery()
        query = select(absent).where(absent.c.allocated > 0).order_by(absent.c.line, absent.c.external_id)
        for row in self.connection.execute(query):
            yield RowProblem(
                row.line,
                "customer_external_id",
                f"invoice {row.external_id!r} of customer {row.customer!r} is not in this complete file but has "
                f"{_money(row.allocated, row.currency)} paid or credited on it: list it in the file, or move those "
                "payments and credit notes off it, before closing it",
            )

    def close_absent(self, stamp: AuditStamp) -> list[str]:
        assert self.kind_name == "invoices"
        i, a = t.invoices, t.audit_log
        absent = list(self.connection.execute(self._absent()))
        if not absent:
            return []
        ids = [row.id for row in absent]
        now = func.now() if self.dialect == "postgresql" else func.current_timestamp()
        for start in range(0, len(ids), 10_000):
            chunk = ids[start : start + 10_000]
            self.connection.execute(
                update(i).values(is_void=True, status="void", updated_at=now).where(i.c.id.in_(chunk))
            )
        entries = [
            {
                "at": stamp.at,
                "actor_kind": stamp.actor.kind.value,
                "actor_id": stamp.actor.user_id,
                "actor_name": stamp.actor.name,
                "entity": "invoice",
                "entity_id": row.external_id,
                "customer_id": row.customer_id,
                "action": "closed",
                "summary": f"{stamp.origin}: invoice {row.external_id} closed as void: "
                "not in the complete file of its customer's invoices",
                "changes": json.dumps({"status": ["open", "void"]}),
            }
            for row in absent
        ]
        self.connection.execute(insert(a), entries)
        self.changed.update(row.customer_id for row in absent)
        return [row.external_id for row in absent]

    def problems_after(self) -> Iterator[RowProblem]:
        s, i = self.staging, t.invoices
        if self.kind_name not in ("invoices", "payments", "credit-notes"):
            return
        yield from self._written_meanwhile()
        allocated = i.c.paid_minor + i.c.credited_minor + i.c.written_off_minor
        if self.kind_name == "invoices":
            rows = s.join(i, s.c.external_id == i.c.external_id)
        else:  # the allocation as stored now: a file without invoice_external_id keeps the one it had
            cash = self.kind.table
            rows = s.join(cash, cash.c.external_id == s.c.external_id).join(i, i.c.id == cash.c.invoice_id)
        query = (
            select(s.c.line, i.c.external_id, i.c.currency, i.c.amount_minor, allocated.label("allocated"))
            .select_from(rows)
            .where(outstanding(i) < 0)  # allocated above its amount
            .order_by(s.c.line)
        )
        for line, ref, currency, amount, total in self.connection.execute(query):
            if self.kind_name == "invoices":
                yield RowProblem(
                    line,
                    "amount",
                    f"{format_minor(amount, currency)} is below the {_money(total, currency)} "
                    "already paid or credited on it",
                )
            else:
                yield RowProblem(
                    line,
                    "amount",
                    f"allocates more than invoice {ref!r} has outstanding: its amount is {_money(amount, currency)} "
                    f"and its payments and credits would total {_money(total, currency)}",
                )
