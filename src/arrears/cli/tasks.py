"""`arrears tasks` (the task list of docs/csv.md) and `arrears promises check`."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from ..services import balances, collection_rules, task_list, tasks
from ..services.spreadsheets import spreadsheet_writer
from .app import OPERATOR, DatabaseUrl, TableFormat, app, fails_cleanly, output, parse_date, workspace, workspace_today

promises_app = typer.Typer(help="Promises to pay: mark them kept or broken.", no_args_is_help=True)
app.add_typer(promises_app, name="promises")

COLUMNS = (
    "id",
    "customer_name",
    "type",
    "assignee",
    "due_date",
    "outstanding_invoice_count",
    "overdue_amount",
    "currency",
    "phones",
    "description",
)


@app.command("tasks")
@fails_cleanly
def list_tasks(
    assignee: Annotated[str | None, typer.Option(help="Only this user's tasks.")] = None,
    everyone: Annotated[bool, typer.Option("--all", help="Every assignee's tasks.")] = False,
    status: Annotated[str, typer.Option(help="open, done, cancelled or all.")] = "open",
    task_type: Annotated[str | None, typer.Option("--type", help="Only this task type, e.g. call.")] = None,
    q: Annotated[str | None, typer.Option("--search", "-q", help="Customer, invoice number or description.")] = None,
    sort: Annotated[str, typer.Option(help=f"One of: {', '.join(tasks.SORTS)}.")] = "due_date",
    limit: Annotated[int, typer.Option(help="At most this many tasks (1 to 500).")] = 100,
    offset: Annotated[int, typer.Option(help="Skip this many (pagination).")] = 0,
    fmt: Annotated[TableFormat, typer.Option("--format", help="table, json or csv.")] = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """The task list: customer, assignee, outstanding invoices, overdue amount, due date, phones.

    "Mine" is the user named by $ARREARS_USER; without it, and without --assignee, every assignee's.

    Examples:

      [bold]arrears tasks --assignee maria[/bold]

      [bold]arrears tasks --all --sort=-overdue_amount --format json[/bold]

    The worklist, whom to chase first (priority from the overdue amount, its age, how late the
    customer pays and its promises), with a line on why:

      [bold]arrears tasks --all --sort priority[/bold]
    """
    if assignee and everyone:
        raise typer.BadParameter("give --assignee or --all, not both")
    me = os.environ.get("ARREARS_USER")
    with workspace(database_url) as arrears:
        who = assignee or (None if everyone else me)
        flt = task_list.task_filter(
            arrears.uow(),
            OPERATOR,
            assignee=who,
            everyone=who is None,
            status=status,
            types=(task_type,) if task_type else (),
            q=q,
        )
        balances.roll_balances(arrears.uow())  # overdue amounts as of today, even where no server runs
        page = task_list.list_tasks(arrears.uow(), OPERATOR, flt, sort=sort, limit=limit, offset=offset)
    items = [tasks.task_document(row) for row in page.items]
    columns = (*COLUMNS, "why") if sort.removeprefix("-") == "priority" else COLUMNS
    if fmt is TableFormat.json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if fmt is TableFormat.csv:
        writer = spreadsheet_writer(sys.stdout)  # for a person's spreadsheet: no cell runs as a formula
        writer.writerow(columns)
        for item in items:
            writer.writerow([" ".join(item[c]) if c == "phones" else item[c] for c in columns])
        return
    console = output()
    if not items:
        console.print(f"No {status} tasks here. Try --all, or --status all.")
        return
    labels = {"customer_name": "customer", "outstanding_invoice_count": "invoices", "overdue_amount": "overdue"}
    table = Table(
        *(labels.get(c, c.replace("_", " ")) for c in columns), title=f"Tasks ({status})", title_justify="left"
    )
    for item in items:
        table.add_row(*(" ".join(item[c]) if c == "phones" else str(item[c] or "") for c in columns))
    console.print(table)
    if page.next_offset is not None:
        console.print(f"More: --offset {page.next_offset}")


@promises_app.command("check")
@fails_cleanly
def check_promises(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge promises as of this date (default: today).")
    ] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="table or json.")] = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Close kept promises to pay; close broken ones with a follow-up call and an alert.

    The daily cycle does this by itself; run it by hand to catch up a day:
    [bold]arrears promises check --as-of 2026-06-30[/bold]
    """
    with workspace(database_url) as arrears:
        day = parse_date(as_of, "--as-of") if as_of else workspace_today(arrears)
        run = collection_rules.check_promises(arrears.uow(), day)
    result = {
        "as_of": day.isoformat(),
        "kept": run.promises_kept,
        "broken": run.promises_broken,
        "tasks_created": run.tasks_created,
        "alerts_raised": run.alerts_raised,
    }
    if fmt is TableFormat.json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(
            f"promises as of {day}: {run.promises_kept} kept, {run.promises_broken} broken "
            f"({run.tasks_created} follow-up calls, {run.alerts_raised} alerts)"
        )
