"""`arrears report aging|dso|cei|promises|disputes|productivity` (credit is in cli/credit.py), and the
aging tables that `arrears demo` prints too."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from ..bootstrap import Arrears
from ..domain.aging import BUCKETS, AgingLine
from ..domain.money import format_minor
from ..domain.reports import Period
from ..services import aging, reports
from .app import DatabaseUrl, TableFormat, app, fails_cleanly, output, parse_date, workspace, workspace_today

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
    """A header and rows on stdout; None is an empty cell."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)


def _table(title: str, header: list[str], rows: Iterable[Iterable[Any]], *, left: int = 1) -> Table:
    """A table with the first `left` columns left-aligned and the figures right-aligned; None is "–"."""
    table = Table(title=title, title_justify="left")
    for k, name in enumerate(header):
        table.add_column(name.replace("_", " "), justify="left" if k < left else "right")
    for row in rows:
        table.add_row(*("–" if cell is None else str(cell) for cell in row))
    return table


def _print_documents(title: str, documents: list[dict[str, Any]], fields: list[str], fmt: TableFormat) -> None:
    if fmt is TableFormat.json:
        _one_or_list(documents)
    elif fmt is TableFormat.csv:
        _write_csv(fields, ([d[f] for f in fields] for d in documents))
    else:
        output().print(_table(title, fields, ([d[f] for f in fields] for d in documents), left=3))


DSO_FIELDS = ["currency", "from", "to", "dso", "best_possible_dso", "add", "sales", "ar", "current_ar"]
CEI_FIELDS = ["currency", "from", "to", "cei", "opening_ar", "sales", "closing_ar", "current_ar"]
MONTH_FIELDS = [
    "currency",
    "from",
    "to",
    "dso",
    "best_possible_dso",
    "add",
    "cei",
    "sales",
    "opening_ar",
    "ar",
    "current_ar",
]


def _trend(arrears: Arrears, period: Period, fmt: TableFormat, fields: list[str]) -> None:
    document = reports.trend(arrears.uow(), period).as_dict()
    if fmt is TableFormat.json:
        _one_or_list(document)
        return
    months = [{"currency": d["currency"], **month} for d in document for month in d["months"]]
    _print_documents(f"By month, {period.start} to {period.end}", months, fields, fmt)


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
            _trend(arrears, period, fmt, [f for f in MONTH_FIELDS if f not in ("cei", "opening_ar")])
            return
        lines = reports.receivables(arrears.uow(), period)
    _print_documents(f"DSO, {period.start} to {period.end}", [line.dso_dict() for line in lines], DSO_FIELDS, fmt)


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
            _trend(arrears, period, fmt, MONTH_FIELDS)
            return
        lines = reports.receivables(arrears.uow(), period)
    _print_documents(f"CEI, {period.start} to {period.end}", [line.cei_dict() for line in lines], CEI_FIELDS, fmt)


def _print_rows(title: str, document: dict[str, Any], fields: list[str], fmt: TableFormat, empty: str) -> None:
    if fmt is TableFormat.json:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    elif fmt is TableFormat.csv:
        _write_csv(fields, ([row[f] for f in fields] for row in document["rows"]))
    elif not document["rows"]:
        output().print(empty)
    else:
        output().print(_table(title, fields, ([row[f] for f in fields] for row in document["rows"]), left=2))


PROMISE_FIELDS = ["currency", "kept", "broken", "open", "closed_by_hand", "kept_rate", "promised", "kept_amount"]


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
        document = reports.promises(arrears.uow(), period).as_dict()
    title = f"Promises to pay due {period.start} to {period.end}"
    _print_rows(
        title, document, PROMISE_FIELDS, fmt, f"No promise to pay falls due from {period.start} to {period.end}."
    )


DISPUTE_FIELDS = [
    "reason",
    "currency",
    "opened",
    "amount",
    "resolved",
    "rejected",
    "open",
    "open_amount",
    "median_days_to_resolve",
]


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
        document = reports.disputes(arrears.uow(), period, arrears.workspace.timezone).as_dict()
    title = f"Disputes, {period.start} to {period.end}"
    _print_rows(
        title, document, DISPUTE_FIELDS, fmt, f"No dispute opened, closed or open from {period.start} to {period.end}."
    )


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
    outcomes, currencies = report.call_outcomes(), report.currencies()
    header = [
        "user",
        "tasks_completed",
        *(f"calls_{o}" for o in outcomes),
        "promises_taken",
        "emails_sent",
        *(f"collected_{c}" for c in currencies),
    ]
    rows = []
    for row in report.as_dict()["rows"]:
        rows.append(
            [
                row["user"] if row["user"] is not None or fmt is TableFormat.csv else "(no collector)",
                row["tasks_completed"],
                *(row["calls"].get(o, 0) for o in outcomes),
                row["promises_taken"],
                row["emails_sent"],
                *(row["collected"].get(c, format_minor(0, c)) for c in currencies),
            ]
        )
    if fmt is TableFormat.csv:
        _write_csv(header, rows)
    else:
        output().print(_table(f"Productivity, {period.start} to {period.end}", header, rows))
