"""The throttles' rules (services/throttles.py) over the database that every server process shares,
on SQLite and PostgreSQL: per account from any address, per account and address, per address, the
window, and a table that does not grow without end; the API's refused tokens; the rate limits'
fixed windows, counted exactly by concurrent requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.services import accounts, throttles, users
from arrears.services.throttles import RateLimit, SignInLimits, TokenLimits

NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(db_url: str) -> Iterator[Arrears]:
    built = bootstrap(Settings(database_url=db_url), FixedClock(NOW)).ready()
    yield built
    built.close()


def clock_of(desk: Arrears) -> FixedClock:
    assert isinstance(desk.clock, FixedClock)
    return desk.clock


def try_to_sign_in(desk: Arrears, name: str, address: str, limits: SignInLimits = throttles.SIGN_IN_LIMITS) -> bool:
    """What the sign-in page does with a wrong password: refused unseen when blocked (False), else
    counted as a failure (True)."""
    if throttles.sign_in_blocked(desk.uow(), name, address, limits):
        return False
    throttles.sign_in_failed(desk.uow(), name, address)
    return True


def failures_stored(desk: Arrears) -> int:
    with desk.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.failed_attempts)).scalar_one())


def test_five_failures_block_the_account_from_that_address_only(desk: Arrears) -> None:
    for _ in range(5):
        assert try_to_sign_in(desk, "Maria", "10.0.0.1")

    assert throttles.sign_in_blocked(desk.uow(), "maria", "10.0.0.1")
    assert not throttles.sign_in_blocked(desk.uow(), "maria", "10.0.0.2")
    assert not throttles.sign_in_blocked(desk.uow(), "sam", "10.0.0.1")


def test_changing_address_at_every_try_buys_no_more_than_ten_guesses_at_one_account(desk: Arrears) -> None:
    counted = [try_to_sign_in(desk, "maria", f"198.51.100.{n}") for n in range(30)]

    assert counted == [True] * 10 + [False] * 20
    assert throttles.sign_in_blocked(desk.uow(), "maria", "203.0.113.99")


def test_one_address_trying_many_accounts_is_blocked_whatever_the_account(desk: Arrears) -> None:
    limits = SignInLimits(address=20)

    counted = [try_to_sign_in(desk, f"user{n}", "10.0.0.1", limits) for n in range(25)]

    assert counted == [True] * 20 + [False] * 5
    assert throttles.sign_in_blocked(desk.uow(), "someone", "10.0.0.1", limits)
    assert not throttles.sign_in_blocked(desk.uow(), "someone", "10.0.0.2", limits)


def test_one_persons_typos_behind_a_shared_address_do_not_block_the_others(desk: Arrears) -> None:
    for _ in range(30):
        try_to_sign_in(desk, "maria", "203.0.113.9")
    for n in range(50):  # 50 colleagues behind the same proxy, each with a typo of their own
        try_to_sign_in(desk, f"colleague{n}", "203.0.113.9")

    assert throttles.sign_in_blocked(desk.uow(), "maria", "203.0.113.9")
    assert not any(throttles.sign_in_blocked(desk.uow(), f"colleague{n}", "203.0.113.9") for n in range(50))


def test_signing_in_forgets_the_accounts_failures_from_that_address(desk: Arrears) -> None:
    for _ in range(4):
        try_to_sign_in(desk, "maria", "10.0.0.1")

    throttles.signed_in(desk.uow(), "maria", "10.0.0.1")
    for _ in range(4):
        try_to_sign_in(desk, "maria", "10.0.0.1")

    assert not throttles.sign_in_blocked(desk.uow(), "maria", "10.0.0.1")


def test_failures_age_out_after_the_window_and_old_rows_are_deleted(desk: Arrears) -> None:
    for _ in range(5):
        try_to_sign_in(desk, "maria", "10.0.0.1")
    blocked_now = throttles.sign_in_blocked(desk.uow(), "maria", "10.0.0.1")

    clock_of(desk).at = NOW + timedelta(minutes=15, seconds=1)
    blocked_later = throttles.sign_in_blocked(desk.uow(), "maria", "10.0.0.1")
    clock_of(desk).at = NOW + timedelta(days=1, seconds=1)
    throttles.sign_in_failed(desk.uow(), "sam", "10.0.0.2")

    assert (blocked_now, blocked_later) == (True, False)
    assert failures_stored(desk) == 1  # sam's; maria's five are gone


def test_an_address_guessing_portal_tokens_is_blocked_at_the_limit_until_its_failures_age_out(desk: Arrears) -> None:
    limits = TokenLimits(address=3)
    for _ in range(2):
        throttles.portal_token_failed(desk.uow(), "198.51.100.1")
    before = throttles.portal_token_blocked(desk.uow(), "198.51.100.1", limits)
    throttles.portal_token_failed(desk.uow(), "198.51.100.1")
    at_limit = throttles.portal_token_blocked(desk.uow(), "198.51.100.1", limits)
    clock_of(desk).at = NOW + timedelta(minutes=16)

    assert (before, at_limit) == (False, True)
    assert not throttles.portal_token_blocked(desk.uow(), "198.51.100.1", limits)
    assert not throttles.sign_in_blocked(desk.uow(), "anyone", "198.51.100.1", SignInLimits(address=3))


def test_two_processes_on_one_database_count_the_same_failures(desk: Arrears) -> None:
    other = bootstrap(desk.settings, FixedClock(NOW))
    try:
        for _ in range(5):
            try_to_sign_in(desk, "maria", "10.0.0.1")

        assert throttles.sign_in_blocked(other.uow(), "maria", "10.0.0.1")
    finally:
        other.close()


def test_an_address_sending_fifty_different_refused_api_tokens_is_blocked_and_only_that_address(desk: Arrears) -> None:
    users.add_user(desk.uow(), desk.hasher, "maria", "contributor", email=None, password=None)
    token = accounts.issue_token(desk.uow(), "maria")
    limit = throttles.api_rate_limit(100)

    def admitted(token: str, address: str) -> accounts.ApiCaller:
        return accounts.admit_api_call(desk.uow(), token, address, limit)

    for n in range(48):
        throttles.api_token_failed(desk.uow(), "198.51.100.7", f"arr_guess-{n}")
        throttles.api_token_failed(desk.uow(), "198.51.100.7", "arr_revoked-one")  # the same again: once
    before = admitted(token, "198.51.100.7")
    throttles.api_token_failed(desk.uow(), "198.51.100.7", "arr_guess-49")

    assert before.user is not None and before.user.name == "maria"
    assert admitted(token, "198.51.100.7") == accounts.ApiCaller(blocked=True)  # even the good token
    assert admitted("arr_guessed", "198.51.100.8") == accounts.ApiCaller()  # refused, not blocked
    assert admitted(token, "198.51.100.8").user is not None
    assert not throttles.portal_token_blocked(desk.uow(), "198.51.100.7")  # each kind counts its own


MINUTE = RateLimit(3, timedelta(minutes=1))


def over(desk: Arrears, key: str, limit: RateLimit = MINUTE) -> int | None:
    return throttles.over_rate(desk.uow(), throttles.API_CALL, key, limit)


def rate_rows(desk: Arrears) -> int:
    with desk.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.rate_counts)).scalar_one())


def test_requests_over_the_rate_wait_for_the_end_of_their_window_and_each_key_counts_its_own(desk: Arrears) -> None:
    clock_of(desk).at = NOW + timedelta(seconds=45)
    within = [over(desk, "7") for _ in range(3)]
    refused = over(desk, "7")
    other = over(desk, "8")
    clock_of(desk).at = NOW + timedelta(seconds=59, microseconds=100)
    last_moment = over(desk, "7")
    clock_of(desk).at = NOW + timedelta(minutes=1)
    next_window = over(desk, "7")

    assert (within, refused, other, last_moment, next_window) == ([None] * 3, 15, None, 1, None)
    assert throttles.over_rate(desk.uow(), throttles.PORTAL_FORM, "7", MINUTE) is None  # another kind


def test_no_limit_counts_nothing_and_windows_older_than_a_day_are_deleted(desk: Arrears) -> None:
    assert over(desk, "7", RateLimit(0, timedelta(minutes=1))) is None
    assert rate_rows(desk) == 0
    for minute in range(3):
        clock_of(desk).at = NOW + timedelta(minutes=minute)
        over(desk, "7")
    clock_of(desk).at = NOW + timedelta(days=1, minutes=1, seconds=30)
    over(desk, "8")

    assert rate_rows(desk) == 2  # the windows begun at 09:02 (less than a day before) and the new one


def test_concurrent_requests_of_one_key_are_each_counted_exactly_once(desk: Arrears) -> None:
    limit = RateLimit(100, timedelta(minutes=1))
    start = threading.Barrier(8)
    answers: list[int | None] = []

    def requests() -> None:
        start.wait()
        for _ in range(30):
            answers.append(throttles.over_rate(desk.uow(), throttles.API_CALL, "7", limit))

    threads = [threading.Thread(target=requests) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == 240
    assert answers.count(None) == 100  # exactly the limit let through, whoever came first
    with desk.engine.connect() as connection:
        assert connection.execute(select(t.rate_counts.c.count)).scalar_one() == 240
