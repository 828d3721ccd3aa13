"""`arrears disputes open|resolve|reject|list`: invoices the customer contests, from the terminal, as
the dispute pages and the API handle them (services/disputes.py decides)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from ..domain.disputes import EXPORT_FIELDS, DisputeStatus
from ..domain.money import format_minor
from ..services import disputes
from ..services.spreadsheets import spreadsheet_writer
from ..services.workspace_ports import DisputeRow
from .app import OPERATOR, DatabaseUrl, TableFormat, app, err, fails_cleanly, output, workspace

disputes_app = typer.Typer(
    help="Disputes: an invoice the customer contests is not chased until the dispute is resolved or rejected.",
    no_args_is_help=True,
)
app.add_typer(disputes_app, name="disputes")

# The fields of `arrears export disputes`, and what the dispute list adds.
COLUMNS = (*EXPORT_FIELDS, "customer_name", "invoice_number", "source")
TABLE_COLUMNS = ("id", "customer_external_id", "invoice_external_id", "reason", "amount", "currency", "owner", "status")

Note = Annotated[
    str | None, typer.Option("--note", help="What was said or agreed; it goes on the customer's timeline.")
]


def dispute_document(row: DisputeRow) -> dict[str, Any]:
    """A dispute as `--format json` prints it: the fields of `arrears export disputes` and more."""
    return {
        "id": row.id,
        "customer_external_id": row.customer_external_id,
        "invoice_external_id": row.invoice_external_id,
        "reason": row.reason,
        "amount": format_minor(row.amount_minor, row.currency),
        "currency": row.currency,
        "owner": row.owner,
        "status": row.status,
        "resolution": row.resolution,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "customer_name": row.customer_name,
        "invoice_number": row.invoice_number,
        "source": row.source,
    }


def _said(row: DisputeRow, fmt: TableFormat) -> None:
    """One dispute: its JSON document, or a line for a person."""
    if fmt is TableFormat.json:
        typer.echo(json.dumps(dispute_document(row), ensure_ascii=False, indent=2))
        return
    if fmt is TableFormat.csv:
        _csv([row])
        return
    amount = f"{format_minor(row.amount_minor, row.currency)} {row.currency}"
    typer.echo(
        f"dispute {row.id} on invoice {row.invoice_external_id} ({row.customer_external_id}): {row.status}, "
        f"{row.reason}, {amount}, owner {row.owner or '-'}" + (f": {row.resolution}" if row.resolution else "")
    )


def _csv(rows: list[DisputeRow]) -> None:
    """The disputes for a person's spreadsheet: a note or resolution cannot run as a formula."""
    writer = spreadsheet_writer(sys.stdout)
    writer.writerow(COLUMNS)
    for row in rows:
        document = dispute_document(row)
        writer.writerow(["" if document[c] is None else document[c] for c in COLUMNS])


Format = Annotated[TableFormat, typer.Option("--format", help="table, json or csv.")]


@disputes_app.command("open")
@fails_cleanly
def open_dispute(
    invoice: Annotated[str, typer.Argument(help="The invoice's external id.", show_default=False)],
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="A reason code of $ARREARS_DISPUTE_REASONS (default: pricing, quantity, damaged, "
            "not_received, duplicate, already_paid, other).",
            show_default=False,
        ),
    ],
    amount: Annotated[
        str | None,
        typer.Option(
            "--amount", help="The part of the invoice disputed (default: all it still owes).", show_default=False
        ),
    ] = None,
    note: Note = None,
    owner: Annotated[
        str | None,
        typer.Option("--owner", help="The user who owns it (default: the customer's collector).", show_default=False),
    ] = None,
    fmt: Format = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Open a dispute on an invoice: it is not chased while the dispute is open, and an alert goes
    to the customer's collector at once.

    Examples:

      [bold]arrears disputes open INV-1001 --reason pricing --note "Quoted 90.00 a unit"[/bold]

      [bold]arrears disputes open INV-1002 --reason damaged --amount 120.00 --owner maria[/bold]
    """
    with workspace(database_url) as arrears:
        row = disputes.open_dispute(arrears.uow(), OPERATOR, invoice, reason, amount=amount, note=note, owner=owner)
    _said(row, fmt)


@disputes_app.command("resolve")
@fails_cleanly
def resolve_dispute(
    dispute_id: Annotated[int, typer.Argument(help="The dispute's id (arrears disputes list).", show_default=False)],
    note: Note = None,
    credit_note: Annotated[
        str | None,
        typer.Option(
            "--credit-note",
            metavar="AMOUNT",
            help="Record a credit note of AMOUNT against the invoice (external id DISPUTE-<id>-CN).",
            show_default=False,
        ),
    ] = None,
    write_off: Annotated[
        str | None,
        typer.Option(
            "--write-off",
            metavar="AMOUNT",
            help="Write off AMOUNT of the invoice: a credit note with reason write_off (DISPUTE-<id>-WO).",
            show_default=False,
        ),
    ] = None,
    fmt: Format = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Close a dispute as resolved; chasing of what the invoice still owes resumes.

    With --credit-note or --write-off (or both: together at most the disputed amount) the outcome
    is recorded on the ledger against the invoice, audited like an imported credit note, in the
    same step: resolving the same dispute again changes nothing (exit 1).

    Examples:

      [bold]arrears disputes resolve 7 --note "Price corrected" --credit-note 50.00[/bold]

      [bold]arrears disputes resolve 8 --write-off 12.40[/bold]
    """
    with workspace(database_url) as arrears:
        row = disputes.close_dispute(
            arrears.uow(),
            OPERATOR,
            dispute_id,
            DisputeStatus.RESOLVED,
            note,
            credit_note=credit_note,
            write_off=write_off,
        )
    _said(row, fmt)


@disputes_app.command("reject")
@fails_cleanly
def reject_dispute(
    dispute_id: Annotated[int, typer.Argument(help="The dispute's id (arrears disputes list).", show_default=False)],
    note: Note = None,
    fmt: Format = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Close a dispute as rejected: the invoice stands as billed and chasing resumes.

    Example: [bold]arrears disputes reject 7 --note "The contract price applies"[/bold]
    """
    with workspace(database_url) as arrears:
        row = disputes.close_dispute(arrears.uow(), OPERATOR, dispute_id, DisputeStatus.REJECTED, note)
    _said(row, fmt)


@disputes_app.command("assign")
@fails_cleanly
def assign_dispute(
    dispute_id: Annotated[int, typer.Argument(help="The dispute's id (arrears disputes list).", show_default=False)],
    owner: Annotated[str, typer.Argument(help="The user who owns it from now on.", show_default=False)],
    fmt: Format = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Hand an open dispute to another user (it shows in their --owner list and on the dispute page).

    Example: [bold]arrears disputes assign 7 morgan[/bold]
    """
    with workspace(database_url) as arrears:
        row = disputes.assign_dispute(arrears.uow(), OPERATOR, dispute_id, owner)
    _said(row, fmt)


@disputes_app.command("list")
@fails_cleanly
def list_disputes(
    status: Annotated[str, typer.Option(help="open, resolved, rejected or all.")] = "open",
    reason: Annotated[str | None, typer.Option(help="Only this reason code.", show_default=False)] = None,
    owner: Annotated[str | None, typer.Option(help="Only those this user owns.", show_default=False)] = None,
    customer: Annotated[
        str | None, typer.Option(help="Only this customer's (external id).", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1 to 500).")] = 100,
    offset: Annotated[int, typer.Option(help="Skip this many (pagination).")] = 0,
    fmt: Format = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """The disputes, newest first.

    Examples:

      [bold]arrears disputes list[/bold]

      [bold]arrears disputes list --status all --reason pricing --format json[/bold]
    """
    if status not in ("open", "resolved", "rejected", "all"):
        raise typer.BadParameter("give open, resolved, rejected or all", param_hint="--status")
    if not 1 <= limit <= 500 or offset < 0:
        raise typer.BadParameter("--limit is 1 to 500 and --offset zero or more")
    with workspace(database_url) as arrears:
        page = disputes.list_disputes(
            arrears.uow(),
            OPERATOR,
            None if status == "all" else status,
            limit,
            offset,
            reason=reason,
            owner=owner,
            customer_external_id=customer,
        )
    rows: list[DisputeRow] = list(page.items)
    if fmt is TableFormat.json:
        typer.echo(json.dumps([dispute_document(row) for row in rows], ensure_ascii=False, indent=2))
        return
    if fmt is TableFormat.csv:
        _csv(rows)
        return
    console = output()
    if not rows:
        console.print(f"No {'' if status == 'all' else status + ' '}disputes here. Try --status all.")
        return
    table = Table(
        *(c.replace("_external_id", "").replace("_", " ") for c in TABLE_COLUMNS),
        title=f"Disputes ({status})",
        title_justify="left",
    )
    for row in rows:
        document = dispute_document(row)
        table.add_row(*(str(document[c] or "") for c in TABLE_COLUMNS))
    console.print(table)
    if page.next_offset is not None:
        err.print(f"More: --offset {page.next_offset}", highlight=False, markup=False)
