"""`ApiHeaders`: the security headers of the API's answers (/api/v1, /openapi.json, /docs, /healthz,
/readyz), as the pages have theirs (web/app.py) but fit for JSON.

A JSON answer is never a document to render, frame or sniff: `Content-Security-Policy:
default-src 'none'; frame-ancestors 'none'` (nothing loads, nothing frames it, even if a browser is
tricked into showing it), `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
`Referrer-Policy: no-referrer` and `Cache-Control: no-store` (the data of the ledger stays out of
shared caches). /docs is Swagger UI, loaded from its CDN: it gets every header but that CSP, and
one that only forbids framing. A header a route set itself (a recording's Cache-Control) is kept."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PATHS = ("/api/", "/openapi.json", "/docs", "/healthz", "/readyz")
JSON_CSP = b"default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = b"frame-ancestors 'none'"
HEADERS = {
    b"content-security-policy": JSON_CSP,
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"cache-control": b"no-store",
}


class ApiHeaders:
    """Adds HEADERS to every answer under PATHS that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(PATHS):
            await self.app(scope, receive, send)
            return
        ours = {**HEADERS, b"content-security-policy": DOCS_CSP} if path.startswith("/docs") else HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in ours.items() if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
