"""Benchmark of the daily cycle run by `arrears worker` processes (issue: production shape, item 5).

The cycle end to end as a deployment runs it, with 1 and then 2 worker processes on PostgreSQL:
each run starts from a copy of the same imported ledger (bench/cycle.py's `--reuse-import` snapshot,
made first if there is none), an SMTP server in its own process that counts what it receives, and
N worker processes (`worker.make_app(...).run_worker()`, the jobs of `arrears worker`, with the clock
fixed on the ledger's last day at 07:00 UTC). The benchmark defers the day's cycle job and times:

- **fanned out**: the cycle job's opening phases (balances, auto-close, promises), the selection and
  the batches stored;
- **fired**: the last batch job done (every batch fired: emails queued, tasks written);
- **closed**: the run finished (stale-task alerts, the credit phase, the counts);
- **sent**: nothing left queued in the outbox, and the SMTP server has received every email.

Then the steady day after it, the same way (workers restarted with the clock a day later). Each run
checks that no email was received twice and prints a fingerprint of the emails, tasks and step runs
written (without ids or times): the 1- and 2-worker runs must give the same.

    python bench/cycle_workers.py --size 1000000 --workers 1,2 [--repeat 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parent))
import cycle as cycle_bench
import ledger
from arrears.adapters.clock import FixedClock
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.jobs import worker

HERE = Path(__file__).parent


class CountingSink:
    """An aiosmtpd handler that appends each message's Message-ID to $SINK_LOG (one line each)."""

    def __init__(self) -> None:
        self.log = open(os.environ["SINK_LOG"], "a", encoding="utf-8")  # noqa: SIM115 (kept open)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        content = (
            envelope.content.decode("utf-8", "replace") if isinstance(envelope.content, bytes) else envelope.content
        )
        found = next((line for line in content.splitlines() if line.lower().startswith("message-id:")), "")
        self.log.write(found.split(":", 1)[-1].strip() + "\n")
        self.log.flush()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sink(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "SINK_LOG": str(log), "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "cycle_workers.CountingSink"],
        env=env,
    )
    for _ in range(100):
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    return process, f"smtp://127.0.0.1:{port}"


def start_workers(count: int, url: str, smtp: str, day: date) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [sys.executable, __file__, "--child", url, "--smtp", smtp, "--day", day.isoformat()],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def child(url: str, smtp: str, day: date) -> None:
    """One worker process, its clock on `day` at 07:00 UTC (the cycle is due at 06:00)."""
    clock = FixedClock(datetime.combine(day, clock_time(7, 0), UTC))
    arrears = bootstrap(Settings(database_url=url, email_url=smtp), clock)
    app = worker.make_app(arrears)
    with app.open():
        app.run_worker(wait=True, install_signal_handlers=True)


@dataclass
class Day:
    workers: int
    day: date
    fanned_out: float
    fired: float
    closed: float
    sent: float
    batches: int
    emails: int
    received: int
    duplicates: int
    tasks: int
    fingerprint: str


def scalar(engine: Any, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


FINGERPRINT = """
SELECT md5(
  (SELECT coalesce(string_agg(dedupe_key || '|' || status || '|' || subject, ',' ORDER BY dedupe_key), '') FROM emails)
  || (SELECT coalesce(string_agg(customer_id || '|' || type || '|' || description || '|' || status, ','
        ORDER BY customer_id, type, description, status), '') FROM tasks)
  || (SELECT coalesce(string_agg(workflow || '|' || step || '|' || subject || '|' || status, ','
        ORDER BY workflow, step, subject), '') FROM step_runs)
)"""


def run_day(count: int, url: str, day: date, out: Path) -> Day:
    log = out / f"sink-{count}-{day}.log"
    log.unlink(missing_ok=True)
    log.touch()
    sink, smtp = start_sink(log)
    workers = start_workers(count, url, smtp, day)
    engine = create_engine(url)
    arrears = bootstrap(Settings(database_url=url), FixedClock(datetime.combine(day, clock_time(7, 0), UTC)))
    app = worker.make_app(arrears)
    sent_before = scalar(engine, "SELECT count(*) FROM emails WHERE status = 'sent'")
    for _ in range(300):  # the workers started (registered in procrastinate's table): time the cycle only
        if scalar(engine, "SELECT count(*) FROM procrastinate_workers") >= count:
            break
        time.sleep(0.1)
    try:
        with app.open():
            start = time.perf_counter()
            with contextlib.suppress(AlreadyEnqueued):  # one deferred by a worker's five-minute check waits
                next(t for t in app.tasks.values() if t.name == "arrears.daily_cycle").defer(timestamp=0)
        marks: dict[str, float] = {}
        run = "(SELECT max(id) FROM cycle_runs WHERE as_of = :day)"
        while "sent" not in marks:
            time.sleep(0.25)
            now = time.perf_counter() - start
            with engine.connect() as connection:
                row = connection.execute(
                    text(
                        f"SELECT r.fanned_out_at IS NOT NULL AS fanned, r.finished_at IS NOT NULL AS finished,"
                        f" (SELECT count(*) FROM cycle_batches b WHERE b.run_id = r.id AND b.done_at IS NULL)"
                        f" AS pending,"
                        f" (SELECT count(*) FROM emails WHERE status = 'queued') AS queued"
                        f" FROM cycle_runs r WHERE r.id = {run}"
                    ),
                    {"day": day},
                ).first()
            if row is None:
                continue
            if row.fanned and "fanned_out" not in marks:
                marks["fanned_out"] = now
            if row.fanned and row.pending == 0 and "fired" not in marks:
                marks["fired"] = now
            if row.finished and "closed" not in marks:
                marks["closed"] = now
            if row.finished and row.queued == 0:
                sent = scalar(engine, "SELECT count(*) FROM emails WHERE status = 'sent'") - sent_before
                if len(log.read_text(encoding="utf-8").splitlines()) >= sent:  # every one received
                    marks["sent"] = now
            if now > 3600:
                raise RuntimeError(f"the cycle of {day} with {count} worker(s) did not end in an hour: {marks}")
    finally:
        stop(workers)
        arrears.close()
        time.sleep(0.5)
        stop([sink])
    lines = log.read_text(encoding="utf-8").splitlines()
    with engine.connect() as connection:
        run_id = connection.execute(text("SELECT max(id) FROM cycle_runs WHERE as_of = :day"), {"day": day}).scalar()
        batches = connection.execute(
            text("SELECT count(*) FROM cycle_batches WHERE run_id = :r"), {"r": run_id}
        ).scalar()
        emails = connection.execute(
            text("SELECT count(*) FROM emails WHERE created_at >= (SELECT started_at FROM cycle_runs WHERE id = :r)"),
            {"r": run_id},
        ).scalar()
        tasks = connection.execute(text("SELECT count(*) FROM tasks")).scalar()
        fingerprint = connection.execute(text(FINGERPRINT)).scalar()
    engine.dispose()
    return Day(
        count,
        day,
        marks["fanned_out"],
        marks["fired"],
        marks["closed"],
        marks["sent"],
        int(batches or 0),
        int(emails or 0),
        len(lines),
        len(lines) - len(set(lines)),
        int(tasks or 0),
        str(fingerprint),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="invoices (customers are a tenth)")
    parser.add_argument("--workers", default="1,2", help="worker processes of each run, in order")
    parser.add_argument("--repeat", type=int, default=1, help="how many times to run the list of --workers")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--smtp", help=argparse.SUPPRESS)
    parser.add_argument("--day", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.smtp, date.fromisoformat(args.day))
        return 0
    cycle_bench.OUT.mkdir(parents=True, exist_ok=True)
    if cycle_bench.restore_snapshot("postgresql", args.size, "imported") is None:
        app, *_ = cycle_bench.prepare("postgresql", args.size, None)  # imports, and keeps the snapshot
        app.close()
    data = ledger.ensure(cycle_bench.OUT / f"ledger-{args.size}", args.size)
    days: list[Day] = []
    for _ in range(args.repeat):
        for count in (int(n) for n in args.workers.split(",")):
            url = cycle_bench.restore_snapshot("postgresql", args.size, "imported")
            assert url is not None
            setup = bootstrap(Settings(database_url=url))
            worker.install_schema(setup)
            cycle_bench.analyze(setup, "postgresql")
            setup.close()
            for day in (data.as_of, data.as_of + timedelta(days=1)):
                found = run_day(count, url, day, cycle_bench.OUT)
                days.append(found)
                print(
                    f"[{count} worker(s)] {day}: fanned out {found.fanned_out:.1f} s, fired {found.fired:.1f} s, "
                    f"closed {found.closed:.1f} s, sent {found.sent:.1f} s; {found.batches} batches, "
                    f"{found.emails:,} emails ({found.received:,} received, {found.duplicates} twice), "
                    f"{found.tasks:,} tasks; fingerprint {found.fingerprint}",
                    flush=True,
                )
    print()
    print(
        "| workers | day | fanned out s | fired s | closed s | sent s | batches | emails | received twice "
        "| tasks | fingerprint |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for d in days:
        print(
            f"| {d.workers} | {d.day} | {d.fanned_out:.1f} | {d.fired:.1f} | {d.closed:.1f} | {d.sent:.1f} | "
            f"{d.batches} | {d.emails:,} | {d.duplicates} | {d.tasks:,} | {d.fingerprint[:8]} |"
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent.parent))
    raise SystemExit(main())
