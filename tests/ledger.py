"""Builders of ledger CSV files, and readers of what the ledger holds, for integration and e2e tests.

A builder returns one CSV row as a dict with sensible defaults, so a test names only what its rule
is about: `invoice("I1", due=date(2026, 5, 31), amount="250.00")`. `Ledger` imports such rows
through the import service and reads back what a user would see (aging, exports, invoice status).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Row, Table, select, update

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears
from arrears.domain.money import format_minor
from arrears.services import aging, exports, imports, users
from arrears.services.imports import ImportRejected, ImportSummary

AS_OF = date(2026, 6, 30)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

# What an import can write: the tables compared before and after a rejected or repeated import.
LEDGER_TABLES: tuple[Table, ...] = (
    t.users,
    t.customers,
    t.contacts,
    t.invoices,
    t.payments,
    t.credit_notes,
    t.credit_scores,
)

CsvRow = Mapping[str, object]


# -- CSV files --------------------------------------------------------------------------------------


def csv_bytes(rows: Sequence[CsvRow], header: Sequence[str] | None = None) -> bytes:
    """Rows as UTF-8 CSV; the header is the given one, else every key of the rows in first-seen order."""
    columns = list(header) if header is not None else list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(column) is None else str(row.get(column)) for column in columns])
    return out.getvalue().encode("utf-8")


def write_csv(tmp_path: Path, name: str, rows: Sequence[CsvRow] | bytes, header: Sequence[str] | None = None) -> Path:
    """Write `rows` (or raw bytes) to tmp_path/name and return the path."""
    path = tmp_path / name
    path.write_bytes(rows if isinstance(rows, bytes) else csv_bytes(rows, header))
    return path


# -- row builders -----------------------------------------------------------------------------------


def customer(external_id: str = "C1", name: str | None = None, **columns: object) -> dict[str, object]:
    return {"external_id": external_id, "name": name or f"Customer {external_id}", **columns}


def contact(customer: str = "C1", name: str = "Ann Lee", **columns: object) -> dict[str, object]:
    return {"customer_external_id": customer, "name": name, **columns}


def invoice(
    external_id: str = "I1",
    customer: str = "C1",
    *,
    due: date = AS_OF,
    issued: date | None = None,
    amount: str = "100.00",
    **columns: object,
) -> dict[str, object]:
    """An invoice due on `due`, issued 30 days before unless `issued` says otherwise."""
    return {
        "external_id": external_id,
        "customer_external_id": customer,
        "issue_date": (issued or due - timedelta(days=30)).isoformat(),
        "due_date": due.isoformat(),
        "amount": amount,
        **columns,
    }


def payment(
    external_id: str = "P1",
    customer: str = "C1",
    *,
    invoice: str | None = "I1",
    on: date = AS_OF,
    amount: str = "100.00",
    **columns: object,
) -> dict[str, object]:
    """One allocation of a payment to `invoice`; `invoice=None` is cash on account (unapplied)."""
    return {
        "external_id": external_id,
        "customer_external_id": customer,
        "date": on.isoformat(),
        "amount": amount,
        "invoice_external_id": invoice or "",
        **columns,
    }


def credit_note(
    external_id: str = "CN1",
    customer: str = "C1",
    *,
    invoice: str | None = "I1",
    on: date = AS_OF,
    amount: str = "10.00",
    **columns: object,
) -> dict[str, object]:
    return {
        "external_id": external_id,
        "customer_external_id": customer,
        "date": on.isoformat(),
        "amount": amount,
        "invoice_external_id": invoice or "",
        **columns,
    }


def credit_score(customer: str = "C1", *, on: date = AS_OF, score: int = 700, **columns: object) -> dict[str, object]:
    return {"customer_external_id": customer, "date": on.isoformat(), "score": score, **columns}


# -- the ledger under test --------------------------------------------------------------------------


@dataclass
class Ledger:
    """Imports through the service layer and reads back what a user sees, on one database."""

    arrears: Arrears
    tmp_path: Path

    def file(self, name: str, rows: Sequence[CsvRow] | bytes, header: Sequence[str] | None = None) -> Path:
        return write_csv(self.tmp_path, name, rows, header)

    def import_file(self, kind: str, path: Path, **options: Any) -> ImportSummary:
        with path.open("rb") as source:
            return imports.import_csv(self.arrears.uow(), kind, source, path.name, **options)

    def load(self, kind: str, rows: Sequence[CsvRow] | bytes, **options: Any) -> ImportSummary:
        """Import `rows` as the file `<kind>.csv`."""
        return self.import_file(kind, self.file(f"{kind}.csv", rows), **options)

    def rejected(self, kind: str, rows: Sequence[CsvRow] | bytes, **options: Any) -> ImportRejected:
        """Import `rows` as `<kind>.csv`, expecting the whole file to be rejected; returns the error."""
        with pytest.raises(ImportRejected) as caught:
            self.load(kind, rows, **options)
        return caught.value

    def add_user(self, name: str, role: str = "contributor") -> None:
        users.add_user(self.arrears.uow(), self.arrears.hasher, name, role, email=None, password=None)

    def state(self) -> dict[str, list[Row[Any]]]:
        return ledger_state(self.arrears.engine)

    def backdate(self) -> None:
        """Set every row's updated_at far in the past, so that any rewrite of a row shows."""
        backdate(self.arrears.engine)

    def invoice(self, external_id: str) -> tuple[str, str]:
        """The invoice's status and outstanding amount, as a collector reads them."""
        i = t.invoices
        with self.arrears.engine.connect() as connection:
            row = connection.execute(select(i).where(i.c.external_id == external_id)).one()
        outstanding = row.amount_minor - row.paid_minor - row.credited_minor - row.written_off_minor
        return row.status, format_minor(outstanding, row.currency)

    def aging(self, as_of: date = AS_OF) -> list[dict[str, Any]]:
        """The aging report as its JSON documents, one per currency."""
        return [report.as_dict() for report in aging.aging_report(self.arrears.uow(), as_of)]

    def aging_of(self, external_id: str, as_of: date = AS_OF) -> dict[str, str]:
        """One customer's aging line (buckets, total, unapplied cash and credit)."""
        lines = [line for report in self.aging(as_of) for line in report["customers"]]
        return next(line for line in lines if line["external_id"] == external_id)

    def export(self, kind: str, fmt: str = "csv") -> str:
        out = io.StringIO()
        exports.export(self.arrears.uow(), kind, out, fmt=fmt)
        return out.getvalue()

    def exported_rows(self, kind: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.export(kind))))

    def exported_json(self, kind: str) -> list[dict[str, str]]:
        documents: list[dict[str, str]] = json.loads(self.export(kind, "json"))
        return documents


def ledger_state(engine: Engine) -> dict[str, list[Row[Any]]]:
    """Every row of every ledger table, timestamps included, in primary-key order."""
    with engine.connect() as connection:
        return {
            table.name: list(connection.execute(select(table).order_by(*table.primary_key))) for table in LEDGER_TABLES
        }


def backdate(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in LEDGER_TABLES:
            connection.execute(update(table).values(updated_at=LONG_AGO))


def error_lines(error: ImportRejected | str) -> list[str]:
    message = error if isinstance(error, str) else error.message
    return message.splitlines()


def has_line(message: str | ImportRejected, expected: str) -> bool:
    """Whether one line of the error message starts with `expected`."""
    return any(line.startswith(expected) for line in error_lines(message))


def seed_ledger(ledger: Ledger) -> None:
    """A small ledger to break rules against: Acme (USD) owes I1 (60.00 of 100.00 paid) and I2 (unpaid);
    Tokyo Trading (JPY) and Kuwait Supplies (KWD) have no invoices yet."""
    ledger.load(
        "customers",
        [
            customer("C1", "Acme Ltd"),
            customer("J1", "Tokyo Trading", currency="JPY"),
            customer("K1", "Kuwait Supplies", currency="KWD"),
        ],
    )
    ledger.load("invoices", [invoice("I1"), invoice("I2")])
    ledger.load("payments", [payment("P0", invoice="I1", amount="60.00")])


@dataclass(frozen=True)
class BadFile:
    """A file that breaks one import rule, and the start of the error line a user must see for it.

    `error` names the file as {file}: the integration tests pass the bare file name, the CLI the path.
    """

    rule: str
    kind: str
    content: bytes
    error: str


def _bad(rule: str, kind: str, rows: Sequence[CsvRow] | bytes, error: str, header: Sequence[str] | None = None) -> Any:
    content = rows if isinstance(rows, bytes) else csv_bytes(rows, header)
    return pytest.param(BadFile(rule, kind, content, error), id=rule)


INVOICE_COLUMNS = ("external_id", "customer_external_id", "issue_date", "due_date", "amount")


def without(row: CsvRow, column: str) -> dict[str, object]:
    """The row with one column left out, as in a file that does not have that column."""
    return {key: value for key, value in row.items() if key != column}


# Every way a file can be refused, against `seed_ledger`. Each names file, line, column and reason.
BAD_FILES: list[Any] = [
    _bad(
        "missing required column",
        "invoices",
        [without(invoice("I9"), "amount")],
        "{file}:1: column 'amount': is a required column and is missing from the header",
    ),
    _bad(
        "unknown column",
        "invoices",
        [invoice("I9", colour="red")],
        "{file}:1: column 'colour': is not a column of invoices",
    ),
    _bad("empty file", "invoices", b"", "{file}:1: the file is empty: expected a header row with at least external_id"),
    _bad("header only", "invoices", [], "{file}:1: the file has a header but no rows", header=INVOICE_COLUMNS),
    _bad(
        "date not on the calendar",
        "invoices",
        [invoice("I9", due_date="2026-02-30")],
        "{file}:2: column 'due_date': '2026-02-30' is not a calendar date",
    ),
    _bad(
        "date written day first",
        "invoices",
        [invoice("I9", issue_date="30/06/2026")],
        "{file}:2: column 'issue_date': '30/06/2026' is not a date in the form YYYY-MM-DD",
    ),
    _bad(
        "amount with a decimal comma",
        "invoices",
        [invoice("I9", amount="12,00")],
        "{file}:2: column 'amount': '12,00' is not an amount",
    ),
    _bad(
        "amount with an exponent",
        "invoices",
        [invoice("I9", amount="1e3")],
        "{file}:2: column 'amount': '1e3' is not an amount",
    ),
    _bad(
        "amount not a number",
        "invoices",
        [invoice("I9", amount="NaN")],
        "{file}:2: column 'amount': 'NaN' is not an amount",
    ),
    _bad(
        "negative amount",
        "invoices",
        [invoice("I9", amount="-5")],
        "{file}:2: column 'amount': -5 is negative",
    ),
    _bad(
        "decimals on a currency without them",
        "invoices",
        [invoice("I9", "J1", amount="1.5")],
        "{file}:2: column 'amount': 1.5 has more decimals than JPY allows (no decimals)",
    ),
    _bad(
        "more decimals than the currency has",
        "invoices",
        [invoice("I9", amount="10.555")],
        "{file}:2: column 'amount': 10.555 has more decimals than USD allows (at most 2 decimals)",
    ),
    _bad(
        "unknown currency code",
        "invoices",
        [invoice("I9", currency="ABC")],
        "{file}:2: column 'currency': 'ABC' is not an ISO 4217 currency code",
    ),
    _bad(
        "invoice currency not the customer's",
        "invoices",
        [invoice("I9", currency="EUR")],
        "{file}:2: column 'currency': EUR differs from the customer's currency USD",
    ),
    _bad(
        "unknown customer",
        "invoices",
        [invoice("I9", "C404")],
        "{file}:2: column 'customer_external_id': no customer with external id 'C404'",
    ),
    _bad(
        "payment of an unknown invoice",
        "payments",
        [payment("P9", invoice="I404")],
        "{file}:2: column 'invoice_external_id': no invoice with external id 'I404'",
    ),
    _bad(
        "same external id twice in one file",
        "invoices",
        [invoice("I8"), invoice("I9"), invoice("I9")],
        "{file}:4: column 'external_id': the same external_id is already on line 3",
    ),
    _bad(
        "payment above the invoice amount",
        "payments",
        [payment("P9", invoice="I2", amount="100.01")],
        "{file}:2: column 'amount': allocates more than invoice 'I2' has outstanding",
    ),
    _bad(
        "payment above what an earlier payment left outstanding",
        "payments",
        [payment("P9", invoice="I1", amount="40.01")],
        "{file}:2: column 'amount': allocates more than invoice 'I1' has outstanding",
    ),
    _bad(
        "two rows of one file paying more than the invoice",
        "payments",
        [payment("P8", invoice="I2", amount="60.00"), payment("P9", invoice="I2", amount="40.01")],
        "{file}:3: column 'amount': allocates more than invoice 'I2' has outstanding",
    ),
    _bad(
        "bytes that are not UTF-8",
        "customers",
        csv_bytes([customer("C8", "Bistro"), customer("C9", "Cafe")]).replace(b"Cafe", b"Caf\xe9"),
        "{file}:3: column 'name': is not UTF-8 text (byte 0xe9 at position 7)",
    ),
    _bad(
        "a header that is not UTF-8",
        "customers",
        b"external_id,n\xe4me\nC9,Cafe\n",
        "{file}:1: is not UTF-8 text (byte 0xe4 at position 14)",
    ),
    _bad(
        "a row with more fields than the header",
        "invoices",
        csv_bytes([invoice("I8"), invoice("I9")]).replace(b"100.00\n", b"100.00,extra\n", 1),
        "{file}:2: has 6 fields but the header has 5",
    ),
    _bad(
        "a row with fewer fields than the header",
        "invoices",
        csv_bytes([invoice("I9")]).replace(b",100.00\n", b"\n"),
        "{file}:2: has 4 fields but the header has 5",
    ),
    _bad(
        "customer currency change when it has invoices",
        "customers",
        [customer("C1", "Acme Ltd", currency="EUR")],
        "{file}:2: column 'currency': the customer already has invoices, payments or credit notes in USD; "
        "it cannot change to EUR",
    ),
    _bad(
        "invoice amount reduced below what is paid",
        "invoices",
        [invoice("I1", amount="59.99")],
        "{file}:2: column 'amount': 59.99 is below the 60.00 USD already paid or credited on it",
    ),
    _bad(
        "credit note of an unknown invoice",
        "credit-notes",
        [credit_note("CN9", invoice="I404")],
        "{file}:2: column 'invoice_external_id': no invoice with external id 'I404'",
    ),
    _bad(
        "credit score above its scale",
        "credit-scores",
        [credit_score(score=120, max_score=100)],
        "{file}:2: column 'score': 120 is above max_score 100",
    ),
]


def many_invoices(count: int, *, first: int = 1, amount: str = "10.00") -> Iterable[dict[str, object]]:
    return (invoice(f"I{n:06d}", amount=amount) for n in range(first, first + count))
