"""The sign-in throttle of the web pages (per name and address, per address whatever the names: an
attacker cannot flush a name's count by failing with many other names)."""

from __future__ import annotations

from arrears.web.sessions import SignInThrottle


def test_many_names_from_one_address_are_throttled_together() -> None:
    throttle = SignInThrottle(limit=5, window=60, now=lambda: 0.0)
    for k in range(49):
        throttle.failed(f"guess{k}", "10.0.0.1")

    before = throttle.blocked("someone", "10.0.0.1")
    throttle.failed("guess49", "10.0.0.1")

    assert not before
    assert throttle.blocked("someone", "10.0.0.1")
    assert not throttle.blocked("someone", "10.0.0.2")


def test_failing_with_other_names_past_the_capacity_does_not_unblock_a_name() -> None:
    """Before, the whole table was cleared past its capacity: 100,000 failures with made-up names
    and the attacker could guess the next five passwords of a blocked name."""
    throttle = SignInThrottle(limit=2, window=60, now=lambda: 0.0, capacity=10)
    throttle.failed("maria", "10.0.0.1")
    throttle.failed("maria", "10.0.0.1")
    for k in range(30):
        throttle.failed(f"name{k}", "10.0.0.1")

    assert throttle.blocked("maria", "10.0.0.1")
    assert len(throttle._failures) <= 10


def test_past_the_capacity_only_counts_that_are_over_are_forgotten() -> None:
    now = [0.0]
    throttle = SignInThrottle(limit=2, window=60, now=lambda: now[0], capacity=3)
    throttle.failed("old", "10.0.0.9")
    now[0] = 30.0
    throttle.failed("maria", "10.0.0.1")
    throttle.failed("maria", "10.0.0.1")
    throttle.failed("sam", "10.0.0.2")
    now[0] = 61.0  # "old" is over, maria's failures are not

    throttle.failed("pat", "10.0.0.3")

    assert throttle.blocked("maria", "10.0.0.1")
    assert len(throttle._failures) <= 3
