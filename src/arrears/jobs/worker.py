"""`arrears worker`: a procrastinate worker that sends the outbox (in ARREARS_SEND_LANES lanes, side
by side), applies the inbox's pending events, fetches the AR mailbox (ARREARS_IMAP_URL) and rolls
the task list's balances to today every minute, runs the daily cycle once a day at the configured
time in the company's time zone, and every night deletes its own finished jobs older than
ARREARS_JOBS_KEEP_DAYS. It transcribes call recordings (a job each, deferred when one is uploaded,
retried when it fails) and every ten minutes deletes recordings' audio past
ARREARS_CALLS_RETENTION_DAYS.

The daily cycle runs across workers (`cycle.fanout`): the cycle job opens the day and stores its
batches of customers, each batch is a job that any worker fires, and the batch that leaves none
pending defers the job that closes the day. The cycle job checks every five minutes: a batch whose
job was lost (its worker killed) is deferred again, and the day is closed if nothing did it.

Thin: each job calls one service. The jobs are idempotent, so a worker that died, or several
workers at once, change nothing: the outbox locks each email while it is sent, and the cycle
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
from ..services import balances, calls, inbound_mail, inbox, outbox
from ..services.automation_ports import FannedOut
from ..services.cycle import fanout

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


def send_lanes(arrears: Arrears) -> int:
    """How many senders run at once: ARREARS_SEND_LANES, at least 1."""
    return max(1, arrears.settings.send_lanes)


def send_lock(lane: int) -> str:
    """A lane's queueing lock: one job of each lane waits at a time (lane 0 keeps the old name)."""
    return "arrears.send_outbox" if lane == 0 else f"arrears.send_outbox:{lane}"


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

    @app.task(name="arrears.send_outbox", pass_context=False)
    def send_outbox(timestamp: int, lane: int = 0) -> None:
        """One lane of the sending: the lanes take turns at the outbox's due emails, each locked
        while it is sent, so the lanes' workers send side by side and each email once."""
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
            log.info(
                "outbox lane %d: %d sent, %d to retry, %d failed", lane, report.sent, report.retried, report.failed
            )

    lanes = send_lanes(arrears)
    for lane in range(lanes):
        app.periodic(
            cron="* * * * *",
            periodic_id=f"outbox-{lane}",
            queueing_lock=send_lock(lane),
            task_kwargs={"lane": lane},
        )(send_outbox)

    def send_now() -> None:
        """Every lane at once (the cycle has just queued a day's emails), unless one is waiting already."""
        for lane in range(lanes):
            with contextlib.suppress(AlreadyEnqueued):
                send_outbox.configure(queueing_lock=send_lock(lane)).defer(timestamp=0, lane=lane)

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
    @app.task(name="arrears.daily_cycle", queueing_lock="arrears.daily_cycle", lock="arrears.daily_cycle")
    def daily_cycle(timestamp: int) -> None:
        """Start today's cycle when it is due (its batches become jobs); or, when it has started,
        defer again the batches whose jobs were lost, and close the day if nothing did."""
        assert arrears.clock is not None
        arrears.refresh_workspace()
        today = arrears.clock.today()
        started = fanout.progress(arrears.uow, today)
        if started is None:
            with arrears.uow() as uow:
                last = uow.cycle_runs.last_cycle_day()
            if not cycle_is_due(arrears, arrears.clock.now(), last):
                return
            started = fanout.start(
                arrears.uow, arrears.workflows(), arrears.mailer(), today, batch=arrears.settings.cycle_batch
            )
            log.info("cycle of %s: %d batch(es) of customers to fire", today, len(started.pending))
        if not started.finished:
            resume(started)

    def resume(run: FannedOut) -> None:
        for number in run.pending:
            with contextlib.suppress(AlreadyEnqueued):  # still waiting for a worker
                lock = f"arrears.cycle_batch:{run.run_id}:{number}"
                cycle_batch.configure(lock=lock, queueing_lock=lock).defer(run_id=run.run_id, number=number)
        if not run.pending:
            with contextlib.suppress(AlreadyEnqueued):
                cycle_finish.defer(run_id=run.run_id)

    @app.task(name="arrears.cycle_batch", pass_context=False)
    def cycle_batch(run_id: int, number: int) -> None:
        """Fire one batch of a day's customers; the last one pending defers the closing of the day."""
        arrears.refresh_workspace()
        if fanout.fire(arrears.uow, arrears.workflows(), arrears.mailer(), run_id, number):
            with contextlib.suppress(AlreadyEnqueued):
                cycle_finish.defer(run_id=run_id)
        send_now()  # what the batch queued goes out while the other batches are fired

    @app.task(name="arrears.cycle_finish", queueing_lock="arrears.cycle_finish", lock="arrears.cycle_finish")
    def cycle_finish(run_id: int) -> None:
        """Close the day once every batch is fired: stale-task alerts, credit, the run's counts."""
        arrears.refresh_workspace()
        report = fanout.finish(arrears.uow, run_id, arrears.credit_policy(), batch=arrears.settings.cycle_batch)
        if report is not None:
            log.info("cycle of %s: %s", report.as_of, report.summary(planned=False))
            send_now()

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
