"""A command read by a process that stops early (`arrears export invoices | head`) ends quietly with
141, as a shell reports a process ended by SIGPIPE; never with 1, which means a user error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from arrears.cli.app import BROKEN_PIPE
from tests.ledger import Ledger, customer, invoice

SCRIPT = Path(sys.executable).with_name("arrears")
CUSTOMERS = 2_000  # every command below writes well over a pipe's 64 KiB, so it outlasts its reader


@pytest.fixture
def big_ledger(ledger: Ledger) -> Ledger:
    ids = [f"CUST-{n:05d}" for n in range(CUSTOMERS)]
    ledger.load("customers", [customer(i, f"Customer number {i} of a long list") for i in ids])
    ledger.load("invoices", [invoice(f"INV-{i}", i, amount="1234.50") for i in ids])
    return ledger


def _piped_to_head(db_url: str, args: list[str]) -> tuple[bytes, int, str]:
    """`arrears ARGS | head -n 1`: what head printed, and the command's exit status and stderr."""
    env = {**os.environ, "ARREARS_DATABASE_URL": db_url}
    command = subprocess.Popen([str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert command.stdout is not None and command.stderr is not None
    head = subprocess.Popen(["head", "-n", "1"], stdin=command.stdout, stdout=subprocess.PIPE)
    command.stdout.close()  # only `head` reads the pipe now: when it leaves, nobody does
    first_line, _ = head.communicate(timeout=120)
    errors = command.stderr.read().decode()
    return first_line, command.wait(timeout=120), errors


@pytest.mark.parametrize(
    "args",
    [
        ["export", "invoices"],
        ["export", "invoices", "--format", "json"],
        ["report", "aging", "--as-of", "2026-06-30", "--format", "csv"],
    ],
    ids=" ".join,
)
def test_a_reader_that_stops_early_ends_the_command_with_141_and_no_message(
    db_url: str, big_ledger: Ledger, args: list[str]
) -> None:
    first_line, status, errors = _piped_to_head(db_url, args)

    assert first_line.strip()
    assert (status, errors) == (BROKEN_PIPE, "")


@pytest.mark.parametrize(
    "args",
    [["report", "aging", "--as-of", "2026-06-30"], ["report", "aging", "--as-of", "2026-06-30", "--format", "json"]],
    ids=" ".join,
)
def test_output_written_at_once_ends_quietly_too(db_url: str, big_ledger: Ledger, args: list[str]) -> None:
    # A table or a JSON document goes out in one write: when the reader leaves during it, the system
    # reports the part written, not an error, so the command may end with 0 as well as with 141.
    first_line, status, errors = _piped_to_head(db_url, args)

    assert first_line.strip()
    assert (status in (0, BROKEN_PIPE), errors) == (True, "")


def test_a_reader_that_reads_everything_still_gets_status_0(db_url: str, big_ledger: Ledger) -> None:
    env = {**os.environ, "ARREARS_DATABASE_URL": db_url}

    run = subprocess.run([str(SCRIPT), "export", "invoices"], capture_output=True, env=env, timeout=120, check=False)

    assert (run.returncode, run.stderr.decode()) == (0, "")
    assert len(run.stdout.splitlines()) == CUSTOMERS + 1
