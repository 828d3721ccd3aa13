"""A user's web sessions as they see them in their list: when each signed in, from which address,
with which browser, when it was last used; and the errors of confirming with one's password before
ending some of them.

The browser is told from the User-Agent header by plain string checks, for a person to recognise
their own devices ("Firefox on Windows"): a client may send any User-Agent, so it proves nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .errors import ArrearsError, PermissionDenied

MAX_ADDRESS = 64  # an IPv6 address with a zone fits
MAX_USER_AGENT = 200


@dataclass(frozen=True, slots=True)
class WebSession:
    """One open session of a user; `current` is the one the page is asked from."""

    id: int
    signed_in_at: datetime
    last_seen_at: datetime | None  # None for a session started before Arrears kept it
    address: str | None
    user_agent: str | None
    current: bool

    @property
    def device(self) -> str:
        return device_of(self.user_agent)


@dataclass(frozen=True, slots=True)
class OpenSessions:
    """The open sessions shown (the newest, the current one always among them) and how many are open."""

    shown: tuple[WebSession, ...]
    total: int

    @property
    def not_shown(self) -> int:
        return self.total - len(self.shown)


class PasswordNotConfirmed(PermissionDenied):
    """The password re-entered to end sessions is not the user's: nothing was ended."""

    code = "password_not_confirmed"


class TooManyAttempts(ArrearsError):
    """The sign-in throttle blocks the user's name from this address: the password was not checked."""

    code = "too_many_attempts"


def client_text(value: str | None, limit: int) -> str | None:
    """What a client sent (its address, its User-Agent) as stored: control characters dropped (a
    NUL, which PostgreSQL refuses, among them), cut to `limit` characters; None when nothing is left."""
    if value is None:
        return None
    kept = "".join(ch for ch in value if ch.isprintable())[:limit].strip()
    return kept or None


# Checked in this order: each browser's User-Agent also names the ones it imitates (Edge says
# "Chrome" and "Safari", Chrome says "Safari"), and each phone's names the desktop it resembles.
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-", "Python"),
    ("Python", "Python"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_of(user_agent: str | None) -> str:
    """The browser and its system as a person names them: "Firefox on Windows", "Safari on iPhone",
    "curl"; "Unknown browser on Linux", or "Unknown browser" when the User-Agent says nothing
    recognisable (or nothing at all)."""
    text = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in text), None)
    system = next((name for mark, name in _SYSTEMS if mark in text), None)
    if browser is None:
        return f"Unknown browser on {system}" if system else "Unknown browser"
    return f"{browser} on {system}" if system else browser
