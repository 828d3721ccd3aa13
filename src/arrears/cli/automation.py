"""`arrears cycle`, `arrears workflow validate`, `arrears email preview`, `arrears outbox send`,
`arrears inbox process`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..domain.errors import ArrearsError
from ..services import calls, cycle, inbox, outbox, previews, users, workflows
from .app import (
    OPERATOR,
    DatabaseUrl,
    SummaryFormat,
    app,
    fails_cleanly,
    output,
    parse_date,
    workspace,
    workspace_today,
)

workflow_app = typer.Typer(help="Reminder workflows: check a workflow file.", no_args_is_help=True)
email_app = typer.Typer(help="Email templates: preview what a step sends.", no_args_is_help=True)
outbox_app = typer.Typer(help="The email outbox: send what is waiting.", no_args_is_help=True)
app.add_typer(workflow_app, name="workflow")
app.add_typer(email_app, name="email")
inbox_app = typer.Typer(help="Events received from outside (payment webhooks): apply what waits.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
app.add_typer(inbox_app, name="inbox")

CONTRACT_KEYS = ("as_of", "emails_queued", "emails_sent", "tasks_created", "tasks_closed", "alerts_raised")


@app.command("cycle")
@fails_cleanly
def run_cycle(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Run the cycle for this day (default: today).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show exactly what would be sent and created; write nothing.")
    ] = False,
    fmt: Annotated[SummaryFormat, typer.Option("--format", help="table or json.")] = SummaryFormat.table,
    database_url: DatabaseUrl = None,
) -> None:
    """Run the daily collections cycle: balances, auto-close, promises, workflows, alerts, sending.

    Running it again for the same day, or an earlier one, creates nothing. A missed day catches up
    without flooding anyone: only the latest due step of each invoice fires.

    Examples:

      [bold]arrears cycle --dry-run[/bold]

      [bold]arrears cycle --as-of 2026-06-30 --format json[/bold]
    """
    with workspace(database_url) as arrears:
        day = parse_date(as_of, "--as-of") if as_of else workspace_today(arrears)
        active = arrears.workflows()
        if dry_run:
            with arrears.dry_run() as uow_factory:
                report = cycle.run_cycle(
                    uow_factory, active, arrears.mailer(), day, dry_run=True, batch=arrears.settings.cycle_batch
                )
        else:
            report = cycle.run_cycle(
                arrears.uow,
                active,
                arrears.mailer(),
                day,
                batch=arrears.settings.cycle_batch,
                credit_policy=arrears.credit_policy(),
            )
            # Call recordings' audio past ARREARS_CALLS_RETENTION_DAYS (the worker does it too, where one runs).
            calls.delete_expired_audio(arrears.uow, arrears.audio_store(), arrears.call_settings().retention_days)
        shown = dry_run and fmt is SummaryFormat.table and any(item.assignee_id for item in report.planned)
        names = {person.id: person.name for person in users.list_users(arrears.uow())} if shown else {}
    if fmt is SummaryFormat.json:
        summary = report.summary(planned=dry_run)
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console = output(width=200)
    verb = "would be" if dry_run else "were"
    if dry_run and report.planned:
        table = Table(
            "what", "customer", "step", "invoices", "to / assignee", "subject / due", title=f"Dry run of {day}"
        )
        for item in report.planned:
            if item.kind == "email":
                table.add_row(
                    "email",
                    item.customer_external_id,
                    item.step,
                    ", ".join(item.invoices),
                    ", ".join(item.to),
                    item.subject or "",
                )
            else:
                table.add_row(
                    f"task ({item.task_type})",
                    item.customer_external_id,
                    item.step,
                    ", ".join(item.invoices),
                    names.get(item.assignee_id, "unassigned") if item.assignee_id else "unassigned",
                    f"added to open task {item.joins_task}" if item.joins_task else item.due_date or "",
                )
        console.print(table)
    console.print(
        f"cycle of {day}: {report.emails_queued} emails queued, {report.emails_sent} sent"
        f"{f', {report.emails_failed} failed' if report.emails_failed else ''}; {report.tasks_created} tasks created, "
        f"{report.tasks_closed} closed; {report.alerts_raised} alerts {verb} raised"
        + (" (dry run: nothing was written)" if dry_run else ""),
        highlight=False,
    )


@workflow_app.command("validate")
@fails_cleanly
def validate(file: Annotated[Path, typer.Argument(help="The workflow file (TOML).")]) -> None:
    """Check a workflow file: every error names its line.

    Example: [bold]arrears workflow validate workflows.toml[/bold], then
    [bold]ARREARS_WORKFLOWS=workflows.toml arrears cycle --dry-run[/bold] to see what it would do.
    """
    if not file.is_file():
        raise ArrearsError(f"{file}: no such file")
    from ..adapters.rendering import Templates  # the template names, without a database
    from ..config import Settings

    settings = Settings()
    templates = Templates(settings.templates_dir, company=settings.company_name, locale=settings.locale)
    parsed = workflows.validate(file.read_text(encoding="utf-8"), str(file), templates.names())
    for workflow in parsed:
        steps = ", ".join(f"{s.name} ({'on ' + s.on if s.on else f'day {s.days}'})" for s in workflow.steps)
        match = f" for customers tagged {', '.join(workflow.match_tags)}" if workflow.match_tags else ""
        typer.echo(f"{file}: workflow {workflow.name!r}{match}: {steps}")
    typer.echo(f"{file}: valid")


@email_app.command("preview")
@fails_cleanly
def preview(
    step: Annotated[str, typer.Argument(help="A workflow step name, e.g. past-due-30.")],
    customer: Annotated[str, typer.Option("--customer", help="The customer's external id.")],
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead of the text part.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Render as of this day (default: today).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Render the email a workflow step would send a customer, without sending it.

    Example: [bold]arrears email preview past-due-30 --customer CUST-0042[/bold]
    """
    with workspace(database_url) as arrears:
        day = parse_date(as_of, "--as-of") if as_of else workspace_today(arrears)
        rendered, to = previews.preview(
            arrears.uow(),
            arrears.templates,
            arrears.workflows(),
            step,
            customer,
            day,
            base_url=arrears.settings.base_url,
        )
    typer.echo(f"To: {', '.join(to) or '(no address: this customer would get no email)'}")
    typer.echo(f"Subject: {rendered.subject}\n")
    typer.echo(rendered.html if html else rendered.text)


@outbox_app.command("send")
@fails_cleanly
def send(database_url: DatabaseUrl = None) -> None:
    """Send the queued emails whose time has come (the worker does this every minute).

    Example: [bold]ARREARS_EMAIL_URL=smtp://127.0.0.1:1025 arrears outbox send[/bold]
    """
    with workspace(database_url) as arrears:
        mailer = arrears.mailer()
        report = outbox.send_due(
            arrears.uow,
            mailer.sender,
            mailer.templates,
            mailer.sender_address,
            links=mailer.links,
            reply_to=mailer.reply_to,
        )
    typer.echo(f"{report.sent} sent, {report.retried} to retry later, {report.failed} failed")


@inbox_app.command("process")
@fails_cleanly
def process_inbox(database_url: DatabaseUrl = None) -> None:
    """Apply the received events that wait to be tried again (a payment webhook whose first try
    failed); the worker does this every minute. Without a worker (SQLite), run it from a scheduler.

    Example: [bold]arrears inbox process[/bold]
    """
    with workspace(database_url) as arrears:
        report = inbox.process_pending(arrears.uow, arrears.inbox_handlers())
        with arrears.uow() as uow:
            counts = uow.ledger.event_counts()
    typer.echo(
        f"{report.processed} applied, {report.retried} to retry later, {report.failed} failed; "
        f"{counts.get('pending', 0)} waiting, {counts.get('failed', 0)} failed in all"
    )


@app.command("worker")
@fails_cleanly
def worker(database_url: DatabaseUrl = None) -> None:
    """Run the background worker (PostgreSQL): sends the outbox every minute and runs the daily cycle
    at ARREARS_CYCLE_TIME (default 06:00) in ARREARS_TIMEZONE. Stop it with Ctrl-C or SIGTERM.

    Example: [bold]ARREARS_DATABASE_URL=postgresql+psycopg://arrears@localhost/arrears arrears worker[/bold]
    """
    from ..jobs import worker as jobs  # procrastinate loads only for the worker

    with workspace(database_url) as arrears:
        jobs.run(arrears)


chasing_app = typer.Typer(help="Hold back the chasing of a customer or an invoice.", no_args_is_help=True)
app.add_typer(chasing_app, name="chasing")
KIND_HELP = "customer or invoice"


def _set(kind: str, external_id: str, flag: str, value: bool, database_url: str | None) -> None:
    from ..services import chasing

    with workspace(database_url) as arrears:
        chasing.set_chasing(arrears.uow(), OPERATOR, kind, external_id, flag, value)
    typer.echo(f"{kind} {external_id}: {flag if value else 'not ' + flag}")


@chasing_app.command("pause")
@fails_cleanly
def pause(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)], external_id: str, database_url: DatabaseUrl = None
) -> None:
    """Stop the workflows (reminders and their tasks) for a customer or an invoice.

    Example: [bold]arrears chasing pause customer CUST-0042[/bold]
    """
    _set(kind, external_id, "paused", True, database_url)


@chasing_app.command("resume")
@fails_cleanly
def resume(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)], external_id: str, database_url: DatabaseUrl = None
) -> None:
    """Resume the workflows: the next cycle fires the latest step that came due meanwhile."""
    _set(kind, external_id, "paused", False, database_url)


@chasing_app.command("exclude")
@fails_cleanly
def exclude(invoice_external_id: str, database_url: DatabaseUrl = None) -> None:
    """Exclude an invoice from chasing: no reminders, and it counts as overdue nowhere."""
    _set("invoice", invoice_external_id, "excluded", True, database_url)


@chasing_app.command("include")
@fails_cleanly
def include(invoice_external_id: str, database_url: DatabaseUrl = None) -> None:
    """Chase an excluded invoice again."""
    _set("invoice", invoice_external_id, "excluded", False, database_url)


@workflow_app.command("save")
@fails_cleanly
def save_workflow(
    file: Annotated[Path, typer.Argument(help="The workflow file (TOML).")], database_url: DatabaseUrl = None
) -> None:
    """Validate a workflow file and store it in the database as the one in force.

    A file named by ARREARS_WORKFLOWS still wins over the stored one.
    Example: [bold]arrears workflow save workflows.toml[/bold]
    """
    if not file.is_file():
        raise ArrearsError(f"{file}: no such file")
    with workspace(database_url) as arrears:
        parsed = workflows.save(
            arrears.uow(), OPERATOR, file.read_text(encoding="utf-8"), str(file), arrears.template_names()
        )
    typer.echo(f"{file}: saved ({', '.join(w.name for w in parsed)})")


@workflow_app.command("show")
@fails_cleanly
def show_workflow(database_url: DatabaseUrl = None) -> None:
    """Print the workflows in force: ARREARS_WORKFLOWS, else the stored file, else the built-in default."""
    from ..bootstrap import DEFAULT_WORKFLOWS

    with workspace(database_url) as arrears:
        path = arrears.settings.workflows
        if path is not None:
            typer.echo(f"# from ARREARS_WORKFLOWS={path}\n{path.read_text(encoding='utf-8')}")
            return
        stored = workflows.stored_source(arrears.uow())
    if stored is not None:
        typer.echo(f"# stored in the database (arrears workflow save)\n{stored}")
    else:
        typer.echo(DEFAULT_WORKFLOWS.read_text(encoding="utf-8"))
