"""Deferring a recording's transcription to the worker: a procrastinate job in PostgreSQL, the same
job `arrears worker` runs (jobs/worker.py defines it under this name)."""

from __future__ import annotations

import contextlib

from sqlalchemy.engine import make_url

TASK_NAME = "arrears.transcribe_recording"


def queueing_lock(recording_id: int) -> str:
    """At most one transcription of a recording waits in the queue."""
    return f"arrears.transcribe_recording:{recording_id}"


def runs_on_worker(database_url: str) -> bool:
    """Whether transcriptions are left to the worker: jobs live in PostgreSQL, so on PostgreSQL they
    are; on SQLite (no worker) a recording is transcribed at once, in the process that received it."""
    return make_url(database_url).get_backend_name() == "postgresql"


def defer(database_url: str, recording_id: int) -> None:
    """Queue the transcription of one recording (nothing when it is queued already)."""
    from procrastinate import App, PsycopgConnector, exceptions

    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    # One connection for one job (the pool would otherwise open 4 and wait for them all).
    app = App(connector=PsycopgConnector(conninfo=url, min_size=1, max_size=1))
    with app.open(), contextlib.suppress(exceptions.AlreadyEnqueued):
        app.configure_task(TASK_NAME, queueing_lock=queueing_lock(recording_id)).defer(recording_id=recording_id)
