"""`install(app, arrears)`: the customer portal's pages (/portal/TOKEN…), its stylesheet
(/portal-static/) and its security headers on an app; `arrears serve` installs it after the web
workspace. Nothing happens at import; the secret key is read on the first form.

The headers are the web workspace's strict ones (only the portal's own stylesheet and script, no
frame, forms to this site only) plus what a page whose address is a secret needs: no Referer sent
anywhere (`Referrer-Policy: no-referrer`), not cached (`Cache-Control: no-store`), not indexed
(`X-Robots-Tag: noindex`). They replace whatever another middleware set on the portal's answers,
so that each header is sent once.
"""

from __future__ import annotations

import inspect

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..adapters.routing import routes_of
from ..bootstrap import Arrears
from ..services.throttles import TokenLimits
from . import routes
from .pages import HERE, Portal, error_page

PAGES = "/portal/"
STATIC = "/portal-static/"
# Stripe's hosted checkout: where the pay form's answer (303) sends the browser. Chrome applies
# form-action to a form's redirects too, so it must be allowed when online payment is offered.
CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def csp(online_payment: bool) -> str:
    forms = f"'self' {CHECKOUT_ORIGIN}" if online_payment else "'self'"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"form-action {forms}; frame-ancestors 'none'; base-uri 'none'"
    )


class PortalHeaders:
    """Sets the portal's security headers on every answer under /portal/ and /portal-static/,
    replacing any of the same name."""

    def __init__(self, app: ASGIApp, arrears: Arrears) -> None:
        self.app = app
        self.arrears = arrears

    def headers(self, path: str) -> dict[bytes, bytes]:
        headers = {
            b"content-security-policy": csp(self.arrears.payment_gateway() is not None).encode(),
            b"x-frame-options": b"DENY",
            b"x-content-type-options": b"nosniff",
            b"referrer-policy": b"no-referrer",
            b"x-robots-tag": b"noindex, nofollow",
            b"cache-control": b"no-store",
        }
        if path.startswith(STATIC):
            headers[b"cache-control"] = b"public, max-age=3600"
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith((PAGES, STATIC)):
            await self.app(scope, receive, send)
            return
        ours = self.headers(path)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in ours]
                message["headers"] = [*kept, *ours.items()]
            await send(message)

        await self.app(scope, receive, with_headers)


def _html_for_portal(app: FastAPI) -> None:
    """An address under /portal/ that no route answers (404) or a wrong method (405) gets the
    portal's page, which shows nothing of any customer; other addresses keep their handler."""
    previous = app.exception_handlers.get(HTTPException)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if previous is not None and not request.url.path.startswith(PAGES):
            answer = previous(request, error)
            return await answer if inspect.isawaitable(answer) else answer
        message = "there is no such page" if error.status_code == 404 else str(error.detail)
        page = error_page(request, error.status_code, message)
        page.headers.update(error.headers or {})  # e.g. a 405's Allow
        return page

    app.add_exception_handler(HTTPException, http_error)


ROUTES = routes_of(routes.router)


def install(app: FastAPI, arrears: Arrears, limits: TokenLimits | None = None) -> FastAPI:
    """Add the portal's pages and stylesheet to `app` (after the web workspace's, if any); returns it."""
    app.state.portal = Portal(arrears, limits)
    app.router.routes.extend(ROUTES)
    app.mount(STATIC.rstrip("/"), StaticFiles(directory=HERE / "static"), name="portal-static")
    app.add_middleware(PortalHeaders, arrears=arrears)
    _html_for_portal(app)
    return app
