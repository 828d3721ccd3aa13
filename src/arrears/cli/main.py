"""`arrears`: the command line of CONTRACT.md.

Exit status 0 on success, 1 on a user error (message on stderr, nothing changed), 2 on bad usage.
"""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from .. import __version__
from ..bootstrap import Arrears, bootstrap
from ..config import Settings
from ..domain.aging import BUCKETS, AgingLine
from ..domain.errors import ArrearsError
from ..domain.records import KINDS
from ..domain.users import Role
from ..services import aging, exports, imports, users

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="arrears",
    help="Arrears: the accounts-receivable collections workspace.\n\n"
    "Start with [bold]arrears demo[/bold] to load a realistic ledger, then [bold]arrears report aging[/bold].",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="Create or migrate the database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Add and list the people who use Arrears.", no_args_is_help=True)
report_app = typer.Typer(help="Reports: aging.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(report_app, name="report")

err = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the database (default: $ARREARS_DATABASE_URL, else sqlite:///arrears.db).",
        show_default=False,
    ),
]


class TableFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class DataFormat(StrEnum):
    csv = "csv"
    json = "json"


class SummaryFormat(StrEnum):
    table = "table"
    json = "json"


def fails_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """A user error ends the command with its message on stderr and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ArrearsError as error:
            # The message quotes the user's own data ("[/b]", ":x:"): shown as written, never as markup.
            message = escape(error.message)
            err.print(f"[bold red]error:[/bold red] {message}", highlight=False, emoji=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


@contextmanager
def workspace(database_url: str | None, *, schema: bool = True) -> Iterator[Arrears]:
    settings = Settings() if database_url is None else Settings(database_url=database_url)
    arrears = bootstrap(settings)
    try:
        yield arrears.ready() if schema else arrears
    finally:
        arrears.close()


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"arrears {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Arrears: the accounts-receivable collections workspace."""


# -- db -------------------------------------------------------------------------------------------


@db_app.command("upgrade")
@fails_cleanly
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Create the schema, or migrate it to this version. Safe to run again.

    Example: [bold]ARREARS_DATABASE_URL=postgresql+psycopg://arrears@localhost/arrears arrears db upgrade[/bold]
    """
    with workspace(database_url, schema=False) as arrears:
        before, after = arrears.upgrade()
    if before == after:
        typer.echo(f"schema already at revision {after}")
    else:
        typer.echo(f"schema migrated from {before or 'nothing'} to revision {after}")


# -- users ----------------------------------------------------------------------------------------


@users_app.command("add")
@fails_cleanly
def users_add(
    name: Annotated[str, typer.Argument(help="User name, used to sign in and in CSV files (collector).")],
    role: Annotated[Role, typer.Option(help="owner, manager or contributor (a collector).")],
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (never echoed).")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a user.

    Examples:

      [bold]arrears users add maria --role contributor --email maria@example.com[/bold]  (asks for a password)

      [bold]printf '%s' "$PASSWORD" | arrears users add ops --role owner --password-stdin[/bold]
    """
    password: str | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with workspace(database_url) as arrears:
        user = users.add_user(arrears.uow(), arrears.hasher, name, role.value, email=email, password=password)
    typer.echo(f"added {user.role.value} {user.name!r}")


@users_app.command("list")
@fails_cleanly
def users_list(database_url: DatabaseUrl = None) -> None:
    """List users and their roles."""
    with workspace(database_url) as arrears:
        people = users.list_users(arrears.uow())
    table = Table("name", "role", "email")
    for user in people:
        table.add_row(user.name, user.role.value, user.email or "")
    Console().print(table if people else "no users yet: add one with `arrears users add NAME --role owner`")


# -- import / export ------------------------------------------------------------------------------


@app.command("import")
@fails_cleanly
def import_(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.", show_default=False)],
    file: Annotated[Path, typer.Argument(help="The CSV file (UTF-8, header row); - reads standard input.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and count the changes; write nothing.")
    ] = False,
    ignore_unknown: Annotated[
        bool, typer.Option("--ignore-unknown", help="Ignore columns Arrears does not know.")
    ] = False,
    fmt: Annotated[
        SummaryFormat, typer.Option("--format", help="table: one line; json: the counts.")
    ] = SummaryFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Import customers, contacts, invoices, payments, credit notes or credit scores from CSV.

    Rows are matched by external id: re-importing updates, importing the same file twice changes
    nothing. Any bad row rejects the whole file; every error names file, line, column and reason.

    Examples:

      [bold]arrears import customers customers.csv[/bold]

      [bold]arrears import invoices invoices.csv --dry-run[/bold]

    Import in this order: customers, contacts, invoices, payments, credit-notes, credit-scores.
    """
    if kind not in KINDS:
        raise typer.BadParameter(f"{kind!r} is not a kind of import: use one of {', '.join(KINDS)}", param_hint="KIND")
    with workspace(database_url) as arrears:
        if str(file) == "-":
            summary = imports.import_csv(
                arrears.uow(),
                kind,
                sys.stdin.buffer,
                "<stdin>",
                dry_run=dry_run,
                ignore_unknown=ignore_unknown,
            )
        else:
            if not file.is_file():
                raise ArrearsError(f"{file}: no such file")
            with file.open("rb") as source, _progress(file) as progress:
                summary = imports.import_csv(
                    arrears.uow(),
                    kind,
                    source,
                    str(file),
                    dry_run=dry_run,
                    ignore_unknown=ignore_unknown,
                    progress=progress,
                )
    if fmt is SummaryFormat.json:
        c = summary.counts
        typer.echo(
            json.dumps(
                {
                    "kind": kind,
                    "file": summary.filename,
                    "rows": summary.rows,
                    "created": c.created,
                    "updated": c.updated,
                    "unchanged": c.unchanged,
                    "dry_run": dry_run,
                }
            )
        )
    else:
        typer.echo(summary.sentence())


@contextmanager
def _progress(file: Path) -> Iterator[Callable[[int], None] | None]:
    """A Rich progress bar over the file's bytes, only when a person is watching."""
    if not sys.stdout.isatty():
        yield None
        return
    columns = (
        "{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(f"reading {file.name}", total=file.stat().st_size)
        yield lambda done: bar.update(task, completed=done)


@app.command("export")
@fails_cleanly
def export(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(exports.EXPORT_KINDS)}.", show_default=False)],
    fmt: Annotated[DataFormat, typer.Option("--format", help="csv (the import format) or json.")] = DataFormat.csv,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Export a kind of record in the import format, so an export re-imports unchanged.

    Examples: [bold]arrears export invoices > invoices.csv[/bold]   [bold]arrears export emails --format json[/bold]
    """
    if kind not in exports.EXPORT_KINDS:
        raise typer.BadParameter(
            f"{kind!r} is not a kind of export: use one of {', '.join(exports.EXPORT_KINDS)}", param_hint="KIND"
        )
    with workspace(database_url) as arrears:
        if output is None:
            exports.export(arrears.uow(), kind, sys.stdout, fmt=fmt.value)
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                written = exports.export(arrears.uow(), kind, out, fmt=fmt.value)
            err.print(f"wrote {written:,} {kind} to {escape(str(output))}", highlight=False, emoji=False)


# -- reports --------------------------------------------------------------------------------------


@report_app.command("aging")
@fails_cleanly
def report_aging(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Age as of this date, YYYY-MM-DD (default: today).", show_default=False),
    ] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="table, json or csv.")] = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Aging: outstanding per customer in current, 1-30, 31-60, 61-90 and 91+ days past due.

    One report per currency. Unapplied cash and credit on account are shown apart, never netted.

    Examples: [bold]arrears report aging[/bold]   [bold]arrears report aging --as-of 2026-06-30 --format json[/bold]
    """
    day = parse_date(as_of, "--as-of") if as_of else date.today()  # noqa: DTZ011 - the clock belongs to the entry point
    with workspace(database_url) as arrears:
        reports = aging.aging_report(arrears.uow(), day)
    if fmt is TableFormat.json:
        documents = [r.as_dict() for r in reports] or [aging.AgingReport(day, "USD", total=AgingLine("USD")).as_dict()]
        typer.echo(json.dumps(documents[0] if len(documents) == 1 else documents, ensure_ascii=False, indent=2))
    elif fmt is TableFormat.csv:
        _aging_csv(reports)
    else:
        _aging_tables(reports, day)


def parse_date(text: str, option: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date in the form YYYY-MM-DD", param_hint=option) from None


AGING_AMOUNTS = [*BUCKETS, "total", "unapplied_cash", "unapplied_credit"]


def _aging_csv(reports: list[aging.AgingReport]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["currency", "external_id", "name", *AGING_AMOUNTS])
    for report in reports:
        document: dict[str, Any] = report.as_dict()
        for customer in document["customers"]:
            writer.writerow(
                [
                    report.currency,
                    customer["external_id"],
                    customer["name"],
                    *(customer[a] for a in AGING_AMOUNTS),
                ]
            )
        writer.writerow([report.currency, "", "TOTAL", *(document["total"][a] for a in AGING_AMOUNTS)])


def _aging_tables(reports: list[aging.AgingReport], day: date) -> None:
    console = Console() if sys.stdout.isatty() else Console(width=160)
    if not reports:
        console.print(f"Nothing outstanding as of {day}. Import invoices with `arrears import invoices FILE`.")
        return
    for report in reports:
        document: dict[str, Any] = report.as_dict()
        table = Table(title=f"Aging as of {day} - {report.currency}", title_justify="left", show_footer=True)
        table.add_column("customer", footer="TOTAL", overflow="ellipsis", no_wrap=True, max_width=48)
        for amount in AGING_AMOUNTS:
            table.add_column(amount.replace("_", " "), justify="right", footer=document["total"][amount])
        for customer in document["customers"]:
            table.add_row(f"{customer['name']} ({customer['external_id']})", *(customer[a] for a in AGING_AMOUNTS))
        console.print(table)


def run() -> None:
    app()


# `arrears demo` registers itself on `app`; imported last because it uses the helpers above.
from . import automation as _automation  # noqa: E402, F401
from . import demo as _demo  # noqa: E402, F401
from . import serve as _serve  # noqa: E402, F401
from . import tasks as _tasks  # noqa: E402, F401
from . import tokens as _tokens  # noqa: E402, F401
