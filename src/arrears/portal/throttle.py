"""Slowing down whoever guesses portal tokens: per client address, a bounded count of invalid tokens."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

LIMIT = 20  # invalid tokens per address in WINDOW seconds, then 429
WINDOW = 15 * 60


class TokenThrottle:
    """At most `limit` invalid portal tokens (unknown, expired, revoked or malformed) per client
    address in `window` seconds; past that, the address gets 429 on every portal address until its
    oldest failures age out. Valid tokens do not count: a customer opening their link is never
    slowed, unless their address is the one guessing.

    Kept in memory, per process (enough to make guessing a 256-bit token hopeless, which it is
    anyway, and to keep scanners of leaked links from hammering the database). The memory is
    bounded: past `capacity` addresses, the counts that no longer matter are dropped, then all."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW,
        now: Callable[[], float] = time.monotonic,
        capacity: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self.capacity = capacity
        self._now = now
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, failures: deque[float]) -> deque[float]:
        cutoff = self._now() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures

    def blocked(self, address: str) -> bool:
        with self._lock:
            failures = self._failures.get(address)
            return failures is not None and len(self._recent(failures)) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            if address not in self._failures and len(self._failures) >= self.capacity:
                self._failures = {k: v for k, v in self._failures.items() if self._recent(v)}
                if len(self._failures) >= self.capacity:
                    self._failures.clear()
            failures = self._recent(self._failures.setdefault(address, deque()))
            failures.append(self._now())
            while len(failures) > self.limit:  # what is over the limit is not needed to block
                failures.popleft()
