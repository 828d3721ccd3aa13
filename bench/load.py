"""The load test (docs/benchmarks.md, "Load test"): collectors and managers at work on a served
workspace while the daily cycle and an import run, then a check that no write was lost.

1. A fresh PostgreSQL database (`arrears_bench_load`), built as bench/task_list.py builds its own:
   the ledger of bench/ledger.py (N customers, 10N invoices, contacts, payments) and `--tasks` tasks,
   loaded raw with COPY; here with one collector per simulated collector (50) and 5 managers. The
   balances are refreshed once for today, as the first read of the day would.
2. `arrears serve --workers 4` on 127.0.0.1 and two `arrears worker` processes, from this tree, each
   its own process (the email transport writes files under bench/out/load/mail).
3. Locust, headless (bench/locustfile.py): 50 collectors working their lists through the API (the list,
   a customer and its timeline, the task completed with a follow-up, a call logged) and 5 managers
   signed in to the pages (the reports, the aging CSV, everyone's tasks by overdue amount), for
   `--seconds`. A few seconds in, `arrears cycle` (today's, the first on this ledger) and
   `arrears import payments` of `--import-rows` new payments start beside them (`--sides none`: the
   people alone).
4. Afterwards: every completed task the clients got a 2xx for is done in the database, every follow-up
   and every logged call exists, every imported payment is there. The load average is sampled every
   5 seconds throughout.

Target: p95 under 300 ms per action and no error. Reported, never asserted; a lost write is exit status 1.

    python bench/load.py --customers 2000 --seconds 60           # a smoke run
    python bench/load.py                                          # 100,000 customers, 1,000,000 invoices
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time as timer
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

import ledger
import task_list
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.domain.users import Role
from arrears.services import accounts

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
WORK = OUT / "load"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/arrears_bench_load"
PASSWORD = "bench-password"  # noqa: S105 (a throwaway database's managers)
MANAGERS = ("ana", "ben", "chloe", "dev", "eli")
TARGET_P95_MS = 300.0


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Side:
    """A command run beside the load: when it started and ended (seconds into the run), its status."""

    name: str
    command: list[str]
    started: float = 0.0
    ended: float | None = None
    status: int | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str], at: float) -> None:
        self.started = at
        log(f"{self.name}: {' '.join(self.command[2:])}")
        self.process = subprocess.Popen(
            self.command, cwd=WORK, env=env, stdout=(WORK / f"{self.name}.log").open("wb"), stderr=subprocess.STDOUT
        )

    def poll(self, now: float) -> None:
        if self.process is not None and self.ended is None and self.process.poll() is not None:
            self.ended, self.status = now, self.process.returncode
            log(f"{self.name}: exit status {self.status} after {self.ended - self.started:.1f}s")


@dataclass
class Loads:
    """Every 5 seconds: the load average, and what the database's active sessions are waiting for
    (a `Lock` wait is a writer queued behind another's transaction; none, or `IO`, is work)."""

    conninfo: str
    samples: list[tuple[float, float]] = field(default_factory=list)
    waits: list[dict[str, Any]] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)  # the database's sessions, open or idle
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        began = timer.monotonic()
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            while not self.stop.is_set():
                self.samples.append((timer.monotonic(), os.getloadavg()[0]))
                rows = connection.execute(
                    "SELECT COALESCE(wait_event_type, 'running'), COALESCE(wait_event, ''), COUNT(*),"
                    " MAX(EXTRACT(EPOCH FROM now() - query_start)), MIN(LEFT(query, 80))"
                    " FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'"
                    " AND pid <> pg_backend_pid() GROUP BY 1, 2"
                ).fetchall()
                sessions = connection.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                ).fetchone()
                self.connections.append(int(sessions[0]) if sessions else 0)
                self.waits.append(
                    {
                        "at_s": round(timer.monotonic() - began),
                        "load": self.samples[-1][1],
                        "active": [
                            [kind, event, n, round(float(oldest or 0), 1), query]
                            for kind, event, n, oldest, query in rows
                        ],
                    }
                )
                self.stop.wait(5)


def build(args: argparse.Namespace) -> tuple[task_list.Postgres, ledger.Ledger]:
    backend = task_list.Postgres(args.postgres_url)
    size = args.customers * 10
    data = ledger.ensure(OUT / f"ledger-{size}", size, args.seed)
    log(f"ledger of {size:,} invoices: {data.customers:,} customers")
    task_list.COLLECTORS = args.collectors  # one account per simulated collector
    backend.fresh()
    built = task_list.build(backend, data, args.tasks, args.seed)
    log(
        f"built in {built.seconds:.1f}s: {built.invoices:,} invoices, {built.tasks:,} tasks ({built.open_tasks:,} open)"
    )
    return backend, data


def prepare(backend: task_list.Postgres, args: argparse.Namespace) -> dict[str, Any]:
    """Managers with a password, the collectors' API tokens, today's balances; the import's file."""
    app = bootstrap(Settings(database_url=backend.url))
    try:
        hashed = app.hasher.hash(PASSWORD)
        with backend.connect() as connection:
            for name in MANAGERS[1:]:
                connection.execute(
                    "INSERT INTO users (name, email, role) VALUES (%s, %s, %s)",
                    (name, f"{name}@example.com", Role.MANAGER.value),
                )
            connection.execute("UPDATE users SET password_hash = %s WHERE role = %s", (hashed, Role.MANAGER.value))
            collectors = [
                row[0] for row in connection.execute("SELECT name FROM users WHERE role = 'contributor' ORDER BY id")
            ]
            connection.commit()
        tokens = [[name, accounts.issue_token(app.uow(), name, "load test")] for name in collectors]
        assert app.clock is not None
        today = app.clock.today()
        started = timer.perf_counter()
        with app.uow() as uow:
            refreshed = uow.balances.refresh_balances(today)
            uow.commit()
        log(f"balances of {refreshed:,} customers refreshed for {today} in {timer.perf_counter() - started:.1f}s")
    finally:
        app.close()
    backend.analyze()
    return {
        "collectors": tokens,
        "managers": list(MANAGERS),
        "password": PASSWORD,
        "collector_users": args.collectors,
        "manager_users": args.managers,
        "follow_up_date": (today + timedelta(days=7)).isoformat(),
        "report_from": (ledger.LEDGER_END - timedelta(days=89)).isoformat(),
        "report_to": ledger.LEDGER_END.isoformat(),
        "today": today.isoformat(),
    }


def payments_file(backend: task_list.Postgres, rows: int, today: str) -> Path:
    """`rows` new payments of one unit of the currency, each on an open invoice that owes more."""
    path = WORK / "payments.csv"
    with backend.connect() as connection:
        found = connection.execute(
            "SELECT i.external_id, c.external_id, i.currency"
            " FROM invoices AS i JOIN customers AS c ON c.id = i.customer_id"
            " WHERE i.status = 'open'"
            " AND i.amount_minor - i.paid_minor - i.credited_minor - i.written_off_minor >= 1000"
            " ORDER BY md5(i.external_id) LIMIT %s",
            (rows,),
        ).fetchall()
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["external_id", "customer_external_id", "date", "amount", "invoice_external_id", "currency", "method"]
        )
        for n, (invoice, customer, currency) in enumerate(found, 1):
            writer.writerow([f"LOAD-PAY-{n:06d}", customer, today, "1", invoice, currency, "wire"])
    return path


def wait_ready(base: str, seconds: float = 120) -> None:
    until = timer.monotonic() + seconds
    while timer.monotonic() < until:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        timer.sleep(0.5)
    raise RuntimeError("arrears serve did not get ready")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_load(backend: task_list.Postgres, config: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "ARREARS_DATABASE_URL": backend.url,
        "ARREARS_EMAIL_URL": "file://mail",
        "ARREARS_CYCLE_TIME": "23:59",  # the workers send the outbox; the cycle is the one run here
    }
    config_path, writes_path = WORK / "config.json", WORK / "writes.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    writes_path.unlink(missing_ok=True)
    cli = [sys.executable, "-m", "arrears.cli"]
    serve = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", str(args.web_workers)],
        cwd=WORK,
        env=env,
        stdout=(WORK / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    workers = [
        subprocess.Popen(
            [*cli, "worker"], cwd=WORK, env=env, stdout=(WORK / f"worker-{n}.log").open("wb"), stderr=subprocess.STDOUT
        )
        for n in range(1, args.job_workers + 1)
    ]
    loads = Loads(backend.conninfo)
    sampler = threading.Thread(target=loads.run, daemon=True)
    try:
        wait_ready(base)
        log(f"serving on {base} with {args.web_workers} processes; {args.job_workers} workers")
        imported = payments_file(backend, args.import_rows, config["today"])
        sides = [
            side
            for side in (Side("cycle", [*cli, "cycle"]), Side("import", [*cli, "import", "payments", str(imported)]))
            if side.name in args.sides
        ]
        users = args.collectors + args.managers
        locust = [
            sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
            "-u", str(users), "-r", "10", "-t", f"{args.seconds}s", "--host", base,
            "--csv", str(WORK / "locust"), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "30",
        ]  # fmt: skip
        sampler.start()
        began = timer.monotonic()
        log(f"locust: {args.collectors} collectors and {args.managers} managers for {args.seconds}s")
        runner = subprocess.Popen(
            locust,
            cwd=WORK,
            env=env | {"LOAD_CONFIG": str(config_path), "LOAD_WRITES": str(writes_path)},
            stdout=(WORK / "locust.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        starts = {"cycle": args.side_delay, "import": args.side_delay + 5}
        while runner.poll() is None or any(side.ended is None and side.process is not None for side in sides):
            now = timer.monotonic() - began
            for side in sides:
                if side.process is None and now >= starts[side.name]:
                    side.start(env, now)
                side.poll(now)
            if now > args.seconds + args.side_timeout:
                log("the cycle or the import is still running: stopped")
                for side in sides:
                    if side.process is not None:
                        stop(side.process)
                    side.poll(now)
                break
            timer.sleep(0.5)
        log(f"locust: exit status {runner.returncode}")
        for side in sides:
            side.poll(timer.monotonic() - began)
    finally:
        loads.stop.set()
        for worker in workers:
            stop(worker)
        stop(serve)
    load_values = [value for _, value in loads.samples]
    return {
        "sides": [
            {
                "name": side.name,
                "started_s": side.started,
                "seconds": None if side.ended is None else side.ended - side.started,
                "status": side.status,
            }
            for side in sides
        ],
        "waits": loads.waits,
        "connections": max(loads.connections, default=0),
        "load_average": {
            "min": min(load_values, default=0.0),
            "max": max(load_values, default=0.0),
            "mean": sum(load_values) / len(load_values) if load_values else 0.0,
        },
        "writes": json.loads(writes_path.read_text(encoding="utf-8")) if writes_path.exists() else None,
        "import_rows": sum(1 for _ in imported.open(encoding="utf-8")) - 1,
    }


def check_writes(backend: task_list.Postgres, run: dict[str, Any]) -> list[str]:
    """Every write the clients got a 2xx for, found in the database; the import's payments too."""
    lost: list[str] = []
    writes = run["writes"]
    if writes is None:
        return ["locust wrote no list of its writes"]
    with backend.connect() as connection:
        done = {
            row[0]
            for row in connection.execute(
                "SELECT id FROM tasks WHERE id = ANY(%s) AND status = 'done'", (writes["completed"],)
            )
        }
        lost += [f"task {n} completed (2xx) but not done" for n in writes["completed"] if n not in done]
        there = {
            row[0] for row in connection.execute("SELECT id FROM tasks WHERE id = ANY(%s)", (writes["follow_ups"],))
        }
        lost += [f"follow-up task {n} answered but missing" for n in writes["follow_ups"] if n not in there]
        calls = {
            row[0]
            for row in connection.execute(
                "SELECT id FROM tasks WHERE id = ANY(%s) AND type = 'call' AND status = 'done'", (writes["calls"],)
            )
        }
        lost += [f"call {n} logged (2xx) but missing" for n in writes["calls"] if n not in calls]
        row = connection.execute("SELECT COUNT(*) FROM payments WHERE external_id LIKE 'LOAD-PAY-%%'").fetchone()
        payments = int(row[0]) if row else 0
    imported = next((side for side in run["sides"] if side["name"] == "import"), None)
    if imported is not None and imported["status"] == 0 and payments != run["import_rows"]:
        lost.append(f"the import said done, but {payments:,} of its {run['import_rows']:,} payments are there")
    run["checked"] = {
        "completed": len(writes["completed"]),
        "follow_ups": len(writes["follow_ups"]),
        "calls": len(writes["calls"]),
        "conflicts": len(writes["conflicts"]),
        "payments": payments,
    }
    return lost


def stats() -> list[dict[str, str]]:
    with (WORK / "locust_stats.csv").open(encoding="utf-8", newline="") as source:
        return list(csv.DictReader(source))


def table(rows: list[dict[str, str]]) -> str:
    head = "| action | requests | errors | p50 ms | p95 ms | p99 ms | max ms | requests/s |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "**all**"
        p95 = row["95%"]
        mark = " ⚠" if p95 not in ("N/A", "") and float(p95) > TARGET_P95_MS else ""
        lines.append(
            f"| {name} | {int(row['Request Count']):,} | {row['Failure Count']} | {row['50%']} | {p95}{mark} | "
            f"{row['99%']} | {float(row['Max Response Time']):.0f} | {float(row['Requests/s']):.1f} |"
        )
    return "\n".join(lines)


def drop(backend: task_list.Postgres) -> None:
    with psycopg.connect(
        backend.admin_url.render_as_string(hide_password=False).replace("+psycopg", ""), autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{backend.database}" WITH (FORCE)')
    log(f"dropped {backend.database}")


def sides(text: str) -> list[str]:
    """--sides: `none`, or names among cycle and import, comma-separated."""
    chosen = [] if text == "none" else text.split(",")
    unknown = sorted(set(chosen) - {"cycle", "import"})
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown: {', '.join(unknown)} (cycle, import, or none)")
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000, help="customers; 10 invoices each (default 100000)")
    parser.add_argument("--tasks", type=int, help="tasks (default 2 per customer)")
    parser.add_argument("--seconds", type=int, default=180, help="how long the users work (default 180)")
    parser.add_argument("--collectors", type=int, default=50)
    parser.add_argument("--managers", type=int, default=5)
    parser.add_argument("--web-workers", type=int, default=4, help="arrears serve --workers (default 4)")
    parser.add_argument("--job-workers", type=int, default=2, help="arrears worker processes (default 2)")
    parser.add_argument("--import-rows", type=int, default=3000, help="payments in the import (default 3000)")
    parser.add_argument("--side-delay", type=float, default=15, help="seconds before the cycle starts (default 15)")
    parser.add_argument(
        "--side-timeout", type=float, default=900, help="how long the cycle and import may outlast the load"
    )
    parser.add_argument(
        "--sides",
        type=sides,
        default=["cycle", "import"],
        help="what runs beside the people: cycle,import (the default), one of them, or none",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--seed", type=int, default=ledger.DEFAULT_SEED)
    parser.add_argument("--keep", action="store_true", help="keep the database (default: dropped at the end)")
    args = parser.parse_args()
    args.tasks = args.tasks or args.customers * 2
    args.managers = min(args.managers, len(MANAGERS))
    WORK.mkdir(parents=True, exist_ok=True)

    backend, data = build(args)
    try:
        config = prepare(backend, args)
        run = run_load(backend, config, args)
        lost = check_writes(backend, run)
    finally:
        if not args.keep:
            drop(backend)
    rows = stats()
    run |= {
        "command": " ".join(["python bench/load.py", *sys.argv[1:]]),
        "customers": data.customers,
        "invoices": data.invoices,
        "tasks": args.tasks,
        "machine": task_list.machine(backend) if args.keep else {"cores (nproc)": str(os.cpu_count())},
        "stats": rows,
        "lost": lost,
    }
    path = OUT / f"load-{data.customers}.json"
    path.write_text(json.dumps(run, indent=2), encoding="utf-8")
    print("\n" + table(rows) + "\n")
    for side in run["sides"]:
        took = "still running, stopped" if side["seconds"] is None else f"{side['seconds']:.1f}s"
        print(f"{side['name']}: started at {side['started_s']:.0f}s, took {took}, exit status {side['status']}")
    average = run["load_average"]
    print(
        f"load average (1 min) during the run: {average['min']:.1f} to {average['max']:.1f}, mean {average['mean']:.1f}"
    )
    print(f"writes checked: {run['checked']}")
    print(f"database sessions at most: {run['connections']}")
    blocked = [(w["at_s"], n, oldest) for w in run["waits"] for kind, _, n, oldest, _ in w["active"] if kind == "Lock"]
    if blocked:
        most = max(blocked, key=lambda b: b[1])
        print(
            f"lock waits: at most {most[1]} sessions at once ({most[0]}s in), the oldest waiting "
            f"{max(b[2] for b in blocked):.0f}s; requests still waiting when the run ended are in no row above"
        )
    for problem in lost[:20]:
        print(f"LOST: {problem}", file=sys.stderr)
    log(f"wrote {path.relative_to(ROOT)}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
