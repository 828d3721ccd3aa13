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
block that address on every portal page; valid links never count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .ports import UnitOfWork

SIGN_IN = "sign_in"
PORTAL_TOKEN = "portal_token"  # noqa: S105 - a kind of failure, not a secret
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


def _account(name: str) -> str:
    return name.strip().lower()[:MAX_TEXT]


SIGN_IN_LIMITS = SignInLimits()
TOKEN_LIMITS = TokenLimits()


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
    with uow:
        since = uow.clock.now() - limits.window
        recent = uow.failed_attempts.recent_failures(PORTAL_TOKEN, None, address[:MAX_TEXT], since)
    return recent.address >= limits.address


def portal_token_failed(uow: UnitOfWork, address: str) -> None:
    """Count an invalid portal token from `address`."""
    with uow:
        now = uow.clock.now()
        uow.failed_attempts.record_failure(PORTAL_TOKEN, None, address[:MAX_TEXT], now, now - KEEP)
        uow.commit()
