"""`arrears db upgrade`: create the schema, or migrate it."""

from __future__ import annotations

import typer

from .app import DatabaseUrl, app, fails_cleanly, workspace

db_app = typer.Typer(help="Create or migrate the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@fails_cleanly
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Create the schema, or migrate it to this version. Safe to run again.

    Example: [bold]ARREARS_DATABASE_URL=postgresql+psycopg://arrears@localhost/arrears arrears db upgrade[/bold]
    """
    with workspace(database_url, schema=False) as arrears:
        before, after = arrears.upgrade()
    if before == after:
        typer.echo(f"schema already at revision {after}")
    else:
        typer.echo(f"schema migrated from {before or 'nothing'} to revision {after}")
