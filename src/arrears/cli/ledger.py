"""`arrears import` and `arrears export`: the ledger in from the ERP's CSV files, and every kind of
record back out in the import format."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from ..domain.errors import ArrearsError
from ..domain.records import KINDS
from ..services import exports, imports
from .app import DatabaseUrl, DataFormat, SummaryFormat, app, err, fails_cleanly, workspace


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
    complete: Annotated[
        bool,
        typer.Option(
            "--complete",
            help="Invoices only: the file lists every invoice of its customers (an ERP's full sync). Their open "
            "invoices that it leaves out are closed as void, audited and listed.",
        ),
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

      [bold]arrears import invoices erp-invoices.csv --complete[/bold]

    Import in this order: customers, contacts, invoices, payments, credit-notes, credit-scores.
    """
    if kind not in KINDS:
        raise typer.BadParameter(f"{kind!r} is not a kind of import: use one of {', '.join(KINDS)}", param_hint="KIND")
    if complete and kind != "invoices":
        raise typer.BadParameter("is for invoices only", param_hint="--complete")
    with workspace(database_url) as arrears:
        if str(file) == "-":
            summary = imports.import_csv(
                arrears.uow(),
                kind,
                sys.stdin.buffer,
                "<stdin>",
                dry_run=dry_run,
                ignore_unknown=ignore_unknown,
                complete=complete,
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
                    complete=complete,
                )
    if fmt is SummaryFormat.json:
        c = summary.counts
        document: dict[str, object] = {
            "kind": kind,
            "file": summary.filename,
            "rows": summary.rows,
            "created": c.created,
            "updated": c.updated,
            "unchanged": c.unchanged,
            "dry_run": dry_run,
        }
        if complete:
            document |= {"closed": len(summary.closed), "closed_invoices": list(summary.closed)}
        typer.echo(json.dumps(document))
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
    spreadsheet_safe: Annotated[
        bool,
        typer.Option(
            "--spreadsheet-safe",
            help="CSV for a spreadsheet: a text cell beginning with = + - @ (or a tab or CR) is prefixed with ' "
            "so that it cannot run as a formula; numbers stay numbers. The file then no longer re-imports as is.",
        ),
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Export a kind of record in the import format, so an export re-imports unchanged.

    Examples: [bold]arrears export invoices > invoices.csv[/bold]   [bold]arrears export emails --format json[/bold]
    [bold]arrears export customers --spreadsheet-safe -o customers.csv[/bold]
    """
    if spreadsheet_safe and fmt is not DataFormat.csv:
        raise typer.BadParameter("is for CSV; JSON holds no formulas", param_hint="--spreadsheet-safe")
    if kind not in exports.EXPORT_KINDS:
        raise typer.BadParameter(
            f"{kind!r} is not a kind of export: use one of {', '.join(exports.EXPORT_KINDS)}", param_hint="KIND"
        )
    with workspace(database_url) as arrears:
        if output is None:
            exports.export(arrears.uow(), kind, sys.stdout, fmt=fmt.value, spreadsheet_safe=spreadsheet_safe)
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                written = exports.export(arrears.uow(), kind, out, fmt=fmt.value, spreadsheet_safe=spreadsheet_safe)
            err.print(f"wrote {written:,} {kind} to {escape(str(output))}", highlight=False, emoji=False)
