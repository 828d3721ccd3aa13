"""`BodyLimits`: the largest request body the API takes, refused (413) before it is read.

A JSON body: MAX_JSON (20 MB), above the largest the API takes (a ledger batch of 10,000 rows, about
4 MB with everyday values, 2 KB a row at the most this allows). A call recording (`POST
/api/v1/tasks/{id}/recording`): ARREARS_CALLS_MAX_MB plus FORM_OVERHEAD for the multipart form
around the file, so that a file just over the limit is still read and refused by the recording's
own check (422, the limit named). A declared Content-Length over the limit is answered at once; a
body sent without one (chunked) is counted as it arrives and refused the moment it passes the
limit, so the form parser spools no more than that.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..bootstrap import Arrears
from .errors import error_response
from .schemas import ErrorDetail

PATHS = "/api/"
RECORDING = re.compile(r"^/api/v1/tasks/[^/]+/recording$")
MAX_JSON = 20_000_000
FORM_OVERHEAD = 64_000


class BodyLimits:
    """Refuses a body under PATHS over its route's limit: 413, `{"error": {"code": "too_large", …}}`."""

    def __init__(self, app: ASGIApp, arrears: Arrears) -> None:
        self.app = app
        self.arrears = arrears

    def limit(self, scope: Scope) -> int:
        path = str(scope.get("path", ""))
        if scope.get("method") == "POST" and RECORDING.match(path):
            return self.arrears.call_settings().max_bytes + FORM_OVERHEAD
        return MAX_JSON

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PATHS):
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        message = f"the request's body is over {limit:,} bytes, the most this endpoint accepts"
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await error_response(413, ErrorDetail(code="too_large", message=message))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            arrived = await receive()
            if arrived["type"] == "http.request":
                received += len(arrived.get("body", b""))
                if received > limit:
                    raise HTTPException(413, message)  # the app's handler answers it as JSON
            return arrived

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
