"""A request id for every HTTP request: the client's `X-Request-ID` when it is sane, else a new one;
set for the logs written while the request is served (adapters/logs.py) and echoed in the
response's `X-Request-ID`, so that a user's report, a proxy's log and Arrears' log meet on one id.

A pure ASGI middleware (not Starlette's BaseHTTPMiddleware): the id is set in the context the app
runs in, so uvicorn's access line, written when the response starts, carries it as well.
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..adapters.logs import request_id

HEADER = "x-request-id"
# What a proxy or a client may choose: 1 to 128 letters, digits and . _ : - (a UUID, a trace id).
SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(given: str | None) -> str:
    """The client's id when it is sane (nothing a log line could be forged with), else a new one."""
    if given is not None and SANE.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = [value for name, value in scope["headers"] if name == HEADER.encode()]
        current = request_id_of(given[0].decode("latin-1") if len(given) == 1 else None)
        token = request_id.set(current)

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = current
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            request_id.reset(token)
