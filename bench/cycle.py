"""Benchmark of the daily cycle (issue: automation) on a synthetic ledger.

Loads the ledger of bench/ledger.py through the real import, then times, on the same database:
- the first cycle, where many steps fire at once (every overdue invoice gets its latest step);
- steady-state days after it (3, --steady-days), where few fire: the whole cycle, each of its
  phases, and the cycle without its send phase (what the ratio to the baseline compares, each day
  against the baseline timed right after it; the day with the median ratio is reported);
- the baseline: one raw SQL statement selecting the invoices due for a step that has not run
  (the anti-join the firing phase is built on), for every dated step of the default workflow;
- emails rendered from the templates and delivered over SMTP to a local sink (aiosmtpd), per second.

    python bench/cycle.py --sizes 10000 --backends sqlite,postgresql [--reuse-import] [--batch 250]

The imported database, and the one after the first cycle, are kept (bench/out/cycle-N-*.db,
PostgreSQL arrears_bench_cycle_N_*): --reuse-import and --reuse-first-cycle start from a copy.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
import ledger
from arrears.adapters.clock import FixedClock
from arrears.adapters.db.engine import upgrade
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.services import cycle, imports, outbox

OUT = Path(__file__).parent / "out"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class NullSender:
    """Accepts every message at once: times the cycle's own work, not the network."""

    def send(self, message: Any) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass
class Figures:
    backend: str
    size: int
    first_cycle: float
    first_emails: int
    first_tasks: int
    steady_cycle: float  # the whole steady day, sending included
    steady_decide: float  # the steady day without the send phase
    steady_phases: dict[str, float]
    steady_fired: int
    steady_emails: int
    steady_fire: float  # the firing phase of the day before, alone
    baseline: float
    emails_per_second: float


def fresh_database(backend: str, size: int) -> str:
    if backend == "sqlite":
        path = OUT / f"cycle-{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"arrears_bench_cycle_{size}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def _pg_admin(*statements: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    admin.dispose()


def _snapshot(backend: str, size: int, stage: str) -> tuple[Path | None, str]:
    """Where a database of a size is kept at a stage ("imported", or "cycled": after the first
    cycle) for --reuse-import and --reuse-first-cycle."""
    if backend == "sqlite":
        return OUT / f"cycle-{size}-{stage}.db", ""
    return None, f"arrears_bench_cycle_{size}_{stage}"


def save_snapshot(backend: str, size: int, url: str, stage: str) -> None:
    path, name = _snapshot(backend, size, stage)
    if path is not None:
        source = make_url(url).database or ""
        with sqlite3.connect(source) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(source, path)
        return
    work = make_url(url).database
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}" TEMPLATE "{work}"')


def restore_snapshot(backend: str, size: int, stage: str) -> str | None:
    """A fresh copy of the database at `stage`, or None if there is no snapshot of it yet."""
    path, name = _snapshot(backend, size, stage)
    if path is not None:
        if not path.is_file():
            return None
        url = fresh_database(backend, size)
        shutil.copyfile(path, make_url(url).database or "")
        return url
    admin = create_engine(PG_ADMIN)
    with admin.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    admin.dispose()
    if found is None:
        return None
    work = f"arrears_bench_cycle_{size}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)', f'CREATE DATABASE "{work}" TEMPLATE "{name}"')
    return make_url(PG_ADMIN).set(database=work).render_as_string(hide_password=False)


def baseline_sql(backend: str) -> str:
    """The hand-written selection of every invoice due for a dated step of the default workflow that
    has not run for it: one anti-join per step, as one statement."""
    steps = (("courtesy", -3), ("past-due-30", 30), ("past-due-45", 45), ("past-due-60", 60), ("collections", 90))
    subject = "'invoice:' || CAST(i.id AS TEXT)" if backend == "sqlite" else "'invoice:' || i.id::text"
    day = "date(:as_of, '-' || {d} || ' days')" if backend == "sqlite" else "CAST(:as_of AS date) - {d}"
    parts = []
    for name, days in steps:
        bound = (
            day.format(d=days)
            if days >= 0
            else (f"date(:as_of, '+{-days} days')" if backend == "sqlite" else f"CAST(:as_of AS date) + {-days}")
        )
        parts.append(
            f"SELECT i.id, '{name}' AS step FROM invoices i JOIN customers c ON c.id = i.customer_id "
            f"WHERE i.status = 'open' AND i.due_date <= {bound} AND NOT i.disputed AND NOT i.excluded "
            f"AND i.plan_id IS NULL AND NOT c.on_hold "
            f"AND NOT EXISTS (SELECT 1 FROM step_runs r WHERE r.workflow = 'standard' AND r.step = '{name}' "
            f"AND r.subject = {subject})"
        )
    return " UNION ALL ".join(parts)


def analyze(app: Any, backend: str) -> None:
    """On PostgreSQL, VACUUM ANALYZE after the import and after the first cycle (which writes the
    step runs): what autovacuum does after such loads. The benchmark server runs with autovacuum off:
    without statistics the planner takes 100,000 invoices for one row and nests the anti-join into a
    loop, and without a vacuum the import's updates leave the invoices' indexes twice their size."""
    if backend == "postgresql":
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def timed(function: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def prepare(backend: str, size: int, reuse: str | None) -> tuple[Any, FixedClock, ledger.Ledger, bool]:
    """The ledger imported into a fresh database; with `reuse`, a copy of the database of that stage
    from an earlier run ("imported", or "cycled" after the first cycle). True if it is "cycled"."""
    data = ledger.ensure(OUT / f"ledger-{size}", size)
    clock = FixedClock(datetime.combine(data.as_of, datetime.min.time(), UTC) + timedelta(hours=6))
    url = restore_snapshot(backend, size, "cycled") if reuse == "cycled" else None
    if url is not None:
        print(f"[{backend} {size:,}] the database after the first cycle of an earlier run", flush=True)
        app = bootstrap(Settings(database_url=url), clock)
        upgrade(app.engine)
        return app, clock, data, True
    url = restore_snapshot(backend, size, "imported") if reuse else None
    if url is None:
        url = fresh_database(backend, size)
        app = bootstrap(Settings(database_url=url), clock)
        upgrade(app.engine)
        print(f"[{backend} {size:,}] importing the ledger", flush=True)
        start = time.perf_counter()
        for kind in ("customers", "contacts", "invoices", "payments"):
            with data.path(kind).open("rb") as source:
                imports.import_csv(app.uow(), kind, source, data.path(kind).name, ignore_unknown=True)
        analyze(app, backend)
        app.close()
        print(f"[{backend} {size:,}] imported in {time.perf_counter() - start:.0f} s", flush=True)
        save_snapshot(backend, size, url, "imported")
    else:
        print(f"[{backend} {size:,}] the ledger imported before (--reuse-import)", flush=True)
    app = bootstrap(Settings(database_url=url), clock)
    upgrade(app.engine)  # a migration newer than the snapshot
    analyze(app, backend)  # again: a snapshot from before the vacuum was added
    return app, clock, data, False


def bench(backend: str, size: int, reuse: str | None, batch: int, steady_days: int = 3) -> Figures:
    app, clock, data, cycled = prepare(backend, size, reuse)
    day = data.as_of
    workflows = app.workflows()
    mailer = cycle.Mailer(app.templates, NullSender(), "ar@example.com")

    first_time, first = float("nan"), cycle.CycleReport(day)
    if not cycled:
        first_time, first = timed(cycle.run_cycle, app.uow, workflows, mailer, day, batch=batch)
        print(
            f"[{backend} {size:,}] first cycle {first_time:.2f} s: {first.emails_queued:,} emails, "
            f"{first.tasks_created:,} tasks; phases {phases(first.phases)}",
            flush=True,
        )
        analyze(app, backend)
        app.close()
        save_snapshot(backend, size, app.settings.database_url, "cycled")
    steady_day = day + timedelta(days=1)
    clock.at += timedelta(days=1)
    fire_report = cycle.CycleReport(steady_day)
    steady_fire, _ = timed(cycle.fire_workflows, app.uow, workflows, mailer, steady_day, fire_report, batch=batch)
    sql = baseline_sql(backend)
    days: list[tuple[float, float, float, cycle.CycleReport]] = []  # cycle, without sending, baseline
    for number in range(max(1, steady_days)):
        clock.at += timedelta(days=1)
        when = steady_day + timedelta(days=1 + number)
        steady_time, steady = timed(cycle.run_cycle, app.uow, workflows, mailer, when, batch=batch)
        decide = steady_time - steady.phases["send"]
        runs = []
        for _ in range(5):  # right after the cycle of the same day, on the same database
            with app.engine.connect() as connection:
                elapsed, _ = timed(lambda c=connection, w=when: c.execute(text(sql), {"as_of": w.isoformat()}).all())
            runs.append(elapsed)
        baseline = statistics.median(runs)
        days.append((steady_time, decide, baseline, steady))
        print(
            f"[{backend} {size:,}] steady day {when}: cycle {steady_time:.2f} s ({decide:.2f} s without sending "
            f"{steady.emails_queued:,} emails), {steady.steps_fired:,} subjects fired; phases {phases(steady.phases)}; "
            f"baseline SQL {baseline:.3f} s ({decide / baseline:.2f}×)",
            flush=True,
        )
    print(
        f"[{backend} {size:,}] firing phase of the day before {steady_fire:.3f} s ({fire_report.steps_fired:,} "
        f"subjects); without sending ÷ baseline by day: {', '.join(f'{d[1] / d[2]:.2f}×' for d in days)}",
        flush=True,
    )
    # The figures of the day with the median ratio.
    steady_time, decide, baseline, steady = sorted(days, key=lambda d: d[1] / d[2])[len(days) // 2]

    rate = email_rate(app, size)
    print(f"[{backend} {size:,}] {rate:.0f} emails/s over SMTP (one worker)", flush=True)
    app.close()
    return Figures(
        backend,
        size,
        first_time,
        first.emails_queued,
        first.tasks_created,
        steady_time,
        decide,
        steady.phases,
        steady.steps_fired,
        steady.emails_queued,
        steady_fire,
        baseline,
        rate,
    )


def phases(timings: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.3f}" for name, seconds in timings.items())


def email_rate(app: Any, size: int, count: int = 1000) -> float:
    """Render and deliver `count` emails over SMTP to a local sink running in its own process
    (aiosmtpd's Sink handler), from one worker: emails per second. They are the latest the cycle
    queued, so each body is rendered from its stored context as it is sent."""
    import socket
    import subprocess

    from arrears.adapters.email import transport_from_url

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    )
    try:
        for _ in range(50):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        with app.engine.begin() as connection:
            # The latest `count` emails the cycle queued (their bodies rendered when sent), again.
            connection.execute(text("UPDATE emails SET status = 'sent' WHERE status = 'queued'"))
            connection.execute(
                text(
                    "UPDATE emails SET status = 'queued', attempts = 0, next_attempt_at = created_at WHERE id IN "
                    "(SELECT id FROM emails WHERE context IS NOT NULL ORDER BY id DESC LIMIT :count)"
                ),
                {"count": count},
            )
            limit = connection.execute(text("SELECT count(*) FROM emails WHERE status = 'queued'")).scalar_one()
        sender = transport_from_url(f"smtp://127.0.0.1:{port}")
        elapsed, report = timed(outbox.send_due, app.uow, sender, app.templates, "ar@example.com", limit=limit)
    finally:
        sink.terminate()
        sink.wait()
    return report.sent / elapsed if elapsed else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000", help="invoices (customers are a tenth), comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--reuse-import",
        action="store_const",
        const="imported",
        dest="reuse",
        help="start from a copy of the database imported by an earlier run of the same size, if there is one",
    )
    parser.add_argument(
        "--reuse-first-cycle",
        action="store_const",
        const="cycled",
        dest="reuse",
        help="start from a copy of the database after the first cycle of an earlier run (no first-cycle figures)",
    )
    parser.add_argument("--batch", type=int, default=cycle.BATCH, help="customers per transaction of the firing phase")
    parser.add_argument(
        "--steady-days",
        type=int,
        default=3,
        help="steady days to time, one after the other, each with its baseline (the median ratio is reported)",
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = [
        bench(b, int(s), args.reuse, args.batch, args.steady_days)
        for s in args.sizes.split(",")
        for b in args.backends.split(",")
    ]
    print()
    print(
        "| backend | invoices | first cycle s | emails / tasks | steady day s (without sending) | subjects fired "
        "| baseline SQL s | steady day ÷ baseline | emails/s over SMTP |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.backend} | {r.size:,} | {r.first_cycle:.2f} | {r.first_emails:,} / {r.first_tasks:,} | "
            f"{r.steady_cycle:.2f} ({r.steady_decide:.2f}) | {r.steady_fired:,} | {r.baseline:.3f} | "
            f"{r.steady_decide / r.baseline:.1f}× | {r.emails_per_second:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent.parent))
    raise SystemExit(main())
