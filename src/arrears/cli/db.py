"""`arrears db upgrade`: create the schema, or migrate it; `arrears db backup|restore`: SQLite copies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import DatabaseUrl, app, fails_cleanly, workspace

db_app = typer.Typer(help="Create or migrate the database schema; back up and restore SQLite.", no_args_is_help=True)
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


@db_app.command("backup")
@fails_cleanly
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (replaced once the copy is whole).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Write a consistent copy of a SQLite database, even while Arrears is using it.

    PostgreSQL: use pg_dump -Fc (see docs/operations.md).

    Example: [bold]arrears db backup backups/arrears-$(date +%F).db[/bold]
    """
    with workspace(database_url, schema=False) as arrears:
        copied = arrears.backup(file)
    typer.echo(
        f"backed up {copied.database} (schema revision {copied.revision}) to {copied.copy} ({copied.size:,} bytes)"
    )


@db_app.command("restore")
@fails_cleanly
def db_restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `arrears db backup`.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Put a backup back as the SQLite database, replacing what it holds.

    Refused, changing nothing, for a file that is not an Arrears database, a backup newer than this
    version of Arrears, or a database in place whose schema is newer than the backup's.
    PostgreSQL: use pg_restore (see docs/operations.md).

    Example: [bold]arrears db restore backups/arrears-2026-06-30.db[/bold]
    """
    with workspace(database_url, schema=False) as arrears:
        copied = arrears.restore(file)
    was = f" (it was at revision {copied.replaced_revision})" if copied.replaced_revision else ""
    typer.echo(f"restored {copied.copy} (schema revision {copied.revision}) into {copied.database}{was}")
    if copied.revision != copied.newest_revision:
        typer.echo(f"its schema is older than this version's ({copied.newest_revision}): run `arrears db upgrade`")
