"""Import a CSV file of one kind into the ledger: streamed, validated, all-or-nothing, idempotent.

The file is read line by line (memory does not grow with it); each row is parsed by the domain;
good rows go to the adapter in batches; checks that need the whole file or the database run as
set-based queries. Any error rolls everything back and is reported with file, line, column, reason.
"""

from __future__ import annotations

import csv
import heapq
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..domain.audit import Actor, ActorKind
from ..domain.errors import ArrearsError
from ..domain.permissions import Action, require
from ..domain.records import COLUMNS, KINDS, PARSERS, check_header
from ..domain.users import TERMINAL, User
from .ports import AuditStamp, ImportCounts, RowProblem, UnitOfWork

BATCH_SIZE = 5_000
# Files imported from the command line: the terminal holds the database, so it is the author.
TERMINAL_IMPORT = Actor(ActorKind.IMPORT, None, TERMINAL.name)
SHOWN_ERRORS = 50
SHOWN_CLOSED = 20  # the closed invoices a summary sentence names (JSON lists them all)

Progress = Callable[[int], None]  # called with the number of bytes read so far


@dataclass(frozen=True, slots=True, order=True)
class RowError:
    line: int
    column: str
    reason: str


@dataclass
class ErrorReport:
    """Every error of a file, counted; the first SHOWN_ERRORS by line kept in full."""

    filename: str
    total: int = 0
    _kept: list[tuple[int, int, RowError]] = field(default_factory=list)  # max-heap on (line, order)

    def add(self, line: int, column: str, reason: str) -> None:
        self.total += 1
        item = (-line, -self.total, RowError(line, column, reason))
        if len(self._kept) < SHOWN_ERRORS:
            heapq.heappush(self._kept, item)
        elif item > self._kept[0]:
            heapq.heapreplace(self._kept, item)

    @property
    def shown(self) -> list[RowError]:
        return [error for _, _, error in sorted(self._kept, key=lambda item: (-item[0], -item[1]))]

    def lines(self) -> list[str]:
        out = []
        for error in self.shown:
            where = f"{self.filename}:{error.line}"
            out.append(
                f"{where}: column {error.column!r}: {error.reason}" if error.column else f"{where}: {error.reason}"
            )
        if self.total > len(self._kept):
            out.append(f"... and {self.total - len(self._kept):,} more errors (the first {len(self._kept)} are shown)")
        return out


class ImportRejected(ArrearsError):
    """The file broke at least one rule; nothing of it was written."""

    code = "import_rejected"

    def __init__(self, report: ErrorReport) -> None:
        self.report = report
        noun = "error" if report.total == 1 else "errors"
        header = f"{report.filename}: rejected with {report.total:,} {noun}; nothing was imported"
        super().__init__("\n".join([header, *report.lines()]))


@dataclass(frozen=True, slots=True)
class ImportSummary:
    kind: str
    filename: str
    rows: int
    counts: ImportCounts
    dry_run: bool
    complete: bool = False  # a complete file: what it leaves out of its customers' invoices is closed
    closed: tuple[str, ...] = ()  # the external ids of the invoices a complete file closed

    def sentence(self) -> str:
        c = self.counts
        tail = " (dry run: nothing was written)" if self.dry_run else ""
        closed = ""
        if self.complete:
            shown = ", ".join(self.closed[:SHOWN_CLOSED])
            more = f" and {len(self.closed) - SHOWN_CLOSED:,} more" if len(self.closed) > SHOWN_CLOSED else ""
            closed = f", {len(self.closed):,} closed as not in the file" + (f" ({shown}{more})" if shown else "")
        return (
            f"{self.filename}: {self.rows:,} {self.kind} rows: {c.created:,} created, "
            f"{c.updated:,} updated, {c.unchanged:,} unchanged{closed}{tail}"
        )


def _decoded_lines(source: BinaryIO, undecodable: dict[int, str], progress: Progress | None) -> Iterator[str]:
    """The file's lines as text; a line that is not UTF-8 is read with replacements and its line number
    and reason kept in `undecodable`, for the caller to report with the column that holds the bad bytes."""
    done = 0
    for number, raw in enumerate(source, start=1):
        done += len(raw)
        if progress is not None and number % 2048 == 0:
            progress(done)
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # the byte-order mark that spreadsheet programs write
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            undecodable[number] = (
                f"is not UTF-8 text (byte 0x{raw[error.start]:02x} at position {error.start + 1}); "
                "save the file as UTF-8"
            )
            yield raw.decode("utf-8", errors="replace")
    if progress is not None:
        progress(done)


def import_csv(
    uow: UnitOfWork,
    kind: str,
    source: BinaryIO,
    filename: str,
    *,
    dry_run: bool = False,
    ignore_unknown: bool = False,
    progress: Progress | None = None,
    actor: Actor = TERMINAL_IMPORT,
    origin: str | None = None,
    complete: bool = False,
) -> ImportSummary:
    """Import one file; returns what was created, updated and left unchanged, or raises ImportRejected.

    Every row added or changed is audited on its customer's timeline as written by `actor` through
    `origin` (default: the file's name). `complete` (invoices only): the file is the whole list of
    its customers' invoices, as an ERP's full sync sends it; their open invoices that it does not list
    are closed as void, in the same transaction (`write_rows`)."""
    if kind not in KINDS:
        raise ArrearsError(f"{kind!r} is not a kind of import: use one of {', '.join(KINDS)}")
    if complete and kind != "invoices":
        raise ArrearsError("a complete import is for invoices: their customers' open invoices not in the file close")
    report = ErrorReport(filename)
    undecodable: dict[int, str] = {}
    reader = csv.reader(_decoded_lines(source, undecodable, progress), strict=True)
    try:
        header = [column.strip() for column in next(reader)]
        _report_undecodable(report, undecodable, range(1, reader.line_num + 1), [], [])
    except StopIteration:
        required = ", ".join(COLUMNS[kind][0])
        report.add(1, "", f"the file is empty: expected a header row with at least {required}")
        raise ImportRejected(report) from None
    except csv.Error as error:
        report.add(1, "", f"the header is not valid CSV: {error}")
        raise ImportRejected(report) from None
    for problem in check_header(kind, header, ignore_unknown=ignore_unknown):
        report.add(1, problem.column, problem.reason)
    if report.total:
        raise ImportRejected(report)

    rows = _csv_rows(reader, header, report, undecodable)
    stamp = AuditStamp(uow.clock.now(), actor, origin or filename)
    return write_rows(
        uow,
        kind,
        header,
        rows,
        report,
        stamp,
        dry_run=dry_run,
        empty="the file has a header but no rows",
        complete=complete,
    )


Row = tuple[int, dict[str, str] | None]  # (line or row number, column -> text); None: already reported


def write_rows(
    uow: UnitOfWork,
    kind: str,
    columns: Sequence[str],
    rows: Iterator[Row],
    report: ErrorReport,
    stamp: AuditStamp,
    *,
    dry_run: bool = False,
    empty: str = "no rows",
    customers_wanted: Collection[str] | None = None,
    in_transaction: bool = False,
    complete: bool = False,
) -> ImportSummary:
    """Write ledger rows of one kind, all or nothing: the one path of every ledger write (a CSV file,
    an API call). Each row is parsed by the domain's rules; good rows are staged in batches, checked
    set-based against the whole batch and the ledger, then upserted by external id and audited as
    `stamp` says, in one transaction that locks the customers it touches. Raises ImportRejected with
    every problem found (by line or row number), having written nothing. `customers_wanted`: the
    customers the rows can refer to, when known in advance (else every customer is looked up).
    `in_transaction`: inside the caller's open unit of work, which commits (or rolls back) the rows
    with its own writes (a provider's event applied from the inbox). `complete` (invoices): after the
    rows, the open invoices of their customers that the rows leave out are closed as void and audited,
    under the same locks and in the same transaction; one of them with payments or credit notes on it
    rejects the whole write instead (as voiding it in a row would)."""
    parse = PARSERS[kind]
    count = 0
    with nullcontext(uow) if in_transaction else uow:
        batch = uow.import_batch(kind, frozenset(columns))
        lookups = batch.lookups(customers_wanted)
        pending: list[tuple[object, ...]] = []
        for number, fields in rows:
            count += 1
            if fields is None:
                continue
            record, errors = parse(fields, lookups)
            for problem in errors:
                report.add(number, problem.column, problem.reason)
            if record is not None:
                pending.append((number, *record))
                if len(pending) >= BATCH_SIZE:
                    batch.stage(pending)
                    pending = []
        if pending:
            batch.stage(pending)
        if count == 0 and not report.total:
            report.add(1, "", empty)
            raise ImportRejected(report)
        _report(report, batch.problems_before())
        if complete:
            _report(report, batch.absent_problems())
        if report.total:
            raise ImportRejected(report)
        counts = batch.apply(stamp)
        _report(report, batch.problems_after())
        if report.total:
            raise ImportRejected(report)
        closed = tuple(batch.close_absent(stamp)) if complete else ()
        if dry_run:
            uow.rollback()
        elif not in_transaction:
            uow.commit()
    return ImportSummary(kind, report.filename, count, counts, dry_run, complete, closed)


def _csv_rows(reader: Any, header: list[str], report: ErrorReport, undecodable: dict[int, str]) -> Iterator[Row]:
    """The data rows of a CSV file by the line each starts on; blank rows skipped, rows of the wrong
    width or not UTF-8 reported (and yielded as None, so that they count)."""
    width = len(header)
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.add(line + 1, "", f"is not valid CSV: {error}")  # where the broken row starts
            break
        line, start = reader.line_num, line + 1
        if undecodable:
            _report_undecodable(report, undecodable, range(start, line + 1), header, fields)
        if not any(value.strip() for value in fields):
            continue  # a blank line, or a row of empty fields as spreadsheets write them
        if len(fields) != width:
            report.add(start, "", f"has {len(fields)} fields but the header has {width}")
            yield start, None
            continue
        yield start, dict(zip(header, fields, strict=True))
    _report_undecodable(report, undecodable, sorted(undecodable), [], [])


def import_csv_as(
    uow: UnitOfWork,
    user: User | None,
    kind: str,
    source: BinaryIO,
    filename: str,
    *,
    dry_run: bool = False,
    ignore_unknown: bool = False,
    progress: Progress | None = None,
    complete: bool = False,
) -> ImportSummary:
    """`import_csv` on behalf of a user of the workspace (the import page): only those who may write
    the ledger (managers and owners) may import, even a dry run. The CLI's user holds the database."""
    require(user, Action.WRITE_LEDGER)
    actor = TERMINAL_IMPORT if user is None else Actor(ActorKind.IMPORT, user.id, user.name)
    return import_csv(
        uow,
        kind,
        source,
        filename,
        dry_run=dry_run,
        ignore_unknown=ignore_unknown,
        progress=progress,
        actor=actor,
        complete=complete,
    )


def _report_undecodable(
    report: ErrorReport, undecodable: dict[int, str], lines: Iterable[int], header: list[str], fields: list[str]
) -> None:
    """Report the `lines` that were not UTF-8, naming the column whose value holds the bad bytes."""
    for number in lines:
        reason = undecodable.pop(number, None)
        if reason is not None:
            column = next((name for name, value in zip(header, fields, strict=False) if "\ufffd" in value), "")
            report.add(number, column, reason)


def _report(report: ErrorReport, problems: Iterator[RowProblem]) -> None:
    for problem in problems:
        report.add(problem.line, problem.column, problem.reason)
