"""`install(app, arrears)`: the web workspace's pages, static files and security headers on an app
(`arrears serve` puts them beside the API). Nothing happens at import; the secret key is read on the
first request."""

from __future__ import annotations

import inspect

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..adapters.routing import routes_of
from ..bootstrap import Arrears
from . import routes
from .pages import HERE, Web, error_page

# Pages load only their own stylesheet and script (no inline script, no eval); no frame, no form to
# another site.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"cache-control": b"no-store",
}
API_PATHS = ("/api/", "/docs", "/openapi.json")


class SecurityHeaders:
    """Adds CSP (with frame-ancestors), X-Frame-Options and friends to every answer but the API's
    (whose /docs page loads Swagger UI from a CDN)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(API_PATHS):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS.items() if k not in present]
                if str(scope.get("path", "")).startswith("/static/"):
                    extra = [(k, v) for k, v in extra if k != b"cache-control"]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def _html_for_pages(app: FastAPI) -> None:
    """An address no page answers (404) or a wrong method (405) outside the API gets an HTML page,
    not the API's JSON error; the API keeps its handler."""
    api_handler = app.exception_handlers.get(HTTPException)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if api_handler is not None and request.url.path.startswith(API_PATHS):
            answer = api_handler(request, error)
            return await answer if inspect.isawaitable(answer) else answer
        message = "there is no such page" if error.status_code == 404 else str(error.detail)
        page = error_page(request, error.status_code, message)
        page.headers.update(error.headers or {})  # e.g. a 405's Allow
        return page

    app.add_exception_handler(HTTPException, http_error)


ROUTES = routes_of(*routes.ROUTERS)


def install(app: FastAPI, arrears: Arrears) -> FastAPI:
    """Add the pages (/, /signin, /tasks, /customers/…) and /static to `app`; returns it."""
    app.state.web = Web(arrears)
    app.router.routes.extend(ROUTES)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(SecurityHeaders)
    _html_for_pages(app)
    return app
