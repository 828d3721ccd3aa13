"""The management reports at scale (docs/benchmarks.md, "Reports"): DSO/CEI over 90 days, their
12-month trend, promises, disputes and the team's work, each beside one hand-written SQL statement
computing the same figures.

1. A fresh PostgreSQL database (ARREARS_BENCH_POSTGRES_URL, default `arrears_bench_reports`), migrated
   to the newest schema, is filled by bench/credit.py's ledger (20 collectors, `--customers`
   customers, `--invoices` invoices over 18 months and their payments, credit scores and tasks: see
   its docstring), then by what the reports read that it lacks, all by INSERT … SELECT generate_series
   (not timed), for the year to the ledger's last day (2026-06-30):
   - promises to pay (`expected_payment` tasks), one per 16 invoices, their dates from a year back to
     30 days ahead, made 3 to 14 days before: those not yet due open; the others kept (62 in 100),
     broken (28), closed by hand without an outcome (10); 1 in 40 cancelled; taken by the customer's
     collector, or on the portal (no user) for 1 in 10; the rules close kept and broken ones (no user);
   - calls (`call` tasks), one per 5 invoices, completed by a collector on a working hour of a day of
     the last year (answered 45 in 100, not answered 30, voicemail 20, skipped 5), and 1 in 33 still open;
   - other work done by hand (`follow_up`, `validate_invoice`), one per 20 invoices;
   - disputes on one invoice in 50, opened over the last year under the seven default reason codes
     (pricing most often), for 20% to 100% of the invoice: 62 in 100 resolved and 18 rejected within
     1 to 45 days, the rest (and any whose closing would fall after the ledger's day) still open;
   - reminders (emails), 3 per 10 invoices, sent over the last year (95 in 100 `sent`, 2 `bounced`,
     1 `failed`, 2 still queued).
   Then `VACUUM ANALYZE` (autovacuum is off on this server).
2. Timed, with the clock fixed on the ledger's last day and the workspace's time zone (UTC), by wall
   clock and this process's CPU time, after one untimed run of each side, median of `--repeat` runs
   each, interleaved with its baseline (which side goes first alternates): one statement on a raw
   psycopg connection kept open, fully fetched. Both must give the same figures on every run
   (MISMATCH and exit status 1 if not):
   - `services.reports.receivables` (DSO and CEI, the 90 days to the ledger's day);
   - `services.reports.trend` (the 12 calendar months to it);
   - `services.reports.promises`, `disputes` and `productivity` (the 90 days);
   and once the CLI, `arrears report dso --format json > /dev/null`, in a child process, beside
   `arrears --help > /dev/null` (the start of the process and its imports alone); and what a unit
   of work costs around any statement (`SELECT 1` in `app.uow()` beside `SELECT 1` alone).

Reported, never asserted.

    python bench/reports.py                                       # 100,000 customers, 1,000,000 invoices
    python bench/reports.py --customers 2000 --invoices 20000     # a smoke run (make bench)
    python bench/reports.py --reuse                               # the database of the previous run
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time as timer
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
import credit as ledger
from arrears.adapters.clock import FixedClock
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain.reports import Period, Receivables
from arrears.services import reports
from customer_page import fresh, log

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench_reports"
TODAY = ledger.TODAY
NOON = datetime.combine(TODAY, time(12), UTC)
TIMEZONE = "UTC"
TARGET = 2.0

T = TypeVar("T")

# -- what the reports read beyond bench/credit.py's ledger -------------------------------------------

CURRENCY = "(ARRAY['USD', 'EUR', 'GBP'])[1 + {c} %% 3]"
COLLECTOR = "CASE WHEN {c} %% 10 < 7 THEN 1 + {c} %% %(collectors)s END"

EXTRA = [
    # Promises to pay: dates from a year back to 30 days ahead, made 3 to 14 days before.
    f"""INSERT INTO tasks (customer_id, type, due_date, status, source, outcome, expected_date, expected_amount_minor,
                           expected_currency, promise_made_on, assignee_id, created_by, created_at, completed_at,
                           completed_by)
       SELECT x.c, 'expected_payment', x.expected,
              CASE WHEN x.g %% 40 = 0 THEN 'cancelled' WHEN x.expected >= %(today)s - 2 THEN 'open' ELSE 'done' END,
              CASE WHEN x.g %% 10 = 0 THEN 'portal' ELSE 'manual' END,
              CASE WHEN x.g %% 40 = 0 OR x.expected >= %(today)s - 2 THEN NULL
                   WHEN x.r < 62 THEN 'kept' WHEN x.r < 90 THEN 'broken' END,
              x.expected, 50000 + (x.g * 7717) %% 2000000, {CURRENCY.format(c="x.c")}, x.expected - x.lead,
              x.collector, CASE WHEN x.g %% 10 <> 0 THEN x.collector END,
              (x.expected - x.lead)::timestamp AT TIME ZONE 'UTC' + interval '10 hours'
              + (x.g %% 420) * interval '1 minute',
              CASE WHEN x.g %% 40 <> 0 AND x.expected < %(today)s - 2
                   THEN (x.expected + 2)::timestamp AT TIME ZONE 'UTC' + interval '9 hours' END,
              CASE WHEN x.g %% 40 <> 0 AND x.expected < %(today)s - 2 AND x.r >= 90 THEN x.collector END
       FROM (SELECT g, c, {COLLECTOR.format(c="c")} AS collector, %(today)s - 365 + (g * 37) %% 396 AS expected,
                    3 + g %% 12 AS lead, (g * 13) %% 100 AS r
             FROM generate_series(1, %(invoices)s / 16) AS g,
                  LATERAL (SELECT 1 + (g::bigint * 7919) %% %(customers)s AS c) AS k) AS x""",
    # Calls: done by a collector on a working hour of a day of the last year; 1 in 33 still open.
    """INSERT INTO tasks (customer_id, type, due_date, status, outcome, assignee_id, created_at, completed_at,
                          completed_by)
       SELECT 1 + (g::bigint * 31) %% %(customers)s, 'call',
              %(today)s - g %% 365 + CASE WHEN g %% 33 = 0 THEN 7 ELSE 0 END,
              CASE WHEN g %% 33 = 0 THEN 'open' ELSE 'done' END,
              CASE WHEN g %% 33 = 0 THEN NULL
                   ELSE (ARRAY['answered', 'not_answered', 'left_voicemail', 'skipped'])[
                        CASE WHEN g %% 20 < 9 THEN 1 WHEN g %% 20 < 15 THEN 2 WHEN g %% 20 < 19 THEN 3 ELSE 4 END] END,
              1 + g %% %(collectors)s,
              (%(today)s - g %% 365 - 1)::timestamp AT TIME ZONE 'UTC' + interval '18 hours',
              CASE WHEN g %% 33 <> 0 THEN (%(today)s - g %% 365)::timestamp AT TIME ZONE 'UTC'
                   + interval '8 hours' + (g * 7 %% 540) * interval '1 minute' END,
              CASE WHEN g %% 33 <> 0 THEN 1 + g %% %(collectors)s END
       FROM generate_series(1, %(invoices)s / 5) AS g""",
    # Other work done by hand.
    """INSERT INTO tasks (customer_id, type, due_date, status, assignee_id, created_at, completed_at, completed_by)
       SELECT 1 + (g::bigint * 53) %% %(customers)s, (ARRAY['follow_up', 'validate_invoice'])[1 + g %% 2],
              %(today)s - g %% 365, 'done', 1 + g %% %(collectors)s,
              (%(today)s - g %% 365 - 3)::timestamp AT TIME ZONE 'UTC' + interval '9 hours',
              (%(today)s - g %% 365)::timestamp AT TIME ZONE 'UTC' + interval '13 hours'
              + (g %% 240) * interval '1 minute',
              1 + g %% %(collectors)s
       FROM generate_series(1, %(invoices)s / 20) AS g""",
    # Disputes: one invoice in 50, opened over the last year.
    """INSERT INTO disputes (invoice_id, customer_id, reason, amount_minor, currency, owner_id, status, opened_by,
                             closed_at, created_at, updated_at, source)
       SELECT x.id, x.customer_id, x.reason, x.amount, x.currency, x.owner,
              CASE WHEN x.closing IS NULL THEN 'open' WHEN x.r < 62 THEN 'resolved' ELSE 'rejected' END,
              CASE WHEN x.g %% 5 <> 0 THEN x.owner END, x.closing, x.opened, coalesce(x.closing, x.opened),
              CASE WHEN x.g %% 5 = 0 THEN 'portal' ELSE 'workspace' END
       FROM (SELECT i.id, i.customer_id, i.currency, g, (g * 17) %% 100 AS r,
                    1 + i.customer_id %% %(collectors)s AS owner,
                    (ARRAY['pricing', 'pricing', 'pricing', 'quantity', 'quantity', 'damaged', 'not_received',
                           'not_received', 'duplicate', 'already_paid', 'already_paid', 'other']
                    )[1 + g %% 12] AS reason,
                    greatest(1, i.amount_minor * (20 + g %% 81) / 100) AS amount, o.opened,
                    CASE WHEN (g * 17) %% 100 < 80
                              AND o.opened + (1 + (g * 11) %% 45) * interval '1 day' + interval '3 hours'
                                  < (%(today)s + 1)::timestamp AT TIME ZONE 'UTC'
                         THEN o.opened + (1 + (g * 11) %% 45) * interval '1 day' + interval '3 hours' END AS closing
             FROM generate_series(1, %(invoices)s / 50) AS g
             JOIN invoices AS i ON i.id = g * 50
             CROSS JOIN LATERAL (SELECT (%(today)s - (g * 7) %% 365)::timestamp AT TIME ZONE 'UTC'
                                        + interval '9 hours' + (g %% 480) * interval '1 minute' AS opened) AS o
       ) AS x""",
    "UPDATE invoices SET disputed = true WHERE id IN (SELECT invoice_id FROM disputes WHERE status = 'open')",
    # Reminders sent over the last year.
    """INSERT INTO emails (customer_id, dedupe_key, to_addresses, subject, html, text, template, workflow, step,
                           cycle_date, message_id, status, attempts, sent_at, created_at, updated_at)
       SELECT x.c, 'bench:' || x.g, '["ap@example.com"]', 'Invoices past due', '', '', 'reminder', 'standard',
              (ARRAY['due_soon', 'overdue_7', 'overdue_21', 'final'])[1 + x.g %% 4], x.day,
              '<' || x.g || '@bench.example>', x.status, CASE WHEN x.status = 'queued' THEN 0 ELSE 1 END,
              CASE WHEN x.status IN ('sent', 'bounced') THEN x.at END, x.at, x.at
       FROM (SELECT g, 1 + (g::bigint * 7919) %% %(customers)s AS c, %(today)s - g %% 365 AS day,
                    (%(today)s - g %% 365)::timestamp AT TIME ZONE 'UTC' + interval '6 hours'
                    + (g %% 3600) * interval '1 second' AS at,
                    CASE WHEN g %% 100 < 95 THEN 'sent' WHEN g %% 100 < 97 THEN 'bounced'
                         WHEN g %% 100 < 98 THEN 'failed' ELSE 'queued' END AS status
             FROM generate_series(1, %(invoices)s * 3 / 10) AS g) AS x""",
]

COUNTS = """
SELECT (SELECT count(*) FROM tasks WHERE type = 'expected_payment'),
       (SELECT count(*) FROM tasks WHERE type = 'expected_payment' AND expected_date BETWEEN %(start)s AND %(end)s),
       (SELECT count(*) FROM tasks WHERE type = 'call' AND status = 'done'),
       (SELECT count(*) FROM tasks WHERE status = 'done' AND completed_by IS NOT NULL),
       (SELECT count(*) FROM disputes), (SELECT count(*) FROM disputes WHERE status = 'open'),
       (SELECT count(*) FROM emails WHERE status IN ('sent', 'bounced')),
       (SELECT count(*) FROM payments WHERE date BETWEEN %(start)s AND %(end)s)
"""
COUNT_NAMES = (
    "promises", "promises dated in the 90 days", "calls done", "tasks done by a user", "disputes", "open disputes",
    "emails sent", "payments in the 90 days",
)  # fmt: skip


def build(url: str, customers: int, invoices: int) -> None:
    ledger.build(url, customers, invoices)
    values = {"collectors": ledger.COLLECTORS, "customers": customers, "invoices": invoices, "today": TODAY}
    with psycopg.connect(ledger.conninfo(url)) as connection:
        for statement in EXTRA:
            started = timer.perf_counter()
            connection.execute(statement, values)
            what = " ".join(statement.split()[:3])
            log(f"  {what}: {timer.perf_counter() - started:.1f} s")
    ledger.vacuum(url)


def counts(url: str, period: Period) -> dict[str, int]:
    found = ledger.counts(url)
    with psycopg.connect(ledger.conninfo(url)) as connection:
        row = connection.execute(COUNTS, {"start": period.start, "end": period.end}).fetchone()
    assert row is not None
    return {**found, **dict(zip(COUNT_NAMES, row, strict=True))}


# -- the baselines: one statement each ---------------------------------------------------------------


def receivables_sql(periods: Sequence[Period]) -> tuple[str, list[date]]:
    """AR(D) and current AR(D) for each day asked (the day before and the last day of each period)
    and each period's sales, per currency: the invoices' sums less the allocations' sums, one
    FILTER column per day, in one statement; and the days, in the order of the columns."""
    days = sorted({d for p in periods for d in (p.day_before, p.end)})
    net = "i.amount_minor - i.written_off_minor"
    issued = [f"sum({net}) FILTER (WHERE i.issue_date <= '{d}')" for d in days]
    current = [f"sum({net}) FILTER (WHERE i.issue_date <= '{d}' AND i.due_date >= '{d}')" for d in days]
    sales = [f"sum(i.amount_minor) FILTER (WHERE i.issue_date BETWEEN '{p.start}' AND '{p.end}')" for p in periods]
    paid = [f"sum(m.amount_minor) FILTER (WHERE m.date <= '{d}' AND i.issue_date <= '{d}')" for d in days]
    paid_current = [
        f"sum(m.amount_minor) FILTER (WHERE m.date <= '{d}' AND i.issue_date <= '{d}' AND i.due_date >= '{d}')"
        for d in days
    ]
    n = len(days)
    columns = ", ".join(
        [f"coalesce(s.a{k}, 0) - coalesce(m.a{k}, 0)" for k in range(n)]
        + [f"coalesce(s.c{k}, 0) - coalesce(m.c{k}, 0)" for k in range(n)]
        + [f"coalesce(s.s{j}, 0)" for j in range(len(periods))]
    )

    def named(sums: list[str], prefix: str) -> list[str]:
        return [f"{s} AS {prefix}{k}" for k, s in enumerate(sums)]

    last = max(days)
    statement = f"""
WITH s AS (
    SELECT i.currency, {", ".join(named(issued, "a") + named(current, "c") + named(sales, "s"))}
    FROM invoices AS i WHERE NOT i.is_void GROUP BY i.currency
), moves AS (
    SELECT invoice_id, date, amount_minor FROM payments WHERE invoice_id IS NOT NULL AND date <= '{last}'
    UNION ALL
    SELECT invoice_id, date, amount_minor FROM credit_notes WHERE invoice_id IS NOT NULL AND date <= '{last}'
), m AS (
    SELECT i.currency, {", ".join(named(paid, "a") + named(paid_current, "c"))}
    FROM moves AS m JOIN invoices AS i ON i.id = m.invoice_id
    WHERE NOT i.is_void AND i.issue_date <= '{last}' GROUP BY i.currency
)
SELECT s.currency, {columns} FROM s LEFT JOIN m ON m.currency = s.currency ORDER BY s.currency
"""
    return statement, days


def receivables_figures(rows: list[tuple[Any, ...]], periods: Sequence[Period], days: list[date]) -> dict[str, Any]:
    n = len(days)
    at = {d: k for k, d in enumerate(days)}
    return {
        row[0]: [
            Receivables(
                int(row[1 + at[p.day_before]]),
                int(row[1 + 2 * n + j]),
                int(row[1 + at[p.end]]),
                int(row[1 + n + at[p.end]]),
            )
            for j, p in enumerate(periods)
        ]
        for row in rows
    }


PROMISES = """
SELECT expected_currency,
       count(*) FILTER (WHERE status <> 'open' AND outcome = 'kept'),
       count(*) FILTER (WHERE status <> 'open' AND outcome = 'broken'),
       count(*) FILTER (WHERE status = 'open'),
       count(*) FILTER (WHERE status <> 'open' AND outcome IS DISTINCT FROM 'kept'
                              AND outcome IS DISTINCT FROM 'broken'),
       coalesce(sum(expected_amount_minor), 0),
       coalesce(sum(expected_amount_minor) FILTER (WHERE status <> 'open' AND outcome = 'kept'), 0)
FROM tasks
WHERE type = 'expected_payment' AND status <> 'cancelled' AND expected_date BETWEEN %(start)s AND %(end)s
  AND expected_currency IS NOT NULL
GROUP BY expected_currency ORDER BY expected_currency
"""

DISPUTES = """
SELECT reason, currency,
       count(*) FILTER (WHERE created_at >= %(since)s),
       coalesce(sum(amount_minor) FILTER (WHERE created_at >= %(since)s), 0),
       count(*) FILTER (WHERE status = 'resolved' AND closed_at >= %(since)s AND closed_at < %(until)s),
       count(*) FILTER (WHERE status = 'rejected' AND closed_at >= %(since)s AND closed_at < %(until)s),
       count(*) FILTER (WHERE closed_at IS NULL OR closed_at >= %(until)s),
       coalesce(sum(amount_minor) FILTER (WHERE closed_at IS NULL OR closed_at >= %(until)s), 0),
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY (closed_at AT TIME ZONE %(zone)s)::date - (created_at AT TIME ZONE %(zone)s)::date
       ) FILTER (WHERE status = 'resolved' AND closed_at >= %(since)s AND closed_at < %(until)s)
FROM disputes
WHERE created_at < %(until)s AND (closed_at IS NULL OR closed_at >= %(since)s)
GROUP BY reason, currency
"""

# Each user's figures as (user, what, key, number) rows: the tasks done (by call outcome; other tasks
# under no outcome), the promises taken, the reminders sent and the payments on their customers.
PRODUCTIVITY = """
SELECT completed_by, 'done', CASE WHEN type = 'call' THEN coalesce(outcome, 'done') END, count(*)
FROM tasks WHERE status = 'done' AND completed_by IS NOT NULL AND completed_at >= %(since)s AND completed_at < %(until)s
GROUP BY 1, 3
UNION ALL
SELECT created_by, 'promised', NULL, count(*)
FROM tasks WHERE type = 'expected_payment' AND created_by IS NOT NULL AND created_at >= %(since)s
                 AND created_at < %(until)s
GROUP BY 1
UNION ALL
SELECT c.collector_id, 'sent', NULL, count(*)
FROM emails AS e JOIN customers AS c ON c.id = e.customer_id
WHERE e.status IN ('sent', 'bounced') AND e.sent_at >= %(since)s AND e.sent_at < %(until)s
GROUP BY 1
UNION ALL
SELECT c.collector_id, 'collected', p.currency, sum(p.amount_minor)
FROM payments AS p JOIN customers AS c ON c.id = p.customer_id
WHERE p.date BETWEEN %(start)s AND %(end)s
GROUP BY 1, 3
UNION ALL
SELECT id, 'user', name, active::int FROM users
"""


# -- the same figures from both sides ------------------------------------------------------------------


def promise_keys(report: reports.PromisesReport) -> list[tuple[Any, ...]]:
    return [
        (r.currency, r.kept, r.broken, r.open, r.closed_by_hand, r.promised_minor, r.kept_minor) for r in report.rows
    ]


def dispute_keys(report: reports.DisputesReport) -> set[tuple[Any, ...]]:
    return {
        (
            r.reason,
            r.currency,
            r.opened,
            r.amount_minor,
            r.resolved,
            r.rejected,
            r.open,
            r.open_minor,
            reports._number(reports.rules.median_days(r.days_to_resolve)),
        )
        for r in report.rows
    }


def dispute_rows(rows: list[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    return {
        (*row[:8], None if row[8] is None else float(Decimal(str(row[8])).quantize(Decimal("0.1")))) for row in rows
    }


def productivity_keys(report: reports.ProductivityReport) -> list[tuple[Any, ...]]:
    return [
        (
            r.user,
            r.tasks_completed,
            tuple(sorted(r.calls.items())),
            r.promises_taken,
            r.emails_sent,
            tuple(sorted(r.collected.items())),
        )
        for r in report.rows
    ]


def productivity_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The service's rule on the baseline's rows: active users by name, then users and the row of no
    user when anything happened on them."""
    users: dict[int, tuple[str, bool]] = {}
    done: dict[int | None, int] = {}
    calls: dict[int | None, dict[str, int]] = {}
    promised: dict[int | None, int] = {}
    sent: dict[int | None, int] = {}
    collected: dict[int | None, dict[str, int]] = {}
    for who, what, key, number in rows:
        if what == "user":
            users[who] = (key, bool(number))
        elif what == "done":
            done[who] = done.get(who, 0) + number
            if key is not None:
                calls.setdefault(who, {})[key] = number
        elif what == "promised":
            promised[who] = number
        elif what == "sent":
            sent[who] = number
        else:
            collected.setdefault(who, {})[key] = int(number)
    ordered: list[tuple[int | None, str | None, bool]] = [
        (user_id, name, active) for user_id, (name, active) in sorted(users.items(), key=lambda u: u[1][0])
    ]
    out = []
    for user_id, name, active in [*ordered, (None, None, True)]:
        key = (
            name,
            done.get(user_id, 0),
            tuple(sorted(calls.get(user_id, {}).items())),
            promised.get(user_id, 0),
            sent.get(user_id, 0),
            tuple(sorted(collected.get(user_id, {}).items())),
        )
        busy = key[1] or key[2] or key[3] or key[4]
        if (active and user_id is not None) or busy or key[5]:
            out.append(key)
    return out


# -- timing ------------------------------------------------------------------------------------------


@dataclass
class Timed:
    wall: float
    cpu: float


def clocked(work: Callable[[], T]) -> tuple[Timed, T]:
    started, used = timer.perf_counter(), timer.process_time()
    result = work()
    return Timed(timer.perf_counter() - started, timer.process_time() - used), result


def one_in_uow(app: Arrears) -> list[tuple[Any, ...]]:
    with app.uow() as uow:
        return [tuple(r) for r in uow.connection.execute(text("SELECT 1")).all()]


@dataclass
class Case:
    name: str
    service: Callable[[], Any]
    baseline: Callable[[], Any]
    same: Callable[[Any, Any], bool]
    judged: bool = True


def median(runs: list[Timed]) -> Timed:
    return Timed(statistics.median(t.wall for t in runs), statistics.median(t.cpu for t in runs))


def run_cli(url: str, *arguments: str) -> Timed:
    """`arrears ARGUMENTS > /dev/null` as a user runs it: wall and the child's CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = timer.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "arrears"), *arguments],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "ARREARS_DATABASE_URL": url, "ARREARS_TIMEZONE": TIMEZONE},
    )
    wall = timer.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timed(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def row(what: str, timed: Timed, baseline: Timed | None, *, judged: bool = True) -> str:
    figures = f"| {what} | {timed.wall * 1000:,.1f} | {timed.cpu * 1000:,.1f} |"
    if baseline is None:
        return f"{figures} | |"
    ratio = timed.wall / baseline.wall
    met = ("yes" if ratio < TARGET else "**no**") if judged else "(not a report)"
    return f"{figures} {ratio:.2f}× | {met} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each report and of each baseline")
    parser.add_argument("--reuse", action="store_true", help="the database of a previous run")
    parser.add_argument("--no-cli", action="store_true", help="leave out the CLI run")
    parser.add_argument("--only", help="some of the cases: dso,trend,promises,disputes,productivity,uow")
    args = parser.parse_args()
    url = os.environ.get("ARREARS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench/reports.py builds its ledger with PostgreSQL's generate_series: a PostgreSQL URL")

    period = Period.of(None, TODAY, TODAY)
    months = Period.trend(TODAY)
    if args.reuse:
        log("reusing the database")
    else:
        log(f"building {args.customers:,} customers and {args.invoices:,} invoices")
        started = timer.perf_counter()
        fresh("postgresql", url, "reports")
        build(url, args.customers, args.invoices)
        log(f"built in {timer.perf_counter() - started:.0f} s")
    data = counts(url, period)
    log(", ".join(f"{value:,} {name}" for name, value in data.items()))

    app: Arrears = bootstrap(Settings(database_url=url, timezone=TIMEZONE), FixedClock(NOON))
    raw = psycopg.connect(ledger.conninfo(url), autocommit=True)
    since, until = reports._instants(period, TIMEZONE)
    window = {"start": period.start, "end": period.end, "since": since, "until": until, "zone": TIMEZONE}
    one_sql, one_days = receivables_sql([period])
    trend_sql, trend_days = receivables_sql(months.months())

    def fetch(statement: str, values: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return raw.execute(statement, values).fetchall()  # type: ignore[arg-type]

    cases = [
        Case(
            "DSO and CEI, 90 days: `reports.receivables`",
            lambda: reports.receivables(app.uow(), period),
            lambda: fetch(one_sql),
            lambda lines, rows: (
                {line.currency: [line.figures] for line in lines} == receivables_figures(rows, [period], one_days)
            ),
        ),
        Case(
            "trend, 12 months: `reports.trend`",
            lambda: reports.trend(app.uow(), months),
            lambda: fetch(trend_sql),
            lambda trend, rows: (
                {c: [line.figures for line in lines] for c, lines in trend.lines.items()}
                == receivables_figures(rows, months.months(), trend_days)
            ),
        ),
        Case(
            "promises, 90 days: `reports.promises`",
            lambda: reports.promises(app.uow(), period),
            lambda: fetch(PROMISES, window),
            lambda report, rows: (
                promise_keys(report) == [tuple(int(v) if k else v for k, v in enumerate(r)) for r in rows]
            ),
        ),
        Case(
            "disputes, 90 days: `reports.disputes`",
            lambda: reports.disputes(app.uow(), period, TIMEZONE),
            lambda: fetch(DISPUTES, window),
            lambda report, rows: dispute_keys(report) == dispute_rows(rows),
        ),
        Case(
            "team's work, 90 days: `reports.productivity`",
            lambda: reports.productivity(app.uow(), period, TIMEZONE),
            lambda: fetch(PRODUCTIVITY, window),
            lambda report, rows: productivity_keys(report) == productivity_rows(rows),
        ),
        # What any report pays beyond its statements: a unit of work (the pool's ping, BEGIN and
        # ROLLBACK round trips) around one trivial statement, beside that statement alone.
        Case(
            "a unit of work's own cost: `SELECT 1` in `app.uow()`",
            lambda: one_in_uow(app),
            lambda: fetch("SELECT 1"),
            lambda found, rows: found == [tuple(r) for r in rows],
            judged=False,
        ),
    ]

    if args.only:
        keys = ("dso", "trend", "promises", "disputes", "productivity", "uow")
        wanted = set(args.only.split(","))
        cases = [case for key, case in zip(keys, cases, strict=True) if key in wanted]
    loads = [os.getloadavg()[0]]
    results: list[str] = []
    mismatches = 0
    for case in cases:
        service_runs: list[Timed] = []
        baseline_runs: list[Timed] = []
        # Once each, untimed (a connection to open, the plan and the pages to warm), and compared.
        if not case.same(case.service(), case.baseline()):
            mismatches += 1
            log(f"MISMATCH: {case.name}: the service and its baseline differ")
        for n in range(args.repeat):
            # Alternate which side goes first, so that neither always finds the other's pages cached.
            first, second = (case.service, case.baseline) if n % 2 == 0 else (case.baseline, case.service)
            timed_a, out_a = clocked(first)
            timed_b, out_b = clocked(second)
            (timed, found), (base, rows) = (
                ((timed_a, out_a), (timed_b, out_b))
                if n % 2 == 0
                else (
                    (timed_b, out_b),
                    (timed_a, out_a),
                )
            )
            service_runs.append(timed)
            baseline_runs.append(base)
            loads.append(os.getloadavg()[0])
            if not case.same(found, rows):
                mismatches += 1
                log(f"MISMATCH: {case.name}: the service and its baseline differ")
        service, base = median(service_runs), median(baseline_runs)
        log(f"{case.name}: service {service.wall:.3f} s, baseline {base.wall:.3f} s ({service.wall / base.wall:.2f}×)")
        results.append(row(case.name, service, base, judged=case.judged))
        results.append(row("baseline: one statement, psycopg, fully fetched", base, None))
        if case.name.startswith("DSO") and not args.no_cli:
            cli = run_cli(url, "report", "dso", "--format", "json", "--to", TODAY.isoformat())
            start = run_cli(url, "--help")
            loads.append(os.getloadavg()[0])
            log(f"CLI: {cli.wall:.2f} s; arrears --help: {start.wall:.2f} s")
            results.append(row("`arrears report dso --format json > /dev/null` (a child process; its CPU)", cli, base))
            results.append(row("the process's start and imports alone: `arrears --help > /dev/null`", start, None))
    raw.close()
    app.close()

    print()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {ledger.server_version(url)}; load average (1 min) during the runs "
        f"{min(loads):.1f} to {max(loads):.1f}, mean {statistics.mean(loads):.1f}"
    )
    print("data: " + ", ".join(f"{value:,} {name}" for name, value in data.items()))
    print(f"period: {period.start} to {period.end}; trend: {months.start} to {months.end}")
    print()
    print(f"| what (median of {args.repeat}) | wall ms | CPU ms (this process) | ÷ baseline | under 2× |")
    print("|---|---:|---:|---:|---|")
    print("\n".join(results))
    if mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
