"""Errors as JSON: `{"error": {"code": ..., "message": ...}}` with a 4xx, whatever went wrong.

One handler maps the domain's errors to HTTP statuses; FastAPI's own (bad input, unknown routes)
get the same shape, so a client reads every error the same way. A database that is busy (no free
connection within the pool's wait, a deadlock, SQLite's lock) or does not answer is a 503 with
`Retry-After` (`engine.unavailable`), to be sent again later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from ..adapters.db.engine import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, reason, unavailable
from ..domain.errors import ArrearsError, Conflict, NotFound, PermissionDenied
from ..services.imports import ImportRejected
from .schemas import ErrorBody, ErrorDetail, ErrorItem

log = logging.getLogger(__name__)

STATUS_OF: dict[type[ArrearsError], int] = {NotFound: 404, PermissionDenied: 403, Conflict: 409}
CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    503: "unavailable",
}

# The error answers every operation documents (OpenAPI), all with the same body.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The request is not well-formed"},
    401: {"model": ErrorBody, "description": "No valid API token (`Authorization: Bearer TOKEN`)"},
    403: {"model": ErrorBody, "description": "The role does not allow it"},
    404: {"model": ErrorBody, "description": "Not found"},
    409: {"model": ErrorBody, "description": "A conflicting write (e.g. a stale version)"},
    422: {"model": ErrorBody, "description": "Invalid input; a rejected ledger write lists every bad row"},
    429: {
        "model": ErrorBody,
        "description": "Too many calls a minute for this token's user, or too many refused tokens from "
        "this address; `Retry-After` gives the seconds to wait",
    },
    503: {
        "model": ErrorBody,
        "description": "The database is busy or does not answer: the request was not carried out; send it "
        "again after the seconds of `Retry-After`",
    },
}


def error_response(status: int, detail: ErrorDetail, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=detail).model_dump(exclude_none=True)
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def status_of(error: ArrearsError) -> int:
    """404, 403 or 409 for those errors; any other error a user can cause is invalid input (422)."""
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 422


async def domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ArrearsError)
    detail = ErrorDetail(code=error.code, message=error.message)
    if isinstance(error, ImportRejected):
        detail.errors = [ErrorItem(row=e.line, column=e.column or None, reason=e.reason) for e in error.report.shown]
        detail.total_errors = error.report.total
    return error_response(status_of(error), detail)


async def invalid_input(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    items = [
        ErrorItem(
            row=None, column=".".join(str(part) for part in problem.get("loc", ())), reason=str(problem.get("msg", ""))
        )
        for problem in error.errors()
    ]
    first = f"{items[0].column}: {items[0].reason}" if items else "the request is not valid"
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    detail = ErrorDetail(code="invalid_input", message=first + more, errors=items[:50], total_errors=len(items))
    return error_response(422, detail)


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = CODE_OF_STATUS.get(error.status_code, "http_error")
    return error_response(error.status_code, ErrorDetail(code=code, message=str(error.detail)), error.headers)


async def database_error(request: Request, error: Exception) -> JSONResponse:
    """A database busy or unreachable (`engine.unavailable`): 503 with Retry-After, a warning in the
    log (the driver's reason, the route's pattern: no statement, no parameters, no token in a path).
    Any other database error is a defect (`unexpected_error`)."""
    if not unavailable(error):
        return await unexpected_error(request, error)
    route = getattr(request.scope.get("route"), "path", request.url.path)
    log.warning("database unavailable on %s %s: %s", request.method, route, reason(error))
    detail = ErrorDetail(code="unavailable", message=UNAVAILABLE_MESSAGE)
    return error_response(503, detail, {"Retry-After": str(RETRY_AFTER_SECONDS)})


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """A bug: still JSON (and logged), never an HTML page."""
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(500, ErrorDetail(code="internal", message="an unexpected error; it has been logged"))


def install(app: FastAPI) -> None:
    app.add_exception_handler(ArrearsError, domain_error)
    app.add_exception_handler(RequestValidationError, invalid_input)
    app.add_exception_handler(HTTPException, http_error)
    for kind in (OperationalError, PoolTimeout):  # the database's errors that may be its state
        app.add_exception_handler(kind, database_error)
    app.add_exception_handler(Exception, unexpected_error)
