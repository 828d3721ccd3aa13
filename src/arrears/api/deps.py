"""What routes take besides their input, as Annotated aliases: the signed-in user, a unit of work, a page."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..bootstrap import Arrears
from ..domain.users import User
from ..services import accounts
from ..services.ports import UnitOfWork
from .schemas import NO_NUL

MAX_PAGE = 500
MAX_OFFSET = 1_000_000_000
log = logging.getLogger("arrears.auth")


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
    """The token's user; 401 without a token, or with one that is unknown or revoked. A refused token
    is logged (`arrears.auth`, with the client's address, never the token); a call without any is not,
    as a browser's or a probe's first request has none."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(
            401, "send an API token as `Authorization: Bearer TOKEN` (`arrears users token NAME`)", challenge
        )
    user = accounts.authenticate_token(arrears.uow(), credentials.credentials)
    if user is None:
        address = request.client.host if request.client else "unknown"
        log.warning("API token refused: unknown or revoked, from %s", address)
        raise HTTPException(401, "the API token is unknown or has been revoked", challenge)
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
