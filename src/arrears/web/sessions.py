"""Sessions in a signed cookie (itsdangerous) and CSRF tokens (the sign-in throttle: services/throttles.py).

The cookie holds only the session's token (its row in `web_sessions`, which signing out, deactivating
the user or a new password ends at once: services/users.py) and the session's CSRF token, signed with
the workspace's secret key (ARREARS_SECRET_KEY, else generated and stored on first run); it is
HttpOnly and SameSite=Lax, and Secure when the request came over HTTPS (directly, or through a proxy
whose forwarded headers the server trusts: ARREARS_FORWARDED_ALLOW_IPS). Over HTTPS it is named
`__Host-arrears_session`: browsers keep a cookie of that prefix only when it is Secure, for the path
/ and without a Domain, so a sibling subdomain cannot plant or overwrite it. Over plain HTTP, where
a browser refuses that prefix, it is `arrears_session`; each scheme reads only its own name.

A signed-in session ends after IDLE_SECONDS without a request (30 minutes), as well as 12 hours after
signing in (its row's `expires_at`): the cookie's signature carries the time it was written, a
signed-in cookie older than IDLE_SECONDS signs no one in, and every page written to a signed-in
user re-signs a cookie older than REFRESH_SECONDS. An anonymous cookie (the sign-in form's CSRF
token) keeps the 12 hours, so that a sign-in page left open still works.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "arrears_session"  # over plain HTTP
HOST_COOKIE = "__Host-arrears_session"  # over HTTPS
MAX_AGE = 12 * 3600  # a working day, then sign in again
IDLE_SECONDS = 30 * 60  # a signed-in session unused this long ends
REFRESH_SECONDS = 5 * 60  # a signed-in cookie older than this is written again with the next page
SALT = "arrears.web.session"


@dataclass
class Session:
    """What the cookie says; `changed` makes the response write it back."""

    data: dict[str, Any] = field(default_factory=dict)
    changed: bool = False
    age: float = 0.0  # seconds since the cookie was signed

    @property
    def stale(self) -> bool:
        """Signed in, with a cookie old enough to be signed again (keeps an active session alive)."""
        return self.token is not None and self.age > REFRESH_SECONDS

    @property
    def token(self) -> str | None:
        """The signed-in session's token (its row names the user); None when signed out."""
        value = self.data.get("sid")
        return value if isinstance(value, str) else None

    @property
    def csrf(self) -> str:
        """This session's CSRF token, made on first use."""
        token = self.data.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            self.data["csrf"] = token
            self.changed = True
        return token

    def csrf_matches(self, sent: str | None) -> bool:
        token = self.data.get("csrf")
        return isinstance(token, str) and sent is not None and hmac.compare_digest(token, sent)

    def sign_in(self, token: str) -> None:
        """A new session (new CSRF token) named by `token`: nothing of the anonymous one survives."""
        self.data = {"sid": token, "csrf": secrets.token_urlsafe(32)}
        self.changed = True

    def sign_out(self) -> None:
        self.data = {}
        self.changed = True

    def flash(self, message: str) -> None:
        self.data["flash"] = message[:500]
        self.changed = True

    def take_flash(self) -> str | None:
        message = self.data.pop("flash", None)
        if message is not None:
            self.changed = True
        return message if isinstance(message, str) else None


def cookie_name(request: Request) -> str:
    """The session cookie's name for this request: with the `__Host-` prefix over HTTPS."""
    return HOST_COOKIE if request.url.scheme == "https" else COOKIE


class Cookies:
    """Reads and writes the session cookie with one serializer, built from the secret key."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)

    def load(self, request: Request) -> Session:
        raw = request.cookies.get(cookie_name(request))
        if not raw or len(raw) > 4096:
            return Session()
        try:
            data, signed = self._serializer.loads(raw, max_age=MAX_AGE, return_timestamp=True)
        except BadSignature:
            return Session()
        if not isinstance(data, dict):
            return Session()
        age = max(0.0, time.time() - signed.timestamp())
        if "sid" in data and age > IDLE_SECONDS:  # idle too long: signed out, the form's token kept
            return Session({k: v for k, v in data.items() if k != "sid"}, changed=True)
        return Session(data, age=age)

    def forget_plain_over_https(self, request: Request, response: Response) -> None:
        """Over HTTPS, delete a cookie of the plain name that a browser still holds (written before
        the `__Host-` prefix, or over HTTP): it is never read there, and would only linger."""
        if request.url.scheme == "https" and COOKIE in request.cookies:
            response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")

    def save(self, request: Request, response: Response, session: Session) -> None:
        """Write the cookie of this request's scheme, or delete it (signed out with nothing left)."""
        name, secure = cookie_name(request), request.url.scheme == "https"
        if not session.data:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")
            return
        response.set_cookie(
            name,
            self._serializer.dumps(session.data),
            max_age=MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure,
        )
