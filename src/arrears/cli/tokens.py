"""`arrears users token NAME`, `arrears users tokens`, `arrears users revoke NAME` and
`arrears users revoke-token ID`: API tokens, stored hashed."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from ..services import accounts
from ..services.spreadsheets import spreadsheet_writer
from .app import OPERATOR, DatabaseUrl, TableFormat, err, fails_cleanly, output, workspace
from .users import users_app


@users_app.command("token")
@fails_cleanly
def users_token(
    name: Annotated[str, typer.Argument(help="The user the token acts as (with that user's role).")],
    label: Annotated[str | None, typer.Option("--label", help="What the token is for, e.g. 'erp-sync'.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Print a new API token for a user, once: only its hash is kept.

    Send it as [bold]Authorization: Bearer TOKEN[/bold]. Revoke with [bold]arrears users revoke NAME[/bold].

    Example: [bold]TOKEN=$(arrears users token maria --label erp-sync)[/bold]
    """
    with workspace(database_url) as arrears:
        token = accounts.issue_token(arrears.uow(), name, label)
    typer.echo(token)
    err.print(f"API token for {name}: shown once, keep it safe", highlight=False, markup=False)


@users_app.command("revoke")
@fails_cleanly
def users_revoke(
    name: Annotated[str, typer.Argument(help="The user whose API tokens stop working.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke every API token of a user, at once."""
    with workspace(database_url) as arrears:
        count = accounts.revoke_tokens(arrears.uow(), name)
    typer.echo(f"revoked {count} API token{'s' if count != 1 else ''} of {name}")


COLUMNS = ["id", "user", "label", "created_at", "last_used_at", "revoked_at"]


@users_app.command("tokens")
@fails_cleanly
def users_tokens(
    fmt: Annotated[TableFormat, typer.Option("--format", help="table, json or csv.")] = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """List every API token: its id, user, label, when made, last used and revoked. Never the token.

    Example: [bold]arrears users tokens --format csv[/bold], then [bold]arrears users revoke-token ID[/bold].
    """
    with workspace(database_url) as arrears:
        found = accounts.list_tokens(arrears.uow(), OPERATOR)
    rows = [
        {
            "id": row.id,
            "user": row.user_name,
            "label": row.label or "",
            "created_at": row.created_at.isoformat(timespec="seconds"),
            "last_used_at": row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "",
            "revoked_at": row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else "",
        }
        for row in found
    ]
    if fmt is TableFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if fmt is TableFormat.csv:
        writer = spreadsheet_writer(sys.stdout)  # a token's label is free text: no cell runs as a formula
        writer.writerow(COLUMNS)
        writer.writerows([row[column] for column in COLUMNS] for row in rows)
        return
    table = Table(*COLUMNS)
    for row in rows:
        table.add_row(*(str(row[column]) for column in COLUMNS))
    output(width=None).print(table if rows else "no API tokens yet: make one with `arrears users token NAME`")


@users_app.command("revoke-token")
@fails_cleanly
def users_revoke_token(
    token_id: Annotated[int, typer.Argument(help="The token's id, from `arrears users tokens`.", min=1)],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke one API token, at once (the user's other tokens keep working)."""
    with workspace(database_url) as arrears:
        row = accounts.revoke_token(arrears.uow(), OPERATOR, token_id)
    typer.echo(f"revoked API token {row.id} of {row.user_name}" + (f" ({row.label})" if row.label else ""))
