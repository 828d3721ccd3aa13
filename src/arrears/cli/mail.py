"""`arrears mail receive|fetch`: mail from customers into Arrears, from a mail server's pipe delivery
(or a `.forward`) one message at a time, or from the AR mailbox over IMAP (ARREARS_IMAP_URL), as
the worker does every minute."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from ..domain.errors import InvalidValue
from ..services import inbound_mail
from .app import OPERATOR, DatabaseUrl, app, err, fails_cleanly, workspace

mail_app = typer.Typer(
    help="Mail from customers: replies, auto-replies and bounces, threaded onto their customers.",
    no_args_is_help=True,
)
app.add_typer(mail_app, name="mail")


@mail_app.command("receive")
@fails_cleanly
def receive(
    file: Annotated[
        Path | None,
        typer.Argument(help="The message (RFC 5322, an .eml file); standard input when absent.", show_default=False),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Store one email message, threaded onto its customer (or left for a manager to assign).

    What a mail server runs for each message delivered to the AR address: Postfix's
    [bold]ar: "|/opt/arrears/bin/arrears mail receive"[/bold] in /etc/aliases, or a .forward file.
    Exits 0 once the message is stored (matched or not, or stored before), 1 when the input is not
    an email message.

    Example: [bold]arrears mail receive reply.eml[/bold]
    """
    raw = file.read_bytes() if file is not None else sys.stdin.buffer.read()
    with workspace(database_url) as arrears:
        received = inbound_mail.receive(arrears.uow(), raw, "pipe")
    if received.duplicate:
        err.print(f"{received.message_id} was received before: nothing changed", highlight=False, markup=False)
        return
    where = (
        "unmatched, for a manager to assign" if received.customer_id is None else f"matched by {received.matched_by}"
    )
    err.print(f"stored {received.kind} {received.message_id} ({where})", highlight=False, markup=False)


@mail_app.command("fetch")
@fails_cleanly
def fetch(database_url: DatabaseUrl = None) -> None:
    """Receive the messages that came to the AR mailbox (ARREARS_IMAP_URL) since the last fetch.

    Each message is stored once (by its Message-ID), and nothing is marked read in the mailbox.
    The worker does this every minute; run it from cron where no worker runs.

    Example: [bold]ARREARS_IMAP_URL=imaps://ar%40example.com:secret@imap.example.com/INBOX arrears mail fetch[/bold]
    """
    with workspace(database_url) as arrears:
        mailbox = arrears.mailbox()
        if mailbox is None:
            raise InvalidValue("set ARREARS_IMAP_URL (imap://user:pass@host:port/FOLDER or imaps://…) to fetch mail")
        with _progress() as progress:
            report = inbound_mail.fetch_mailbox(arrears.uow, mailbox, progress=progress)
    for refused in report.refused:
        err.print(f"skipped {refused}", highlight=False, markup=False)
    restarted = " (the folder's UIDVALIDITY changed: it was read again from its start)" if report.restarted else ""
    typer.echo(f"{report.stored} stored, {report.duplicates} received before, {len(report.refused)} skipped{restarted}")


@mail_app.command("unflag")
@fails_cleanly
def unflag(
    address: Annotated[str, typer.Argument(help="The email address that bounced.", show_default=False)],
    database_url: DatabaseUrl = None,
) -> None:
    """Send reminders to an address again after it was flagged for bouncing (fixed at the customer's end).

    An address is flagged after two permanent bounces; changing the contact's address also ends it.

    Example: [bold]arrears mail unflag ann@acme.example[/bold]
    """
    with workspace(database_url) as arrears:
        cleared = inbound_mail.clear_flag(arrears.uow(), OPERATOR, address)
    if not cleared:
        raise InvalidValue(f"{address} is not flagged: reminders already go to it")
    typer.echo(f"reminders go to {address.strip().lower()} again")


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar over the messages, only when a person is watching."""
    if not sys.stderr.isatty():
        yield None
        return
    with Progress("fetching mail", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("fetch", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
