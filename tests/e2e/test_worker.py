"""`arrears worker` on procrastinate: its jobs send the outbox, run the day's cycle once, and transcribe
call recordings (retried when they fail)."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.testing import InMemoryConnector
from sqlalchemy import Engine, select, text

from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.domain.errors import ArrearsError
from arrears.jobs import worker
from arrears.services import calls, tasks, users
from arrears.services.cycle import fanout
from tests.calls import FakeTranscriber, tiny_wav
from tests.conftest import scratch_postgres
from tests.cycle_day import DAY, load_ledger
from tests.ledger import Ledger, customer
from tests.smtp import Recorder, SmtpSink


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def test_the_worker_needs_postgresql() -> None:
    with pytest.raises(ArrearsError, match="needs PostgreSQL"):
        worker.conninfo("sqlite:///arrears.db")


@pytest.mark.parametrize(
    ("now", "last", "business_days", "due"),
    [
        (datetime(2026, 6, 30, 5, 59, tzinfo=UTC), None, False, False),  # before 06:00
        (datetime(2026, 6, 30, 6, 0, tzinfo=UTC), None, False, True),
        (datetime(2026, 6, 30, 9, 0, tzinfo=UTC), date(2026, 6, 30), False, False),  # already ran today
        (datetime(2026, 6, 30, 9, 0, tzinfo=UTC), date(2026, 6, 27), False, True),  # catches up missed days
        (datetime(2026, 6, 27, 9, 0, tzinfo=UTC), None, True, False),  # a Saturday
        (datetime(2026, 6, 27, 9, 0, tzinfo=UTC), None, False, True),
    ],
)
def test_the_cycle_is_due_once_a_day_after_its_time(
    now: datetime, last: date | None, business_days: bool, due: bool
) -> None:
    arrears = bootstrap(Settings(cycle_business_days_only=business_days))

    assert worker.cycle_is_due(arrears, now, last) is due


def test_the_cycle_time_is_in_the_company_time_zone() -> None:
    arrears = bootstrap(Settings(timezone="America/New_York", cycle_time="06:00"))

    assert not worker.cycle_is_due(arrears, datetime(2026, 6, 30, 9, 59, tzinfo=UTC), None)  # 05:59 EDT
    assert worker.cycle_is_due(arrears, datetime(2026, 6, 30, 10, 0, tzinfo=UTC), None)


@pytest.mark.postgres
def test_the_queue_schema_is_installed_once(postgres_engine: Engine) -> None:
    # A database of its own: the test database's schema may hold the queue already (a test of this
    # file run before on the same process installs it, and emptying the tables keeps it).
    with scratch_postgres("queue") as url:
        arrears = bootstrap(Settings(database_url=url))
        try:
            assert worker.install_schema(arrears) is True
            assert worker.install_schema(arrears) is False
        finally:
            arrears.close()


@pytest.mark.postgres
def test_the_worker_jobs_send_the_outbox_and_run_the_cycle_once(pg_url: str, tmp_path: Path, sink: SmtpSink) -> None:
    db_url = pg_url
    load_ledger(db_url, tmp_path)
    clock = FixedClock(datetime(2026, 6, 30, 7, 0, tzinfo=UTC))
    arrears = bootstrap(Settings(database_url=db_url, email_url=sink.url), clock)
    worker.install_schema(arrears)
    app = worker.make_app(arrears)
    jobs = {task.name: task for task in app.tasks.values()}

    with app.open():
        jobs["arrears.daily_cycle"].defer(timestamp=0)
        with pytest.raises(AlreadyEnqueued):  # one waiting cycle job at a time
            jobs["arrears.daily_cycle"].defer(timestamp=1)
    app.run_worker(wait=False, install_signal_handlers=False)
    with app.open():
        jobs["arrears.daily_cycle"].defer(timestamp=2)  # later the same day: nothing more to do
        jobs["arrears.send_outbox"].defer(timestamp=3)
    app.run_worker(wait=False, install_signal_handlers=False)

    with arrears.engine.connect() as connection:
        statuses = list(connection.execute(select(t.emails.c.status)).scalars())
        cycles = list(
            connection.execute(select(t.cycle_runs.c.as_of).where(t.cycle_runs.c.dry_run.is_(False))).scalars()
        )
    arrears.close()
    assert cycles == [DAY]
    assert statuses and set(statuses) == {"sent"}
    assert len(sink.received) == len(statuses)


@pytest.mark.postgres
def test_the_cycle_is_fired_as_batch_jobs_and_a_batch_whose_job_was_lost_is_deferred_again(
    pg_url: str, tmp_path: Path, sink: SmtpSink
) -> None:
    load_ledger(pg_url, tmp_path)
    clock = FixedClock(datetime(2026, 6, 30, 7, 0, tzinfo=UTC))
    arrears = bootstrap(Settings(database_url=pg_url, email_url=sink.url, cycle_batch=2), clock)
    worker.install_schema(arrears)
    # A worker stored the day's batches, then died before deferring their jobs.
    started = fanout.start(arrears.uow, arrears.workflows(), arrears.mailer(), DAY, batch=2)
    app = worker.make_app(arrears)
    jobs = {task.name: task for task in app.tasks.values()}
    with arrears.engine.connect() as connection:  # the jobs of this file's tests before this one
        before = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM procrastinate_jobs").scalar_one()

    with app.open():
        jobs["arrears.daily_cycle"].defer(timestamp=0)  # the five-minute check finds them pending
    app.run_worker(wait=False, install_signal_handlers=False)

    with arrears.engine.connect() as connection:
        ran = Counter(
            connection.execute(
                text("SELECT task_name FROM procrastinate_jobs WHERE id > :before"), {"before": before}
            ).scalars()
        )
        runs = list(connection.execute(select(t.cycle_runs.c.as_of, t.cycle_runs.c.finished_at)))
        statuses = list(connection.execute(select(t.emails.c.status)).scalars())
    arrears.close()
    assert started.pending == (0, 1, 2)
    assert ran["arrears.cycle_batch"] == 3 and ran["arrears.cycle_finish"] == 1
    assert ran["arrears.send_outbox"] >= 1  # the lanes were started as the batches queued emails
    assert [(day, finished is not None) for day, finished in runs] == [(DAY, True)]  # no second cycle
    assert statuses and set(statuses) == {"sent"}
    assert len(sink.received) == len(statuses)


def test_the_worker_sends_in_as_many_lanes_as_set_each_with_its_own_queueing_lock() -> None:
    app = worker.make_app(bootstrap(Settings(send_lanes=3)), InMemoryConnector())
    lanes = [
        (task.periodic_id, task.configure_kwargs)
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "arrears.send_outbox"
    ]

    assert lanes == [
        (f"outbox-{lane}", {"queueing_lock": worker.send_lock(lane), "task_kwargs": {"lane": lane}})
        for lane in range(3)
    ]
    assert len({worker.send_lock(lane) for lane in range(3)}) == 3
    assert worker.send_lanes(bootstrap(Settings(send_lanes=0))) == 1


class SlowRecorder(Recorder):
    """An SMTP server that takes a while over each message, as a real one may: the lanes overlap."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0.3)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.postgres
def test_two_workers_send_the_lanes_side_by_side_and_every_email_once(
    pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="arrears.worker")
    slow = SmtpSink()
    slow.recorder = SlowRecorder()
    slow.controller = Controller(slow.recorder, hostname="127.0.0.1", port=slow.port)
    slow.start()
    load_ledger(pg_url, tmp_path)
    clock = FixedClock(datetime(2026, 6, 30, 7, 0, tzinfo=UTC))
    settings = Settings(database_url=pg_url, email_url=slow.url, send_lanes=2)
    first, second = bootstrap(settings, clock), bootstrap(settings, clock)  # two workers, two pools
    worker.install_schema(first)
    started = fanout.start(first.uow, first.workflows(), first.mailer(), DAY)
    for number in started.pending:
        fanout.fire(first.uow, first.workflows(), first.mailer(), started.run_id, number)
    apps = [worker.make_app(first), worker.make_app(second)]
    send = next(task for task in apps[0].tasks.values() if task.name == "arrears.send_outbox")
    with apps[0].open():
        for lane in range(2):
            send.configure(queueing_lock=worker.send_lock(lane)).defer(timestamp=0, lane=lane)
    together = threading.Barrier(2)

    def run(app: Any) -> None:
        together.wait()
        app.run_worker(wait=False, install_signal_handlers=False, concurrency=1, listen_notify=False)

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with first.engine.connect() as connection:
        statuses = list(connection.execute(select(t.emails.c.status)).scalars())
    first.close()
    second.close()
    slow.stop()

    sent_by_lane = {
        int(found[1]): int(found[2])
        for record in caplog.records
        if (found := re.match(r"outbox lane (\d+): (\d+) sent", record.getMessage()))
    }
    ids = [message["Message-ID"] for message in slow.received]
    assert len(statuses) >= 6 and set(statuses) == {"sent"}  # the day's emails, one a customer at least
    assert len(ids) == len(set(ids)) == len(statuses)  # each received once
    assert sorted(sent_by_lane) == [0, 1] and all(sent_by_lane.values())  # both lanes sent, side by side
    assert sum(sent_by_lane.values()) == len(statuses)


@pytest.mark.postgres
def test_the_worker_rolls_the_balances_to_today(pg_url: str, tmp_path: Path) -> None:
    load_ledger(pg_url, tmp_path)
    arrears = bootstrap(Settings(database_url=pg_url), FixedClock(datetime(2026, 6, 30, 7, 0, tzinfo=UTC)))
    worker.install_schema(arrears)
    app = worker.make_app(arrears)
    jobs = {task.name: task for task in app.tasks.values()}

    with app.open():
        jobs["arrears.roll_balances"].defer(timestamp=0)
    app.run_worker(wait=False, install_signal_handlers=False)

    with arrears.uow() as uow:
        rolled_to = uow.balances.balances_as_of()
    arrears.close()
    assert rolled_to == DAY


def test_finished_jobs_are_kept_the_configured_days_and_at_least_one() -> None:
    assert worker.keep_hours(bootstrap(Settings())) == 30 * 24
    assert worker.keep_hours(bootstrap(Settings(jobs_keep_days=7))) == 7 * 24
    assert worker.keep_hours(bootstrap(Settings(jobs_keep_days=0))) == 24


@pytest.mark.postgres
def test_the_worker_deletes_finished_jobs_older_than_the_days_kept_every_night(pg_url: str) -> None:
    arrears = bootstrap(Settings(database_url=pg_url, jobs_keep_days=30))
    worker.install_schema(arrears)
    app = worker.make_app(arrears)
    jobs = {task.name: task for task in app.tasks.values()}
    periodic = {task.task.name: task.cron for task in app.periodic_registry.periodic_tasks.values()}
    with app.open():
        old = jobs["arrears.process_inbox"].defer(timestamp=0)
    app.run_worker(wait=False, install_signal_handlers=False)
    with app.open():
        recent = jobs["arrears.process_inbox"].defer(timestamp=1)
    app.run_worker(wait=False, install_signal_handlers=False)
    with arrears.engine.begin() as connection:  # the first finished 31 days ago
        connection.exec_driver_sql(
            f"UPDATE procrastinate_events SET at = at - INTERVAL '31 days' WHERE job_id = {int(old)}"
        )

    with app.open():
        jobs["arrears.remove_old_jobs"].defer(timestamp=2)
    app.run_worker(wait=False, install_signal_handlers=False)

    with arrears.engine.connect() as connection:
        left = set(connection.exec_driver_sql("SELECT id FROM procrastinate_jobs").scalars())
    arrears.close()
    assert periodic["arrears.remove_old_jobs"] == worker.CLEAN_UP_AT
    assert old not in left
    assert recent in left


@pytest.mark.postgres
def test_a_failed_transcription_is_retried_by_the_worker_and_the_recording_kept(pg_url: str, tmp_path: Path) -> None:
    """The upload defers the job by its name; a failure leaves the recording with its error shown, and
    the job is tried again. (Last in this file: the first test here installs procrastinate's schema.)"""
    arrears = bootstrap(
        Settings(database_url=pg_url, calls_dir=tmp_path / "recordings"),
        FixedClock(datetime(2026, 6, 30, 9, 0, tzinfo=UTC)),
    )
    arrears.transcriber = FakeTranscriber("We will pay on Friday.", failures=1)  # type: ignore[misc]
    worker.install_schema(arrears)
    owner = users.add_user(arrears.uow(), arrears.hasher, "olivia", "owner", email=None, password=None)
    Ledger(arrears, tmp_path).load("customers", [customer("C1", "Acme Ltd")])
    task = tasks.create_task(arrears.uow(), owner, tasks.NewTask("C1", "call", "Call Acme"))
    found = calls.attach_recording(
        arrears.uow(), arrears.audio_store(), arrears.audio_probe(), owner, task.id, tiny_wav(), "call.wav",
        arrears.call_settings(),
    )  # fmt: skip
    app = worker.make_app(arrears)

    assert arrears.start_transcription(found.id) is None  # deferred to the worker, not run here
    app.run_worker(wait=False, install_signal_handlers=False)
    failed = calls.recording(arrears.uow(), owner, found.id)
    with arrears.engine.begin() as connection:
        job = connection.execute(
            text(
                "SELECT status, attempts FROM procrastinate_jobs"
                " WHERE task_name = :name AND args->>'recording_id' = :id"
            ),
            {"name": "arrears.transcribe_recording", "id": str(found.id)},
        ).one()
        connection.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))
    app.run_worker(wait=False, install_signal_handlers=False)
    done = calls.recording(arrears.uow(), owner, found.id)
    arrears.close()

    assert (failed.status, failed.error) == ("failed", "RuntimeError: the speech model ran out of memory")
    assert failed.has_audio
    assert tuple(job) == ("todo", 1)  # to be tried again (after a wait)
    assert (done.status, done.attempts, done.transcript) == ("done", 2, "Hello. We will pay on Friday.")
