"""`arrears demo`: load the demo ledger into the configured database, then show its aging."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TaskProgressColumn
from rich.table import Column, Table

from ..demo import DEFAULT_CUSTOMERS, MAX_CUSTOMERS
from ..services import aging
from ..services import demo as demo_ledger
from .app import DatabaseUrl, app, fails_cleanly, output, parse_date, workspace, workspace_today
from .reports import aging_tables


@app.command("demo")
@fails_cleanly
def demo(
    seed: Annotated[
        int, typer.Option(help="Seed of the generator: the same seed and --as-of always give the same ledger.")
    ] = 7,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The ledger's today, YYYY-MM-DD: invoices span the 18 months before it (default: today).",
            show_default=False,
        ),
    ] = None,
    customers: Annotated[
        int,
        typer.Option(min=1, max=MAX_CUSTOMERS, help="How many customers (about 19 invoices each)."),
    ] = DEFAULT_CUSTOMERS,
    serve: Annotated[
        bool | None,
        typer.Option(
            "--serve/--no-serve",
            help="Then serve the web workspace on it until Ctrl-C (default: when run from a terminal).",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="With --serve: the address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="With --serve: the port to listen on.")] = 8000,
    database_url: DatabaseUrl = None,
) -> None:
    """Load a realistic demo ledger into an empty database, print its aging, then serve the workspace.

    About 300 customers in USD, GBP and EUR with contacts and collectors, and 18 months of invoices.

    Payments come from prompt, late, partial and chronic payers; credit notes and credit scores come too.

    Five users: demo (owner), morgan (manager), alex, sam and jordan (collectors); password [bold]demo-password[/bold].

    Examples:

      [bold]arrears demo[/bold]   (into ./arrears.db)

      [bold]arrears demo --seed 42 --as-of 2026-06-30 --database-url sqlite:///demo.db --no-serve[/bold]

    From a terminal it ends by serving the web workspace at http://127.0.0.1:8000/ (sign in as demo);
    from a script it only loads, unless given --serve.
    """
    given = parse_date(as_of, "--as-of") if as_of else None
    serve = sys.stdin.isatty() and sys.stdout.isatty() if serve is None else serve
    started = time.perf_counter()
    with workspace(database_url) as arrears:
        day = given or workspace_today(arrears)
        with _loading() as progress:
            summary = demo_ledger.load_demo(arrears.uow, arrears.hasher, seed, day, progress, customers=customers)
        elapsed = time.perf_counter() - started
        where = arrears.engine.url.render_as_string(hide_password=True)
        reports = aging.aging_report(arrears.uow(), day)
        console = output()
        _print_summary(console, summary, where, elapsed)
        aging_tables(reports, day)
        sign_in = (
            f"Sign in as demo (owner), morgan (manager) or a collector (alex, sam, jordan), "
            f"with the password {summary.password}."
        )
        console.print(f"\n{sign_in} See the aging again: arrears report aging --as-of {day}", highlight=False)
        if serve:
            from .serve import run_server  # not at the top: that would list `arrears serve` before `arrears demo`

            run_server(arrears, host, port, sign_in)


@contextmanager
def _loading() -> Iterator[demo_ledger.LoadProgress | None]:
    """One Rich progress line per step, only when a person is watching."""
    if not sys.stdout.isatty():
        yield None
        return
    with Progress(SpinnerColumn(), "{task.description}", BarColumn(), TaskProgressColumn(), transient=True) as bar:
        steps: dict[str, TaskID] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in steps:
                steps[step] = bar.add_task(step, total=total)
            bar.update(steps[step], completed=done, total=total)

        yield report


def _print_summary(console: Console, summary: demo_ledger.DemoSummary, where: str, elapsed: float) -> None:
    console.print(
        f"Loaded the demo ledger into {where} in {elapsed:.1f} s (seed {summary.seed}, as of {summary.as_of}).",
        highlight=False,
    )
    rows = Table("kind", Column("rows", justify="right"), title="Imported", title_justify="left")
    for kind, count in summary.rows.items():
        rows.add_row(kind, f"{count:,}")
    people = Table(
        "user", "role", "email", Column("customers", justify="right"), "password", title="Users", title_justify="left"
    )
    for user in summary.users:
        collected = summary.customers_per_collector.get(user.name)
        people.add_row(user.name, user.role, user.email, "" if collected is None else str(collected), summary.password)
    console.print(rows, people)
    behaviours = ", ".join(f"{count} {name}" for name, count in summary.behaviours.items())
    console.print(f"Customers by payment behaviour: {behaviours}.\n", highlight=False)
