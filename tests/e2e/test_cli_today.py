"""Every "today" of the command line is the workspace's (ARREARS_TIMEZONE), as the daily cycle's is,
never the date of the machine it runs on."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Cli
from tests.ledger import Ledger, customer, invoice

Today = Callable[[], str]


@pytest.fixture
def workspace_today(monkeypatch: pytest.MonkeyPatch) -> Iterator[Today]:
    """A workspace in a time zone where it is already tomorrow, or still yesterday, on a machine whose
    own clock is on UTC; yields what reads the workspace's date."""
    zone = "Pacific/Kiritimati" if datetime.now(UTC).hour >= 11 else "Pacific/Pago_Pago"  # UTC+14 / UTC-11
    monkeypatch.setenv("ARREARS_TIMEZONE", zone)

    def today() -> str:
        return datetime.now(ZoneInfo(zone)).date().isoformat()

    with pytest.MonkeyPatch.context() as machine:
        machine.setenv("TZ", "UTC")
        time.tzset()
        assert date.today().isoformat() != today()  # noqa: DTZ011 - the machine's date, which must not be used
        yield today
    time.tzset()


def test_report_aging_is_as_of_the_workspace_date_by_default(cli: Cli, ledger: Ledger, workspace_today: Today) -> None:
    ledger.load("customers", [customer("C1")])
    ledger.load("invoices", [invoice("I1", "C1")])
    before = workspace_today()

    result = cli("report", "aging", "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_of"] in {before, workspace_today()}


def test_the_demo_ledger_is_as_of_the_workspace_date_by_default(cli: Cli, workspace_today: Today) -> None:
    before = workspace_today()

    result = cli("demo", "--customers", "6", "--no-serve")

    assert result.exit_code == 0, result.output
    days = {before, workspace_today()}
    assert any(f"as of {day})" in result.stdout for day in days), result.stdout
    assert any(f"Aging as of {day} - " in result.stdout for day in days)
