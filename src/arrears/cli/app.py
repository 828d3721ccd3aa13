"""The `arrears` Typer app and what its commands share: the --database-url option, the output
formats, the workspace a command opens, dates as typed, how a user error ends a command, and how a
command ends when the reader of its output leaves early (`arrears export invoices | head`).

Every command module imports from here and registers itself on `app`; `cli/main.py` imports them
all and runs the app.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from .. import __version__
from ..domain.dates import NotADate, parse_day
from ..domain.errors import ArrearsError
from ..domain.users import TERMINAL

if TYPE_CHECKING:  # the workspace is built by the commands that open one (`workspace`), not at import
    from ..bootstrap import Arrears

P = ParamSpec("P")
R = TypeVar("R")

# The exit status of a command whose reader left early, as a shell reports a process killed by SIGPIPE.
BROKEN_PIPE = 128 + 13


@contextmanager
def _quiet_when_the_reader_leaves() -> Iterator[None]:
    """A reader of stdout that stops early (`| head`) ends the command with 141 and no message.

    Python ignores SIGPIPE, so a write to a closed pipe raises BrokenPipeError; left to Click, it
    would exit with 1 (a user error, here). Standard output is pointed at /dev/null first, so that
    what is still buffered cannot fail again when the interpreter flushes it at exit.
    """
    try:
        try:
            yield
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):  # no file descriptor under a test runner
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        raise typer.Exit(BROKEN_PIPE) from None


class Output(Console):
    """Rich on standard output, for tables. Rich ends the process with status 1 when the reader of
    stdout leaves; this lets the command end as every other one does (141)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of standard output has left")


def output(width: int | None = 160) -> Output:
    """A console on stdout: as wide as the terminal, else (piped, redirected) `width` columns."""
    return Output() if sys.stdout.isatty() or width is None else Output(width=width)


app = typer.Typer(
    name="arrears",
    help="Arrears: the accounts-receivable collections workspace.\n\n"
    "Start with [bold]arrears demo[/bold] to load a realistic ledger, then [bold]arrears report aging[/bold].",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

err = Console(stderr=True)

# The person at the terminal is trusted like an owner (they hold the database); ARREARS_USER says
# whose task list "mine" is.
OPERATOR = TERMINAL

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
    """A user error ends the command with its message on stderr and exit status 1; a reader of its
    output that leaves early ends it quietly with 141. Every command is wrapped in it."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _quiet_when_the_reader_leaves():
            try:
                return command(*args, **kwargs)
            except ArrearsError as error:
                # The message quotes the user's own data ("[/b]", ":x:"): shown as written, never as markup.
                message = escape(error.message)
                err.print(f"[bold red]error:[/bold red] {message}", highlight=False, emoji=False, soft_wrap=True)
                raise typer.Exit(1) from None
            except Exception as error:
                cause = _unavailable_database(error)
                if cause is None:
                    raise
                message = escape(f"{UNAVAILABLE_HINT} ({cause})")
                err.print(f"[bold red]error:[/bold red] {message}", highlight=False, emoji=False, soft_wrap=True)
                raise typer.Exit(1) from None

    return wrapper


UNAVAILABLE_HINT = (
    "the database does not answer or is busy: check ARREARS_DATABASE_URL (or --database-url) and that "
    "its server runs, then try again"
)


def _unavailable_database(error: Exception) -> str | None:
    """The driver's reason when `error` is the database being busy or unreachable
    (`engine.unavailable`), else None. Looked up in `sys.modules`, not imported: the engine's module
    is loaded with the first workspace a command opens (`arrears --help` never loads it), and until
    then no database error can occur."""
    engine = sys.modules.get("arrears.adapters.db.engine")
    return engine.reason(error) if engine is not None and engine.unavailable(error) else None


@contextmanager
def workspace(database_url: str | None, *, schema: bool = True) -> Iterator[Arrears]:
    """The workspace a command works on: the settings, with --database-url over the environment.

    Its modules (the database's adapters, SQLAlchemy, the settings) are imported here, on the first
    workspace a command opens: `arrears --help`, and a command refused for bad usage, start without
    them (about two thirds of the command line's imports)."""
    from ..bootstrap import bootstrap
    from ..config import Settings

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    arrears = bootstrap(settings)
    try:
        yield arrears.ready() if schema else arrears
    finally:
        arrears.close()


def workspace_today(arrears: Arrears) -> date:
    """Today in the workspace's time zone (ARREARS_TIMEZONE), from its one clock: the default of
    every --as-of, so that no command takes the machine's date for the company's."""
    assert arrears.clock is not None
    return arrears.clock.today()


def parse_date(text: str, option: str) -> date:
    """A date typed as YYYY-MM-DD for `option`. Anything else is bad usage (exit status 2); a real date
    outside the range Arrears computes with (domain/dates.py) is a user error (DateOutOfRange: exit 1)."""
    try:
        return parse_day(text if len(text) == 10 else "", option)
    except NotADate:
        raise typer.BadParameter(f"{text!r} is not a date in the form YYYY-MM-DD", param_hint=option) from None


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"arrears {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Arrears: the accounts-receivable collections workspace."""
