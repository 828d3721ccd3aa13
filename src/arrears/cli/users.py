"""`arrears users add` and `arrears users list` (API tokens: cli/tokens.py)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from ..domain.users import Role
from ..services import users
from .app import DatabaseUrl, app, fails_cleanly, output, workspace

users_app = typer.Typer(help="Add and list the people who use Arrears.", no_args_is_help=True)
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
def users_list(database_url: DatabaseUrl = None) -> None:
    """List users and their roles."""
    with workspace(database_url) as arrears:
        people = users.list_users(arrears.uow())
    table = Table("name", "role", "email")
    for user in people:
        table.add_row(user.name, user.role.value, user.email or "")
    output(width=None).print(table if people else "no users yet: add one with `arrears users add NAME --role owner`")
