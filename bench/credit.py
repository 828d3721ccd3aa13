"""Credit at scale (docs/benchmarks.md, "Credit"): `arrears report credit` and the daily cycle's
credit phase, each beside one hand-written SQL statement computing the same figures.

1. A fresh PostgreSQL database (ARREARS_BENCH_POSTGRES_URL, default `arrears_bench_credit`), migrated
   to the newest schema, is filled by INSERT … SELECT generate_series (ids given, not timed): 20
   collectors; `--customers` customers in USD, EUR or GBP, 6 in 10 with a credit limit (1,000.00 to
   50,000.00), 1 in 100 on credit hold; `--invoices` invoices issued over 18 months, due 30 days
   later (half of them on a tenth of the customers), 0.5% void, the rest paid or open by age (most
   older ones paid, 4 in 10 of those due in the last 90 days still open, 9 in 10 not yet due open),
   1 in 10 open ones paid in part; the payments: one per paid invoice dated from 50 days before to
   60 days after its due date (never before its issue or after the ledger's day), 3 in 10 of them
   in two parts 15 days apart, one per part-paid open invoice, and cash on account (1 payment per 50
   invoices); credit scores: a bureau score for 85% of the customers (a quarter on a scale of 850,
   the rest of 100), dated up to two years back, a third of them with an older one a year before;
   a score entered by hand (no scale) for 5%; last month's behavioural score (source `arrears`) for
   everyone; tasks: a done `get_credit_report` for 20% of the customers (done up to 500 days ago),
   an open one for 2%, a broken promise in the last year for 3%. Then `VACUUM ANALYZE` (autovacuum
   is off on this server).
2. Timed, with a clock fixed on the ledger's last day (2026-06-30), the policy of `Arrears.credit_policy()`
   (the default settings: score below 40% of its scale, review every 365 days, an alert over 100% of
   the limit), by wall clock and this process's CPU time:
   - `report credit`: `list(credit.report(app.uow, policy, as_of))`, `--repeat` times, interleaved
     with the baseline, one statement (CTEs over the open invoices, the scores and the review tasks,
     joined to every customer) on a raw psycopg connection, fully fetched; both must give every
     customer the same limit, exposure, score, next review and flags (MISMATCH and exit status 1 if
     not); and once the CLI, `arrears report credit --format json > /dev/null`, in a child process;
   - the month's scores: `credit.compute_scores` (every customer's history in one statement, then
     the scores stored 5,000 per transaction, by COPY), beside one statement summing each customer's
     history (counted, amount, weighted days late, paid, paid late, oldest open days, and its broken
     promises), which does not write; the scores computed in Python from the baseline's sums must
     equal the ones stored; and beside a write-inclusive baseline, one INSERT … SELECT that computes
     every customer's score and its explanation (the same wording and length) from the same sums and
     stores it, rolled back;
   - the daily pass: `credit.run_credit_phase` once this month's scores exist, twice: the first day
     (no alert state yet: every crossing raises its alert, every review due opens its task) and the
     next run (nothing crosses: the steady day), each beside the report's baseline statement (it reads
     the same data); the first day also beside a write-inclusive baseline: the report's statement
     into a temporary table, then one INSERT … SELECT each for the alerts, the review tasks with
     their timeline lines and the credit states (the same rows as the service's), rolled back.
   The write-inclusive baselines are rolled back and their tables vacuumed (not timed), so that the
   service still finds its month without scores and its first day.
   For each service call, the time of its parts (the adapters' statements, the Python between them;
   the month's scores store each batch in a second thread, so there the parts overlap and may add up
   to more than the call; the report is one statement read as its lines are made: one part).

Reported, never asserted.

    python bench/credit.py                                        # 100,000 customers, 1,000,000 invoices
    python bench/credit.py --customers 2000 --invoices 20000      # a smoke run (make bench)
    python bench/credit.py --reuse                                # the database of the previous run
    python bench/credit.py --reuse --only-report                  # the report and its CLI run alone
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
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import sqlalchemy
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arrears.adapters.clock import FixedClock
from arrears.adapters.db.credit import SqlCredit
from arrears.adapters.db.workspace.alerts import SqlAlerts
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain import credit as rules
from arrears.domain.alerts import AlertKind
from arrears.domain.audit import SYSTEM
from arrears.domain.credit import History
from arrears.services import credit
from arrears.services.credit import HISTORY_DAYS, CreditLine, CreditPolicy
from customer_page import fresh, log

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench_credit"
TODAY = date(2026, 6, 30)
NOON = datetime.combine(TODAY, time(12), UTC)
MONTH = TODAY.replace(day=1)
LAST_MONTH = date(2026, 5, 1)
COLLECTORS = 20
TARGET = 2.0

T = TypeVar("T")


# -- the ledger --------------------------------------------------------------------------------------

BUILD = [
    # 20 collectors, then the customers (ids given), in one of three currencies.
    """INSERT INTO users (id, name, role) SELECT g, 'collector' || g, 'contributor'
       FROM generate_series(1, %(collectors)s) AS g""",
    """INSERT INTO customers (id, external_id, name, currency, credit_limit_minor, collector_id, credit_hold)
       SELECT g, 'C' || lpad(g::text, 7, '0'), 'Customer ' || g, (ARRAY['USD', 'EUR', 'GBP'])[1 + g %% 3],
              CASE WHEN g %% 10 < 6 THEN (1 + (g * 7) %% 50) * 100000 END,
              CASE WHEN g %% 10 < 7 THEN 1 + g %% %(collectors)s END, g %% 100 = 0
       FROM generate_series(1, %(customers)s) AS g""",
    # Invoices: half on a tenth of the customers; issued over 540 days, due 30 days after.
    """INSERT INTO invoices (id, external_id, customer_id, number, issue_date, due_date, currency,
                             amount_minor, paid_minor, is_void, status)
       SELECT g, 'I' || g, x.customer_id, 'INV-' || lpad(g::text, 7, '0'), x.issue, x.issue + 30,
              (ARRAY['USD', 'EUR', 'GBP'])[1 + x.customer_id %% 3], x.amount,
              CASE WHEN x.status = 'paid' THEN x.amount WHEN x.status = 'open' AND x.r2 < 0.1 THEN x.amount / 3
                   ELSE 0 END,
              x.status = 'void', x.status
       FROM (
           SELECT g, c.customer_id, c.issue, c.amount, c.r2,
                  CASE WHEN c.r < 0.005 THEN 'void'
                       WHEN c.issue + 30 > %(today)s THEN CASE WHEN c.r < 0.10 THEN 'paid' ELSE 'open' END
                       WHEN %(today)s - (c.issue + 30) <= 90 THEN CASE WHEN c.r < 0.60 THEN 'paid' ELSE 'open' END
                       ELSE CASE WHEN c.r < 0.95 THEN 'paid' ELSE 'open' END
                  END AS status
           FROM generate_series(1, %(invoices)s) AS g,
                LATERAL (SELECT CASE WHEN g %% 2 = 1 THEN 1 + (g / 2) %% greatest(%(customers)s / 10, 1)
                                     ELSE 1 + ((g / 2)::bigint * 7919) %% %(customers)s END AS customer_id,
                                %(today)s - (random() * 540)::int AS issue,
                                (1000 + random() * 500000)::bigint AS amount,
                                random() AS r, random() AS r2) AS c
       ) AS x""",
    # Payments: each paid invoice's (in two parts for 3 in 10), the part-paid open ones', cash on account.
    """INSERT INTO payments (external_id, customer_id, invoice_id, date, amount_minor, currency)
       SELECT 'P' || i.id, i.customer_id, i.id,
              least(%(today)s, greatest(i.issue_date, i.due_date + ((i.id::bigint * 7919) %% 111 - 50)::int)),
              CASE WHEN i.id %% 10 < 3 THEN i.amount_minor - i.amount_minor / 2 ELSE i.amount_minor END, i.currency
       FROM invoices AS i WHERE i.status = 'paid'
       UNION ALL
       SELECT 'Q' || i.id, i.customer_id, i.id,
              greatest(i.issue_date,
                       least(%(today)s, greatest(i.issue_date, i.due_date + ((i.id::bigint * 7919) %% 111 - 50)::int))
                       - 15),
              i.amount_minor / 2, i.currency
       FROM invoices AS i WHERE i.status = 'paid' AND i.id %% 10 < 3
       UNION ALL
       SELECT 'R' || i.id, i.customer_id, i.id, least(%(today)s, i.issue_date + i.id %% 30), i.paid_minor, i.currency
       FROM invoices AS i WHERE i.status = 'open' AND i.paid_minor > 0
       UNION ALL
       SELECT 'U' || g, c.id, NULL, %(today)s - g %% 365, 5000 + g %% 100000, c.currency
       FROM generate_series(1, %(invoices)s / 50) AS g JOIN customers AS c ON c.id = 1 + (g * 31) %% %(customers)s""",
    # Credit scores: bureau (85%, a third with an older one), entered (5%), last month's behavioural.
    """INSERT INTO credit_scores (customer_id, date, score, max_score, source, explanation)
       SELECT g, %(today)s - (g * 37) %% 730,
              CASE WHEN g %% 4 = 0 THEN 300 + (g * 13) %% 551 ELSE (g * 17) %% 101 END,
              CASE WHEN g %% 4 = 0 THEN 850 ELSE 100 END, 'bureau', NULL
       FROM generate_series(1, %(customers)s) AS g WHERE g %% 20 < 17
       UNION ALL
       SELECT g, %(today)s - (g * 37) %% 730 - 365, (g * 23) %% 101, 100, 'bureau', NULL
       FROM generate_series(1, %(customers)s) AS g WHERE g %% 20 < 17 AND g %% 3 = 0
       UNION ALL
       SELECT g, %(today)s - g %% 200, (g * 11) %% 101, NULL, 'entered', NULL
       FROM generate_series(1, %(customers)s) AS g WHERE g %% 20 = 17
       UNION ALL
       SELECT g, %(last_month)s, 40 + (g * 29) %% 61, 100, 'arrears', '{"why": "pays on time", "parts": []}'
       FROM generate_series(1, %(customers)s) AS g""",
    # Tasks: credit reports done (20%) or open (2%), broken promises (3%).
    """INSERT INTO tasks (customer_id, type, due_date, status, completed_at, assignee_id)
       SELECT g, 'get_credit_report', %(today)s - (g * 13) %% 500, 'done',
              (%(today)s - (g * 13) %% 500)::timestamp AT TIME ZONE 'UTC' + interval '10 hours', NULL::int
       FROM generate_series(1, %(customers)s) AS g WHERE g %% 5 = 1
       UNION ALL
       SELECT g, 'get_credit_report', %(today)s - g %% 20, 'open', NULL::timestamptz, NULL::int
       FROM generate_series(1, %(customers)s) AS g WHERE g %% 50 = 2""",
    """INSERT INTO tasks (customer_id, type, due_date, status, outcome, expected_date, expected_amount_minor,
                          expected_currency, completed_at)
       SELECT g, 'expected_payment', %(today)s - g %% 300, 'done', 'broken', %(today)s - g %% 300, 100000,
              (ARRAY['USD', 'EUR', 'GBP'])[1 + g %% 3],
              (%(today)s - g %% 300 + 3)::timestamp AT TIME ZONE 'UTC'
       FROM generate_series(1, %(customers)s) AS g WHERE g %% 100 < 3""",
    "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))",
    "SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT max(id) FROM customers))",
    "SELECT setval(pg_get_serial_sequence('invoices', 'id'), (SELECT max(id) FROM invoices))",
]

COUNTS = """
SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM customers WHERE credit_limit_minor IS NOT NULL),
       (SELECT count(*) FROM invoices), (SELECT count(*) FROM invoices WHERE status = 'open'),
       (SELECT count(*) FROM invoices WHERE status = 'open' AND due_date < %(today)s),
       (SELECT count(*) FROM invoices WHERE status = 'paid'), (SELECT count(*) FROM payments),
       (SELECT count(*) FROM payments AS p JOIN invoices AS i ON i.id = p.invoice_id
        WHERE i.status = 'paid' AND p.date > i.due_date),
       (SELECT count(*) FROM credit_scores WHERE source <> 'arrears'),
       (SELECT count(DISTINCT customer_id) FROM credit_scores WHERE source <> 'arrears'),
       (SELECT count(*) FROM tasks)
"""
COUNT_NAMES = (
    "customers", "with a credit limit", "invoices", "open", "open past due", "paid", "payments",
    "payments after the due date of a paid invoice", "bureau or entered scores", "customers with one",
    "tasks",
)  # fmt: skip

# What a run of the credit phase leaves, removed by --reuse before timing.
RESET = [
    "DELETE FROM credit_scores WHERE source = 'arrears' AND date >= %(month)s",
    "DELETE FROM credit_states",
    f"DELETE FROM alerts WHERE kind IN ('{AlertKind.CREDIT_SCORE_LOW.value}', '{AlertKind.CREDIT_LIMIT.value}')",
    "DELETE FROM tasks WHERE type = 'get_credit_report' AND source = 'rule'",
]


def conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def build(url: str, customers: int, invoices: int) -> None:
    values = {
        "collectors": COLLECTORS,
        "customers": customers,
        "invoices": invoices,
        "today": TODAY,
        "last_month": LAST_MONTH,
    }
    with psycopg.connect(conninfo(url)) as connection:
        connection.execute("SELECT setseed(0.20260630)")
        for statement in BUILD:
            started = timer.perf_counter()
            connection.execute(statement, values)
            what = statement.split()[2] if statement.startswith("INSERT") else "sequences"
            log(f"  {what}: {timer.perf_counter() - started:.1f} s")
    vacuum(url)


def vacuum(url: str, *tables: str) -> None:
    """VACUUM ANALYZE the `tables` (every table when none is named)."""
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        connection.execute(f"VACUUM ANALYZE {', '.join(tables)}".strip())


def reset(url: str) -> None:
    """Each statement committed, and the alerts vacuumed before the tasks go: deleting a task looks
    for alerts that name it (alerts.task_id has no index), and dead alerts slow every look."""
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        for statement in RESET:
            if statement.startswith("DELETE FROM tasks"):
                connection.execute("VACUUM alerts")
            connection.execute(statement, {"month": MONTH})
    vacuum(url)


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(conninfo(url)) as connection:
        row = connection.execute(COUNTS, {"today": TODAY}).fetchone()
    assert row is not None
    return dict(zip(COUNT_NAMES, row, strict=True))


# -- the baselines -----------------------------------------------------------------------------------

# Every customer's credit line: limit, exposure, the score that counts (the newest reported, else the
# newest computed), the last credit report and review, and the flags, in one statement.
REPORT = """
WITH owed AS (
    SELECT customer_id, sum(amount_minor - paid_minor - credited_minor - written_off_minor) AS exposure
    FROM invoices WHERE status = 'open' GROUP BY customer_id
), newest AS (
    SELECT DISTINCT ON (customer_id) customer_id, score, max_score, date, source
    FROM credit_scores ORDER BY customer_id, source = 'arrears', date DESC, id DESC
), reported AS (
    SELECT customer_id, max(date) AS reported_on FROM credit_scores WHERE source <> 'arrears' GROUP BY customer_id
), behavioural AS (
    SELECT DISTINCT ON (customer_id) customer_id, score
    FROM credit_scores WHERE source = 'arrears' ORDER BY customer_id, date DESC, id DESC
), reviews AS (
    SELECT customer_id, (max(completed_at) FILTER (WHERE status = 'done') AT TIME ZONE 'UTC')::date AS last_review,
           count(*) FILTER (WHERE status = 'open') > 0 AS review_open
    FROM tasks WHERE type = 'get_credit_report' GROUP BY customer_id
), lines AS (
    SELECT c.id, c.external_id, c.name, c.currency, c.collector_id, c.credit_limit_minor,
           coalesce(o.exposure, 0)::bigint AS exposure, n.score, n.max_score, n.date AS score_date, n.source,
           b.score AS behavioural, c.credit_hold, c.credit_hold_note, r.last_review, p.reported_on,
           coalesce(r.review_open, false) AS review_open, coalesce(st.score_low, false) AS was_low,
           coalesce(st.limit_level, 0) AS was_level,
           n.score IS NOT NULL
               AND n.score * 100 < %(below)s * CASE WHEN n.max_score > 0 THEN n.max_score ELSE 100 END AS low
    FROM customers AS c
    LEFT JOIN owed AS o ON o.customer_id = c.id
    LEFT JOIN newest AS n ON n.customer_id = c.id
    LEFT JOIN reported AS p ON p.customer_id = c.id
    LEFT JOIN behavioural AS b ON b.customer_id = c.id
    LEFT JOIN reviews AS r ON r.customer_id = c.id
    LEFT JOIN credit_states AS st ON st.customer_id = c.id
), reviewed AS (
    SELECT *, greatest(last_review, reported_on)
                  + CASE WHEN low THEN least(%(review_days)s, %(poor_days)s) ELSE %(review_days)s END AS next_review
    FROM lines
)
SELECT id, credit_limit_minor, exposure, score, max_score, score_date, source, behavioural, credit_hold,
       next_review, coalesce(credit_limit_minor > 0 AND exposure > credit_limit_minor, false) AS over_limit, low,
       coalesce(next_review <= %(as_of)s, false) AS review_due,
       external_id, name, currency, collector_id, credit_hold_note, review_open, was_low, was_level
FROM reviewed ORDER BY id
"""

# Every customer's history as the behavioural score reads it: the invoices paid in the window (by
# the date of their last payment) and the open ones, summed per customer; and its broken promises.
HISTORY_SUMS = """
WITH paid_on AS (
    SELECT invoice_id, max(date) AS paid_on FROM payments WHERE invoice_id IS NOT NULL GROUP BY invoice_id
), invoice AS (
    SELECT i.customer_id, i.amount_minor, i.status = 'paid' AS paid,
           CASE WHEN i.status = 'paid' THEN p.paid_on - i.due_date
                ELSE greatest(0, %(as_of)s - i.due_date) END AS days_late
    FROM invoices AS i LEFT JOIN paid_on AS p ON p.invoice_id = i.id
    WHERE (i.status = 'paid' AND p.paid_on BETWEEN %(since)s AND %(as_of)s) OR i.status = 'open'
), sums AS (
    SELECT customer_id,
           count(*) FILTER (WHERE paid OR days_late > 0) AS counted,
           coalesce(sum(amount_minor) FILTER (WHERE paid OR days_late > 0), 0) AS amount,
           coalesce(sum(amount_minor * greatest(days_late, 0)) FILTER (WHERE paid OR days_late > 0), 0) AS weighted,
           count(*) FILTER (WHERE paid) AS paid,
           count(*) FILTER (WHERE paid AND days_late > 0) AS paid_late,
           coalesce(max(days_late) FILTER (WHERE NOT paid), 0) AS oldest_open
    FROM invoice GROUP BY customer_id
), broken AS (
    SELECT customer_id, count(*) AS broken FROM tasks
    WHERE type = 'expected_payment' AND outcome = 'broken' AND expected_date >= %(since)s
    GROUP BY customer_id
)"""
HISTORIES = (
    HISTORY_SUMS
    + """
SELECT c.id, coalesce(s.counted, 0), coalesce(s.amount, 0), coalesce(s.weighted, 0), coalesce(s.paid, 0),
       coalesce(s.paid_late, 0), coalesce(s.oldest_open, 0), coalesce(b.broken, 0)
FROM customers AS c LEFT JOIN sums AS s ON s.customer_id = c.id LEFT JOIN broken AS b ON b.customer_id = c.id
ORDER BY c.id
"""
)

# The month's scores computed and stored in SQL, the write-inclusive baseline of compute_scores: the
# history sums above, the portfolio's mean lateness, each part of domain/credit.py's formula (rounded
# half up to 0.1, as numeric's round does for positive values), the score, and an explanation with the
# same keys, parts and wording as the service's (jsonb's text: the same length, its keys in jsonb's
# order), one row per customer.
SCORES = (
    HISTORY_SUMS
    + """, history AS (
    SELECT c.id, coalesce(s.counted, 0) AS counted, coalesce(s.amount, 0) AS amount,
           coalesce(s.weighted, 0) AS weighted, coalesce(s.paid, 0) AS paid, coalesce(s.paid_late, 0) AS paid_late,
           coalesce(s.oldest_open, 0) AS oldest, coalesce(b.broken, 0) AS broken
    FROM customers AS c LEFT JOIN sums AS s ON s.customer_id = c.id LEFT JOIN broken AS b ON b.customer_id = c.id
), portfolio AS (
    SELECT CASE WHEN sum(amount) > 0 THEN sum(weighted)::numeric / sum(amount) ELSE 0 END AS mean FROM history
), shrunk AS (
    SELECT h.*, p.mean,
           CASE WHEN h.counted > 0 AND h.amount > 0
                THEN (h.counted * (h.weighted::numeric / h.amount) + %(prior)s * p.mean) / (h.counted + %(prior)s)
                ELSE p.mean END AS lateness,
           CASE WHEN h.paid > 0 THEN h.paid_late::numeric / h.paid ELSE 0 END AS share
    FROM history AS h CROSS JOIN portfolio AS p
), parts AS (
    SELECT id, counted, paid, paid_late, oldest, broken, mean, lateness,
           round(least(40, lateness), 1) AS p_late, round(20 * share, 1) AS p_share,
           round(least(20, 10 * broken)::numeric, 1) AS p_broken, round(least(20, oldest / 6.0), 1) AS p_dpd,
           'pays ' || round(lateness, 1) || ' days late on average (weighted by amount'
               || CASE WHEN counted < 20 THEN ', pulled toward the portfolio''s ' || round(mean, 1) ELSE '' END
               || ')' AS w_late,
           paid_late || ' of ' || paid || ' invoices paid late' AS w_share,
           broken || ' promise' || CASE WHEN broken <> 1 THEN 's' ELSE '' END || ' broken in 12 months' AS w_broken,
           'oldest open invoice ' || oldest || ' days past due' AS w_dpd
    FROM shrunk
)
INSERT INTO credit_scores (customer_id, date, score, max_score, source, explanation, created_at, updated_at)
SELECT id, %(month)s, greatest(0, least(100, round(100 - (p_late + p_share + p_broken + p_dpd))))::int, 100,
       'arrears',
       jsonb_build_object(
           'why', coalesce(nullif(concat_ws('; ',
                      CASE WHEN p_late > 0 THEN w_late || ' (-' || p_late || ')' END,
                      CASE WHEN p_share > 0 THEN w_share || ' (-' || p_share || ')' END,
                      CASE WHEN p_broken > 0 THEN w_broken || ' (-' || p_broken || ')' END,
                      CASE WHEN p_dpd > 0 THEN w_dpd || ' (-' || p_dpd || ')' END), ''), 'pays on time'),
           'parts', jsonb_build_array(
               jsonb_build_object('name', 'lateness', 'points', p_late::text, 'why', w_late),
               jsonb_build_object('name', 'late_share', 'points', p_share::text, 'why', w_share),
               jsonb_build_object('name', 'broken_promises', 'points', p_broken::text, 'why', w_broken),
               jsonb_build_object('name', 'days_past_due', 'points', p_dpd::text, 'why', w_dpd)),
           'portfolio_days_late', round(mean, 1)::text)::text,
       %(now)s, %(now)s
FROM parts
"""
)

# The first day's writes, the write-inclusive baseline of run_credit_phase's first day: the report's
# statement into a temporary table (not fetched), then what the service writes for the customers the
# rules act on, each by one INSERT … SELECT with the service's wording: the alerts (a score below the
# threshold, an exposure over the limit: the default policy's one level, 100%), the review tasks with
# their "Task created" timeline lines (one data-modifying WITH), and the credit states that moved.
FIRST_DAY = [
    "CREATE TEMPORARY TABLE credit_lines ON COMMIT DROP AS " + REPORT,
    """INSERT INTO alerts (kind, key, message, customer_id, task_id, user_id, created_at)
       SELECT %(score_kind)s, 'credit_score:' || id,
              name || '''s credit score is ' || score || CASE WHEN max_score > 0 THEN ' of ' || max_score ELSE '' END
                  || ' (' || score_date || '), below ' || %(below)s || '%% of its scale',
              id, NULL::int, collector_id, %(now)s
       FROM credit_lines WHERE low AND NOT was_low
       UNION ALL
       SELECT %(limit_kind)s, 'credit_limit:' || id,
              name || ' owes ' || to_char(exposure / 100.0, 'FM999999999990.00') || ' ' || currency
                  || ', over its credit limit of ' || to_char(credit_limit_minor / 100.0, 'FM999999999990.00')
                  || ' ' || currency,
              id, NULL::int, collector_id, %(now)s
       FROM credit_lines WHERE over_limit AND was_level < 100
       ON CONFLICT (key) WHERE status = 'open' DO NOTHING""",
    """WITH created AS (
           INSERT INTO tasks (customer_id, assignee_id, description, type, due_date, status, source, created_at,
                              updated_at)
           SELECT id, collector_id,
                  'Credit review due since ' || next_review || ': get a credit report'
                      || CASE WHEN score IS NOT NULL
                              THEN ' (newest score ' || score || ' of ' || coalesce(nullif(max_score, 0), 100)
                                   || ', ' || score_date || ')'
                              ELSE '' END,
                  'get_credit_report', %(as_of)s, 'open', 'rule', %(now)s, %(now)s
           FROM credit_lines WHERE review_due AND NOT review_open
           RETURNING id, customer_id, description
       )
       INSERT INTO audit_log (at, actor_kind, actor_name, entity, entity_id, customer_id, action, summary)
       SELECT %(now)s, %(actor_kind)s, %(actor_name)s, 'task', id::text, customer_id, 'created',
              'Task created: ' || description
       FROM created""",
    """INSERT INTO credit_states (customer_id, score_low, limit_level, updated_at)
       SELECT id, low, CASE WHEN over_limit THEN 100 ELSE 0 END, %(now)s FROM credit_lines
       WHERE low <> was_low OR CASE WHEN over_limit THEN 100 ELSE 0 END <> was_level
       ON CONFLICT (customer_id) DO UPDATE
       SET score_low = excluded.score_low, limit_level = excluded.limit_level, updated_at = excluded.updated_at""",
]
FIRST_DAY_NAMES = ("lines", "alerts", "review tasks", "credit states")


def report_values(policy: CreditPolicy) -> dict[str, Any]:
    return {
        "below": policy.score_alert_below,
        "review_days": policy.review_days,
        "poor_days": rules.POOR_REVIEW_DAYS,
        "as_of": TODAY,
    }


def report_baseline(url: str, policy: CreditPolicy) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo(url)) as connection:
        return connection.execute(REPORT, report_values(policy)).fetchall()


def run_psql(url: str, policy: CreditPolicy) -> Timed:
    """The CLI's baseline, a process too: `psql` running the report's statement, each customer's
    line written as a JSON object (`COPY (SELECT row_to_json(…)) TO STDOUT`) to /dev/null."""
    with psycopg.connect(conninfo(url)) as connection:
        statement = psycopg.ClientCursor(connection).mogrify(REPORT, report_values(policy))
    copy = f"COPY (SELECT row_to_json(line) FROM ({statement}) AS line) TO STDOUT"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = timer.perf_counter()
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo(url), "-c", copy],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = timer.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timed(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def histories_baseline(url: str) -> list[tuple[int, ...]]:
    values = {"as_of": TODAY, "since": TODAY - timedelta(days=HISTORY_DAYS)}
    with psycopg.connect(conninfo(url)) as connection:
        return connection.execute(HISTORIES, values).fetchall()


@dataclass
class Written:
    """A write-inclusive baseline's run: its time, the rows each statement wrote, and what was read
    back before the rollback (not timed)."""

    timed: Timed
    rows: dict[str, int]
    found: dict[str, float]


def scores_baseline(url: str, expected: dict[int, int]) -> Written:
    """SCORES in a transaction, timed to the end of the INSERT, then read back (how many scores equal
    `expected`, the explanations' mean length) and rolled back, and the table vacuumed (not timed):
    the service then finds this month without scores, and each run starts from the same table."""
    values = {"as_of": TODAY, "since": TODAY - timedelta(days=HISTORY_DAYS), "prior": rules.PRIOR_WEIGHT,
              "month": MONTH, "now": NOON}  # fmt: skip
    with psycopg.connect(conninfo(url)) as connection:
        timed, cursor = clocked(lambda: connection.execute(SCORES, values))
        rows = {"scores": cursor.rowcount}
        stored = connection.execute(
            "SELECT customer_id, score, length(explanation) FROM credit_scores WHERE source = 'arrears' AND date = %s",
            (MONTH,),
        ).fetchall()
        connection.rollback()
    vacuum(url, "credit_scores")
    equal = sum(1 for customer_id, score, _ in stored if expected.get(customer_id) == score)
    return Written(timed, rows, {"equal": equal, "mean length": mean_of(length for *_, length in stored)})


def first_day_baseline(url: str, policy: CreditPolicy) -> Written:
    """FIRST_DAY in a transaction, timed from the report's statement to the last write, then rolled
    back and the tables vacuumed (not timed): the service then finds its first day."""
    assert policy.limit_levels == (100,), "the baseline writes the alerts of the default policy's one level"
    values = {
        "below": policy.score_alert_below,
        "review_days": policy.review_days,
        "poor_days": rules.POOR_REVIEW_DAYS,
        "as_of": TODAY,
        "now": NOON,
        "score_kind": AlertKind.CREDIT_SCORE_LOW.value,
        "limit_kind": AlertKind.CREDIT_LIMIT.value,
        "actor_kind": SYSTEM.kind.value,
        "actor_name": SYSTEM.name,
    }
    rows: dict[str, int] = {}
    with psycopg.connect(conninfo(url)) as connection:

        def write() -> None:
            for name, statement in zip(FIRST_DAY_NAMES, FIRST_DAY, strict=True):
                rows[name] = connection.execute(statement, values).rowcount

        timed, _ = clocked(write)
        connection.rollback()
    vacuum(url, "alerts", "tasks", "audit_log", "credit_states")
    return Written(timed, rows, {})


def mean_of(values: Iterable[float]) -> float:
    found = list(values)
    return statistics.mean(found) if found else 0.0


def stored_lengths(url: str) -> float:
    """The mean length of the explanations the service stored for this month."""
    with psycopg.connect(conninfo(url)) as connection:
        found = connection.execute(
            "SELECT avg(length(explanation)) FROM credit_scores WHERE source = 'arrears' AND date = %s", (MONTH,)
        ).fetchone()
    return float(found[0]) if found and found[0] is not None else 0.0


# -- the checks --------------------------------------------------------------------------------------


def report_key(line: CreditLine) -> tuple[Any, ...]:
    flags = {flag.value for flag in line.flags}
    return (
        line.customer_id,
        line.credit_limit_minor,
        line.exposure_minor,
        line.score,
        line.max_score,
        line.score_date,
        line.score_source,
        line.behavioural_score,
        line.credit_hold,
        line.next_review_date,
        "over_limit" in flags,
        "score_below_threshold" in flags,
        "review_due" in flags,
    )


def compare_report(lines: list[CreditLine], rows: list[tuple[Any, ...]]) -> tuple[dict[str, tuple[int, int]], int]:
    """Each flag's count on both sides, and the number of customers whose figures differ."""
    service = [report_key(line) for line in lines]
    baseline = [tuple(row[:13]) for row in rows]
    names = ("over_limit", "score_below_threshold", "review_due")
    found = {
        name: (sum(1 for key in service if key[10 + n]), sum(1 for key in baseline if key[10 + n]))
        for n, name in enumerate(names)
    }
    differ = len(set(service) ^ set(baseline)) + abs(len(service) - len(baseline))
    return found, differ


def expected_scores(rows: list[tuple[int, ...]]) -> dict[int, int]:
    """Each customer's score computed by the domain from the baseline's sums."""
    histories = {row[0]: History(*row[1:7]) for row in rows}
    amount = sum(h.amount_minor for h in histories.values())
    weighted = sum(h.weighted_days_late for h in histories.values())
    portfolio = Decimal(weighted) / amount if amount else Decimal(0)
    return {
        customer_id: rules.behavioural_score(histories[customer_id], row[7], portfolio).score
        for customer_id, row in zip(histories, rows, strict=True)
    }


def compare_scores(url: str, expected: dict[int, int]) -> tuple[int, int]:
    """The scores the service stored for this month against `expected`: (equal, differ)."""
    with psycopg.connect(conninfo(url)) as connection:
        stored: dict[int, int] = dict(
            connection.execute(
                "SELECT customer_id, score FROM credit_scores WHERE source = 'arrears' AND date = %(month)s",
                {"month": MONTH},
            ).fetchall()
        )
    equal = sum(1 for customer_id, score in expected.items() if stored.get(customer_id) == score)
    return equal, len(expected) - equal + len(set(stored) - set(expected))


# -- timing ------------------------------------------------------------------------------------------


@dataclass
class Timed:
    wall: float
    cpu: float


def clocked(work: Callable[[], T]) -> tuple[Timed, T]:
    started, used = timer.perf_counter(), timer.process_time()
    result = work()
    return Timed(timer.perf_counter() - started, timer.process_time() - used), result


class Parts:
    """Seconds spent in the adapters' methods during a service call (a perf_counter pair per call)."""

    WATCHED = (
        (SqlCredit, "credit_rows"),
        (SqlCredit, "credit_changes"),
        (SqlCredit, "_figures"),
        (SqlCredit, "customer_ids"),
        (SqlCredit, "histories"),
        (SqlCredit, "broken_promises"),
        (SqlCredit, "add_scores"),
        (SqlCredit, "add_review_tasks"),
        (SqlCredit, "save_states"),
        (SqlAlerts, "raise_alerts"),
        (SqlAlerts, "close_alerts"),
    )

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        for owner, name in self.WATCHED:
            if hasattr(owner, name):  # the code of an earlier commit may lack some
                self._watch(owner, name)
        self._watch_commit()

    def _watch(self, owner: type, name: str) -> None:
        original = getattr(owner, name)
        label = f"{owner.__name__}.{name}"

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = timer.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += timer.perf_counter() - started
                self.calls[label] += 1

        setattr(owner, name, timed)

    def _watch_commit(self) -> None:
        original = sqlalchemy.Connection.commit
        parts = self

        def commit(connection: sqlalchemy.Connection) -> None:
            started = timer.perf_counter()
            try:
                original(connection)
            finally:
                parts.seconds["commit"] += timer.perf_counter() - started
                parts.calls["commit"] += 1

        sqlalchemy.Connection.commit = commit  # type: ignore[method-assign,assignment]

    @contextmanager
    def measuring(self) -> Iterator[dict[str, tuple[float, int]]]:
        """The seconds and calls of each part during the block (filled when it ends)."""
        self.seconds.clear()
        self.calls.clear()
        found: dict[str, tuple[float, int]] = {}
        yield found
        found.update({label: (self.seconds[label], self.calls[label]) for label in self.seconds})


def describe(parts: dict[str, tuple[float, int]], total: float) -> str:
    """The parts of a call, largest first; credit_rows' own time is the batch's ids and its rows
    built in Python, beyond the one statement of `_figures` it calls."""
    found = dict(parts)
    if "SqlCredit.credit_rows" in found:
        inner = found.get("SqlCredit._figures", (0.0, 0))[0]
        seconds, calls = found["SqlCredit.credit_rows"]
        found["SqlCredit.credit_rows: the batch's ids"] = (seconds - inner, calls)
        del found["SqlCredit.credit_rows"]
    measured = sum(seconds for seconds, _ in found.values())
    found["the rest (the service's Python, units of work)"] = (total - measured, 0)
    ordered = sorted(found.items(), key=lambda item: -item[1][0])
    return "; ".join(
        f"{label} {seconds:.2f} s" + (f" ({calls:,} calls)" if calls else "") for label, (seconds, calls) in ordered
    )


def run_cli(url: str) -> Timed:
    """`arrears report credit --format json > /dev/null`, as a user runs it: wall and the child's CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = timer.perf_counter()
    subprocess.run(
        # the console script beside this interpreter (the same environment, and PYTHONPATH passed on)
        [str(Path(sys.executable).parent / "arrears"), "report", "credit", "--format", "json", "--as-of", str(TODAY)],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "ARREARS_DATABASE_URL": url},
    )
    wall = timer.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timed(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def row(what: str, timed: Timed, baseline: float | None, written: float | None = None) -> str:
    """A line of the table: the ratio against the read-only baseline, and against the write-inclusive
    one where there is one."""
    ratio = f"{timed.wall / baseline:.2f}×" if baseline else ""
    met = ("yes" if timed.wall / baseline < TARGET else "**no**") if baseline else ""
    ratio_written = f"{timed.wall / written:.2f}×" if written else ""
    met_written = ("yes" if timed.wall / written < TARGET else "**no**") if written else ""
    return f"| {what} | {timed.wall:.2f} | {timed.cpu:.2f} | {ratio} | {met} | {ratio_written} | {met_written} |"


def states_saved(url: str) -> int:
    with psycopg.connect(conninfo(url)) as connection:
        found = connection.execute("SELECT count(*) FROM credit_states").fetchone()
    return int(found[0]) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the report and of each baseline")
    parser.add_argument("--reuse", action="store_true", help="the database of a previous run, its credit phase undone")
    parser.add_argument("--no-cli", action="store_true", help="leave out the CLI run")
    parser.add_argument("--only-report", action="store_true", help="the report and its CLI run, not the credit phase")
    args = parser.parse_args()
    url = os.environ.get("ARREARS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit("bench/credit.py builds its ledger with PostgreSQL's generate_series: a PostgreSQL URL")

    if args.reuse:
        log("reusing the database; undoing the credit phase of the previous run")
        reset(url)
    else:
        log(f"building {args.customers:,} customers and {args.invoices:,} invoices")
        started = timer.perf_counter()
        fresh("postgresql", url, "credit")
        build(url, args.customers, args.invoices)
        log(f"built in {timer.perf_counter() - started:.0f} s")
    data = counts(url)
    log(", ".join(f"{value:,} {name}" for name, value in data.items()))

    parts = Parts()
    app: Arrears = bootstrap(Settings(database_url=url), FixedClock(NOON))
    policy = app.credit_policy()
    results: list[str] = []
    notes: list[str] = []
    loads = [os.getloadavg()[0]]

    # report credit, interleaved with its baseline
    service_runs: list[Timed] = []
    baseline_runs: list[Timed] = []
    report_parts: dict[str, tuple[float, int]] = {}
    lines: list[CreditLine] = []
    rows: list[tuple[Any, ...]] = []
    for n in range(args.repeat):
        with parts.measuring() as measured:
            timed, lines = clocked(lambda: list(credit.report(app.uow, policy, TODAY)))
        service_runs.append(timed)
        if n == 0:
            report_parts = measured
            first_report = timed.wall
        timed_rows, rows = clocked(lambda: report_baseline(url, policy))
        baseline_runs.append(timed_rows)
        loads.append(os.getloadavg()[0])
        log(f"report: service {timed.wall:.2f} s, baseline {timed_rows.wall:.2f} s")
    flags, differ = compare_report(lines, rows)
    if differ:
        log(f"MISMATCH: {differ} customers differ between the report and its baseline")
    report_base = statistics.median(t.wall for t in baseline_runs)
    median_report = sorted(service_runs, key=lambda t: t.wall)[len(service_runs) // 2]
    results.append(
        row(f"`report credit`: `list(credit.report(...))`, median of {args.repeat}", median_report, report_base)
    )
    results.append(
        row(
            f"baseline: one statement, every customer's line (median of {args.repeat})",
            Timed(report_base, statistics.median(t.cpu for t in baseline_runs)),
            None,
        )
    )
    if not args.no_cli:
        # The CLI against its own baseline, both processes, run in turns (median of 3 each).
        clis, psqls = [], []
        for _ in range(3):
            clis.append(run_cli(url))
            psqls.append(run_psql(url, policy))
        loads.append(os.getloadavg()[0])
        cli = sorted(clis, key=lambda t: t.wall)[1]
        process_base = statistics.median(t.wall for t in psqls)
        log(f"CLI: {', '.join(f'{t.wall:.2f}' for t in clis)} s; psql: {', '.join(f'{t.wall:.2f}' for t in psqls)} s")
        results.append(
            row(
                "`arrears report credit --format json > /dev/null` (a child process, median of 3; its CPU)",
                cli,
                process_base,
            )
        )
        results.append(
            row(
                "baseline: `psql` running the same statement, a JSON line per customer (median of 3)",
                Timed(process_base, statistics.median(t.cpu for t in psqls)),
                None,
            )
        )
    notes.append(
        "report, flags (service / baseline): "
        + ", ".join(f"{name} {a:,} / {b:,}" for name, (a, b) in flags.items())
        + f"; customers whose figures differ: {differ}"
    )
    notes.append(f"report parts (first run, {first_report:.2f} s): {describe(report_parts, first_report)}")
    if args.only_report:
        app.close()
        summary(url, loads, data, results, notes)
        if differ:
            raise SystemExit(1)
        return

    # the month's scores
    history_runs = []
    history_rows: list[tuple[int, ...]] = []
    for _ in range(args.repeat):
        timed, history_rows = clocked(lambda: histories_baseline(url))
        history_runs.append(timed)
    history_base = statistics.median(t.wall for t in history_runs)
    log(f"histories baseline: {history_base:.2f} s")
    expected = expected_scores(history_rows)
    written_runs = [scores_baseline(url, expected) for _ in range(args.repeat)]
    scores_written = sorted(written_runs, key=lambda w: w.timed.wall)[len(written_runs) // 2]
    log(f"scores baseline, written: {scores_written.timed.wall:.2f} s")
    with parts.measuring() as measured:
        timed, stored = clocked(lambda: credit.compute_scores(app.uow, MONTH, TODAY))
    loads.append(os.getloadavg()[0])
    log(f"compute_scores: {timed.wall:.2f} s, {stored:,} scores")
    equal, wrong = compare_scores(url, expected)
    if wrong:
        log(f"MISMATCH: {wrong} stored scores differ from those of the baseline's sums")
    results.append(
        row(
            f"month's scores: `credit.compute_scores` ({stored:,} stored)",
            timed,
            history_base,
            scores_written.timed.wall,
        )
    )
    results.append(
        row(
            f"baseline: one statement, every customer's history sums (median of {args.repeat}; no write)",
            Timed(history_base, statistics.median(t.cpu for t in history_runs)),
            None,
        )
    )
    results.append(
        row(
            f"write-inclusive baseline: one INSERT … SELECT, every customer's score and explanation "
            f"(median of {args.repeat}, rolled back)",
            scores_written.timed,
            None,
        )
    )
    notes.append(f"scores: {equal:,} equal to the ones computed from the baseline's sums, {wrong:,} differ")
    notes.append(
        f"scores, write-inclusive baseline: {scores_written.rows['scores']:,} written, "
        f"{scores_written.found['equal']:,.0f} equal to the domain's; explanations' mean length "
        f"{scores_written.found['mean length']:.0f} characters (the service's {stored_lengths(url):.0f})"
    )
    notes.append(f"compute_scores parts ({timed.wall:.2f} s): {describe(measured, timed.wall)}")

    # the daily pass, first day then steady
    for what in ("first day (no alert state yet)", "steady day (nothing crosses)"):
        written: Written | None = None
        if what.startswith("first"):
            written_runs = [first_day_baseline(url, policy) for _ in range(args.repeat)]
            written = sorted(written_runs, key=lambda w: w.timed.wall)[len(written_runs) // 2]
            log(f"first day baseline, written: {written.timed.wall:.2f} s; {written.rows}")
        with parts.measuring() as measured:
            timed, ran = clocked(lambda: credit.run_credit_phase(app.uow, policy, TODAY))
        assert ran.scores_computed == 0, "this month's scores were there"
        base_timed, _ = clocked(lambda: report_baseline(url, policy))
        loads.append(os.getloadavg()[0])
        log(f"run_credit_phase, {what}: {timed.wall:.2f} s, baseline {base_timed.wall:.2f} s; {ran}")
        results.append(
            row(
                f"daily pass, {what}: `credit.run_credit_phase` ({ran.alerts_raised:,} alerts raised, "
                f"{ran.alerts_closed:,} closed, {ran.review_tasks:,} review tasks)",
                timed,
                base_timed.wall,
                written.timed.wall if written else None,
            )
        )
        results.append(row("baseline: the report's statement, right after", base_timed, None))
        if written:
            results.append(
                row(
                    "write-inclusive baseline: the report's statement into a table, then one INSERT … SELECT "
                    f"each for the alerts, the review tasks with their timeline lines, the states (median of "
                    f"{args.repeat}, rolled back)",
                    written.timed,
                    None,
                )
            )
            notes.append(
                "first day, write-inclusive baseline wrote: "
                + ", ".join(f"{value:,} {name}" for name, value in written.rows.items())
                + f" (the service: {ran.alerts_raised:,} alerts, {ran.review_tasks:,} review tasks, "
                f"{states_saved(url):,} states)"
            )
        notes.append(f"run_credit_phase parts, {what} ({timed.wall:.2f} s): {describe(measured, timed.wall)}")
    app.close()
    summary(url, loads, data, results, notes)
    if differ or wrong:
        raise SystemExit(1)


def summary(url: str, loads: list[float], data: dict[str, int], results: list[str], notes: list[str]) -> None:
    """The machine, the load average during the runs, the data, the table and the notes."""
    print()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {server_version(url)}; load average (1 min) during the runs "
        f"{min(loads):.1f} to {max(loads):.1f}, mean {statistics.mean(loads):.1f}"
    )
    print("data: " + ", ".join(f"{value:,} {name}" for name, value in data.items()))
    print()
    print(
        "| what | wall s | CPU s (this process) | ÷ read-only baseline | under 2× | ÷ write-inclusive baseline "
        "| under 2× |"
    )
    print("|---|---:|---:|---:|---|---:|---|")
    print("\n".join(results))
    print()
    for note in notes:
        print(f"- {note}")


def server_version(url: str) -> str:
    with psycopg.connect(conninfo(url)) as connection:
        found = connection.execute("SHOW server_version").fetchone()
    return str(found[0]) if found else "?"


if __name__ == "__main__":
    main()
