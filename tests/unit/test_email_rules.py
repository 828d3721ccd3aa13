"""Email delivery: when a failed email is tried again, and when Arrears gives up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from arrears.domain.emails import (
    LONGEST_WAIT,
    MAX_ATTEMPTS,
    DeliveryFailure,
    PermanentFailure,
    TemporaryFailure,
    retry_after,
)


def test_the_first_retry_waits_one_minute() -> None:
    wait = retry_after(1)

    assert wait == timedelta(minutes=1)


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16)])
def test_each_wait_is_twice_the_one_before(attempts: int, minutes: int) -> None:
    wait = retry_after(attempts)

    assert wait == timedelta(minutes=minutes)


def test_an_email_gets_six_tries_in_all() -> None:
    waits = [retry_after(attempts) for attempts in range(1, 8)]

    assert MAX_ATTEMPTS == 6
    assert [wait is not None for wait in waits] == [True, True, True, True, True, False, False]


def test_no_wait_is_longer_than_six_hours() -> None:
    waits = [retry_after(attempts) for attempts in range(1, MAX_ATTEMPTS)]

    assert max(wait for wait in waits if wait is not None) <= LONGEST_WAIT == timedelta(hours=6)


def test_far_beyond_the_last_try_there_is_no_retry() -> None:
    assert retry_after(100) is None


@pytest.mark.parametrize("failure", [TemporaryFailure, PermanentFailure])
def test_a_failure_carries_its_reason_in_words(failure: type[DeliveryFailure]) -> None:
    error = failure("550 mailbox unavailable")

    assert isinstance(error, DeliveryFailure)
    assert (error.reason, str(error)) == ("550 mailbox unavailable", "550 mailbox unavailable")
