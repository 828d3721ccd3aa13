"""Which days' cycles a preview runs before the previewed day's (`workflows.cycle_days_before`):
those that will have run by then, from the next cycle's day."""

from __future__ import annotations

from datetime import date, timedelta

from arrears.services.workflows import cycle_days_before

THURSDAY = date(2026, 12, 3)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_with_no_cycle_run_yet_the_days_from_today_to_the_day_before_are_assumed() -> None:
    assert cycle_days_before(date(2026, 12, 10), THURSDAY, None) == days(THURSDAY, date(2026, 12, 9))


def test_once_todays_cycle_ran_the_days_start_tomorrow() -> None:
    assert cycle_days_before(date(2026, 12, 6), THURSDAY, THURSDAY) == days(date(2026, 12, 4), date(2026, 12, 5))


def test_after_missed_days_the_next_cycle_is_todays_which_catches_up_on_its_own() -> None:
    assert cycle_days_before(date(2026, 12, 5), THURSDAY, date(2026, 11, 20)) == days(THURSDAY, date(2026, 12, 4))


def test_the_next_cycles_day_and_past_days_assume_nothing() -> None:
    assert cycle_days_before(THURSDAY, THURSDAY, None) == []
    assert cycle_days_before(date(2026, 12, 4), THURSDAY, THURSDAY) == []
    assert cycle_days_before(date(2026, 11, 1), THURSDAY, THURSDAY) == []


def test_on_business_days_only_the_weekend_is_left_out() -> None:
    assumed = cycle_days_before(date(2026, 12, 8), THURSDAY, None, business_days_only=True)

    assert assumed == [date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 7)]
