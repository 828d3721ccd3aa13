"""`arrears worker`: a procrastinate worker that sends the outbox, applies the inbox's pending
events, fetches the AR mailbox (ARREARS_IMAP_URL) and rolls the task list's balances to today
every minute, runs the daily cycle once a day at the configured time in the company's time zone,
and every night deletes its own finished jobs older than ARREARS_JOBS_KEEP_DAYS. It transcribes call
recordings (a job each, deferred when one is uploaded, retried when it fails) and every ten minutes
deletes recordings' audio past ARREARS_CALLS_RETENTION_DAYS.

Thin: each job calls one service. The jobs are periodic and idempotent, so a worker that died, or
several workers at once, change nothing: the outbox locks each email while it is sent, and the cycle
records each step once. Jobs live in PostgreSQL tables next to the ledger (procrastinate's schema,
installed by `arrears db upgrade`).
"""

from __future__ import annotations

import contextlib
import logging
import logging.config
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from procrastinate import App, BaseConnector, JobContext, PsycopgConnector, RetryStrategy, builtin_tasks
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from ..adapters import transcription_queue
from ..bootstrap import Arrears
from ..domain.errors import ArrearsError
from ..services import balances, calls, cycle, inbound_mail, inbox, outbox

log = logging.getLogger("arrears.worker")


def conninfo(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ArrearsError(
            "the worker needs PostgreSQL (its jobs live there): set ARREARS_DATABASE_URL=postgresql+psycopg://…; "
            "on SQLite, run `arrears cycle` (it sends in-process) from cron instead"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def install_schema(arrears: Arrears) -> bool:
    """Create procrastinate's tables if they are not there yet; returns whether it did."""
    if inspect(arrears.engine).has_table("procrastinate_jobs"):
        return False
    app = App(connector=PsycopgConnector(conninfo=conninfo(arrears.settings.database_url)))
    with app.open():
        app.schema_manager.apply_schema()
    return True


def cycle_is_due(arrears: Arrears, now: datetime, last_run: Any) -> bool:
    """Whether today's cycle (company time zone) should run now: past the configured time, on a
    business day if so configured, and not yet run for today."""
    settings = arrears.settings
    local = now.astimezone(ZoneInfo(arrears.workspace.timezone))
    hour, minute = (int(part) for part in settings.cycle_time.split(":"))
    if (local.hour, local.minute) < (hour, minute):
        return False
    if settings.cycle_business_days_only and local.weekday() >= 5:
        return False
    return bool(last_run is None or last_run < local.date())


# Emails one run of the minutely send job tries at most (about half a minute's sending): a backlog
# is worked off over the next runs, and no job runs on for long.
SEND_PER_JOB = 10_000
# When the finished jobs are cleaned up: every night at 03:17 UTC (procrastinate reads cron in UTC).
CLEAN_UP_AT = "17 3 * * *"


def keep_hours(arrears: Arrears) -> int:
    """How long finished jobs are kept, in hours: ARREARS_JOBS_KEEP_DAYS, at least one day."""
    return max(1, arrears.settings.jobs_keep_days) * 24


# A failed transcription is tried again: after 1 minute, then 4, 16, 64 (then it stays failed, its
# error on the task, until `arrears calls transcribe` or the sweep below tries again).
TRANSCRIBE_RETRY = RetryStrategy(max_attempts=4, wait=60, exponential_wait=4)
# A recording still waiting this long (its job lost, or failed every retry) is queued again by the sweep.
SWEEP_AFTER = timedelta(minutes=30)


def make_app(arrears: Arrears, connector: BaseConnector | None = None) -> App:
    """The worker's jobs; `connector`: another than PostgreSQL's (tests use procrastinate's in-memory one)."""
    app = App(connector=connector or PsycopgConnector(conninfo=conninfo(arrears.settings.database_url)))

    @app.task(name=transcription_queue.TASK_NAME, retry=TRANSCRIBE_RETRY, pass_context=False)
    def transcribe_recording(recording_id: int) -> None:
        found = arrears.transcribe_now(recording_id)  # a failure is recorded on the recording, then retried
        if found is not None:
            log.info("recording %d transcribed: %d segments", recording_id, len(found.segments))

    @app.periodic(cron="*/10 * * * *", periodic_id="calls")
    @app.task(name="arrears.calls_sweep", queueing_lock="arrears.calls_sweep")
    def calls_sweep(timestamp: int) -> None:
        """Queue again the recordings left waiting, and delete audio past its retention (transcripts stay)."""
        for recording_id in calls.waiting(arrears.uow(), SWEEP_AFTER):
            with contextlib.suppress(AlreadyEnqueued):
                transcribe_recording.configure(queueing_lock=transcription_queue.queueing_lock(recording_id)).defer(
                    recording_id=recording_id
                )
        deleted = calls.delete_expired_audio(arrears.uow, arrears.audio_store(), arrears.call_settings().retention_days)
        if deleted:
            log.info("calls: the audio of %d recording(s) deleted after the retention", deleted)

    @app.periodic(cron="* * * * *", periodic_id="outbox")
    @app.task(name="arrears.send_outbox", queueing_lock="arrears.send_outbox")
    def send_outbox(timestamp: int) -> None:
        arrears.refresh_workspace()  # the company, locale and sender an owner stored, as of now
        mailer = arrears.mailer()
        report = outbox.send_due(
            arrears.uow,
            mailer.sender,
            mailer.templates,
            mailer.sender_address,
            limit=SEND_PER_JOB,
            links=mailer.links,
            reply_to=mailer.reply_to,
        )
        if report.sent or report.failed:
            log.info("outbox: %d sent, %d to retry, %d failed", report.sent, report.retried, report.failed)

    @app.periodic(cron="* * * * *", periodic_id="inbox")
    @app.task(name="arrears.process_inbox", queueing_lock="arrears.process_inbox")
    def process_inbox(timestamp: int) -> None:
        report = inbox.process_pending(arrears.uow, arrears.inbox_handlers())
        if report.processed or report.retried or report.failed:
            log.info("inbox: %d processed, %d to retry, %d failed", report.processed, report.retried, report.failed)

    @app.periodic(cron="* * * * *", periodic_id="mail")
    @app.task(name="arrears.fetch_mail", queueing_lock="arrears.fetch_mail")
    def fetch_mail(timestamp: int) -> None:
        mailbox = arrears.mailbox()
        if mailbox is None:  # ARREARS_IMAP_URL not set: mail comes by `arrears mail receive`, if at all
            return
        report = inbound_mail.fetch_mailbox(arrears.uow, mailbox)
        if report.stored or report.refused:
            log.info("mail: %d stored, %d skipped", report.stored, len(report.refused))

    @app.periodic(cron="* * * * *", periodic_id="balances")
    @app.task(name="arrears.roll_balances", queueing_lock="arrears.roll_balances")
    def roll_balances(timestamp: int) -> None:
        arrears.refresh_workspace()  # "today" in the time zone an owner stored, as of now
        count = balances.roll_balances(arrears.uow())
        if count is not None:
            log.info("balances rolled to today: %d customer(s) refreshed", count)

    @app.periodic(cron="*/5 * * * *", periodic_id="cycle")
    @app.task(name="arrears.daily_cycle", queueing_lock="arrears.daily_cycle")
    def daily_cycle(timestamp: int) -> None:
        assert arrears.clock is not None
        arrears.refresh_workspace()
        with arrears.uow() as uow:
            last = uow.cycle_runs.last_cycle_day()
        if not cycle_is_due(arrears, arrears.clock.now(), last):
            return
        today = arrears.clock.today()
        report = cycle.run_cycle(
            arrears.uow,
            arrears.workflows(),
            arrears.mailer(),
            today,
            batch=arrears.settings.cycle_batch,
            credit_policy=arrears.credit_policy(),
        )
        log.info("cycle of %s: %s", today, report.summary(planned=False) | {"planned": len(report.planned)})

    @app.periodic(cron=CLEAN_UP_AT, periodic_id="old_jobs")
    @app.task(name="arrears.remove_old_jobs", queueing_lock="arrears.remove_old_jobs", pass_context=True)
    async def remove_old_jobs(context: JobContext, timestamp: int) -> None:
        """Delete the jobs that finished (succeeded, failed, cancelled or aborted) more than
        ARREARS_JOBS_KEEP_DAYS ago, with their events: procrastinate's own builtin task."""
        await builtin_tasks.remove_old_jobs(
            context,
            max_hours=keep_hours(arrears),
            remove_failed=True,
            remove_cancelled=True,
            remove_aborted=True,
        )

    return app


def run(arrears: Arrears) -> None:
    """Run the worker until SIGINT or SIGTERM."""
    logging.config.dictConfig(arrears.logging_config())
    install_schema(arrears)
    app = make_app(arrears)
    with app.open():
        app.run_worker(wait=True, install_signal_handlers=True)
