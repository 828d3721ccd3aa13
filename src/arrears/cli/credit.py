"""`arrears credit hold|release` and `arrears report credit`: customers' credit from the terminal."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.table import Table

from ..domain.credit import CreditFlag
from ..domain.money import format_minor
from ..services import credit, credit_history, ledger
from ..services.spreadsheets import spreadsheet_writer
from .app import (
    OPERATOR,
    DatabaseUrl,
    SummaryFormat,
    TableFormat,
    app,
    err,
    fails_cleanly,
    output,
    parse_date,
    workspace,
    workspace_today,
)
from .reports import one_day, report_app

credit_app = typer.Typer(
    help="Credit: put a customer on credit hold (no new orders on credit) or release it.", no_args_is_help=True
)
app.add_typer(credit_app, name="credit")

Note = Annotated[str | None, typer.Option("--note", help="Why, for the customer's timeline.", show_default=False)]
Customer = Annotated[str, typer.Argument(help="The customer's external id.", show_default=False)]
FIELDS = (
    "external_id",
    "name",
    "currency",
    "credit_limit",
    "exposure",
    "available",
    "score",
    "max_score",
    "score_date",
    "credit_hold",
    "next_review_date",
    "flags",
)


@credit_app.command("hold")
@fails_cleanly
def hold(customer: Customer, note: Note = None, database_url: DatabaseUrl = None) -> None:
    """Put the customer on credit hold: shown on the task list, its record, the API and the credit
    report, and exported (`credit_hold` in `arrears export customers`) for the ERP to stop orders.

    Example: [bold]arrears credit hold C1042 --note "over limit since May, no answer"[/bold]
    """
    with workspace(database_url) as arrears:
        changed = credit.hold(arrears.uow(), OPERATOR, customer, note)
    typer.echo(f"{customer} is on credit hold" + ("" if changed else " (it was already)"))


@credit_app.command("release")
@fails_cleanly
def release(customer: Customer, note: Note = None, database_url: DatabaseUrl = None) -> None:
    """Release the customer's credit hold.

    Example: [bold]arrears credit release C1042 --note "paid down, limit reviewed"[/bold]
    """
    with workspace(database_url) as arrears:
        changed = credit.release(arrears.uow(), OPERATOR, customer, note)
    typer.echo(f"{customer} is not on credit hold" + ("" if changed else " (it was not)"))


@credit_app.command("score")
@fails_cleanly
def score(
    customer: Customer,
    value: Annotated[int, typer.Argument(help="The score.", show_default=False)],
    max_score: Annotated[
        int | None,
        typer.Option("--max", help="The top of its scale (e.g. 850); 100 when left out.", show_default=False),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="The report's date, YYYY-MM-DD (default: today).", show_default=False)
    ] = None,
    source: Annotated[str, typer.Option("--source", help="Who scored it: the bureau or agency.")] = "manual",
    database_url: DatabaseUrl = None,
) -> None:
    """Enter a credit score by hand, as a credit report gave it: it becomes the score that counts
    (the newest reported one) and starts the next review period.

    Example: [bold]arrears credit score C1042 620 --max 850 --source "Bureau report"[/bold]
    """
    day = parse_date(on, "--on") if on else None
    with workspace(database_url) as arrears:
        when = (day or workspace_today(arrears)).isoformat()
        ledger.enter_score(arrears.uow(), OPERATOR, customer, value, max_score=max_score, on=when, source=source)
    typer.echo(f"{customer}: score {value}" + (f" of {max_score}" if max_score else "") + f" on {when} ({source})")


@credit_app.command("history")
@fails_cleanly
def history(
    customer: Customer,
    fmt: Annotated[SummaryFormat, typer.Option("--format", help="table or json.")] = SummaryFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """The customer's credit limit and payment terms as each write set them, and its scores over
    time (reported and computed).

    Example: [bold]arrears credit history C1042[/bold]
    """
    with workspace(database_url) as arrears:
        found = credit_history.credit_history(arrears.uow(), OPERATOR, customer)
    money = functools.partial(_amount, currency=found.currency)
    terms = [
        {
            "at": change.at.isoformat(),
            "by": change.by,
            "credit_limit": money(change.credit_limit_minor),
            "payment_terms_days": change.payment_terms_days,
            "was_credit_limit": money(change.was_limit_minor),
            "was_payment_terms_days": change.was_terms_days,
            "created": change.created,
        }
        for change in found.terms
    ]
    scores = [
        {"date": s.date.isoformat(), "score": s.score, "max_score": s.max_score, "source": s.source}
        for s in found.scores
    ]
    if fmt is SummaryFormat.json:
        typer.echo(json.dumps({"currency": found.currency, "terms": terms, "scores": scores}, indent=2))
        return
    console = output()
    table = Table(title=f"{customer}: credit limit and terms ({found.currency})", title_justify="left")
    for name in ("when", "by", "credit limit", "terms (days)"):
        table.add_column(name)
    for change, row in zip(found.terms, terms, strict=True):
        limit, days = row["credit_limit"] or "none", row["payment_terms_days"]
        if not change.created and change.was_limit_minor != change.credit_limit_minor:
            limit = f"{row['was_credit_limit'] or 'none'} → {limit}"
        if not change.created and change.was_terms_days != change.payment_terms_days:
            days = f"{row['was_payment_terms_days']} → {days}"
        table.add_row(str(row["at"])[:16].replace("T", " "), str(row["by"] or ""), str(limit), str(days))
    console.print(table)
    table = Table(title=f"{customer}: scores", title_justify="left")
    for name in ("date", "score", "source"):
        table.add_column(name)
    for row in scores:
        table.add_row(str(row["date"]), f"{row['score']}/{row['max_score'] or 100}", str(row["source"]))
    console.print(table)


def _amount(minor: int | None, currency: str) -> str | None:
    return None if minor is None else format_minor(minor, currency)


@report_app.command("credit")
@fails_cleanly
def report_credit(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", "--to", help="Flags as of this date, YYYY-MM-DD (default: today).", show_default=False),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Accepted as by the other reports; credit is taken on one day (--as-of / --to).",
            show_default=False,
        ),
    ] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only the customers with a flag.")] = False,
    fmt: Annotated[TableFormat, typer.Option("--format", help="table, json or csv.")] = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Credit per customer: limit, exposure (what its open invoices owe), what is available, the
    newest score, credit hold, the next review, and flags: over_limit, score_below_threshold
    (ARREARS_CREDIT_SCORE_ALERT_BELOW percent of the score's scale), review_due
    (ARREARS_CREDIT_REVIEW_DAYS after the last review or the newest reported score).

    Examples: [bold]arrears report credit --flagged[/bold]   [bold]arrears report credit --format json[/bold]
    """
    given = parse_date(as_of, "--as-of") if as_of else None
    with workspace(database_url) as arrears:
        day = one_day(given, start, workspace_today(arrears))
        lines = (line for line in credit.report(arrears.uow, arrears.credit_policy(), day) if line.flags or not flagged)
        if fmt is TableFormat.json:
            _write_json(day.isoformat(), map(json_line, lines))
            return
        documents = [line.document() for line in lines]
    if fmt is TableFormat.csv:
        writer = spreadsheet_writer(sys.stdout)
        writer.writerow(FIELDS)
        for document in documents:
            writer.writerow([document[name] for name in FIELDS])
        return
    if not documents:
        err.print(
            "No customers" + (" with a flag." if flagged else ": import them with `arrears import customers FILE`.")
        )
        return
    table = Table(title=f"Credit as of {day}", title_justify="left")
    for name in ("customer", "cur", "limit", "exposure", "available", "score", "hold", "next review", "flags"):
        table.add_column(name, justify="right" if name in ("limit", "exposure", "available", "score") else "left")
    for document in documents:
        score = f"{document['score']}/{document['max_score'] or 100}" if document["score"] is not None else ""
        table.add_row(
            f"{document['external_id']} {document['name']}",
            str(document["currency"]),
            str(document["credit_limit"] or ""),
            str(document["exposure"]),
            str(document["available"] or ""),
            score,
            "HOLD" if document["credit_hold"] else "",
            str(document["next_review_date"] or ""),
            _cell(document["flags"]).replace(";", ", "),
        )
    output().print(table)


def _write_json(as_of: str, rows: Iterator[str]) -> None:
    """`{"as_of": …, "rows": [ … ]}`, one customer a line (`json_line`), each written as soon as its
    row is read, so that the output goes on while the database sends the rest."""
    write = sys.stdout.write
    write(f'{{\n  "as_of": {_string(as_of)},\n  "rows": [')
    separator = "\n    "
    for row in rows:
        write(separator + row)
        separator = ",\n    "
    write("]\n}\n" if separator == "\n    " else "\n  ]\n}\n")


_string = json.encoder.encode_basestring  # a JSON string as json.dumps(..., ensure_ascii=False) writes it
_flags: dict[tuple[CreditFlag, ...], str] = {}


def json_line(line: credit.CreditLine) -> str:
    """`json.dumps(line.document(), ensure_ascii=False)`, character for character, written out
    field by field: without the dict in between and the encoder's walk over it, a third of the time
    (100,000 customers make 100,000 lines). Amounts and dates hold only digits, `-` and `.`."""
    currency = line.currency
    limit, available, score_date, review = (
        line.credit_limit_minor,
        line.available_minor,
        line.score_date,
        line.next_review_date,
    )
    flags = _flags.get(line.flags)
    if flags is None:
        flags = _flags[line.flags] = json.dumps([str(flag) for flag in line.flags])
    return (
        f'{{"external_id": {_string(line.external_id)}, "name": {_string(line.name)}, "currency": {_string(currency)}, '
        f'"credit_limit": {"null" if limit is None else _quoted(format_minor(limit, currency))}, '
        f'"exposure": "{format_minor(line.exposure_minor, currency)}", '
        f'"available": {"null" if available is None else _quoted(format_minor(available, currency))}, '
        f'"score": {_number(line.score)}, "max_score": {_number(line.max_score)}, '
        f'"score_date": {"null" if score_date is None else _quoted(score_date.isoformat())}, '
        f'"score_source": {"null" if line.score_source is None else _string(line.score_source)}, '
        f'"behavioural_score": {_number(line.behavioural_score)}, '
        f'"credit_hold": {"true" if line.credit_hold else "false"}, '
        f'"next_review_date": {"null" if review is None else _quoted(review.isoformat())}, "flags": {flags}}}'
    )


def _quoted(text: str) -> str:
    return f'"{text}"'


def _number(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _cell(value: object) -> str:
    """A CSV cell: lists joined by `;`, booleans as true/false, nothing as empty."""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
