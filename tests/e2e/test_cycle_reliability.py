"""The cycle's promises under faults, against real databases and a real SMTP server on 127.0.0.1:
two cycles at once, a cycle killed with SIGKILL and re-run, the SMTP server down then up, 4xx, 5xx,
and a worker killed while sending. Nothing is sent twice more than once, nothing is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from arrears.adapters.db import tables as t
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.services import cycle
from tests import cycle_day
from tests.cycle_day import DAY, state
from tests.smtp import SmtpSink

fresh, sink = cycle_day.fresh, cycle_day.sink  # the fixtures: copies of one loaded ledger, an SMTP server


def run_cli(
    url: str,
    sink: SmtpSink | None,
    workdir: Path,
    *args: str,
    kill_at: int | None = None,
    batch: int | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    env["ARREARS_DATABASE_URL"] = url
    env["ARREARS_EMAIL_URL"] = sink.url if sink else "smtp://127.0.0.1:9"
    if kill_at is not None:
        env["ARREARS_FAILPOINT_KILL_AT_COMMIT"] = str(kill_at)
    if batch is not None:
        env["ARREARS_CYCLE_BATCH"] = str(batch)
    command = [sys.executable, "-m", "arrears.cli", *args]
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_cycle_runs_from_the_command_line_and_prints_the_contract_json(
    fresh: Any, sink: SmtpSink, tmp_path: Path
) -> None:
    url = fresh("cli")

    done = run_cli(url, sink, tmp_path, "cycle", "--as-of", DAY.isoformat(), "--format", "json")

    summary = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert summary["emails_queued"] == summary["emails_sent"] == len(sink.received) > 0
    assert {"as_of", "emails_queued", "emails_sent", "tasks_created", "tasks_closed", "alerts_raised"} <= set(summary)


def test_two_cycles_started_at_the_same_moment_create_everything_once(
    fresh: Any, sink: SmtpSink, tmp_path: Path
) -> None:
    reference, racing = fresh("reference"), fresh("racing")
    assert run_cli(reference, None, tmp_path, "cycle", "--as-of", DAY.isoformat()).returncode == 0
    apps = [bootstrap(Settings(database_url=racing, email_url=sink.url)) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(app: Any) -> None:
        try:
            barrier.wait()
            cycle.run_cycle(app.uow, app.workflows(), app.mailer(), DAY, batch=BATCH)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in apps:
        app.close()

    assert errors == []
    assert state(racing)["emails"] == [(*e[:3], "sent") for e in state(reference)["emails"]]
    assert state(racing)["runs"] == state(reference)["runs"]
    assert state(racing)["tasks"] == state(reference)["tasks"]
    assert len(sink.received) == len(state(reference)["emails"])


# The firing phase handles this many customers per transaction in the tests below (ARREARS_CYCLE_BATCH):
# the six customers make three batches, so that kills land between them.
BATCH = 2

# Commits of the cycle (with BATCH) to die before: 1 the start; 5 the selection (and the first
# cycle's high-water mark); 8 the skipped steps (one commit per step: 6 to 9); 10 the first batch of
# customers; 11 between batches (the first one done); 12 the last batch; 13 the stale-task alerts;
# 14 and 20 the sending of the first and of a middle email (killed after the SMTP server took it:
# two emails per customer, its courtesy note and its one past-due email); 26 the end of the cycle.
KILL_POINTS = (1, 5, 8, 10, 11, 12, 13, 14, 20, 26)


def test_the_commits_of_a_cycle_are_where_the_kill_points_expect_them(
    fresh: Any, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts the commits of one cycle by phase, so that KILL_POINTS keep meaning what they say."""
    from arrears.adapters.db import uow as unit_of_work

    url = fresh("counted")
    phases: list[str] = []
    watched = ("start_cycle", "refresh_balances", "auto_close", "check_promises", "fire_batch", "stale_task_alerts")

    def count() -> None:
        import traceback

        names = [frame.name for frame in traceback.extract_stack()]
        phases.append(next((n for n in reversed(names) if n in (*watched, "fire_workflows", "send_due")), "finish"))

    monkeypatch.setattr(unit_of_work, "failpoint_before_commit", count)
    app = bootstrap(Settings(database_url=url, email_url=sink.url))
    cycle.run_cycle(app.uow, app.workflows(), app.mailer(), DAY, batch=BATCH)
    app.close()

    assert phases[9:12] == ["fire_batch"] * 3  # commits 10, 11, 12
    assert phases[4:9] == ["fire_workflows"] * 5  # the selection, then the four skipped steps
    assert phases[12] == "stale_task_alerts"
    assert phases[13:25] == ["send_due"] * 12
    assert len(phases) == max(KILL_POINTS)


def test_a_cycle_killed_at_ten_points_then_rerun_ends_as_an_uninterrupted_run(
    fresh: Any, sink: SmtpSink, tmp_path: Path
) -> None:
    reference = fresh("reference")
    # the reference runs in one batch; the killed runs in batches of BATCH customers, and so do their re-runs
    assert run_cli(reference, None, tmp_path, "cycle", "--as-of", DAY.isoformat()).returncode == 0
    expected = state(reference)
    for point in KILL_POINTS:
        killed = fresh(f"killed{point}")
        sink.recorder.received.clear()

        crashed = run_cli(killed, sink, tmp_path, "cycle", "--as-of", DAY.isoformat(), kill_at=point, batch=BATCH)
        rerun = run_cli(killed, sink, tmp_path, "cycle", "--as-of", DAY.isoformat(), batch=BATCH)

        assert crashed.returncode == -9, f"the cycle was not killed at commit {point}"
        assert rerun.returncode == 0, rerun.stderr
        ended = state(killed)
        assert ended["runs"] == expected["runs"], point
        assert ended["tasks"] == expected["tasks"], point
        assert [e[:3] for e in ended["emails"]] == [e[:3] for e in expected["emails"]], point
        assert {e[3] for e in ended["emails"]} == {"sent"}, point
        per_message = Counter(m["Message-ID"] for m in sink.received)
        assert len(per_message) == len(expected["emails"]), point
        assert max(per_message.values()) <= 2, point  # killed between sending and recording: once more at most


def test_smtp_down_then_up_the_mail_waits_then_goes_out_once(fresh: Any, tmp_path: Path) -> None:
    url = fresh("down")
    sink = SmtpSink()

    down = run_cli(url, sink, tmp_path, "cycle", "--as-of", DAY.isoformat(), "--format", "json")
    sink.start()
    try:
        waiting = run_cli(url, sink, tmp_path, "outbox", "send")
        queued = len(state(url)["emails"])
        # the first retry waits a minute: make the queued mail due now, as the clock would
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(t.emails.update().values(next_attempt_at=t.emails.c.created_at))
        engine.dispose()
        up = run_cli(url, sink, tmp_path, "outbox", "send")
        again = run_cli(url, sink, tmp_path, "outbox", "send")
    finally:
        sink.stop()

    assert json.loads(down.stdout)["emails_sent"] == 0
    assert waiting.stdout.startswith("0 sent")
    assert up.stdout.startswith(f"{queued} sent")
    assert again.stdout.startswith("0 sent")
    assert len(sink.received) == queued
    assert {e[3] for e in state(url)["emails"]} == {"sent"}


def test_a_4xx_then_250_is_retried_and_sent_once_and_a_5xx_fails_with_an_alert(
    fresh: Any, sink: SmtpSink, tmp_path: Path
) -> None:
    url = fresh("codes")
    sink.recorder.answers = {
        "ap0@customer.example": ["451 4.7.1 greylisted"],
        "ap1@customer.example": ["550 5.1.1 mailbox unavailable"] * 10,
    }

    run_cli(url, sink, tmp_path, "cycle", "--as-of", DAY.isoformat())
    engine = create_engine(url)
    for _ in range(3):
        with engine.begin() as connection:
            connection.execute(
                t.emails.update().where(t.emails.c.status == "queued").values(next_attempt_at=t.emails.c.created_at)
            )
        run_cli(url, sink, tmp_path, "outbox", "send")
    with engine.connect() as connection:
        emails = list(connection.execute(select(t.emails.c.to_addresses, t.emails.c.status, t.emails.c.attempts)))
        alerts = list(
            connection.execute(select(t.alerts.c.kind, t.alerts.c.message).where(t.alerts.c.kind == "email_failed"))
        )
    engine.dispose()

    greylisted = [e for e in emails if "ap0@" in e.to_addresses]
    refused = [e for e in emails if "ap1@" in e.to_addresses]
    assert {e.status for e in greylisted} == {"sent"}
    assert sum(e.attempts for e in greylisted) == len(greylisted) + 1  # one of them was retried once
    assert {(e.status, e.attempts) for e in refused} == {("failed", 1)}
    assert len(alerts) == len(refused) and "550" in alerts[0].message
    received_by = Counter(m["To"] for m in sink.received)
    assert received_by["ap0@customer.example"] == len(greylisted)
    assert received_by["ap1@customer.example"] == 0
