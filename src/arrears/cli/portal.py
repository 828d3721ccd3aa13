"""`arrears portal link|revoke`: links to a customer's portal (its open invoices, without a sign-in),
issued and withdrawn from the terminal, as the customer record's buttons do."""

from __future__ import annotations

from typing import Annotated

import typer

from ..domain.portal import MAX_LINK_DAYS
from ..services import portal
from .app import OPERATOR, DatabaseUrl, app, err, fails_cleanly, workspace

portal_app = typer.Typer(
    help="The customer portal: give a customer a link to see, pay or dispute its invoices; withdraw the links.",
    no_args_is_help=True,
)
app.add_typer(portal_app, name="portal")


@portal_app.command("link")
@fails_cleanly
def portal_link(
    customer: Annotated[str, typer.Argument(help="The customer's external id.", show_default=False)],
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            help=f"Days the link stays valid, 1 to {MAX_LINK_DAYS} (default: $ARREARS_PORTAL_LINK_DAYS, else 30).",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Print a new link to the customer's portal, and nothing else: ARREARS_BASE_URL/portal/TOKEN.

    Anyone holding the link sees the customer's open invoices and may dispute them or promise a
    payment until it expires; [bold]arrears portal revoke[/bold] withdraws every link of the customer.
    Every reminder email carries a fresh link of its own.

    Example: [bold]arrears portal link C1042 --days 7[/bold]
    """
    with workspace(database_url) as arrears:
        valid_for = arrears.settings.portal_link_days if days is None else days
        issued = portal.issue_link(
            arrears.uow(), OPERATOR, customer, days=valid_for, base_url=arrears.settings.base_url
        )
    typer.echo(issued.url)
    err.print(
        f"portal link for {customer}, valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC",
        highlight=False,
        markup=False,
    )


@portal_app.command("revoke")
@fails_cleanly
def portal_revoke(
    customer: Annotated[str, typer.Argument(help="The customer's external id.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Withdraw every portal link issued to the customer so far (a forwarded email, a contact who
    left): they open nothing from now on. The next reminder carries a new one.

    Example: [bold]arrears portal revoke C1042[/bold]
    """
    with workspace(database_url) as arrears:
        revoked = portal.revoke_links(arrears.uow(), OPERATOR, customer)
    typer.echo(f"revoked {revoked} portal link{'s' if revoked != 1 else ''} of {customer}")
