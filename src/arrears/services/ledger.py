"""Ledger records written and read one by one or in batches (the API), rather than as whole files.

A write goes through `imports.write_rows`, the very same parsing, checks, locks, upsert and audit as
`arrears import`, so the API and the files can never disagree on what a valid invoice is. Errors come
back as ImportRejected, numbered by row of the request (1 = the first row; 0 = the columns as a whole).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..domain.audit import Actor, ActorKind
from ..domain.errors import InvalidValue, NotFound
from ..domain.permissions import Action, require
from ..domain.records import check_header
from ..domain.users import User
from .imports import ErrorReport, ImportRejected, ImportSummary, Row, write_rows
from .ports import AuditStamp, UnitOfWork
from .workspace_ports import LedgerRecord, Page

# The kinds that the API reads and writes record by record, each by its external id.
LEDGER_KINDS: tuple[str, ...] = ("customers", "contacts", "invoices", "payments", "credit-notes")
MAX_ROWS = 10_000
MAX_PAGE = 500
SINGULAR = {
    "customers": "customer",
    "contacts": "contact",
    "invoices": "invoice",
    "payments": "payment",
    "credit-notes": "credit note",
}


def _check_kind(kind: str) -> None:
    if kind not in LEDGER_KINDS:
        raise InvalidValue(f"{kind!r} is not a kind of ledger record: use one of {', '.join(LEDGER_KINDS)}")


def _rows(rows: Sequence[Mapping[str, str]], report: ErrorReport) -> tuple[list[str], list[Row]]:
    """The columns of a batch (every key, in first-seen order) and its rows numbered from 1, a key a
    row lacks being an empty value, as a cell of a CSV file would be. Text that cannot be stored (a lone
    surrogate) is reported against its row."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    numbered: list[Row] = []
    for number, row in enumerate(rows, start=1):
        fields = {column: row.get(column, "") for column in columns}
        for column, value in fields.items():
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    report.add(number, column, "is not valid Unicode text")
        numbered.append((number, fields))
    return columns, numbered


def upsert_rows(
    uow: UnitOfWork, user: User, kind: str, rows: Sequence[Mapping[str, str]], source: str
) -> ImportSummary:
    """Create or update ledger records by external id, all or nothing, with the CSV import's rules
    (`imports.write_rows`); errors are numbered by row of the request (1 = the first; 0 = the columns).

    `rows` are CSV rows (column -> text). A column that no row has keeps its stored values; a column
    that some rows have is an empty value (a cleared value) in the others, as in a CSV file.
    """
    require(user, Action.WRITE_LEDGER)
    actor = Actor(ActorKind.IMPORT, user.id, user.name)
    return _write(uow, kind, rows, source, AuditStamp(uow.clock.now(), actor, f"API, {source}"))


def record_payments(uow: UnitOfWork, actor: Actor, origin: str, rows: Sequence[Mapping[str, str]]) -> ImportSummary:
    """Record payments that arrive from a system rather than a person (a payment provider's event,
    applied from the inbox): the same rules, locks and audit as any ledger write, on behalf of
    `actor` through `origin` (e.g. the provider's event id). Rows are as `upsert_rows` takes them.
    Written inside the caller's open unit of work, which commits them with the rest of the event's
    effects (or rolls all of it back)."""
    stamp = AuditStamp(uow.clock.now(), actor, origin)
    return _write(uow, "payments", rows, origin, stamp, in_transaction=True)


def record_credit_notes(uow: UnitOfWork, actor: Actor, origin: str, rows: Sequence[Mapping[str, str]]) -> ImportSummary:
    """Record credit notes that a use case decides on (a dispute resolved with a credit note or a
    write-off): the import's rules, customer locks and audit, on behalf of `actor` through `origin`
    (e.g. "dispute 7"), inside the caller's open unit of work, which commits them with its own
    writes. Rows as `upsert_rows` takes them; the same external id written again changes nothing."""
    stamp = AuditStamp(uow.clock.now(), actor, origin)
    return _write(uow, "credit-notes", rows, origin, stamp, in_transaction=True)


def enter_score(
    uow: UnitOfWork, user: User, customer_external_id: str, score: int, *, max_score: int | None, on: str, source: str
) -> ImportSummary:
    """A credit score entered by hand (a bureau's report read on the phone, an agency's letter): a
    `credit-scores` row written as the import writes one (checks, lock, audit); the same customer,
    date and source again replaces it. The source `arrears` is Arrears' own (refused)."""
    require(user, Action.WRITE_LEDGER)
    if source.strip().casefold() == "arrears":
        raise InvalidValue("the source 'arrears' is the behavioural score Arrears computes: name the bureau or agency")
    row = {"customer_external_id": customer_external_id, "date": on, "score": str(score), "source": source}
    if max_score is not None:
        row["max_score"] = str(max_score)
    actor = Actor.of(user)
    stamp = AuditStamp(uow.clock.now(), actor, f"entered by {actor.name}")
    return _write(uow, "credit-scores", [row], "entered", stamp, kinds=(*LEDGER_KINDS, "credit-scores"))


def _write(
    uow: UnitOfWork,
    kind: str,
    rows: Sequence[Mapping[str, str]],
    source: str,
    stamp: AuditStamp,
    *,
    in_transaction: bool = False,
    kinds: tuple[str, ...] = LEDGER_KINDS,
) -> ImportSummary:
    if kind not in kinds:
        _check_kind(kind)
    if not rows:
        raise InvalidValue("give at least one row")
    if len(rows) > MAX_ROWS:
        raise InvalidValue(f"at most {MAX_ROWS:,} rows at once; split the batch")
    report = ErrorReport(source)
    columns, numbered = _rows(rows, report)
    for problem in check_header(kind, columns, ignore_unknown=False, hint=False):
        report.add(0, problem.column, problem.reason)
    if report.total:
        raise ImportRejected(report)
    key = "external_id" if kind == "customers" else "customer_external_id"
    wanted = {fields[key].strip() for _, fields in numbered if fields is not None and fields.get(key)}
    return write_rows(
        uow, kind, columns, iter(numbered), report, stamp, customers_wanted=wanted, in_transaction=in_transaction
    )


def put_record(
    uow: UnitOfWork, user: User, kind: str, external_id: str, row: Mapping[str, str], source: str
) -> tuple[bool, LedgerRecord]:
    """Create or update one record; returns whether it was created, and the record as stored.

    The external id is trimmed, as the import trims every value ("C1 " is customer "C1")."""
    external_id = external_id.strip()
    full = {"external_id": external_id, **{k: v for k, v in row.items() if k != "external_id"}}
    summary = upsert_rows(uow, user, kind, [full], source)
    customer = ((row.get("customer_external_id") or "").strip() or None) if kind == "contacts" else None
    return summary.counts.created > 0, get_record(uow, user, kind, external_id, customer_external_id=customer)


def get_record(
    uow: UnitOfWork, user: User, kind: str, external_id: str, *, customer_external_id: str | None = None
) -> LedgerRecord:
    """One record by external id (contacts: the first with that id, or the one of that customer)."""
    require(user, Action.READ)
    _check_kind(kind)
    with uow:
        page = uow.ledger.ledger_records(kind, 1, 0, external_id=external_id, customer_external_id=customer_external_id)
    if not page.items:
        raise NotFound(f"no {SINGULAR[kind]} with external id {external_id!r}")
    record: LedgerRecord = page.items[0]
    return record


def list_records(
    uow: UnitOfWork,
    user: User,
    kind: str,
    *,
    customer_external_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """One page of records of `kind` by external id (contacts: by customer), optionally of one customer."""
    require(user, Action.READ)
    _check_kind(kind)
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidValue(f"limit must be 1 to {MAX_PAGE} and offset zero or more")
    with uow:
        return uow.ledger.ledger_records(kind, limit, offset, customer_external_id=customer_external_id)
