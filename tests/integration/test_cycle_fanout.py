"""The day's cycle cut into batch jobs (`cycle.fanout`, what `arrears worker` runs): whatever order
the batches are fired in, however often, and by however many workers at once, the day leaves what
one in-process cycle leaves, and it is closed once."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from arrears.adapters.db import tables as t
from arrears.adapters.db.automation.cycle_runs import SqlCycleRuns
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.services import cycle, outbox
from arrears.services.cycle import fanout
from tests import cycle_day
from tests.cycle_day import DAY, state
from tests.smtp import SmtpSink

fresh, sink = cycle_day.fresh, cycle_day.sink  # the fixtures: copies of one loaded ledger, an SMTP server

BATCH = 2  # six customers: three batches


def in_process(url: str, sink: SmtpSink) -> dict[str, Any]:
    app = bootstrap(Settings(database_url=url, email_url=sink.url))
    report = cycle.run_cycle(
        app.uow, app.workflows(), app.mailer(), DAY, batch=BATCH, credit_policy=app.credit_policy()
    )
    app.close()
    return report.summary(planned=False)


def send(app: Arrears) -> None:
    mailer = app.mailer()
    outbox.send_due(app.uow, mailer.sender, mailer.templates, mailer.sender_address, links=mailer.links)


def stored_summary(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    with engine.connect() as connection:
        runs = list(connection.execute(select(t.cycle_runs.c.summary, t.cycle_runs.c.finished_at)))
    engine.dispose()
    assert len(runs) == 1 and runs[0].finished_at is not None
    return dict(json.loads(runs[0].summary))


def test_batches_fired_out_of_order_and_twice_leave_what_one_cycle_leaves(fresh: Any, sink: SmtpSink) -> None:
    expected_url, url = fresh("one"), fresh("jobs")
    expected = in_process(expected_url, sink)
    app = bootstrap(Settings(database_url=url, email_url=sink.url))
    workflows, mailer = app.workflows(), app.mailer()

    run = fanout.start(app.uow, workflows, mailer, DAY, batch=BATCH)
    assert run.pending == (0, 1, 2)
    assert fanout.fire(app.uow, workflows, mailer, run.run_id, 2) is False
    assert fanout.finish(app.uow, run.run_id, app.credit_policy()) is None  # two batches pending: not yet
    assert fanout.fire(app.uow, workflows, mailer, run.run_id, 0) is False
    assert fanout.fire(app.uow, workflows, mailer, run.run_id, 2) is False  # done already: nothing
    assert fanout.fire(app.uow, workflows, mailer, run.run_id, 1) is True  # the last one pending
    closed = fanout.finish(app.uow, run.run_id, app.credit_policy())
    assert closed is not None
    assert fanout.finish(app.uow, run.run_id, app.credit_policy()) is None  # closed once
    send(app)
    app.close()

    assert state(url) == state(expected_url)
    engine = create_engine(url)
    with engine.connect() as connection:  # a fired batch keeps its counts, not its groups
        kept = list(connection.execute(select(t.cycle_batches.c.groups, t.cycle_batches.c.summary)))
    engine.dispose()
    assert [(groups, summary is not None) for groups, summary in kept] == [("", True)] * 3
    counts = {key: value for key, value in expected.items() if key not in ("emails_sent", "emails_failed")}
    assert {key: closed.summary(planned=False)[key] for key in counts} == counts
    assert stored_summary(url)["emails_queued"] == expected["emails_queued"] > 0


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_workers_firing_every_batch_at_once_write_each_step_once_and_one_of_them_closes_the_day(
    fresh: Any, sink: SmtpSink
) -> None:
    expected_url, url = fresh("one"), fresh("race")
    in_process(expected_url, sink)
    apps = [bootstrap(Settings(database_url=url, email_url=sink.url)) for _ in range(2)]
    run = fanout.start(apps[0].uow, apps[0].workflows(), apps[0].mailer(), DAY, batch=1)
    assert len(run.pending) == 6
    last: list[bool] = []
    barrier = threading.Barrier(2)

    def work(app: Arrears, order: list[int]) -> None:
        workflows, mailer = app.workflows(), app.mailer()
        barrier.wait()
        for number in order:
            last.append(fanout.fire(app.uow, workflows, mailer, run.run_id, number))

    threads = [
        threading.Thread(target=work, args=(apps[0], list(run.pending))),
        threading.Thread(target=work, args=(apps[1], list(reversed(run.pending)))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert last.count(True) == 1 and len(last) == 12
    assert fanout.finish(apps[0].uow, run.run_id, apps[0].credit_policy()) is not None
    send(apps[0])
    for app in apps:
        app.close()
    assert state(url) == state(expected_url)


def test_a_worker_that_dies_between_firing_a_batch_and_marking_it_done_leaves_it_pending(
    fresh: Any, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's writes and its mark are one transaction: if the mark fails, nothing of the batch
    stays, and firing it again writes it once."""
    expected_url, url = fresh("one"), fresh("dies")
    in_process(expected_url, sink)
    app = bootstrap(Settings(database_url=url, email_url=sink.url))
    workflows, mailer = app.workflows(), app.mailer()
    run = fanout.start(app.uow, workflows, mailer, DAY, batch=BATCH)

    def dies(*args: Any) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(SqlCycleRuns, "finish_batch", dies)
        with pytest.raises(RuntimeError):
            fanout.fire(app.uow, workflows, mailer, run.run_id, 0)
    progress = fanout.progress(app.uow, DAY)
    assert progress is not None and progress.pending == (0, 1, 2)
    for number in progress.pending:
        fanout.fire(app.uow, workflows, mailer, run.run_id, number)
    assert fanout.finish(app.uow, run.run_id, app.credit_policy()) is not None
    send(app)
    app.close()
    assert state(url) == state(expected_url)
