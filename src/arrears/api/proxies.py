"""The server behind a proxy: whose forwarded headers are believed, and HSTS on HTTPS answers.

A proxy (nginx, a load balancer) that terminates TLS passes the client's address and the scheme in
`X-Forwarded-For` and `X-Forwarded-Proto`. Those headers are believed only when the connection comes
from one of the configured proxies (ARREARS_FORWARDED_ALLOW_IPS, `arrears serve
--forwarded-allow-ips`; none by default): from anyone else they are ignored, so a client cannot pick
the address the sign-in throttle counts it under, nor make the server think it came over HTTPS. With
them believed, a request that reached the proxy over HTTPS is HTTPS for the app: its cookies are
Secure, and every answer to it carries Strict-Transport-Security.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = b"max-age=31536000"  # a year; no includeSubDomains: other hosts of the domain are not ours to decide


class StrictTransport:
    """Adds Strict-Transport-Security to every answer to a request that came over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"strict-transport-security" for name, _ in headers):
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_hsts)


def trusted_proxies(value: str) -> list[str]:
    """The addresses or networks (comma-separated; `*` for any) whose forwarded headers are believed."""
    return [item.strip() for item in value.split(",") if item.strip()]


def behind_proxies(app: FastAPI, forwarded_allow_ips: str) -> FastAPI:
    """`app`, reading the client's address and scheme from the forwarded headers of the proxies in
    `forwarded_allow_ips` (no one's when empty), and adding HSTS to its answers over HTTPS."""
    app.add_middleware(StrictTransport)
    proxies = trusted_proxies(forwarded_allow_ips)
    if proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware  # uvicorn serves the app anyway

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)  # outermost: first to see a request
    return app
