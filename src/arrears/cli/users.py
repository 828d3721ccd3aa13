"""`arrears users add|list|role|deactivate|activate|password` (API tokens: cli/tokens.py)."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from ..domain.users import Role
from ..services import users
from .app import OPERATOR, DatabaseUrl, TableFormat, app, fails_cleanly, output, workspace

users_app = typer.Typer(
    help="The people who use Arrears: add them, list them, change a role or a password, turn them off and on.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


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
def users_list(
    fmt: Annotated[TableFormat, typer.Option("--format", help="table, json or csv.")] = TableFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """List every user: role, email, whether active, and how many web sessions they have open."""
    with workspace(database_url) as arrears:
        people = users.accounts(arrears.uow(), OPERATOR)
    rows = [
        {
            "name": a.user.name,
            "role": a.user.role.value,
            "email": a.user.email,
            "active": a.active,
            "open_sessions": a.open_sessions,
        }
        for a in people
    ]
    if fmt is TableFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if fmt is TableFormat.csv:
        writer = csv.DictWriter(sys.stdout, ["name", "role", "email", "active", "open_sessions"], lineterminator="\n")
        writer.writeheader()
        writer.writerows([{**row, "active": "true" if row["active"] else "false"} for row in rows])
        return
    table = Table("name", "role", "email", "active", "sessions")
    for row in rows:
        table.add_row(
            str(row["name"]),
            str(row["role"]),
            str(row["email"] or ""),
            "yes" if row["active"] else "no",
            str(row["open_sessions"]),
        )
    output(width=None).print(table if rows else "no users yet: add one with `arrears users add NAME --role owner`")


@users_app.command("role")
@fails_cleanly
def users_role(
    name: Annotated[str, typer.Argument(help="The user.")],
    role: Annotated[Role, typer.Argument(help="owner, manager or contributor.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Give a user another role. The last active owner keeps theirs.

    Example: [bold]arrears users role maria manager[/bold]
    """
    with workspace(database_url) as arrears:
        user = users.set_role(arrears.uow(), OPERATOR, name, role.value)
    typer.echo(f"{user.name} is {user.role.value}")


@users_app.command("deactivate")
@fails_cleanly
def users_deactivate(name: Annotated[str, typer.Argument(help="The user.")], database_url: DatabaseUrl = None) -> None:
    """Turn a user off: their web sessions end at once, their API tokens stop working, and they can
    no longer sign in (their tasks and history stay). `arrears users activate` undoes it."""
    with workspace(database_url) as arrears:
        ended = users.set_active(arrears.uow(), OPERATOR, name, False)
    typer.echo(f"{name} deactivated ({ended} web session{'s' if ended != 1 else ''} ended)")


@users_app.command("activate")
@fails_cleanly
def users_activate(name: Annotated[str, typer.Argument(help="The user.")], database_url: DatabaseUrl = None) -> None:
    """Turn a deactivated user on again: they sign in and their API tokens work again."""
    with workspace(database_url) as arrears:
        users.set_active(arrears.uow(), OPERATOR, name, True)
    typer.echo(f"{name} activated")


@users_app.command("password")
@fails_cleanly
def users_password(
    name: Annotated[str, typer.Argument(help="The user.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (never echoed).")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Set a user's password (8 to 1,024 characters, not a common one, not their name); every web
    session of theirs ends.

    Example: [bold]printf '%s' "$NEW" | arrears users password maria --password-stdin[/bold]
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with workspace(database_url) as arrears:
        ended = users.set_password(arrears.uow(), arrears.hasher, OPERATOR, name, password)
    typer.echo(f"{name}'s password changed ({ended} web session{'s' if ended != 1 else ''} ended)")
