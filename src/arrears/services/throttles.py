"""Slowing down whoever guesses: passwords on the sign-in page, tokens of the customer portal.

The failures are counted in the database (the `FailedAttempts` port), so that every process of
`arrears serve --workers N` counts the same ones and a guesser gains nothing from landing on another
process. The address is the client's as the server sees it: a proxy's forwarded header is believed
only from the proxies configured (ARREARS_FORWARDED_ALLOW_IPS), so a client cannot choose it.

Sign-in (`SignInLimits`), within the last 15 minutes:
- 5 failures for one account from one address block that account from that address;
- 10 failures for one account, from any addresses, block that account everywhere: changing one's
  address (or forging a forwarded header) buys no more guesses;
- 100 failures from one address, whatever the accounts, block that address: no trying one password
  on every account. A person's typos block only their own account (after 5 at most), so the 50 users
  behind one office proxy are not locked out by one of them.
A successful sign-in forgets the account's failures from that address; a blocked attempt is refused
before the password is checked, even the right one, and is not counted.

Portal: 20 invalid tokens (unknown, expired, revoked, malformed) from one address in 15 minutes
block that address on every portal page; valid links never count.

API: 50 different refused tokens (unknown, revoked) from one address in 15 minutes block that address
on every call that carries a token, the right one included, until they age out. A token refused
again and again (a job still using a revoked one) counts once: it guesses nothing, and it must not
lock out every client behind the same address.

Rate limits (`RateLimit`), counted per key in fixed windows (the `RateCounts` port): each API token's
user may make ARREARS_API_RATE_LIMIT calls a minute; each portal link's customer may send 60 forms
(dispute, promise, pay) a quarter of an hour. Over it, 429 with the seconds until the window ends.
No business rule depends on these: they stop a script from hammering the server or the collectors'
task lists, not a person at work."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .ports import UnitOfWork

SIGN_IN = "sign_in"
PORTAL_TOKEN = "portal_token"  # noqa: S105 - a kind of failure, not a secret
API_TOKEN = "api_token"  # noqa: S105 - likewise
API_CALL = "api_call"
PORTAL_FORM = "portal_form"
WINDOW = timedelta(minutes=15)
KEEP = timedelta(days=1)  # failures older than this are deleted: longer than any window
MAX_TEXT = 64  # the longest account name or address kept (IPv6 with a zone fits)


@dataclass(frozen=True, slots=True)
class SignInLimits:
    account_at_address: int = 5
    account: int = 10
    address: int = 100
    window: timedelta = WINDOW


@dataclass(frozen=True, slots=True)
class TokenLimits:
    address: int = 20
    window: timedelta = WINDOW


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `requests` per key in each window of `window` (0 or less: no limit)."""

    requests: int
    window: timedelta


def _account(name: str) -> str:
    return name.strip().lower()[:MAX_TEXT]


SIGN_IN_LIMITS = SignInLimits()
TOKEN_LIMITS = TokenLimits()
API_TOKEN_LIMITS = TokenLimits(address=50)
PORTAL_FORM_LIMIT = RateLimit(60, timedelta(minutes=15))
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def api_rate_limit(per_minute: int) -> RateLimit:
    """ARREARS_API_RATE_LIMIT: calls a minute per token's user (0: none)."""
    return RateLimit(per_minute, timedelta(minutes=1))


def sign_in_blocked(uow: UnitOfWork, name: str, address: str, limits: SignInLimits = SIGN_IN_LIMITS) -> bool:
    """Whether a sign-in as `name` from `address` is refused without looking at the password."""
    with uow:
        since = uow.clock.now() - limits.window
        recent = uow.failed_attempts.recent_failures(SIGN_IN, _account(name), address[:MAX_TEXT], since)
    return (
        recent.account_at_address >= limits.account_at_address
        or recent.account >= limits.account
        or recent.address >= limits.address
    )


def sign_in_failed(uow: UnitOfWork, name: str, address: str) -> None:
    """Count a wrong password (or an unknown or deactivated name) for `name` from `address`."""
    with uow:
        now = uow.clock.now()
        uow.failed_attempts.record_failure(SIGN_IN, _account(name), address[:MAX_TEXT], now, now - KEEP)
        uow.commit()


def signed_in(uow: UnitOfWork, name: str, address: str) -> None:
    """Forget the account's failures from the address it just signed in from."""
    with uow:
        uow.failed_attempts.forget_failures(SIGN_IN, _account(name), address[:MAX_TEXT])
        uow.commit()


def portal_token_blocked(uow: UnitOfWork, address: str, limits: TokenLimits = TOKEN_LIMITS) -> bool:
    """Whether `address` guessed too many portal tokens of late: every portal page answers it 429."""
    return _address_blocked(uow, PORTAL_TOKEN, address, limits)


def portal_token_failed(uow: UnitOfWork, address: str) -> None:
    """Count an invalid portal token from `address`."""
    _address_failed(uow, PORTAL_TOKEN, address)


def api_token_failed(uow: UnitOfWork, address: str, token: str) -> None:
    """Count a refused API token (unknown or revoked) from `address`, once per token in the window
    (kept as a prefix of its SHA-256: enough to tell tokens apart, nothing to sign in with)."""
    which = hashlib.sha256(token.encode()).hexdigest()[:16]
    with uow:
        now = uow.clock.now()
        since = now - API_TOKEN_LIMITS.window
        if uow.failed_attempts.recent_failures(API_TOKEN, which, address[:MAX_TEXT], since).account_at_address:
            return
        uow.failed_attempts.record_failure(API_TOKEN, which, address[:MAX_TEXT], now, now - KEEP)
        uow.commit()


def _address_blocked(uow: UnitOfWork, kind: str, address: str, limits: TokenLimits) -> bool:
    with uow:
        return address_blocked_in(uow, kind, address, limits)


def address_blocked_in(uow: UnitOfWork, kind: str, address: str, limits: TokenLimits) -> bool:
    """Whether `address` sent `limits.address` invalid tokens of `kind` within `limits.window`, in
    the caller's transaction (accounts.admit_api_call checks an API call's address so)."""
    since = uow.clock.now() - limits.window
    return uow.failed_attempts.recent_failures(kind, None, address[:MAX_TEXT], since).address >= limits.address


def _address_failed(uow: UnitOfWork, kind: str, address: str) -> None:
    with uow:
        now = uow.clock.now()
        uow.failed_attempts.record_failure(kind, None, address[:MAX_TEXT], now, now - KEEP)
        uow.commit()


def over_rate(uow: UnitOfWork, kind: str, key: str, limit: RateLimit) -> int | None:
    """Count one request of `key` (API_CALL: a user's id; PORTAL_FORM: a customer's id): None while
    its window holds at most `limit.requests` of them, else the whole seconds until the window ends
    (the answer's Retry-After). Windows are fixed, aligned on EPOCH."""
    if limit.requests <= 0:
        return None
    with uow:
        wait = over_rate_in(uow, kind, key, limit)
        uow.commit()
    return wait


def over_rate_in(uow: UnitOfWork, kind: str, key: str, limit: RateLimit) -> int | None:
    """`over_rate` within the caller's transaction (which must commit it)."""
    if limit.requests <= 0:
        return None
    now = uow.clock.now()
    start = EPOCH + (now - EPOCH) // limit.window * limit.window
    if uow.rate_counts.count(kind, key[:MAX_TEXT], start, now - KEEP) <= limit.requests:
        return None
    return max(1, math.ceil((start + limit.window - now).total_seconds()))
