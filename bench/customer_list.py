"""The customer list and its search at scale (docs/benchmarks.md, "Customer list and search"), and the
customer record of one customer with 2,000 invoices among them.

1. A fresh database (PostgreSQL: a database of its own, `arrears_bench_customers_<pid>` unless
   `--postgres-url` names one, dropped at the end unless `--keep`; SQLite: a file under bench/out/),
   migrated to the newest schema, is filled with raw bulk loads (PostgreSQL `COPY`, sqlite3
   `executemany`, ids given): 20 collectors and a manager; N customers with made-up company names
   (the words of `arrears.demo.vocabulary` and coined brand names), an email, a phone, tags, 2% on
   hold, 70% with a collector; 2 contacts each (name, email, phone); about `--invoices-per-customer`
   invoices each (numbered `INV-0000001`...), issued over 18 months, most older ones paid (`paid_minor`
   cached as an import does), 3% of the open ones in dispute (with their dispute) and 0.5% excluded;
   and one customer with 2,000 invoices. Then `VACUUM ANALYZE`, and the balances through
   `arrears.services.balances.roll_balances` (timed, for information).
2. Timed, interleaved, with a clock fixed on the ledger's last day: `arrears.services.customers.customer_list`
   as a manager calls it (a unit of work of its own, first page of 50) for each of these lists,
   `--repeat` times each, the search text changing on every run (a pool drawn from the data):
   a name fragment (4 letters from the middle of a coined name), a common word (4 letters of a trade:
   thousands of matches), an exact invoice number, a contact's email fragment, a phone fragment, a search
   that matches nothing; no search sorted by name (first page, and the page at offset 5,000); sorted by
   overdue amount, and by outstanding amount; overdue customers of one collector. Beside each, on the raw
   DBAPI connection and fully fetched, `--naive-repeat` times: for the searches the naive SQL a newcomer
   would write (`ILIKE '%x%'` on the customer's columns `OR EXISTS` a contact `OR EXISTS` an invoice that
   matches), for the other lists the same list written by hand. Before them, both sides must list the
   same customers for the first few search texts of each kind (MISMATCH, exit status 1, if not).
3. `EXPLAIN (ANALYZE, BUFFERS)` of the service's own statement for a name fragment: whether PostgreSQL
   reads the trigram indexes `ix_customers_search` and `ix_contacts_search` (migration 0010), in the
   plan for the search text (custom) and in the plan psycopg's prepared statement may settle on (generic).
4. The customer record: `arrears.services.customer_record.customer_record` of the customer with 2,000
   invoices, `--record-repeat` times, beside one hand-written statement reading the same 500 invoice rows.

Targets (from the product's aims): with 100,000 customers, the customer list with a search has p95
under 150 ms on PostgreSQL; the customer record with 2,000 invoices under 200 ms. Reported, never asserted.

    python bench/customer_list.py --customers 100000 --backend postgresql --wait-load 1.0
    python bench/customer_list.py --customers 2000 --backend sqlite --repeat 20    # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import time as timer
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from psycopg import sql as pgsql
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from arrears.adapters.clock import FixedClock
from arrears.adapters.db.engine import make_engine, upgrade
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.demo.vocabulary import CONTACT_ROLES, FIRST_NAMES, PLACES, REGIONS, SEGMENTS, SURNAMES, TRADES
from arrears.domain.users import Role, User
from arrears.services import customer_record as record_service
from arrears.services import customers as customer_service
from arrears.services.balances import roll_balances

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"

TODAY = date(2026, 6, 30)  # the ledger's last day, as in bench/ledger.py
NOON = datetime.combine(TODAY, time(12), UTC)
HISTORY_DAYS = 540
COLLECTORS = 20
PAGE = 50
DEEP_OFFSET = 5000
BIG_INVOICES = 2000
LIST_TARGET_MS = 150.0  # the customer list with a search, p95, PostgreSQL, 100,000 customers
RECORD_TARGET_MS = 200.0  # the customer record with 2,000 invoices
POOL = 20  # search texts per kind of search, one per run in turn
CHECKED = 3  # search texts of each kind checked on both sides before the timed runs

CUSTOMER_COLUMNS = (
    "id", "external_id", "name", "currency", "payment_terms_days", "credit_limit_minor", "collector_id",
    "email", "phone", "tags", "on_hold",
)  # fmt: skip
CONTACT_COLUMNS = ("id", "customer_id", "contact_key", "external_id", "name", "email", "phone", "role")
INVOICE_COLUMNS = (
    "id", "external_id", "customer_id", "number", "issue_date", "due_date", "currency", "amount_minor",
    "paid_minor", "is_void", "status", "excluded", "disputed",
)  # fmt: skip
DISPUTE_COLUMNS = ("id", "invoice_id", "customer_id", "reason", "amount_minor", "currency", "owner_id", "opened_by")

# Coined brand names (two or three syllables) make most names distinctive, as a real customer base is;
# the vocabulary's places, surnames and trades make the rest, sharing their words with thousands.
SYLLABLES = (
    "al", "bar", "cor", "dan", "el", "fen", "gar", "hal", "is", "jor", "kel", "lin", "mar", "nor", "or",
    "pel", "quin", "ral", "sor", "tal", "ul", "ver", "wyn", "xan", "yor", "zel", "ben", "cas", "dra", "ev",
    "fi", "gon", "har", "ith", "kor", "lum", "mon", "ny", "os", "pra", "rin", "sta", "tor", "vel", "wen",
)  # fmt: skip
DISPUTE_REASONS = ("pricing", "quantity", "damaged", "not_received", "duplicate_billing", "missing_po")


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# -- the baselines -----------------------------------------------------------------------------------

# The list's columns and joins, written by hand: the same rows the service returns.
SELECT = """
SELECT c.id, c.external_id, c.name, c.currency, u.name AS collector, b.outstanding_invoice_count,
       COALESCE(b.outstanding_minor, 0) AS outstanding_minor, COALESCE(b.overdue_minor, 0) AS overdue_minor,
       c.on_hold, c.tags,
       (SELECT COUNT(*) FROM invoices AS d WHERE d.customer_id = c.id AND d.status = 'open' AND d.disputed)
           AS disputed,
       c.phone, c.email
FROM customers AS c
LEFT JOIN customer_balances AS b ON b.customer_id = c.id
LEFT JOIN users AS u ON u.id = c.collector_id
"""
# What a newcomer would write for "find the customer": ILIKE everywhere, contacts and invoices in EXISTS.
NAIVE_SEARCH = (
    SELECT
    + """WHERE c.name ILIKE :pattern OR c.external_id ILIKE :pattern OR c.email ILIKE :pattern
   OR c.phone ILIKE :pattern
   OR EXISTS (SELECT 1 FROM contacts AS k WHERE k.customer_id = c.id
              AND (k.name ILIKE :pattern OR k.email ILIKE :pattern OR k.phone ILIKE :pattern))
   OR EXISTS (SELECT 1 FROM invoices AS i WHERE i.customer_id = c.id
              AND (i.number ILIKE :pattern OR i.external_id = :needle))
ORDER BY c.name, c.id
LIMIT 50"""
)
BY_NAME = SELECT + "ORDER BY c.name, c.id\nLIMIT 50 OFFSET :offset"
BY_OVERDUE = SELECT + "ORDER BY c.currency, COALESCE(b.overdue_minor, 0) DESC, c.name, c.id\nLIMIT 50"
BY_OUTSTANDING = SELECT + "ORDER BY c.currency, COALESCE(b.outstanding_minor, 0) DESC, c.name, c.id\nLIMIT 50"
OVERDUE_OF_COLLECTOR = (
    SELECT + "WHERE b.overdue_minor > 0 AND u.name = :collector\nORDER BY c.name, c.id\nLIMIT 50"
)  # fmt: skip
# The customers a search text finds (the service's own rule, on the indexed expressions): for the document.
MATCHES = """
SELECT COUNT(*) FROM (
    SELECT id FROM customers
    WHERE lower(name || ' ' || external_id || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')) LIKE :pattern
    UNION
    SELECT customer_id FROM contacts
    WHERE lower(name || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')) LIKE :pattern
    UNION
    SELECT customer_id FROM invoices WHERE lower(number) = :lowered OR external_id = :needle
) AS found
"""
# The customer record's invoice rows, by hand (as bench/customer_page.py): the first 500, open first.
RECORD_INVOICES = """
SELECT i.external_id, c.external_id, i.number, i.issue_date, i.due_date, i.amount_minor,
       i.amount_minor - i.paid_minor - i.credited_minor - i.written_off_minor, i.currency, i.status,
       i.disputed, i.plan_id
FROM invoices AS i JOIN customers AS c ON c.id = i.customer_id
WHERE c.external_id = :customer
ORDER BY CASE WHEN i.status = 'open' THEN 0 ELSE 1 END,
         CASE WHEN i.status = 'open' THEN i.due_date END, i.due_date DESC, i.id
LIMIT 500
"""


# -- backends ----------------------------------------------------------------------------------------


class Backend:
    name: str
    url: str

    def fresh(self) -> None:
        raise NotImplementedError

    def drop(self) -> None:
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

    def __init__(self, customers: int) -> None:
        self.path = OUT / f"customer-list-{customers}.db"
        self.url = f"sqlite:///{self.path}"

    def fresh(self) -> None:
        self.drop()
        self.migrate()

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

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

    def sql(self, statement: str) -> str:
        return statement.replace(" ILIKE ", " LIKE ")  # SQLite's LIKE ignores the case of ASCII letters

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

    def _admin(self, statement: str) -> None:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(statement))
        finally:
            admin.dispose()

    def fresh(self) -> None:
        self.drop()
        self._admin(f'CREATE DATABASE "{self.database}"')
        self.migrate()

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

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


def brand(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3)))).capitalize()


def company_name(rng: random.Random) -> tuple[str, str]:
    """(the name, its distinctive first word or "" when it has none)."""
    draw = rng.random()
    if draw < 0.35:
        word = brand(rng)
        base = f"{word} {rng.choice(TRADES)}"
    elif draw < 0.50:
        word = brand(rng)
        base = word
    elif draw < 0.75:
        word, base = "", f"{rng.choice(PLACES)} {rng.choice(TRADES)}"
    elif draw < 0.90:
        word, base = "", f"{rng.choice(SURNAMES)} {rng.choice(TRADES)}"
    else:
        first, second = rng.sample(SURNAMES, 2)
        word, base = "", f"{first} & {second}"
    return base, word


def slug(text_: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text_.lower()).split())


@dataclass
class Built:
    customers: int
    contacts: int
    invoices: int
    open_invoices: int
    disputes: int
    on_hold: int
    with_collector: int
    big_customer: str
    seconds: float
    # search texts drawn from the data, per kind of search
    pools: dict[str, list[str]] = field(default_factory=dict)


def build(backend: Backend, n_customers: int, per_customer: int, seed: int) -> Built:
    """Fill a fresh, migrated database with raw bulk loads; ids are given, so no look-ups are needed."""
    started = timer.perf_counter()
    rng = random.Random(seed)
    pick = random.Random(f"{seed}:pools")
    connection = backend.connect()
    try:
        people = [("ana", Role.MANAGER)] + [(n.lower(), Role.CONTRIBUTOR) for n in FIRST_NAMES[:COLLECTORS]]
        backend.load(
            connection,
            "users",
            ("id", "name", "email", "role"),
            ((n, name, f"{name}@example.com", role.value) for n, (name, role) in enumerate(people, 1)),
        )
        collectors = list(range(2, COLLECTORS + 2))

        # Per customer: its currency (index into REGIONS), terms, on hold; kept for the invoices.
        region_of = array("b", [0]) * (n_customers + 1)
        terms_of = array("h", [0]) * (n_customers + 1)
        held = bytearray(n_customers + 1)
        regions = [r for r in REGIONS]
        weights = [r.share for r in REGIONS]
        distinctive: list[tuple[int, str]] = []  # (customer, its coined word), for the name-fragment pool
        counts = {"on_hold": 0, "with_collector": 0}
        emails: dict[int, str] = {}

        def phone(region_index: int) -> str:
            number = rng.randrange(10_000)
            if regions[region_index].code == "us":
                return f"+1 {rng.choice((212, 303, 312, 404, 415, 512, 617, 713))} 555 {number:04d}"
            if regions[region_index].code == "uk":
                return f"+44 {rng.choice(('20 7946', '161 496', '113 496'))} {number:04d}"
            return f"+33 {rng.choice((1, 2, 4))} 99 {number // 100:02d} {number % 100:02d}"

        def customer_rows() -> Iterator[tuple[Any, ...]]:
            for number in range(1, n_customers + 1):
                k = rng.choices(range(len(regions)), weights)[0]
                region = regions[k]
                segment = rng.choices(SEGMENTS, [s.share for s in SEGMENTS])[0]
                base, word = company_name(rng)
                if word and len(word) >= 7:
                    distinctive.append((number, word))
                terms = rng.choice((15, 30, 30, 30, 45, 60))
                region_of[number], terms_of[number] = k, terms
                on_hold = rng.random() < 0.02
                held[number] = on_hold
                collector = rng.choice(collectors) if rng.random() < 0.7 else None
                counts["on_hold"] += on_hold
                counts["with_collector"] += collector is not None
                domain = f"{slug(base)}.example.com"
                emails[number] = domain
                yield (
                    number,
                    f"CUST-{number:06d}",
                    f"{base} {rng.choice(region.suffixes)}",
                    region.currency,
                    terms,
                    rng.randrange(5, 500) * 100_000 if rng.random() < 0.6 else None,
                    collector,
                    f"{rng.choice(('ap', 'accounts', 'invoices', 'billing'))}@{domain}",
                    phone(k),
                    f"{segment.name};{region.code}",
                    on_hold,
                )

        customers = backend.load(connection, "customers", CUSTOMER_COLUMNS, customer_rows())
        log(f"{backend.name}: {customers:,} customers")

        contact_emails: list[str] = []
        contact_phones: list[str] = []
        sample_contacts = set(pick.sample(range(1, n_customers + 1), min(n_customers, POOL * 3)))

        def contact_rows() -> Iterator[tuple[Any, ...]]:
            n = 0
            for customer in range(1, n_customers + 1):
                domain = emails.pop(customer)
                for role in ("Accounts Payable", rng.choice(CONTACT_ROLES)):
                    n += 1
                    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                    email = f"{first.lower()}.{last.lower()}@{domain}"
                    number = phone(region_of[customer])
                    if customer in sample_contacts and role != "Accounts Payable":
                        contact_emails.append(email)
                        contact_phones.append(number)
                    yield (n, customer, f"id:CON-{n:07d}", f"CON-{n:07d}", f"{first} {last}", email, number, role)

        contacts = backend.load(connection, "contacts", CONTACT_COLUMNS, contact_rows())
        log(f"{backend.name}: {contacts:,} contacts")

        start = TODAY - timedelta(days=HISTORY_DAYS)
        disputed_rows: list[tuple[int, int, int, str]] = []  # invoice, customer, outstanding, currency
        open_invoices = 0
        invoice_numbers: list[str] = []
        big = max(1, n_customers // 2)  # the customer with 2,000 invoices, somewhere in the middle
        sample_invoices = POOL * 50

        def invoice_rows() -> Iterator[tuple[Any, ...]]:
            nonlocal open_invoices
            n = 0
            for customer in range(1, n_customers + 1):
                currency = regions[region_of[customer]].currency
                count = BIG_INVOICES if customer == big else rng.randint(per_customer // 2, per_customer * 3 // 2)
                typical = rng.choice((400, 1_500, 6_000, 20_000)) * 100
                for _ in range(count):
                    n += 1
                    issue = start + timedelta(days=rng.randrange(HISTORY_DAYS))
                    due = issue + timedelta(days=terms_of[customer])
                    amount = max(1_000, int(typical * rng.lognormvariate(0, 0.6)))
                    late = (TODAY - due).days
                    void = rng.random() < 0.005
                    chance = 0.9 if late > 90 else 0.8 if late > 30 else 0.6 if late > 0 else 0.25
                    draw = rng.random()
                    paid = amount if draw < chance else rng.randrange(1, amount) if draw < chance + 0.1 else 0
                    status = "void" if void else "paid" if paid >= amount else "open"
                    is_open = status == "open"
                    disputed = is_open and rng.random() < 0.03
                    if is_open:
                        open_invoices += 1
                    if disputed:
                        disputed_rows.append((n, customer, amount - paid, currency))
                    number = f"INV-{n:07d}"
                    if n % 997 == 0 and len(invoice_numbers) < sample_invoices:
                        invoice_numbers.append(number)
                    yield (
                        n,
                        f"E{n:08d}",
                        customer,
                        number,
                        issue,
                        due,
                        currency,
                        amount,
                        0 if void else paid,
                        void,
                        status,
                        is_open and not disputed and rng.random() < 0.005,
                        disputed,
                    )

        invoices = backend.load(connection, "invoices", INVOICE_COLUMNS, invoice_rows())
        log(f"{backend.name}: {invoices:,} invoices ({open_invoices:,} open)")
        disputes = backend.load(
            connection,
            "disputes",
            DISPUTE_COLUMNS,
            (
                (n, invoice, customer, rng.choice(DISPUTE_REASONS), amount, currency, rng.choice(collectors), 1)
                for n, (invoice, customer, amount, currency) in enumerate(disputed_rows, 1)
            ),
        )
        log(f"{backend.name}: {disputes:,} open disputes")
        backend.after_load(connection, ("users", "customers", "contacts", "invoices", "disputes"))
    finally:
        connection.close()

    # The search texts, drawn from the data (the same for the same seed and size).
    def middle(word: str, length: int = 4) -> str:
        at = pick.randrange(1, len(word) - length)
        return word[at : at + length].lower()

    trades = [t for t in TRADES if len(t) >= 7 and " " not in t]
    pools = {
        "name": [middle(word) for _, word in pick.sample(distinctive, min(POOL, len(distinctive)))],
        "word": [middle(trade) for trade in pick.sample(trades, min(POOL, len(trades)))],
        "invoice": pick.sample(invoice_numbers, min(POOL, len(invoice_numbers))),
        "email": [e.split("@")[0] + "@" + e.split("@")[1][:4] for e in contact_emails[:POOL]],
        "phone": [p[-8:] for p in contact_phones[:POOL]],
        "nothing": ["".join(pick.choice("qxzjvw") for _ in range(6)) for _ in range(POOL)],
    }
    return Built(
        customers,
        contacts,
        invoices,
        open_invoices,
        disputes,
        counts["on_hold"],
        counts["with_collector"],
        f"CUST-{big:06d}",
        timer.perf_counter() - started,
        pools,
    )


# -- timings -----------------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    side: str
    runs: int
    p50_ms: float
    p95_ms: float
    max_ms: float

    @classmethod
    def of(cls, name: str, side: str, seconds: list[float]) -> Timing:
        ms = sorted(s * 1000 for s in seconds)
        cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        return cls(name, side, len(ms), statistics.median(ms), cuts[94], ms[-1])


@dataclass
class Query:
    """One list: the service's arguments and the baseline's statement and parameters for run n."""

    name: str
    baseline: str  # "naive SQL" or "same SQL by hand"
    service: Callable[[int], dict[str, Any]]
    sql: str
    params: Callable[[int], dict[str, Any]]
    target_ms: float | None  # None: no stated target (the same 150 ms shown for reference)
    pool: list[str] = field(default_factory=list)


def queries(built: Built, collectors: list[str]) -> list[Query]:
    pools = built.pools

    def search(kind: str) -> tuple[Callable[[int], dict[str, Any]], Callable[[int], dict[str, Any]]]:
        pool = pools[kind]
        return (
            lambda n: {"q": pool[n % len(pool)]},
            lambda n: {"pattern": f"%{pool[n % len(pool)]}%", "needle": pool[n % len(pool)]},
        )

    found: list[Query] = []
    for kind, title in (
        ("name", "search: a name fragment (4 letters)"),
        ("word", "search: a common word (4 letters of a trade)"),
        ("invoice", "search: an exact invoice number"),
        ("email", "search: a contact's email fragment"),
        ("phone", "search: a phone fragment"),
        ("nothing", "search: no match"),
    ):
        service, params = search(kind)
        found.append(Query(title, "naive SQL", service, NAIVE_SEARCH, params, LIST_TARGET_MS, pools[kind]))
    found += [
        Query(
            "no search, by name, first page",
            "same SQL by hand",
            lambda n: {"sort": "name"},
            BY_NAME,
            lambda n: {"offset": 0},
            None,
        ),
        Query(
            f"no search, by name, offset {DEEP_OFFSET:,}",
            "same SQL by hand",
            lambda n: {"sort": "name", "offset": DEEP_OFFSET},
            BY_NAME,
            lambda n: {"offset": DEEP_OFFSET},
            None,
        ),
        Query(
            "no search, by overdue amount (-overdue)",
            "same SQL by hand",
            lambda n: {"sort": "-overdue"},
            BY_OVERDUE,
            lambda n: {},
            None,
        ),
        Query(
            "no search, by outstanding amount (-outstanding)",
            "same SQL by hand",
            lambda n: {"sort": "-outstanding"},
            BY_OUTSTANDING,
            lambda n: {},
            None,
        ),
        Query(
            "overdue, one collector's, by name",
            "same SQL by hand",
            lambda n: {"overdue": True, "collector": collectors[n % len(collectors)]},
            OVERDUE_OF_COLLECTOR,
            lambda n: {"collector": collectors[n % len(collectors)]},
            None,
        ),
    ]
    return found


def bench_lists(
    backend: Backend,
    app: Arrears,
    manager: User,
    lists: list[Query],
    repeat: int,
    naive_repeat: int,
    failures: list[str],
) -> tuple[list[Timing], list[float]]:
    connection = backend.connect()
    loads: list[float] = []

    def service(query: Query, n: int) -> list[int]:
        page = customer_service.customer_list(app.uow(), manager, limit=PAGE, **query.service(n))
        return [row.id for row in page.items]

    def raw(query: Query, n: int) -> list[int]:
        rows = connection.execute(backend.sql(query.sql), backend.params(query.params(n))).fetchall()
        backend.end_read(connection)
        return [int(row[0]) for row in rows]

    times: dict[tuple[str, str], list[float]] = {}
    for query in lists:
        times[(query.name, "service")] = []
        times[(query.name, query.baseline)] = []
    try:
        log(f"{backend.name}: check: both sides list the same customers (the first {CHECKED} search texts of each)")
        for query in lists:
            for n in range(max(1, min(CHECKED, len(query.pool)))):
                mine, theirs = service(query, n), raw(query, n)
                if mine != theirs:
                    failures.append(
                        f"MISMATCH {backend.name}: {query.name} #{n}: service {mine[:5]}... != "
                        f"{query.baseline} {theirs[:5]}... ({len(mine)} and {len(theirs)} rows)"
                    )
                    log(failures[-1])
        every = max(1, repeat // max(1, naive_repeat))
        log(f"{backend.name}: {repeat} timed runs of each list, the baseline on every {every}, interleaved")
        loads.append(os.getloadavg()[0])
        for n in range(repeat):
            for query in lists:
                started = timer.perf_counter()
                service(query, n)
                times[(query.name, "service")].append(timer.perf_counter() - started)
                if n % every == 0:
                    started = timer.perf_counter()
                    raw(query, n // every)
                    times[(query.name, query.baseline)].append(timer.perf_counter() - started)
            if (n + 1) % 20 == 0:
                loads.append(os.getloadavg()[0])
                log(f"{backend.name}: {n + 1} runs (load average {loads[-1]:.1f})")
    finally:
        connection.close()
    timings = []
    for query in lists:
        timings.append(Timing.of(query.name, "service", times[(query.name, "service")]))
        timings.append(Timing.of(query.name, query.baseline, times[(query.name, query.baseline)]))
    return timings, loads


def bench_record(
    backend: Backend, app: Arrears, manager: User, external_id: str, repeat: int, failures: list[str]
) -> tuple[list[Timing], list[float]]:
    connection = backend.connect()
    statement = backend.sql(RECORD_INVOICES)
    params = backend.params({"customer": external_id})

    def service() -> int:
        return len(record_service.customer_record(app.uow(), manager, external_id).invoices)

    def raw() -> int:
        rows = connection.execute(statement, params).fetchall()
        backend.end_read(connection)
        return len(rows)

    loads = [os.getloadavg()[0]]
    service_times: list[float] = []
    raw_times: list[float] = []
    try:
        for _ in range(3):  # warm-up
            mine, theirs = service(), raw()
        if mine != theirs or not mine:
            failures.append(f"MISMATCH {backend.name}: customer record: {mine} invoice rows, by hand {theirs}")
            log(failures[-1])
        for _ in range(repeat):
            started = timer.perf_counter()
            service()
            service_times.append(timer.perf_counter() - started)
            started = timer.perf_counter()
            raw()
            raw_times.append(timer.perf_counter() - started)
        loads.append(os.getloadavg()[0])
    finally:
        connection.close()
    name = f"customer record, {BIG_INVOICES:,} invoices"
    return [Timing.of(name, "service", service_times), Timing.of(name, "same SQL by hand", raw_times)], loads


def refresh(app: Arrears) -> tuple[float, int | None]:
    started = timer.perf_counter()
    count = roll_balances(app.uow())
    return timer.perf_counter() - started, count


def wait_for_quiet(under: float, longest: float = 1200) -> None:
    """Wait until the machine's 1-minute load average is under `under` (or `longest` seconds have passed)."""
    until = timer.monotonic() + longest
    while (load := os.getloadavg()[0]) >= under and timer.monotonic() < until:
        log(f"load average {load:.1f}, waiting for it to fall under {under:g}")
        timer.sleep(30)
    log(f"load average {os.getloadavg()[0]:.1f}: timing")


# -- EXPLAIN -----------------------------------------------------------------------------------------


@dataclass
class Plan:
    needle: str
    custom: str
    generic: str
    custom_uses: dict[str, bool]
    generic_uses: dict[str, bool]


INDEXES = ("ix_customers_search", "ix_contacts_search", "ix_invoices_number_lower")


def explain_search(backend: Postgres, app: Arrears, manager: User, needle: str) -> Plan:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement the service sends for `needle`: with its value (the plan
    PostgreSQL makes for one execution) and as a generic plan (what a prepared statement may settle on)."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "FROM customers" in statement and "LIKE" in statement:
            seen.append((statement, dict(parameters)))

    event.listen(app.engine, "before_cursor_execute", capture)
    try:
        customer_service.customer_list(app.uow(), manager, q=needle, limit=PAGE)
    finally:
        event.remove(app.engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    with psycopg.connect(backend.conninfo, autocommit=True) as connection:
        custom = "\n".join(
            str(row[0]) for row in connection.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
        )
        # The same statement prepared with $n parameters, planned without their values.
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        prepared = re.sub(r"%\((\w+)\)s", number, statement).replace("%%", "%")
        connection.execute("SET plan_cache_mode = force_generic_plan")
        connection.execute(f"PREPARE bench_search AS {prepared}")
        arguments = pgsql.SQL(", ").join(pgsql.Literal(parameters[name]) for name in names)
        rows = connection.execute(pgsql.SQL("EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_search ({})").format(arguments))
        generic = "\n".join(str(row[0]) for row in rows)
        connection.execute("DEALLOCATE bench_search")
    return Plan(
        needle,
        custom,
        generic,
        {index: index in custom for index in INDEXES},
        {index: index in generic for index in INDEXES},
    )


def match_counts(backend: Backend, pools: dict[str, list[str]]) -> dict[str, list[int]]:
    connection = backend.connect()
    try:
        statement = backend.sql(MATCHES)
        found: dict[str, list[int]] = {}
        for kind, pool in pools.items():
            found[kind] = []
            for needle in pool:
                values = {"pattern": f"%{needle.lower()}%", "lowered": needle.lower(), "needle": needle}
                found[kind].append(int(connection.execute(statement, backend.params(values)).fetchone()[0]))
                backend.end_read(connection)
        return found
    finally:
        connection.close()


# -- the report --------------------------------------------------------------------------------------

HEADER = ["list (first page of 50)", "side", "runs", "p50 ms", "p95 ms", "max ms", "target", "met"]


def cells(timings: list[Timing], targets: dict[str, float | None]) -> list[list[str]]:
    rows = []
    for timing in timings:
        target = targets.get(timing.name) if timing.side == "service" else None
        rows.append(
            [
                timing.name,
                timing.side,
                str(timing.runs),
                f"{timing.p50_ms:.1f}",
                f"{timing.p95_ms:.1f}",
                f"{timing.max_ms:.1f}",
                "-" if target is None else f"p95 < {target:g} ms",
                "" if target is None else ("yes" if timing.p95_ms < target else "NO"),
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
    return info


# -- main --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Time the customer list's searches and the customer record.")
    parser.add_argument("--customers", type=int, default=100_000, help="customers (default 100000)")
    parser.add_argument("--invoices-per-customer", type=int, default=10, help="about this many each (default 10)")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ARREARS_BENCH_CUSTOMERS_POSTGRES_URL"),
        help=f"a database of its own (default {DEFAULT_POSTGRES_SERVER}arrears_bench_customers_<pid>)",
    )
    parser.add_argument("--repeat", type=int, default=100, help="timed runs of each list (default 100)")
    parser.add_argument("--naive-repeat", type=int, default=10, help="timed runs of each baseline (default 10)")
    parser.add_argument("--record-repeat", type=int, default=50, help="timed runs of the customer record (default 50)")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument(
        "--wait-load",
        type=float,
        default=0,
        help="before the timed runs, wait (up to 20 min) until the 1-minute load average is under this",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database at the end (default: drop it)")
    args = parser.parse_args()
    if args.customers < 100:
        parser.error("at least 100 customers")

    OUT.mkdir(parents=True, exist_ok=True)
    backend: Backend
    if args.backend == "postgresql":
        backend = Postgres(args.postgres_url or f"{DEFAULT_POSTGRES_SERVER}arrears_bench_customers_{os.getpid()}")
    else:
        backend = Sqlite(args.customers)
    log(f"{backend.name}: fresh database {getattr(backend, 'database', backend.url)}")
    backend.fresh()
    failures: list[str] = []
    try:
        built = build(backend, args.customers, args.invoices_per_customer, args.seed)
        log(f"{backend.name}: built in {built.seconds:.1f}s")
        info = machine(backend)
        backend.analyze()
        app = bootstrap(Settings(database_url=backend.url), FixedClock(NOON))
        try:
            roll_seconds, rolled = refresh(app)
            log(f"{backend.name}: roll_balances: {rolled:,} customers in {roll_seconds:.2f}s")
            backend.analyze()
            with app.uow() as uow:
                people = {user.name: user for user in uow.users.all()}
            manager = people["ana"]
            collectors = sorted(name for name, user in people.items() if user.role is Role.CONTRIBUTOR)
            matches = match_counts(backend, built.pools)
            for kind, found in matches.items():
                log(f"{backend.name}: {kind}: {built.pools[kind][:4]}... match {sorted(found)} customers")
            plan = None
            if isinstance(backend, Postgres):
                plan = explain_search(backend, app, manager, built.pools["name"][0])
                print("\n" + plan.custom + "\n", flush=True)
                log(f"{backend.name}: name fragment {plan.needle!r}, plan for its value: {plan.custom_uses}")
                print("\n" + plan.generic + "\n", flush=True)
                log(f"{backend.name}: name fragment {plan.needle!r}, generic plan: {plan.generic_uses}")
            if args.wait_load > 0:
                wait_for_quiet(args.wait_load)
            lists = queries(built, collectors)
            timings, loads = bench_lists(backend, app, manager, lists, args.repeat, args.naive_repeat, failures)
            record, record_loads = bench_record(backend, app, manager, built.big_customer, args.record_repeat, failures)
        finally:
            app.close()
    finally:
        if not args.keep:
            backend.drop()
            log(f"{backend.name}: dropped the database")

    targets: dict[str, float | None] = {query.name: query.target_ms for query in lists}
    targets[record[0].name] = RECORD_TARGET_MS
    table = cells(timings + record, targets)
    print("\n" + text_table(HEADER, table, 2) + "\n", flush=True)
    every_load = loads + record_loads
    print(
        f"load average (1 min) during the timed runs: {min(every_load):.1f} to {max(every_load):.1f}, "
        f"mean {statistics.fmean(every_load):.1f}"
    )
    print(f"roll_balances: {rolled:,} customers in {roll_seconds:.2f} s; built in {built.seconds:.0f} s")
    result = {
        "command": " ".join(["python bench/customer_list.py", *sys.argv[1:]]),
        "machine": info,
        "built": asdict(built),
        "matches": matches,
        "roll_seconds": roll_seconds,
        "timings": [asdict(t) for t in timings + record],
        "table": table,
        "load_average_1min": every_load,
        "plan": None if plan is None else asdict(plan),
        "failures": failures,
    }
    path = OUT / f"customer-list-{backend.name}-{args.customers}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    log(f"wrote {path.relative_to(ROOT)}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
