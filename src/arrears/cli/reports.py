"""`arrears report aging`, and the aging tables that `arrears demo` prints too."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from ..domain.aging import BUCKETS, AgingLine
from ..services import aging
from ..services.spreadsheets import spreadsheet_writer
from .app import DatabaseUrl, TableFormat, app, fails_cleanly, output, parse_date, workspace, workspace_today

report_app = typer.Typer(help="Reports: aging.", no_args_is_help=True)
app.add_typer(report_app, name="report")

AGING_AMOUNTS = [*BUCKETS, "total", "unapplied_cash", "unapplied_credit"]


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
    given = parse_date(as_of, "--as-of") if as_of else None
    with workspace(database_url) as arrears:
        day = given or workspace_today(arrears)
        reports = aging.aging_report(arrears.uow(), day)
    if fmt is TableFormat.json:
        documents = [r.as_dict() for r in reports] or [aging.AgingReport(day, "USD", total=AgingLine("USD")).as_dict()]
        typer.echo(json.dumps(documents[0] if len(documents) == 1 else documents, ensure_ascii=False, indent=2))
    elif fmt is TableFormat.csv:
        _aging_csv(reports)
    else:
        aging_tables(reports, day)


def _aging_csv(reports: list[aging.AgingReport]) -> None:
    writer = spreadsheet_writer(sys.stdout)
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


def aging_tables(reports: list[aging.AgingReport], day: date) -> None:
    """One table per currency on stdout, or a sentence saying what to import when there is nothing."""
    console = output()
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
