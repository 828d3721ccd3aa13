"""The dashboard at scale (docs/benchmarks.md, "Dashboard"): `services.dashboard.dashboard` and the
page `GET /dashboard`, beside the per-customer aging report it does not call.

Runs on a database built by bench/task_list.py (100,000 customers, 1,000,000 invoices and tasks):

    python bench/task_list.py --customers 100000 --tasks 1000000 --backend postgresql \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench_dashboard --api-seconds 0
    python bench/dashboard.py --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench_dashboard

The task list's bench makes expected payment tasks without a promise; this script gives each open one
an amount and a date (its due date, promised a week before), so "promises due this week" has thousands
to sum. The balances are refreshed first (the daily cost, paid by the first read of a day, timed apart);
then, with a clock fixed on the ledger's last day, it times each block's statement, the whole service
for the manager and for a collector, the page through the app (TestClient, signed in), and
`aging.aging_report`. Reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time as timer
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

import ledger
from arrears.adapters.clock import FixedClock
from arrears.bootstrap import bootstrap
from arrears.cli.serve import server_app
from arrears.config import Settings
from arrears.services import aging, dashboard

TODAY = ledger.LEDGER_END
NOON = datetime.combine(TODAY, time(12), UTC)
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench_dashboard"
PASSWORD = "bench-dashboard-pw"  # noqa: S105 (a bench database's throwaway sign-in)

PROMISES = """
UPDATE tasks SET expected_amount_minor = 10000 + (tasks.id % 97) * 1000,
       expected_currency = (SELECT currency FROM customers WHERE customers.id = tasks.customer_id),
       expected_date = due_date, promise_made_on = due_date - 7
WHERE type = 'expected_payment' AND status = 'open' AND expected_amount_minor IS NULL
"""


def timed(runs: int, call: Callable[[], Any]) -> list[float]:
    call()  # warm-up
    seconds = []
    for _ in range(runs):
        started = timer.perf_counter()
        call()
        seconds.append(timer.perf_counter() - started)
    return seconds


def line(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.1f} | {p95:.1f} | {ms[-1]:.1f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description="Time the dashboard on a bench/task_list.py database.")
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    app = bootstrap(Settings(database_url=args.postgres_url), FixedClock(NOON))
    try:
        with app.engine.begin() as connection:
            made = connection.execute(text(PROMISES)).rowcount
            connection.execute(
                text("UPDATE users SET password_hash = :hash WHERE name = 'ana'"),
                {"hash": app.hasher.hash(PASSWORD)},
            )
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE tasks"))
        with app.uow() as uow:
            people = {user.name: user for user in uow.users.all()}
            started = timer.perf_counter()
            uow.balances.refresh_balances(TODAY)
            uow.commit()
            refresh = timer.perf_counter() - started
        manager, collector = people["ana"], people["collector01"]

        def block(call: Callable[[Any], Any]) -> Callable[[], Any]:
            def run() -> Any:
                with app.uow() as uow:
                    return call(uow.dashboard)

            return run

        week_end = TODAY + timedelta(days=6)
        rows = [
            line(
                "aging_totals (company, per currency)",
                timed(args.repeat, block(lambda d: d.aging_totals(TODAY))),
            ),
            line("collector_loads", timed(args.repeat, block(lambda d: d.collector_loads()))),
            line("tasks_due, everyone", timed(args.repeat, block(lambda d: d.tasks_due(TODAY, None, 5)))),
            line(
                "promises_due, everyone",
                timed(args.repeat, block(lambda d: d.promises_due(TODAY, week_end, TODAY, None, 20))),
            ),
            line("dashboard service, manager", timed(args.repeat, lambda: dashboard.dashboard(app.uow(), manager))),
            line("dashboard service, collector", timed(args.repeat, lambda: dashboard.dashboard(app.uow(), collector))),
        ]
        client = TestClient(server_app(app), base_url="http://testserver", follow_redirects=False)
        page = client.get("/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        signed = client.post("/signin", data={"name": "ana", "password": PASSWORD, "csrf": csrf.group(1)})
        assert signed.status_code == 303, signed.text

        def get_page() -> None:
            answer = client.get("/dashboard")
            assert answer.status_code == 200, answer.text[:500]

        rows.append(line("GET /dashboard (TestClient), manager", timed(args.repeat, get_page)))
        rows.append(
            line(
                "aging.aging_report (per customer), for comparison",
                timed(3, lambda: aging.aging_report(app.uow(), TODAY)),
            )
        )
        board = dashboard.dashboard(app.uow(), manager)
    finally:
        app.close()

    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"promises given to open expected payment tasks: {made:,}")
    print(f"balance refresh, every customer (the first read of a day): {refresh:.2f}s")
    print(
        f"dashboard: {len(board.aging)} currencies, {len(board.collectors)} collectors, "
        f"{board.due_today_everyone.count if board.due_today_everyone else 0:,} tasks due today, "
        f"{board.promises_count:,} promises this week"
    )
    print("| what | runs | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
