"""The task list at scale (docs/benchmarks.md, "Task list"): first pages of "my open tasks" and of
"all open tasks by overdue amount", through the service, beside a naive hand-written SQL of the same list.

1. A fresh database, migrated to the newest schema, is filled with raw bulk loads (PostgreSQL `COPY`,
   sqlite3 `executemany`): the ledger of `bench/ledger.py` (N customers, 10N invoices, their contacts
   and payments; `paid_minor` cached on the invoices, a few invoices disputed or excluded), 20
   collectors and a manager, and the tasks (80% open; each customer's collector or another one; most
   tagged to one or two of the customer's invoices). `--reuse` keeps a database built with the same sizes.
2. The balances are refreshed once through `SqlBalances.refresh_balances` (timed: the daily cost),
   and once for 1,000 customers (what an import of a small file costs).
3. Timed, interleaved, with a clock fixed on the ledger's last day so that the balances are fresh:
   `arrears.services.tasks.list_tasks` for one collector's open tasks by due date (the collector changes
   on every run) and for all open tasks by overdue amount, largest first, first page of 50, `--repeat`
   times each; and, on the raw DBAPI connection, on every few of those runs (`--naive-repeat` in all),
   a naive SQL of each list that sums the customers' invoices on the fly. The first run of each checks
   that both sides list the same tasks with the same amounts (MISMATCH, exit status 1, if not).
4. The API (`arrears.api`, when it is there): one uvicorn process on 127.0.0.1, its clock fixed too,
   and `--api-clients` httpx clients on the same machine sending GET /api/v1/tasks for `--api-seconds`
   per list: collectors' tokens for "mine", the manager's for all by overdue amount.

5. The web page (issue 5): GET /tasks as each collector and GET /tasks?assignee=*&sort=-overdue_amount as
   the manager, through the served app in this process (a TestClient signed in through the form):
   the server's whole work for the page, rendering included.

Targets: p95 under 50 ms on PostgreSQL for both lists through the service (workspace issue) and
under 150 ms for the pages (web issue). Reported, never asserted.

    python bench/task_list.py --customers 100000 --tasks 1000000 --backend postgresql --write-docs
    python bench/task_list.py --customers 1000 --tasks 10000 --backend sqlite    # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import json
import os
import platform
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time as timer
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import ledger
from arrears.adapters.clock import FixedClock
from arrears.adapters.db.engine import make_engine, upgrade
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain.tasks import TaskType
from arrears.domain.users import Role, User
from arrears.services import accounts
from arrears.services import task_list as task_service

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench_tasks"

TODAY = ledger.LEDGER_END
NOON = datetime.combine(TODAY, time(12), UTC)
COLLECTORS = 20
PAGE = 50
TARGET_MS = 50.0
PAGE_TARGET_MS = 150.0  # the web page's server time (issue 5)
OPEN_SHARE, DONE_SHARE = 0.80, 0.17  # the rest is cancelled
BUILD_KEY = "bench_task_list"  # app_settings: what the database was built with, for --reuse
CUSTOMER_COLUMNS = (
    "id", "external_id", "name", "currency", "payment_terms_days", "credit_limit_minor",
    "collector_id", "email", "phone", "tags", "on_hold",
)  # fmt: skip
INVOICE_COLUMNS = (
    "id", "external_id", "customer_id", "number", "issue_date", "due_date", "currency",
    "amount_minor", "paid_minor", "is_void", "status", "excluded", "disputed",
)  # fmt: skip
TASK_COLUMNS = (
    "id", "customer_id", "type", "description", "assignee_id", "due_date", "status", "source",
    "outcome", "completed_at", "completed_by", "created_by",
)  # fmt: skip


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# -- the naive lists ---------------------------------------------------------------------------------

# What a person would write by hand for the list, with the overdue amount summed from the invoices on
# every read, per customer in a derived table (no plans in this ledger, so invoices are the whole of
# it): the same rows and order as the service, without the phones and tagged invoices the service adds
# in three small queries. (Joining every task to every open invoice of its customer and grouping by
# task is far slower still: 1.7 s and 31 s for these two lists at 1M tasks.)
NAIVE_SELECT = """
SELECT k.id, k.customer_id, c.external_id, c.name, k.type, k.status, u.name AS assignee, k.due_date,
       k.description, COALESCE(o.n, 0) AS outstanding_invoice_count,
       CASE WHEN c.on_hold THEN 0 ELSE COALESCE(o.overdue, 0) END AS overdue_minor, c.currency
FROM tasks AS k
JOIN customers AS c ON c.id = k.customer_id
LEFT JOIN users AS u ON u.id = k.assignee_id
LEFT JOIN (
    SELECT customer_id, COUNT(*) AS n, SUM(
        CASE WHEN due_date < :today AND NOT excluded AND NOT disputed AND plan_id IS NULL
             THEN amount_minor - paid_minor - credited_minor - written_off_minor ELSE 0 END
    ) AS overdue
    FROM invoices
    WHERE status = 'open'
    GROUP BY customer_id
) AS o ON o.customer_id = k.customer_id
WHERE k.status = 'open'{where}
ORDER BY {order}
LIMIT 50
"""
# The worklist's priority is kept beside the balances (domain/worklist.py): by hand, one reads it there
# and sorts every open task by it.
NAIVE_PRIORITY = """
SELECT k.id, k.customer_id, c.external_id, c.name, k.type, k.status, u.name AS assignee, k.due_date,
       k.description, COALESCE(b.outstanding_invoice_count, 0), COALESCE(b.overdue_minor, 0), c.currency
FROM tasks AS k
JOIN customers AS c ON c.id = k.customer_id
LEFT JOIN users AS u ON u.id = k.assignee_id
LEFT JOIN customer_balances AS b ON b.customer_id = k.customer_id
WHERE k.status = 'open'
ORDER BY COALESCE(b.priority, 0) DESC, k.customer_id, k.due_date, k.id
LIMIT 50
"""
NAIVE_MINE = NAIVE_SELECT.format(where=" AND k.assignee_id = :me", order="k.due_date, k.id")
NAIVE_ALL = NAIVE_SELECT.format(where="", order="overdue_minor DESC, k.customer_id, k.due_date, k.id")


# -- backends ----------------------------------------------------------------------------------------


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

    def load(self, connection: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        raise NotImplementedError

    def after_load(self, connection: Any, tables: Sequence[str]) -> None:
        """Rows were loaded with their ids: move the id sequences past them."""

    def analyze(self) -> None:
        raise NotImplementedError

    def sql(self, statement: str) -> str:
        return statement

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        return values

    def end_read(self, connection: Any) -> None:
        """End the read transaction, as the service's unit of work does."""

    def version(self) -> str:
        raise NotImplementedError


class Sqlite(Backend):
    name = "sqlite"

    def __init__(self, customers: int, tasks: int) -> None:
        self.path = OUT / f"task-list-{customers}-{tasks}.db"
        self.url = f"sqlite:///{self.path}"

    def fresh(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self.migrate()

    def connect(self) -> sqlite3.Connection:
        # The pragmas of arrears.adapters.db.engine.
        connection = sqlite3.connect(self.path, isolation_level=None)
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    @staticmethod
    def _value(value: Any) -> Any:
        # The storage formats of SQLAlchemy's SQLite Date and DateTime.
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        return value

    def load(self, connection: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        marks = ", ".join("?" * len(columns))
        connection.execute("BEGIN IMMEDIATE")
        cursor = connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            (tuple(map(self._value, row)) for row in rows),
        )
        connection.execute("COMMIT")
        return int(cursor.rowcount)

    def analyze(self) -> None:
        connection = self.connect()
        try:
            connection.execute("ANALYZE")
        finally:
            connection.close()

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        return {key: self._value(value) for key, value in values.items()}

    def version(self) -> str:
        return sqlite3.sqlite_version


class Postgres(Backend):
    name = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        database = parsed.database or ""
        if not database or database.startswith("arrears_test") or database == "arrears_bench":
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

    def load(self, connection: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        connection.commit()
        return count

    def after_load(self, connection: Any, tables: Sequence[str]) -> None:
        for table in tables:
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        connection.commit()

    def analyze(self) -> None:
        # What autovacuum does soon after a large load; done now so that timings do not depend on when it runs.
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")

    def sql(self, statement: str) -> str:
        return re.sub(r"(?<!:):(\w+)", r"%(\1)s", statement)

    def end_read(self, connection: Any) -> None:
        connection.rollback()

    def version(self) -> str:
        with self.connect() as connection:
            row = connection.execute("SHOW server_version").fetchone()
        assert row is not None
        return str(row[0]).split()[0]


# -- the data ----------------------------------------------------------------------------------------


def _minor(amount: str) -> int:
    """Minor units of the generator's two-decimal amounts."""
    whole, _, fraction = amount.partition(".")
    return int(whole) * 100 + int(fraction.ljust(2, "0") or "0")


def _number(external_id: str) -> int:
    """C0000042 -> 42, INV00000042 -> 42: the generator numbers rows from 1, so these are the row ids."""
    return int(external_id.lstrip("CINVPAY"))


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as source:
        yield from csv.DictReader(source)


@dataclass
class Built:
    customers: int
    contacts: int
    invoices: int
    open_invoices: int
    payments: int
    tasks: int
    open_tasks: int
    task_invoices: int
    seconds: float


def build(backend: Backend, data: ledger.Ledger, n_tasks: int, seed: int) -> Built:
    """Fill a fresh, migrated database with raw bulk loads; ids are given, so no look-ups are needed."""
    started = timer.perf_counter()
    connection = backend.connect()
    try:
        rng = random.Random(f"{seed}:workspace")
        names = [("ana", Role.MANAGER), *((f"collector{n:02d}", Role.CONTRIBUTOR) for n in range(1, COLLECTORS + 1))]
        backend.load(
            connection,
            "users",
            ("id", "name", "email", "role"),
            ((n, name, f"{name}@example.com", role.value) for n, (name, role) in enumerate(names, 1)),
        )
        collectors = list(range(2, COLLECTORS + 2))

        collector_of = array("i", [0]) * (data.customers + 1)

        def customer_rows() -> Iterator[tuple[Any, ...]]:
            for row in _rows(data.path("customers")):
                number = _number(row["external_id"])
                collector_of[number] = rng.choice(collectors)
                limit = _minor(row["credit_limit"]) if row["credit_limit"] else None
                yield (
                    number,
                    row["external_id"],
                    row["name"],
                    row["currency"],
                    int(row["payment_terms_days"]),
                    limit,
                    collector_of[number],
                    row["email"],
                    row["phone"],
                    row["tags"],
                    row["on_hold"] == "true",
                )

        customers = backend.load(
            connection,
            "customers",
            CUSTOMER_COLUMNS,
            customer_rows(),
        )
        log(f"{backend.name}: {customers:,} customers")

        contacts = backend.load(
            connection,
            "contacts",
            ("customer_id", "contact_key", "external_id", "name", "email", "phone", "role", "receives_reminders"),
            (
                (
                    _number(row["customer_external_id"]),
                    f"id:{row['external_id']}",
                    row["external_id"],
                    row["name"],
                    row["email"],
                    row["phone"],
                    row["role"],
                    row["receives_reminders"] == "true",
                )
                for row in _rows(data.path("contacts"))
            ),
        )
        log(f"{backend.name}: {contacts:,} contacts")

        # What the payments allocate to each invoice: the cache the import keeps in `paid_minor`.
        paid = array("q", [0]) * (data.invoices + 1)
        payment_rows: list[tuple[Any, ...]] = []
        for row in _rows(data.path("payments")):
            invoice = _number(row["invoice_external_id"]) if row["invoice_external_id"] else None
            amount = _minor(row["amount"])
            if invoice is not None:
                paid[invoice] += amount
            payment_rows.append(
                (
                    _number(row["external_id"]),
                    row["external_id"],
                    _number(row["customer_external_id"]),
                    invoice,
                    date.fromisoformat(row["date"]),
                    amount,
                    row["currency"],
                    row["method"],
                )
            )

        invoices_of: list[list[int]] = [[] for _ in range(data.customers + 1)]
        open_invoices = 0

        def invoice_rows() -> Iterator[tuple[Any, ...]]:
            nonlocal open_invoices
            for row in _rows(data.path("invoices")):
                number, customer = _number(row["external_id"]), _number(row["customer_external_id"])
                amount, void = _minor(row["amount"]), row["status"] == "void"
                status = "void" if void else "paid" if amount - paid[number] <= 0 else "open"
                invoices_of[customer].append(number)
                if status == "open":
                    open_invoices += 1
                yield (
                    number,
                    row["external_id"],
                    customer,
                    row["number"],
                    date.fromisoformat(row["issue_date"]),
                    date.fromisoformat(row["due_date"]),
                    row["currency"],
                    amount,
                    paid[number],
                    void,
                    status,
                    status == "open" and rng.random() < 0.005,  # excluded from chasing
                    status == "open" and rng.random() < 0.03,  # disputed
                )

        invoices = backend.load(
            connection,
            "invoices",
            INVOICE_COLUMNS,
            invoice_rows(),
        )
        log(f"{backend.name}: {invoices:,} invoices ({open_invoices:,} open)")
        payments = backend.load(
            connection,
            "payments",
            ("id", "external_id", "customer_id", "invoice_id", "date", "amount_minor", "currency", "method"),
            payment_rows,
        )
        del payment_rows
        log(f"{backend.name}: {payments:,} payments")

        types = [task_type.value for task_type in TaskType]
        tagged: list[tuple[int, int]] = []
        open_tasks = 0
        key_accounts = max(1, data.customers // 10)

        def task_rows() -> Iterator[tuple[Any, ...]]:
            nonlocal open_tasks
            for number in range(1, n_tasks + 1):
                # Like the invoices: a tenth of the customers have half of the tasks.
                customer = 1 + (rng.randrange(key_accounts) if rng.random() < 0.5 else rng.randrange(data.customers))
                assignee = collector_of[customer] if rng.random() < 0.75 else rng.choice(collectors)
                task_type = rng.choice(types)
                draw = rng.random()
                if draw < OPEN_SHARE:
                    open_tasks += 1
                    status, due = "open", TODAY + timedelta(days=rng.randint(-60, 30))
                    outcome, completed_at, completed_by = None, None, None
                else:
                    status = "done" if draw < OPEN_SHARE + DONE_SHARE else "cancelled"
                    due = TODAY - timedelta(days=rng.randint(0, 365))
                    outcome = "answered" if status == "done" else None
                    completed_at = datetime.combine(due, time(15), UTC)
                    completed_by = assignee
                mine = invoices_of[customer]
                if mine and rng.random() < 0.7:
                    for invoice in rng.sample(mine, min(len(mine), rng.choice((1, 1, 2)))):
                        tagged.append((number, invoice))
                yield (
                    number,
                    customer,
                    task_type,
                    f"{task_type.replace('_', ' ')} about the account, task {number}",
                    assignee,
                    due,
                    status,
                    "workflow" if rng.random() < 0.4 else "manual",
                    outcome,
                    completed_at,
                    completed_by,
                    1,
                )

        n = backend.load(
            connection,
            "tasks",
            TASK_COLUMNS,
            task_rows(),
        )
        links = backend.load(connection, "task_invoices", ("task_id", "invoice_id"), tagged)
        log(f"{backend.name}: {n:,} tasks ({open_tasks:,} open), {links:,} tagged invoices")
        backend.after_load(connection, ("users", "customers", "contacts", "invoices", "payments", "tasks"))
        marker = f"customers={data.customers};tasks={n_tasks};seed={seed};ledger={ledger.GENERATOR_VERSION}"
        backend.load(connection, "app_settings", ("key", "value"), [(BUILD_KEY, marker)])
    finally:
        connection.close()
    return Built(
        customers,
        contacts,
        invoices,
        open_invoices,
        payments,
        n,
        open_tasks,
        links,
        timer.perf_counter() - started,
    )


def built_as(backend: Backend) -> str | None:
    """What the database was built with, if it was built by this script."""
    try:
        connection = backend.connect()
    except (psycopg.OperationalError, sqlite3.OperationalError):
        return None
    try:
        sql = backend.sql("SELECT value FROM app_settings WHERE key = :key")
        row = connection.execute(sql, backend.params({"key": BUILD_KEY})).fetchone()
        return None if row is None else str(row[0])
    except (psycopg.Error, sqlite3.Error):
        return None
    finally:
        connection.close()


# -- timings -----------------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    side: str
    backend: str
    runs: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, what: str, side: str, backend: str, seconds: list[float]) -> Timing:
        ms = sorted(s * 1000 for s in seconds)
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        return cls(what, side, backend, len(ms), statistics.median(ms), cuts[94], cuts[98], ms[-1])


def time_refresh(app: Arrears, customers: int, seed: int) -> tuple[float, int, float, int]:
    """(seconds, rows) of the daily refresh of every balance, then of one for 1,000 customers."""
    started = timer.perf_counter()
    with app.uow() as uow:
        every = uow.balances.refresh_balances(TODAY)
        uow.commit()
    daily = timer.perf_counter() - started
    some = sorted(random.Random(f"{seed}:refresh").sample(range(1, customers + 1), min(1000, customers)))
    started = timer.perf_counter()
    with app.uow() as uow:
        partial = uow.balances.refresh_balances(TODAY, some)
        uow.commit()
    return daily, every, timer.perf_counter() - started, partial


Page = list[tuple[int, int, int]]  # (task id, overdue minor units, outstanding invoices) per row


def bench_lists(backend: Backend, app: Arrears, repeat: int, naive_repeat: int, failures: list[str]) -> list[Timing]:
    with app.uow() as uow:
        people = {user.name: user for user in uow.users.all()}
    manager = people["ana"]
    collectors = [user for name, user in sorted(people.items()) if name.startswith("collector")]
    mine = {user.id: task_service.task_filter(app.uow(), user) for user in collectors}
    everyone = task_service.task_filter(app.uow(), manager, everyone=True)
    connection = backend.connect()
    naive_mine, naive_all, naive_priority = backend.sql(NAIVE_MINE), backend.sql(NAIVE_ALL), backend.sql(NAIVE_PRIORITY)

    def service_mine(user: User) -> Page:
        page = task_service.list_tasks(app.uow(), user, mine[user.id], sort="due_date", limit=PAGE)
        return [(row.id, row.overdue_minor, row.outstanding_invoice_count) for row in page.items]

    def service_all(_: User) -> Page:
        page = task_service.list_tasks(app.uow(), manager, everyone, sort="-overdue_amount", limit=PAGE)
        return [(row.id, row.overdue_minor, row.outstanding_invoice_count) for row in page.items]

    def service_priority(_: User) -> Page:
        page = task_service.list_tasks(app.uow(), manager, everyone, sort="priority", limit=PAGE)
        return [(row.id, row.overdue_minor, row.outstanding_invoice_count) for row in page.items]

    def raw(sql: str, user: User) -> Page:
        rows = connection.execute(sql, backend.params({"today": TODAY, "me": user.id})).fetchall()
        backend.end_read(connection)
        return [(int(row[0]), int(row[10]), int(row[9])) for row in rows]

    browsers = signed_in_browsers(backend, app, [*collectors, manager])

    def page(user: User, query: str) -> Page:
        answer = browsers[user.id].get(f"/tasks{query}")
        if answer.status_code != 200 or 'class="tasks"' not in answer.text:
            raise RuntimeError(f"GET /tasks{query} as {user.name}: {answer.status_code} {answer.text[:200]}")
        return [(int(task_id), 0, 0) for task_id in re.findall(r'data-task="(\d+)"', answer.text)]

    sides: list[tuple[str, str, Callable[[User], Page]]] = [
        ("mine, open, by due date", "service", service_mine),
        ("mine, open, by due date", "naive SQL", lambda user: raw(naive_mine, user)),
        ("mine, open, by due date", "web page", lambda user: page(user, "")),
        ("all open, by overdue amount desc", "service", service_all),
        ("all open, by overdue amount desc", "naive SQL", lambda user: raw(naive_all, user)),
        ("all open, by overdue amount desc", "web page", lambda _: page(manager, "?assignee=*&sort=-overdue_amount")),
        ("all open, by priority", "service", service_priority),
        ("all open, by priority", "naive SQL", lambda user: raw(naive_priority, user)),
        ("all open, by priority", "web page", lambda _: page(manager, "?assignee=*")),  # its default sort
    ]
    times: dict[tuple[str, str], list[float]] = {(what, side): [] for what, side, _ in sides}
    try:
        log(f"{backend.name}: warm-up and check: both sides list the same tasks with the same amounts")
        for user in collectors[:3]:
            pages = [run(user) for _, _, run in sides]
            for what, (service, naive, web) in (("mine", pages[:3]), ("all", pages[3:6]), ("priority", pages[6:])):
                if [task_id for task_id, _, _ in service] != [task_id for task_id, _, _ in web]:
                    failures.append(f"MISMATCH {backend.name}: {what} for {user.name}: the page lists other tasks")
                    log(failures[-1])
                if service != naive or not service:
                    failures.append(
                        f"MISMATCH {backend.name}: {what} for {user.name}: service {service[:3]}... "
                        f"!= naive SQL {naive[:3]}... ({len(service)} and {len(naive)} rows)"
                    )
                    log(failures[-1])
        every = max(1, repeat // max(1, naive_repeat))  # the naive runs spread over the service's
        log(f"{backend.name}: {repeat} timed runs of the service, the naive SQL on every {every}, interleaved")
        for n in range(repeat):
            user = collectors[n % len(collectors)]
            for what, side, run in sides:
                if side == "naive SQL" and n % every:
                    continue
                who = user if side != "naive SQL" else collectors[(n // every) % len(collectors)]
                started = timer.perf_counter()
                run(who)
                times[(what, side)].append(timer.perf_counter() - started)
            if (n + 1) % 50 == 0:
                log(f"{backend.name}: {n + 1} runs")
    finally:
        connection.close()
        for browser in browsers.values():
            browser.close()
    return [Timing.of(what, side, backend.name, times[(what, side)]) for what, side, _ in sides]


def signed_in_browsers(backend: Backend, app: Arrears, people: list[User]) -> dict[int, Any]:
    """A TestClient per user, signed in through the sign-in form (a benchmark password set first):
    "web page" timings are the server's whole work for GET /tasks, in this process, no network."""
    from fastapi.testclient import TestClient

    from arrears.cli.serve import server_app

    hashed = app.hasher.hash("bench-password")
    connection = backend.connect()
    try:
        connection.execute(backend.sql("UPDATE users SET password_hash = :h"), backend.params({"h": hashed}))
        connection.commit()
    finally:
        connection.close()
    site = server_app(app)
    browsers = {}
    for user in people:
        browser = TestClient(site, base_url="http://bench", follow_redirects=False)
        token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/signin").text)
        assert token is not None
        form = {"name": user.name, "password": "bench-password", "csrf": token.group(1)}
        answer = browser.post("/signin", data=form)
        if answer.status_code != 303:
            raise RuntimeError(f"signing in as {user.name}: {answer.status_code} {answer.text[:200]}")
        browsers[user.id] = browser
    return browsers


# -- the API -----------------------------------------------------------------------------------------


# The API with its rate limit off, and on at a height no run reaches: every call is counted (one
# upsert of its user's row a minute) and none is refused, so the difference is what counting costs.
RATE_LIMITS = (("no rate limit", 0), ("calls counted", 1_000_000_000))


def serve_api(url: str, port: int, rate_limit: int) -> None:
    """Run in a child process: the API over the benchmark's database, its clock on the ledger's last day."""
    import uvicorn

    from arrears.api.app import create_app

    arrears = bootstrap(Settings(database_url=url, api_rate_limit=rate_limit), FixedClock(NOON))
    uvicorn.run(create_app(arrears), host="127.0.0.1", port=port, log_level="warning", access_log=False)


@dataclass
class Throughput:
    name: str
    clients: int
    seconds: float
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


async def drive(base: str, name: str, clients: list[tuple[str, dict[str, str]]], seconds: float) -> Throughput:
    """Each client (a token and the list's query) sends GET /api/v1/tasks again as soon as it has an answer."""
    import httpx

    latencies: list[float] = []
    errors = 0

    async def client(token: str, params: dict[str, str], until: float) -> None:
        nonlocal errors
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
            while timer.perf_counter() < until:
                started = timer.perf_counter()
                response = await http.get("/api/v1/tasks", params=params)
                latencies.append(timer.perf_counter() - started)
                if response.status_code != 200 or len(response.json()["items"]) != PAGE:
                    errors += 1

    started = timer.perf_counter()
    await asyncio.gather(*(client(token, params, started + seconds) for token, params in clients))
    elapsed = timer.perf_counter() - started
    ms = sorted(s * 1000 for s in latencies)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return Throughput(name, len(clients), elapsed, len(ms), errors, statistics.median(ms), cuts[94], cuts[98])


def bench_api(backend: Backend, app: Arrears, clients: int, seconds: float) -> list[Throughput]:
    """The API in one uvicorn process on 127.0.0.1, driven by `clients` concurrent HTTP clients
    (httpx): without and with its rate limit counted, twice in turns (RATE_LIMITS)."""
    with app.uow() as uow:
        names = sorted(user.name for user in uow.users.all())
    collectors = [name for name in names if name.startswith("collector")]
    tokens = {name: accounts.issue_token(app.uow(), name, "task list benchmark") for name in [*collectors, "ana"]}
    runs: Runs = [
        ("mine, open, by due date", [(tokens[collectors[n % len(collectors)]], {}) for n in range(clients)]),
        ("all open, by overdue amount desc", [(tokens["ana"], {"all": "true", "sort": "-overdue_amount"})] * clients),
    ]
    results = []
    for label, rate_limit in [*RATE_LIMITS, *RATE_LIMITS]:
        results += _bench_api_server(backend, runs, rate_limit, label, seconds)
    return sorted(results, key=lambda r: r.name)


Runs = list[tuple[str, list[tuple[str, dict[str, str]]]]]  # a list's name, and each client's token and query


def _bench_api_server(backend: Backend, runs: Runs, rate_limit: int, label: str, seconds: float) -> list[Throughput]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-api", backend.url, str(port), str(rate_limit)]
    server = subprocess.Popen(command, cwd=OUT)
    try:
        import httpx

        for _ in range(300):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                timer.sleep(0.1)
        else:
            raise RuntimeError("the API did not start")
        results = []
        for list_name, run in runs:
            name = f"{list_name}, {label}"
            log(f"{backend.name}: API, {name}: warm-up, then {len(run)} clients for {seconds:g}s")
            asyncio.run(drive(base, name, run, 2))
            results.append(asyncio.run(drive(base, name, run, seconds)))
            done = results[-1]
            log(
                f"{backend.name}: API, {name}: {done.per_second:.0f} requests/s, p50 {done.p50_ms:.0f} ms, "
                f"p95 {done.p95_ms:.0f} ms, {done.errors} errors"
            )
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


API_HEADER = [
    "GET /api/v1/tasks (first page of 50)",
    "clients",
    "s",
    "requests",
    "requests/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
]


def api_cells(results: list[Throughput]) -> list[list[str]]:
    return [
        [
            r.name,
            str(r.clients),
            f"{r.seconds:.0f}",
            f"{r.requests:,}",
            f"{r.per_second:.0f}",
            f"{r.p50_ms:.0f}",
            f"{r.p95_ms:.0f}",
            f"{r.p99_ms:.0f}",
            str(r.errors),
        ]
        for r in results
    ]


# -- the report --------------------------------------------------------------------------------------

HEADER = [
    "list (first page of 50)", "side", "backend", "p50 ms", "p95 ms", "p99 ms", "naive/service p95",
    "service p95 < 50", "page p95 < 150",
]  # fmt: skip


def cells(timings: list[Timing]) -> list[list[str]]:
    rows = []
    for timing in timings:
        service = next(t for t in timings if t.name == timing.name and t.backend == timing.backend)
        is_service = timing.side == "service"
        is_page = timing.side == "web page"
        rows.append(
            [
                timing.name,
                timing.side,
                timing.backend,
                f"{timing.p50_ms:.1f}",
                f"{timing.p95_ms:.1f}",
                f"{timing.p99_ms:.1f}",
                "" if is_service or is_page else f"{timing.p95_ms / service.p95_ms:.1f}x",
                ("yes" if timing.p95_ms < TARGET_MS else "NO") if is_service else "",
                ("yes" if timing.p95_ms < PAGE_TARGET_MS else "NO") if is_page else "",
            ]
        )
    return rows


def text_table(header: list[str], rows: list[list[str]], left: int) -> str:
    """A plain-text table; the first `left` columns are text, the others figures."""
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < left else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: list[str], rows: list[list[str]], left: int) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i < left else "---:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine(backend: Backend) -> dict[str, str]:
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
    info[{"postgresql": "PostgreSQL", "sqlite": "SQLite"}[backend.name]] = backend.version()
    info["SQLAlchemy / psycopg"] = f"{sqlalchemy.__version__} / {psycopg.__version__}"
    if hasattr(os, "getloadavg"):
        info["load average at the end (1, 5, 15 min)"] = ", ".join(f"{load:.1f}" for load in os.getloadavg())
    return info


# -- the document ------------------------------------------------------------------------------------

DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:task-list:start -->", "<!-- bench:task-list:end -->"
SECTION_HEAD = """
## Task list (issue: workspace core)

The first page (50 rows) of the collector's task list at 100,000 customers and 1,000,000 tasks:
"my open tasks" by due date, and "all open tasks" by overdue amount, largest first. Target (from the
issue): p95 under 50 ms on PostgreSQL for both, printed beside a naive hand-written SQL of the same
list; the API's throughput for the list at 8 concurrent clients, reported.

```sh
.venv/bin/python bench/task_list.py --customers 100000 --tasks 1000000 --backend postgresql --write-docs
.venv/bin/python bench/task_list.py --customers 1000 --tasks 10000 --backend sqlite   # a smoke run
```

`bench/task_list.py` takes the ledger of `bench/ledger.py` (N customers, 10N invoices, contacts with
phones, payments) and bulk-loads it raw (PostgreSQL `COPY`, ids given) into a fresh database migrated
to the newest schema (`arrears_bench_tasks`), with `paid_minor` cached on the invoices from the
payments, 3% of the open invoices disputed and 0.5% excluded, 2% of the customers on hold; 20
collectors and a manager; and the tasks: 80% open (due from 60 days ago to 30 days ahead), 17% done,
3% cancelled, three in four assigned to the customer's collector and the rest to another, 70% tagged to
one or two of the customer's invoices, half of them on a tenth of the customers (as the invoices are).
It then runs `VACUUM ANALYZE` (what autovacuum does after such a load), refreshes every balance once
through `SqlBalances.refresh_balances` (the daily cost: the first read of a day does it) and once for
1,000 customers (what an import of a small file adds), and times, interleaved, with a clock fixed on
the ledger's last day:

- **service**: `arrears.services.tasks.list_tasks` as a collector would call it (a unit of work of
  its own: the balance date check, the page, then the tagged invoices and phone numbers of its rows),
  for "mine" the collector changing on every run;
- **naive SQL**: one hand-written statement of the same list on the raw psycopg connection, the
  overdue amount summed from the open invoices per customer on every read (a derived table grouped by
  customer, joined to tasks, customers and users, ORDER BY, LIMIT 50), fully fetched. Both sides must
  list the same tasks with the same amounts.
- **API**: `create_app` in one uvicorn process on 127.0.0.1 (its clock fixed as well), and 8 httpx
  clients on the same machine, each sending `GET /api/v1/tasks` again as soon as it has an answer
  (Bearer tokens from `arrears.services.accounts.issue_token`; collectors' for "mine", the
  manager's for `?all=true&sort=-overdue_amount`), for 20 s per list after a 2 s warm-up.
"""
READING_PLACEHOLDER = """
### Reading the task list results

(Written by hand after a full run.)
"""


def counts(backend: Backend) -> dict[str, int]:
    """What the database holds, for the document (the same whether it was built now or reused)."""
    queries = {
        "customers": "SELECT COUNT(*) FROM customers",
        "customers on hold": "SELECT COUNT(*) FROM customers WHERE on_hold",
        "contacts": "SELECT COUNT(*) FROM contacts",
        "invoices": "SELECT COUNT(*) FROM invoices",
        "open invoices": "SELECT COUNT(*) FROM invoices WHERE status = 'open'",
        "disputed open invoices": "SELECT COUNT(*) FROM invoices WHERE status = 'open' AND disputed",
        "payments": "SELECT COUNT(*) FROM payments",
        "tasks": "SELECT COUNT(*) FROM tasks",
        "open tasks": "SELECT COUNT(*) FROM tasks WHERE status = 'open'",
        "tagged invoices": "SELECT COUNT(*) FROM task_invoices",
        "customers with something overdue": "SELECT COUNT(*) FROM customer_balances WHERE overdue_minor > 0",
    }
    connection = backend.connect()
    try:
        return {name: int(connection.execute(sql).fetchone()[0]) for name, sql in queries.items()}
    finally:
        connection.close()


def results_block(result: dict[str, Any], api: list[Throughput], timings: list[Timing]) -> str:
    held = result["counts"]
    build = result["built"]
    lines = [
        START,
        f"### Results of {datetime.now(UTC):%Y-%m-%d}",
        "",
        f"`{result['command']}`, written by `--write-docs`.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in result["machine"].items()),
        "",
        "Data: "
        + ", ".join(f"{value:,} {name}" for name, value in held.items())
        + "."
        + (f" Built in {build['seconds']:.0f} s." if build else " (A database built earlier, `--reuse`.)"),
        "",
        f"Daily balance refresh through `SqlBalances.refresh_balances` (the customers with something falling due "
        f"since the last refresh, or everyone on a fresh database: {result['refresh_all_rows']:,}) "
        f"in {result['refresh_all_seconds']:.2f} s; 1,000 customers in {result['refresh_1000_seconds'] * 1000:.0f} ms.",
        "",
        f"Milliseconds, wall-clock in the benchmark's process: {timings[0].runs} runs of each service list, "
        f"{timings[1].runs} of each naive SQL.",
        "",
        markdown_table(HEADER, cells(timings), 3),
        "",
    ]
    if api:
        lines += [
            "API, one uvicorn process, clients on the same machine:",
            "",
            markdown_table(API_HEADER, api_cells(api), 1),
            "",
        ]
    else:
        lines += ["API: not measured in this run.", ""]
    lines += [f"- **{failure}**" for failure in result["failures"]]
    lines.append(END)
    return "\n".join(lines)


def write_docs(block: str) -> None:
    """Rewrite this benchmark's results block of docs/benchmarks.md, or append the section; nothing else."""
    current = DOCS.read_text(encoding="utf-8") if DOCS.is_file() else ""
    if START in current and END in current:
        before, rest = current.split(START, 1)
        updated = before + block + rest.split(END, 1)[1]
    else:
        head = current.rstrip() + "\n" if current else "# Benchmarks\n"
        updated = head + SECTION_HEAD + "\n" + block + "\n" + READING_PLACEHOLDER
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(updated, encoding="utf-8")
    log(f"wrote {DOCS.relative_to(ROOT)}")


# -- main --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Time the task list's first pages against a naive SQL.")
    parser.add_argument("--customers", type=int, default=1_000, help="customers; the ledger has 10 invoices each")
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks (default 10000)")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("ARREARS_BENCH_TASKS_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    parser.add_argument("--repeat", type=int, default=200, help="timed runs of each list (default 200)")
    parser.add_argument("--naive-repeat", type=int, default=50, help="timed runs of each naive SQL (default 50)")
    parser.add_argument("--seed", type=int, default=ledger.DEFAULT_SEED)
    parser.add_argument("--reuse", action="store_true", help="keep a database this script built with these sizes")
    parser.add_argument("--api-seconds", type=float, default=20, help="API run per list, 0 to skip (default 20)")
    parser.add_argument("--api-clients", type=int, default=8, help="concurrent API clients (default 8)")
    parser.add_argument("--write-docs", action="store_true", help="write the results into docs/benchmarks.md")
    parser.add_argument("--serve-api", nargs=3, metavar=("URL", "PORT", "RATE_LIMIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve_api:
        serve_api(args.serve_api[0], int(args.serve_api[1]), int(args.serve_api[2]))
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    backend: Backend = (
        Postgres(args.postgres_url) if args.backend == "postgresql" else Sqlite(args.customers, args.tasks)
    )
    size = args.customers * 10
    data = ledger.ensure(OUT / f"ledger-{size}", size, args.seed)
    log(f"ledger of {size:,} invoices: {data.customers:,} customers, {data.contacts:,} contacts")
    if data.customers != args.customers:
        parser.error(f"the ledger of {size:,} invoices has {data.customers:,} customers, not {args.customers:,}")

    marker = f"customers={data.customers};tasks={args.tasks};seed={args.seed};ledger={ledger.GENERATOR_VERSION}"
    built: Built | None = None
    if args.reuse and built_as(backend) == marker:
        log(f"{backend.name}: reusing the database built with {marker}")
        backend.migrate()
    else:
        log(f"{backend.name}: fresh database")
        backend.fresh()
        built = build(backend, data, args.tasks, args.seed)
        log(f"{backend.name}: built in {built.seconds:.1f}s")
    backend.analyze()

    failures: list[str] = []
    app = bootstrap(Settings(database_url=backend.url), FixedClock(NOON))
    try:
        daily, every, partial_s, partial = time_refresh(app, data.customers, args.seed)
        log(f"{backend.name}: balances refreshed for {every:,} customers in {daily:.2f}s")
        log(f"{backend.name}: and for {partial:,} customers (a small import) in {partial_s * 1000:.0f} ms")
        backend.analyze()
        timings = bench_lists(backend, app, args.repeat, args.naive_repeat, failures)
        api: list[Throughput] = []
        if args.api_seconds <= 0:
            log("API: skipped (--api-seconds 0)")
        elif importlib.util.find_spec("arrears.api") is None:
            log("API: not measured, there is no arrears.api yet")
        else:
            api = bench_api(backend, app, args.api_clients, args.api_seconds)
    finally:
        app.close()

    print("\n" + text_table(HEADER, cells(timings), 3) + "\n", flush=True)
    if api:
        print(text_table(API_HEADER, api_cells(api), 1) + "\n", flush=True)
    print(f"daily balance refresh ({every:,} customers due): {daily:.2f}s; 1,000 customers: {partial_s * 1000:.0f} ms")
    result = {
        "command": " ".join(["python bench/task_list.py", *sys.argv[1:]]),
        "machine": machine(backend),
        "built": None if built is None else asdict(built),
        "counts": counts(backend),
        "refresh_all_seconds": daily,
        "refresh_all_rows": every,
        "refresh_1000_seconds": partial_s,
        "timings": [asdict(timing) for timing in timings],
        "api": [asdict(r) | {"per_second": r.per_second} for r in api],
        "markdown": markdown_table(HEADER, cells(timings), 3),
        "api_markdown": markdown_table(API_HEADER, api_cells(api), 1) if api else None,
        "failures": failures,
    }
    path = OUT / f"task-list-{backend.name}-{data.customers}-{args.tasks}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    log(f"wrote {path.relative_to(ROOT)}")
    if args.write_docs:
        write_docs(results_block(result, api, timings))
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
