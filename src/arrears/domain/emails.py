"""Email delivery rules: statuses, what a failure means, and when to try again."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"


class DeliveryFailure(Exception):
    """Sending failed; `reason` says how, in words for the customer's timeline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryFailure):
    """Worth another try: the server could not be reached, or it answered 4xx."""


class PermanentFailure(DeliveryFailure):
    """Not worth another try: the server answered 5xx."""


def retry_after(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed tries (1 min, 2, 4, 8, ... at most 6 h), or None
    when the email has had its last try."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait: timedelta = FIRST_RETRY * (2 ** (attempts - 1))
    return min(wait, LONGEST_WAIT)
