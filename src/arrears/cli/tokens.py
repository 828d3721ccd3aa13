"""`arrears users token NAME` and `arrears users revoke NAME`: API tokens, stored hashed."""

from __future__ import annotations

from typing import Annotated

import typer

from ..services import accounts
from .app import DatabaseUrl, err, fails_cleanly, workspace
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
