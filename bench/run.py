"""Benchmarks of the hot paths, each beside a raw baseline on the same database (docs/benchmarks.md).

For each size and backend, on a fresh database migrated to the newest schema:

1. customers and contacts are imported through the service (timed, for information);
2. baseline: the invoices file is bulk-loaded raw into the `invoices` table (PostgreSQL `COPY`,
   sqlite3 `executemany`, one transaction), then the table is emptied again;
3. the same file is imported by `arrears.services.imports.import_csv` in a child process, timed
   there, with the child's own peak resident memory;
4. payments are imported through the service (timed, for information);
5. aging as of the ledger's last day: `arrears.services.aging.aging_report` against one hand-written
   SQL aggregate run on the raw DBAPI connection and fully fetched; median of several runs each,
   and the two must give the same figures (MISMATCH is printed, and the exit status is 1, if not).

Targets (from the issue): import at most 3x its baseline with a peak under 300 MB; aging at most
1.5x. They are reported, never asserted: the exit status only fails on errors and mismatches.

    python bench/run.py --sizes 10000,100000,1000000 --backends sqlite,postgresql --write-docs
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import ledger
from arrears.adapters.db.engine import make_engine, upgrade
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.domain.aging import BUCKETS
from arrears.domain.currencies import minor_unit
from arrears.services.aging import aging_report
from arrears.services.imports import import_csv

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DOCS = ROOT / "docs" / "benchmarks.md"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench"

IMPORT_RATIO, IMPORT_PEAK_MB, AGING_RATIO = 3.0, 300.0, 1.5
INVOICE_TABLE_COLUMNS = (
    "external_id", "customer_id", "number", "issue_date", "due_date", "currency", "amount_minor", "is_void", "status",
)  # fmt: skip

START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# -- results ----------------------------------------------------------------------------------------


@dataclass
class Result:
    operation: str
    backend: str
    size: int
    seconds: float
    baseline: float | None = None
    peak_mb: float | None = None
    max_ratio: float | None = None
    max_peak_mb: float | None = None
    rows: int | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.baseline is None else self.seconds / self.baseline

    @property
    def target(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"≤ {self.max_ratio:g}x")
        if self.max_peak_mb is not None:
            parts.append(f"< {self.max_peak_mb:g} MB")
        return ", ".join(parts) or "-"

    @property
    def met(self) -> str:
        if self.max_ratio is None and self.max_peak_mb is None:
            return "-"
        ok = True
        if self.max_ratio is not None:
            ok = ok and self.ratio is not None and self.ratio <= self.max_ratio
        if self.max_peak_mb is not None:
            ok = ok and self.peak_mb is not None and self.peak_mb < self.max_peak_mb
        return "yes" if ok else "NO"

    def cells(self) -> list[str]:
        return [
            self.operation,
            self.backend,
            f"{self.size:,}",
            f"{self.seconds:.3f}",
            "-" if self.baseline is None else f"{self.baseline:.3f}",
            "-" if self.ratio is None else f"{self.ratio:.2f}x",
            "-" if self.peak_mb is None else f"{self.peak_mb:.0f}",
            self.target,
            self.met,
        ]


HEADER = ["operation", "backend", "size", "seconds", "baseline s", "ratio", "peak MB", "target", "met"]


def text_table(results: list[Result]) -> str:
    rows = [HEADER, *(r.cells() for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: list[Result]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" if name in ("operation", "backend", "target", "met") else "---:" for name in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in results]
    return "\n".join(lines)


# -- the child process that runs one import ---------------------------------------------------------


def child_import(kind: str, path: str, url: str) -> None:
    """Run in a child process: import one file through the service, print the timing as JSON."""
    app = bootstrap(Settings(database_url=url))
    started = time.perf_counter()
    with open(path, "rb") as source:
        summary = import_csv(app.uow(), kind, source, path)
    seconds = time.perf_counter() - started
    app.close()
    counts = summary.counts
    answer = {"seconds": seconds, "rows": summary.rows, "created": counts.created, "updated": counts.updated}
    print(json.dumps(answer | {"peak_kib": _own_peak_kib()}))


def _own_peak_kib() -> int | None:
    """This process's own high-water resident set (Linux: VmHWM), or None where /proc is missing.

    Not getrusage: on Linux a child's ru_maxrss starts from its parent's peak (the address space it
    was forked from counts until exec), so it would report this benchmark's own size instead."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return None
    for line in status.read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def import_in_child(kind: str, path: Path, url: str) -> tuple[float, float, int]:
    """(seconds inside import_csv, peak resident memory of the child in MiB, rows) for one import."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child-import", kind, str(path), url]
    out_path, err_path = OUT / "child.out", OUT / "child.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=OUT)
        # wait4: this child's own rusage (RUSAGE_CHILDREN would be the maximum over every child so far).
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"import {kind} {path} failed:\n{err_path.read_text(encoding='utf-8')[-4000:]}")
    answer = json.loads(out_path.read_text(encoding="utf-8").strip().splitlines()[-1])
    if answer["peak_kib"] is not None:
        peak_bytes = answer["peak_kib"] * 1024
    else:  # no /proc: the rusage, an upper bound (see _own_peak_kib)
        peak_bytes = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return answer["seconds"], peak_bytes / 2**20, answer["rows"]


# -- backends ---------------------------------------------------------------------------------------


def _minor(amount: str, exponent: int) -> int:
    """Exact minor units of a decimal string (the generator writes the currency's decimals)."""
    whole, _, fraction = amount.partition(".")
    return int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")


def invoice_rows(path: Path, customers: dict[str, int]) -> Iterator[tuple[Any, ...]]:
    """The invoices file as rows of the `invoices` table, read straight from the CSV: the baseline's
    input, with only what a hand-written loader must do (customer ids, amounts in minor units)."""
    exponents: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        at = {name: i for i, name in enumerate(next(reader))}
        ext, cust, num, issue, due = (
            at["external_id"],
            at["customer_external_id"],
            at["number"],
            at["issue_date"],
            at["due_date"],
        )
        amount, cur, stat = at["amount"], at["currency"], at["status"]
        for row in reader:
            currency = row[cur]
            exponent = exponents.get(currency)
            if exponent is None:
                exponent = exponents[currency] = minor_unit(currency)
            status = row[stat] or "open"
            yield (
                row[ext],
                customers[row[cust]],
                row[num] or row[ext],
                row[issue],
                row[due],
                currency,
                _minor(row[amount], exponent),
                status == "void",
                status,
            )


def bucket_bounds(as_of: date) -> dict[str, date]:
    """The earliest due date of each bucket but 91+, written out again by hand (d = as_of − due)."""
    return {
        "as_of": as_of,
        "current_from": as_of,
        "d30_from": as_of - timedelta(days=30),
        "d60_from": as_of - timedelta(days=60),
        "d90_from": as_of - timedelta(days=90),
    }


# The baseline for aging: what a person would write by hand for "outstanding per customer and bucket,
# with unapplied cash and unapplied credit apart" (the columns of the service's report), as one
# statement. Every payment of the synthetic ledger is dated on or
# before the as-of date, so outstanding is amount less the cached allocations.
AGING_SQL = """
SELECT c.id, c.external_id, c.name, a.currency,
       a.current_minor, a.d1_30, a.d31_60, a.d61_90, a.d91_plus, a.unapplied_cash, a.unapplied_credit
FROM (
    SELECT customer_id, currency,
           SUM(CASE WHEN due_date >= :current_from THEN outstanding ELSE 0 END) AS current_minor,
           SUM(CASE WHEN due_date < :current_from AND due_date >= :d30_from THEN outstanding ELSE 0 END) AS d1_30,
           SUM(CASE WHEN due_date < :d30_from AND due_date >= :d60_from THEN outstanding ELSE 0 END) AS d31_60,
           SUM(CASE WHEN due_date < :d60_from AND due_date >= :d90_from THEN outstanding ELSE 0 END) AS d61_90,
           SUM(CASE WHEN due_date < :d90_from THEN outstanding ELSE 0 END) AS d91_plus,
           SUM(unapplied) AS unapplied_cash,
           SUM(credit) AS unapplied_credit
    FROM (
        SELECT customer_id, currency, due_date,
               amount_minor - paid_minor - credited_minor - written_off_minor AS outstanding,
               0 AS unapplied, 0 AS credit
        FROM invoices
        WHERE status = 'open' AND issue_date <= :as_of
          AND amount_minor - paid_minor - credited_minor - written_off_minor > 0
        UNION ALL
        SELECT customer_id, currency, NULL, 0, amount_minor, 0
        FROM payments
        WHERE invoice_id IS NULL AND date <= :as_of
        UNION ALL
        SELECT customer_id, currency, NULL, 0, 0, amount_minor
        FROM credit_notes
        WHERE invoice_id IS NULL AND date <= :as_of
    ) AS owed
    GROUP BY customer_id, currency
) AS a
JOIN customers AS c ON c.id = a.customer_id
"""

INVOICE_CHECKSUM = (
    "SELECT COUNT(*), SUM(amount_minor), SUM(customer_id), SUM(CASE WHEN is_void THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN status = 'void' THEN 1 ELSE 0 END) FROM invoices"
)


class Backend:
    name: str
    url: str

    def fresh(self) -> None:
        raise NotImplementedError

    def migrate(self) -> None:
        engine = make_engine(self.url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()

    def connect(self) -> Any:
        """A raw DBAPI connection (sqlite3 or psycopg), not through SQLAlchemy."""
        raise NotImplementedError

    def bulk_load_invoices(self, path: Path) -> int:
        raise NotImplementedError

    def empty_invoices(self) -> None:
        raise NotImplementedError

    def before_reports(self) -> None:
        """What the server's own housekeeping would have done by the time someone reads a report."""

    def aging_sql(self) -> tuple[str, Callable[[dict[str, date]], Any]]:
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def checksum(self) -> tuple[int, ...]:
        connection = self.connect()
        try:
            row = connection.execute(INVOICE_CHECKSUM).fetchone()
        finally:
            connection.close()
        return tuple(int(v or 0) for v in row)


class Sqlite(Backend):
    name = "sqlite"

    def __init__(self, size: int) -> None:
        self.path = OUT / f"bench-{size}.db"
        self.url = f"sqlite:///{self.path}"

    def fresh(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self.migrate()

    def connect(self) -> sqlite3.Connection:
        # The pragmas of arrears.adapters.db.engine, so that both sides write the same way.
        connection = sqlite3.connect(self.path, isolation_level=None)
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def bulk_load_invoices(self, path: Path) -> int:
        connection = self.connect()
        try:
            customers = dict(connection.execute("SELECT external_id, id FROM customers"))
            marks = ", ".join("?" * len(INVOICE_TABLE_COLUMNS))
            connection.execute("BEGIN IMMEDIATE")
            cursor = connection.executemany(
                f"INSERT INTO invoices ({', '.join(INVOICE_TABLE_COLUMNS)}) VALUES ({marks})",
                invoice_rows(path, customers),
            )
            connection.execute("COMMIT")
            return cursor.rowcount
        finally:
            connection.close()

    def empty_invoices(self) -> None:
        connection = self.connect()
        try:
            connection.execute("DELETE FROM invoices")
            connection.execute("VACUUM")
        finally:
            connection.close()

    def aging_sql(self) -> tuple[str, Callable[[dict[str, date]], Any]]:
        return AGING_SQL, lambda bounds: {k: v.isoformat() for k, v in bounds.items()}

    def version(self) -> str:
        return sqlite3.sqlite_version


class Postgres(Backend):
    name = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        database = parsed.database or ""
        if not database or database.startswith("arrears_test"):
            raise SystemExit(f"refusing to benchmark on database {database!r}: it must be a database of its own")
        self.database = database
        self.admin_url = parsed.set(database="postgres")
        self.conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)

    def fresh(self) -> None:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{self.database}"'))
        finally:
            admin.dispose()
        self.migrate()

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.conninfo)

    def bulk_load_invoices(self, path: Path) -> int:
        with self.connect() as connection:
            customers = dict(connection.execute("SELECT external_id, id FROM customers").fetchall())
            rows = 0
            sql = f"COPY invoices ({', '.join(INVOICE_TABLE_COLUMNS)}) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(sql) as copy:
                for row in invoice_rows(path, customers):
                    copy.write_row(row)
                    rows += 1
            connection.commit()
            return rows

    def empty_invoices(self) -> None:
        with self.connect() as connection:
            connection.execute("TRUNCATE invoices RESTART IDENTITY CASCADE")

    def before_reports(self) -> None:
        # What autovacuum does soon after a large load; done now so that timings do not depend on when it runs.
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")

    def aging_sql(self) -> tuple[str, Callable[[dict[str, date]], Any]]:
        return re.sub(r":(\w+)", r"%(\1)s", AGING_SQL), lambda bounds: bounds

    def version(self) -> str:
        with self.connect() as connection:
            row = connection.execute("SHOW server_version").fetchone()
        assert row is not None
        return str(row[0]).split()[0]


# -- the benchmark of one size on one backend -------------------------------------------------------

# (currency, customer external id) -> buckets..., unapplied cash, unapplied credit
Figures = dict[tuple[str, str], tuple[int, ...]]


def service_figures(reports: list[Any]) -> Figures:
    out: Figures = {}
    for report in reports:
        for customer in report.customers:
            line = customer.line
            out[(report.currency, customer.external_id)] = (
                *(line.buckets[name].minor for name in BUCKETS),
                line.unapplied_cash.minor,
                line.unapplied_credit.minor,
            )
    return out


def baseline_figures(rows: list[tuple[Any, ...]]) -> Figures:
    return {(row[3], row[1]): tuple(int(v or 0) for v in row[4:]) for row in rows}


def compare_aging(service: Figures, baseline: Figures) -> list[str]:
    """Differences between the two, per customer and in the totals per currency; empty when equal."""
    problems = []
    for key in sorted(service.keys() | baseline.keys()):
        if service.get(key) != baseline.get(key):
            problems.append(f"{key}: service {service.get(key)} != hand-written SQL {baseline.get(key)}")
    for currency in sorted({c for c, _ in service} | {c for c, _ in baseline}):
        totals = [
            tuple(map(sum, zip(*(v for (c, _), v in figures.items() if c == currency), strict=True)))
            for figures in (service, baseline)
        ]
        if totals[0] != totals[1]:
            problems.insert(0, f"{currency} totals: service {totals[0]} != hand-written SQL {totals[1]}")
    return problems


def bench_one(backend: Backend, data: ledger.Ledger, repeat: int, failures: list[str]) -> list[Result]:
    size, name = data.size, backend.name
    results = []
    log(f"{name} {size:,}: fresh database")
    backend.fresh()

    for kind in ("customers", "contacts"):
        seconds, peak, rows = import_in_child(kind, data.path(kind), backend.url)
        log(f"{name} {size:,}: import {kind}: {rows:,} rows in {seconds:.2f}s, peak {peak:.0f} MB")
        results.append(Result(f"import {kind}", name, size, seconds, peak_mb=peak, rows=rows))

    log(f"{name} {size:,}: baseline: raw bulk load of invoices")
    started = time.perf_counter()
    loaded = backend.bulk_load_invoices(data.path("invoices"))
    baseline = time.perf_counter() - started
    expected = backend.checksum()
    log(f"{name} {size:,}: baseline loaded {loaded:,} rows in {baseline:.2f}s")
    backend.empty_invoices()

    log(f"{name} {size:,}: import invoices through the service")
    seconds, peak, rows = import_in_child("invoices", data.path("invoices"), backend.url)
    log(f"{name} {size:,}: import invoices: {rows:,} rows in {seconds:.2f}s, peak {peak:.0f} MB")
    results.append(
        Result(
            "import invoices",
            name,
            size,
            seconds,
            baseline,
            peak,
            max_ratio=IMPORT_RATIO,
            max_peak_mb=IMPORT_PEAK_MB,
            rows=rows,
        )
    )
    got = backend.checksum()
    if got != expected or loaded != data.invoices:
        failures.append(f"MISMATCH {name} {size:,}: invoices after import {got} != after raw load {expected}")
        log(failures[-1])

    seconds, peak, rows = import_in_child("payments", data.path("payments"), backend.url)
    log(f"{name} {size:,}: import payments: {rows:,} rows in {seconds:.2f}s, peak {peak:.0f} MB")
    results.append(Result("import payments", name, size, seconds, peak_mb=peak, rows=rows))

    backend.before_reports()
    results.append(bench_aging(backend, data, repeat, failures))
    return results


def bench_aging(backend: Backend, data: ledger.Ledger, repeat: int, failures: list[str]) -> Result:
    name, size, as_of = backend.name, data.size, data.as_of
    app = bootstrap(Settings(database_url=backend.url))
    connection = backend.connect()
    sql, params = backend.aging_sql()
    bound = params(bucket_bounds(as_of))

    def service() -> list[Any]:
        return aging_report(app.uow(), as_of)

    def handwritten() -> list[tuple[Any, ...]]:
        cursor = connection.execute(sql, bound)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        if backend.name == "postgresql":
            connection.rollback()  # end the read transaction, as the service's unit of work does
        return rows

    try:
        log(f"{name} {size:,}: aging as of {as_of}: warm-up and check")
        problems = compare_aging(service_figures(service()), baseline_figures(handwritten()))
        if problems:
            failures.append(
                f"MISMATCH {name} {size:,}: aging differs from the hand-written SQL in {len(problems)} places"
            )
            log(failures[-1])
            for problem in problems[:10]:
                log(f"MISMATCH   {problem}")
        service_times, baseline_times = [], []
        for _ in range(repeat):
            for run, times in ((service, service_times), (handwritten, baseline_times)):
                started = time.perf_counter()
                run()
                times.append(time.perf_counter() - started)
    finally:
        connection.close()
        app.close()
    seconds, baseline = statistics.median(service_times), statistics.median(baseline_times)
    log(f"{name} {size:,}: aging {seconds:.3f}s (median of {repeat}), hand-written SQL {baseline:.3f}s")
    return Result("aging", name, size, seconds, baseline, max_ratio=AGING_RATIO)


# -- the machine and the document -------------------------------------------------------------------


def machine(backends: list[Backend], load_before: float) -> dict[str, str]:
    info = {"CPU": platform.processor() or platform.machine(), "cores (nproc)": str(os.cpu_count())}
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                info["CPU"] = line.split(":", 1)[1].strip()
                break
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        kb = int(meminfo.read_text(encoding="utf-8").split("MemTotal:")[1].split()[0])
        info["RAM"] = f"{kb / 2**20:.1f} GiB"
    info["OS"] = platform.platform()
    info["Python"] = platform.python_version()
    info["SQLite"] = sqlite3.sqlite_version
    for backend in backends:
        if backend.name == "postgresql":
            info["PostgreSQL"] = backend.version()
    info["SQLAlchemy / psycopg"] = f"{sqlalchemy.__version__} / {psycopg.__version__}"
    # Other work on the machine shows here: the benchmark does not run alone on a shared box.
    info["load average (1 min), start / end"] = f"{load_before:.1f} / {os.getloadavg()[0]:.1f}"
    return info


def verdicts(results: list[Result]) -> list[str]:
    """The targets at the largest size measured (the issue sets them at 1M; smaller sizes are in the table)."""
    largest = max((r.size for r in results), default=0)
    lines = []
    for r in results:
        if r.met == "-" or r.size != largest:
            continue
        what = f"{r.operation} of {r.size:,} on {r.backend}: {r.ratio:.2f}x the baseline"
        if r.peak_mb is not None:
            what += f", peak {r.peak_mb:.0f} MB"
        lines.append(f"- {what} (target {r.target}): {'met' if r.met == 'yes' else '**not met**'}")
    return lines


def results_section(results: list[Result], info: dict[str, str], command: str, failures: list[str]) -> str:
    ledgers = sorted({r.size for r in results})
    parts = [
        START,
        f"### Results of {datetime.now(UTC):%Y-%m-%d}",
        "",
        f"`{command}` (this block is rewritten by `--write-docs`).",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in info.items()),
        "",
        f"Sizes: {', '.join(f'{s:,}' for s in ledgers)} invoices. Seconds are wall-clock. Import times are",
        "measured inside the child process around `import_csv` (interpreter start-up excluded); aging is the",
        "median of the repeated runs. Peak MB is the import child's high-water resident set (MiB). The",
        "issue sets the targets at 1M invoices; the smaller sizes show how the ratios move with size.",
        "",
        markdown_table(results),
        "",
        f"At {max(ledgers):,} invoices:" if ledgers else "",
        "",
        *verdicts(results),
        *(f"- **{failure}**" for failure in failures),
        END,
    ]
    return "\n".join(parts)


DOC_TITLE = """# Benchmarks

The hot paths, timed on synthetic ledgers beside a baseline on the same database, in one run.
Targets are measured here, never asserted in tests.
"""

DOC_SECTION = """
## Import and aging

Targets (from the issue): importing 1M invoices costs at most 3x a raw bulk load of the same rows
(PostgreSQL `COPY`; sqlite3 `executemany` in one transaction) with a peak memory under 300 MB, on both
databases; aging over 1M invoices costs at most 1.5x one hand-written SQL aggregate. CI runs the 10k
size once as a smoke test (`make bench`).

```sh
make bench        # 10k invoices, SQLite and PostgreSQL (the smoke test)
make bench-full   # 10k, 100k and 1M; rewrites the results below
.venv/bin/python bench/run.py --sizes 100000 --backends postgresql --repeat 7
```

`bench/ledger.py` writes a deterministic ledger (seeded `random.Random`) to `bench/out/ledger-N/`:
N/10 customers, each in one currency (USD, EUR or GBP), one to three contacts each, N invoices issued
over the 18 months to 2026-06-30 (a tenth of the customers get half of them; 1 in 200 void), and
payments: about 3 in 4 invoices paid in full (a fifth of those in two allocations), 1 in 10 in part,
and unapplied cash on account beside about 1 invoice in 50. Rows are streamed to the CSV files.

For each size and backend `bench/run.py` builds a fresh database (SQLite `bench/out/bench-N.db`,
PostgreSQL `arrears_bench`), migrates it, then:

1. imports customers and contacts through the service (for information);
2. **baseline**: loads the invoices file raw into `invoices`: the CSV read with `csv.reader`, customer
   ids from one dict, amounts to minor units, then `COPY ... FROM STDIN` (psycopg) or one `executemany`
   in one transaction (sqlite3, with the pragmas Arrears sets); then empties the table (and `VACUUM`s
   on SQLite);
3. imports the same file with `arrears.services.imports.import_csv` in a child process (parse and
   validate every row, stage, set-based checks, upsert), timed inside the child, with the child's peak
   resident memory (`VmHWM`: on Linux a child's `ru_maxrss` starts from its parent's peak, so rusage
   would report the benchmark's own size); checks that it left the same rows as the raw load;
4. imports payments through the service (for information);
5. times `arrears.services.aging.aging_report` as of 2026-06-30 against one hand-written SQL statement
   (outstanding per customer pivoted into the five buckets, with unapplied cash) run on the raw DBAPI
   connection and fully fetched: a warm-up, then the median of `--repeat` runs each, interleaved; the
   two must agree customer by customer (MISMATCH otherwise, and exit status 1). On PostgreSQL a
   `VACUUM ANALYZE` runs first, as autovacuum would after such a load.
"""

READING_PLACEHOLDER = """
### Reading the results

(Written by hand after a full run: what meets its target, what does not, and why.)
"""


def write_docs(results: list[Result], info: dict[str, str], command: str, failures: list[str]) -> None:
    """Rewrite the results block of docs/benchmarks.md, leaving the rest (other sections, the reading) alone."""
    section = results_section(results, info, command, failures)
    current = DOCS.read_text(encoding="utf-8") if DOCS.is_file() else ""
    if START in current and END in current:
        before, rest = current.split(START, 1)
        updated = before + section + rest.split(END, 1)[1]
    else:
        updated = (current.rstrip() + "\n" if current else DOC_TITLE) + DOC_SECTION + "\n" + section + "\n"
        updated += READING_PLACEHOLDER
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(updated, encoding="utf-8")
    log(f"wrote {DOCS.relative_to(ROOT)}")


# -- main -------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Time the import and aging against a raw baseline.")
    parser.add_argument("--sizes", default="10000", help="comma-separated numbers of invoices (default 10000)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite, postgresql or both (default both)")
    parser.add_argument("--postgres-url", default=os.environ.get("ARREARS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    parser.add_argument("--repeat", type=int, default=5, help="timed aging runs per side (default 5)")
    parser.add_argument("--seed", type=int, default=ledger.DEFAULT_SEED)
    parser.add_argument("--write-docs", action="store_true", help="write the results into docs/benchmarks.md")
    parser.add_argument("--child-import", nargs=3, metavar=("KIND", "FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_import:
        child_import(*args.child_import)
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(names) - {"sqlite", "postgresql"}:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    OUT.mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()[0]
    results: list[Result] = []
    failures: list[str] = []
    postgres = Postgres(args.postgres_url) if "postgresql" in names else None
    for size in sizes:
        log(f"ledger of {size:,} invoices")
        data = ledger.ensure(OUT / f"ledger-{size}", size, args.seed)
        log(f"ledger: {data.customers:,} customers, {data.contacts:,} contacts, {data.payments:,} payments")
        for name in names:
            backend: Backend = Sqlite(size) if name == "sqlite" else postgres  # type: ignore[assignment]
            results.extend(bench_one(backend, data, args.repeat, failures))
            print("\n" + text_table(results) + "\n", flush=True)
            (OUT / "results.json").write_text(
                json.dumps([asdict(r) | {"ratio": r.ratio, "met": r.met} for r in results], indent=2), encoding="utf-8"
            )

    for failure in failures:
        print(failure, file=sys.stderr)
    if args.write_docs:
        command = " ".join(["python bench/run.py", *sys.argv[1:]])
        used: list[Backend] = [postgres] if postgres is not None else []
        write_docs(results, machine(used, load_before), command, failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
