"""What routes take besides their input, as Annotated aliases: the signed-in user, a unit of work, a page."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..bootstrap import Arrears
from ..domain.users import User
from ..services import accounts, throttles
from ..services.ports import UnitOfWork
from .schemas import NO_NUL

MAX_PAGE = 500
MAX_OFFSET = 1_000_000_000
log = logging.getLogger("arrears.auth")
TOO_MANY_REFUSED = "too many refused API tokens from your address: wait a quarter of an hour and try again"
REFUSED_RETRY_AFTER = int(throttles.API_TOKEN_LIMITS.window.total_seconds())  # at most: the oldest ages out first
CHALLENGE = {"WWW-Authenticate": "Bearer"}
ADMITTED = "api_user"  # request.state's name for the user ApiGate admitted


def get_arrears(request: Request) -> Arrears:
    arrears: Arrears = request.app.state.arrears
    return arrears


ArrearsApp = Annotated[Arrears, Depends(get_arrears)]


def get_uow(arrears: ArrearsApp) -> UnitOfWork:
    return arrears.uow()


Uow = Annotated[UnitOfWork, Depends(get_uow)]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from `arrears users token NAME`, sent as `Authorization: Bearer TOKEN`.",
)


def current_user(
    request: Request,
    arrears: ArrearsApp,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The token's user: admitted by `ApiGate` before the body was read (api/gate.py), or here
    (`admit`) for an app without it; 401 without a token."""
    if credentials is None:
        raise HTTPException(
            401, "send an API token as `Authorization: Bearer TOKEN` (`arrears users token NAME`)", CHALLENGE
        )
    admitted = getattr(request.state, ADMITTED, None)
    if isinstance(admitted, User):
        return admitted
    address = request.client.host if request.client else "unknown"
    return admit(arrears, credentials.credentials, address)


def admit(arrears: Arrears, token: str, address: str) -> User:
    """The user of a call's bearer `token` from `address`, or HTTPException: 429 when the address
    sent too many different refused tokens of late (the token is not looked at), 401 when the token
    is unknown or revoked (logged with the address, never the token, and counted against the
    address), 429 when the user is over ARREARS_API_RATE_LIMIT calls a minute (this call counted).
    services/accounts.admit_api_call, services/throttles.py."""
    limit = throttles.api_rate_limit(arrears.settings.api_rate_limit)
    caller = accounts.admit_api_call(arrears.uow(), token, address, limit)
    if caller.blocked:
        log.warning("API call refused: too many refused tokens from %s", address)
        raise HTTPException(429, TOO_MANY_REFUSED, {"Retry-After": str(REFUSED_RETRY_AFTER)})
    user = caller.user
    if user is None:
        throttles.api_token_failed(arrears.uow(), address, token)
        log.warning("API token refused: unknown or revoked, from %s", address)
        raise HTTPException(401, "the API token is unknown or has been revoked", CHALLENGE)
    if caller.retry_after is not None:
        wait = caller.retry_after
        log.warning("API call refused: %s is over %d calls a minute, from %s", user.name, limit.requests, address)
        message = f"more than {limit.requests:,} calls a minute with {user.name}'s tokens: try again in {wait} s"
        raise HTTPException(429, message, {"Retry-After": str(wait)})
    return user


CurrentUser = Annotated[User, Depends(current_user)]


@dataclass(frozen=True)
class PageQuery:
    limit: int
    offset: int


def page_query(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip (or give a cursor)")] = 0,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,10}$", description="The `next` of the previous page")
    ] = None,
) -> PageQuery:
    """`limit` with `cursor` (the previous page's `next`) or `offset`; the cursor wins when both are given."""
    return PageQuery(limit, min(int(cursor), MAX_OFFSET) if cursor is not None else offset)


Paging = Annotated[PageQuery, Depends(page_query)]

# Text in a query or a path: no NUL (PostgreSQL cannot compare with it).
QueryText = Annotated[str | None, Query(pattern=NO_NUL, max_length=200)]
