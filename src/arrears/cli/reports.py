"""`arrears report aging|dso|cei|promises|disputes|productivity` (credit is in cli/credit.py), and the
aging tables that `arrears demo` prints too."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ..domain.aging import BUCKETS, AgingLine
from ..domain.reports import Period
from ..services import aging, reports
from ..services.spreadsheets import spreadsheet_writer
from .app import DatabaseUrl, TableFormat, app, fails_cleanly, output, parse_date, workspace, workspace_today

if TYPE_CHECKING:
    from ..bootstrap import Arrears

report_app = typer.Typer(
    help="Reports: aging, dso, cei, promises, disputes, productivity and credit.", no_args_is_help=True
)
app.add_typer(report_app, name="report")

AGING_AMOUNTS = [*BUCKETS, "total", "unapplied_cash", "unapplied_credit"]


@report_app.command("aging")
@fails_cleanly
def report_aging(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", "--to", help="Age as of this date, YYYY-MM-DD (default: today).", show_default=False),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Accepted as by the other reports; aging is taken on one day (--as-of / --to).",
            show_default=False,
        ),
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
        day = one_day(given, start, workspace_today(arrears))
        reports = aging.aging_report(arrears.uow(), day)
    if fmt is TableFormat.json:
        documents = [r.as_dict() for r in reports] or [aging.AgingReport(day, "USD", total=AgingLine("USD")).as_dict()]
        typer.echo(json.dumps(documents[0] if len(documents) == 1 else documents, ensure_ascii=False, indent=2))
    elif fmt is TableFormat.csv:
        _aging_csv(reports)
    else:
        aging_tables(reports, day)


def one_day(as_of: date | None, start: str | None, today: date) -> date:
    """The day of a report taken on one day (aging, credit): --as-of (or --to), else today. A --from,
    accepted as the reports over a period take it, must not come after that day."""
    day = as_of or today
    first = parse_date(start, "--from") if start else None
    Period.of(first, day, today)  # refuses a --from after the day
    return day


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


# -- the reports over a period ------------------------------------------------------------------------

FromDate = Annotated[
    str | None,
    typer.Option(
        "--from", help="First day of the period, YYYY-MM-DD (default: 89 days before --to).", show_default=False
    ),
]
ToDate = Annotated[
    str | None, typer.Option("--to", help="Last day of the period, YYYY-MM-DD (default: today).", show_default=False)
]
Format = Annotated[TableFormat, typer.Option("--format", help="table, json or csv.")]


def _period(arrears: Arrears, start: str | None, end: str | None, *, by_month: bool = False) -> Period:
    first = parse_date(start, "--from") if start else None
    last = parse_date(end, "--to") if end else None
    today = workspace_today(arrears)
    if by_month and first is None:
        return Period.trend(last or today)
    return Period.of(first, last, today)


def _one_or_list(documents: list[dict[str, Any]]) -> None:
    typer.echo(json.dumps(documents[0] if len(documents) == 1 else documents, ensure_ascii=False, indent=2))


def _write_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """A header and rows on stdout, safe to open in a spreadsheet; None is an empty cell."""
    writer = spreadsheet_writer(sys.stdout)
    writer.writerow(header)
    writer.writerows(rows)


def _table(title: str, header: list[str], rows: Iterable[Iterable[Any]], *, left: int = 1) -> Table:
    """A table with the first `left` columns left-aligned and the figures right-aligned; None is "–"."""
    table = Table(title=title, title_justify="left")
    for k, name in enumerate(header):
        table.add_column(name.replace("_", " "), justify="left" if k < left else "right")
    for row in rows:
        table.add_row(*("–" if cell is None else str(cell) for cell in row))
    return table


def _print_table(title: str, table: reports.Table, fmt: TableFormat, *, left: int) -> None:
    header, rows = table
    if fmt is TableFormat.csv:
        _write_csv(header, rows)
    else:
        output().print(_table(title, header, rows, left=left))


def _print_documents(title: str, documents: list[dict[str, Any]], fields: Sequence[str], fmt: TableFormat) -> None:
    if fmt is TableFormat.json:
        _one_or_list(documents)
    else:
        _print_table(title, reports.table_of(documents, fields), fmt, left=3)


def _trend(arrears: Arrears, period: Period, fmt: TableFormat, fields: Sequence[str]) -> None:
    trend = reports.trend(arrears.uow(), period)
    if fmt is TableFormat.json:
        _one_or_list(trend.as_dict())
    else:
        _print_table(f"By month, {period.start} to {period.end}", trend.table(fields), fmt, left=3)


@report_app.command("dso")
@fails_cleanly
def report_dso(
    start: FromDate = None,
    end: ToDate = None,
    by_month: Annotated[
        bool, typer.Option("--by-month", help="One line per calendar month (default period: the last 12 months).")
    ] = False,
    fmt: Format = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Days sales outstanding over a period, per currency.

    dso = AR at the end ÷ sales in the period × days; best_possible_dso the same with the part of AR
    not yet past due; add (average days delinquent) = dso − best_possible_dso. Null when there were
    no sales. AR is rebuilt from the dated payments and credit notes, not today's balances
    (docs/reports.md).

    Examples: [bold]arrears report dso[/bold]   [bold]arrears report dso --by-month[/bold]
    [bold]arrears report dso --from 2026-01-01 --to 2026-03-31 --format json[/bold]
    """
    with workspace(database_url) as arrears:
        period = _period(arrears, start, end, by_month=by_month)
        if by_month:
            _trend(arrears, period, fmt, [f for f in reports.MONTH_FIELDS if f not in ("cei", "opening_ar")])
            return
        lines = reports.receivables(arrears.uow(), period)
    _print_documents(
        f"DSO, {period.start} to {period.end}", [line.dso_dict() for line in lines], reports.DSO_FIELDS, fmt
    )


@report_app.command("cei")
@fails_cleanly
def report_cei(
    start: FromDate = None,
    end: ToDate = None,
    by_month: Annotated[
        bool,
        typer.Option("--by-month", help="One line per calendar month, with DSO (default period: the last 12 months)."),
    ] = False,
    fmt: Format = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Collection effectiveness index over a period, per currency.

    cei = (AR the day before the period + sales − AR at the end) ÷ (AR the day before + sales −
    current AR at the end) × 100: of what could be collected, the share that was (docs/reports.md).

    Examples: [bold]arrears report cei[/bold]   [bold]arrears report cei --by-month --format csv[/bold]
    """
    with workspace(database_url) as arrears:
        period = _period(arrears, start, end, by_month=by_month)
        if by_month:
            _trend(arrears, period, fmt, reports.MONTH_FIELDS)
            return
        lines = reports.receivables(arrears.uow(), period)
    _print_documents(
        f"CEI, {period.start} to {period.end}", [line.cei_dict() for line in lines], reports.CEI_FIELDS, fmt
    )


def _print_report(
    title: str, report: reports.PromisesReport | reports.DisputesReport, fmt: TableFormat, empty: str
) -> None:
    if fmt is TableFormat.json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif fmt is TableFormat.table and not report.rows:
        output().print(empty)
    else:
        _print_table(title, report.table(), fmt, left=2)


@report_app.command("promises")
@fails_cleanly
def report_promises(
    start: FromDate = None, end: ToDate = None, fmt: Format = TableFormat.table, database_url: DatabaseUrl = None
) -> None:
    """Promises to pay whose date falls in the period: kept, broken, open, the kept rate.

    kept_rate = kept ÷ (kept + broken) × 100; promises still open, or closed by hand, count in neither.

    Example: [bold]arrears report promises --from 2026-06-01 --to 2026-06-30[/bold]
    """
    with workspace(database_url) as arrears:
        period = _period(arrears, start, end)
        report = reports.promises(arrears.uow(), period)
    title = f"Promises to pay due {period.start} to {period.end}"
    _print_report(title, report, fmt, f"No promise to pay falls due from {period.start} to {period.end}.")


@report_app.command("disputes")
@fails_cleanly
def report_disputes(
    start: FromDate = None, end: ToDate = None, fmt: Format = TableFormat.table, database_url: DatabaseUrl = None
) -> None:
    """Disputes by reason code: opened in the period and their amount, resolved and rejected in it,
    open at its end, and the median days from opening to resolving.

    Example: [bold]arrears report disputes --from 2026-01-01 --format csv[/bold]
    """
    with workspace(database_url) as arrears:
        period = _period(arrears, start, end)
        report = reports.disputes(arrears.uow(), period, arrears.workspace.timezone)
    title = f"Disputes, {period.start} to {period.end}"
    _print_report(title, report, fmt, f"No dispute opened, closed or open from {period.start} to {period.end}.")


@report_app.command("productivity")
@fails_cleanly
def report_productivity(
    start: FromDate = None, end: ToDate = None, fmt: Format = TableFormat.table, database_url: DatabaseUrl = None
) -> None:
    """Each user's work in the period: tasks completed, calls by outcome, promises taken, and the
    reminders sent to and the payments received from the customers they collect (per currency).

    Example: [bold]arrears report productivity --from 2026-06-01 --to 2026-06-30[/bold]
    """
    with workspace(database_url) as arrears:
        period = _period(arrears, start, end)
        report = reports.productivity(arrears.uow(), period, arrears.workspace.timezone)
    if fmt is TableFormat.json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    no_user = "" if fmt is TableFormat.csv else "(no collector)"
    _print_table(f"Productivity, {period.start} to {period.end}", report.table(no_user), fmt, left=1)
