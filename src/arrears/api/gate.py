"""`ApiGate`: a call to /api/v1/ that carries a bearer token is admitted or refused before the app
reads its body (`deps.admit`: the address's refused tokens, the token, its user's rate limit).

FastAPI reads a request's body before it resolves the route's dependencies: without the gate a
client over its limit, or sending tokens that do not work, would still have the server parse its
JSON (up to `body_limits.MAX_JSON`) or spool its upload, and a malformed body would be answered 422
before the 429 or 401. The admitted user is left in `request.state` for `deps.current_user`. A call
without a token passes through: every /api/v1 route answers it 401 (after its body is read, which
`BodyLimits` bounds)."""

from __future__ import annotations

from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..bootstrap import Arrears
from .deps import ADMITTED, admit
from .errors import database_error, http_error

PATHS = "/api/v1/"


class ApiGate:
    def __init__(self, app: ASGIApp, arrears: Arrears) -> None:
        self.app = app
        self.arrears = arrears

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _bearer(scope) if scope["type"] == "http" and str(scope.get("path", "")).startswith(PATHS) else None
        if token is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        try:
            user = await run_in_threadpool(admit, self.arrears, token, address)
        except HTTPException as refused:  # answered as the app answers it: {"error": {...}}, its headers
            await (await http_error(Request(scope, receive), refused))(scope, receive, send)
            return
        except (OperationalError, PoolTimeout) as error:  # busy or down: a 503, as a route's would be
            await (await database_error(Request(scope, receive), error))(scope, receive, send)
            return
        scope.setdefault("state", {})[ADMITTED] = user
        await self.app(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header, as `deps.bearer` reads it; else None."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            scheme, token = get_authorization_scheme_param(value.decode("latin-1"))
            return token if scheme.lower() == "bearer" and token else None
    return None
