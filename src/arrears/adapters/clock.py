"""The one place that reads the time. Tests pass a fixed clock instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


@dataclass
class SystemClock:
    """Now in UTC; today in the company's time zone (ARREARS_TIMEZONE, default UTC, or the one an
    owner stored on the settings page: `Arrears.refresh_workspace` sets `timezone`)."""

    timezone: str = "UTC"

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()


@dataclass
class FixedClock:
    """A clock that says what it is told: for tests, demos and re-running a past day."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()
