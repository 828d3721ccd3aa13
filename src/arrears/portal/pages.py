"""What every portal page needs: the portal's state on the app, rendering in the customer's locale,
the double-submit CSRF check, reading a form, and one place that turns what goes wrong into an HTML
page with the right status and no customer data."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from ..adapters.db.engine import RETRY_AFTER_SECONDS, reason, unavailable
from ..adapters.locales import accepted_locale, format_day, format_money
from ..adapters.page_templates import page_environment
from ..bootstrap import Arrears
from ..domain.currencies import minor_unit
from ..domain.errors import ArrearsError, Conflict, InvalidValue, NotFound
from ..domain.portal import token_hash
from ..services import signing_key, throttles
from ..services.portal import LinkInvalid
from ..services.throttles import TokenLimits

HERE = Path(__file__).parent
log = logging.getLogger(__name__)

CSRF_COOKIE = "arrears_portal_csrf"
NOTICE_COOKIE = "arrears_portal_notice"
COOKIE_PATH = "/portal"
CSRF_SALT = "arrears.portal.csrf"
MAX_FORM = 64 * 1024  # bytes of a form's body
MAX_FIELDS = 600
MAX_FIELD = 200  # characters of a field but the message
UNEXPECTED = "something went wrong on our side; it has been logged: please try again later"
BUSY = "we cannot show your account for a moment; please try again shortly"
NUL_MESSAGE = "the form or the address holds a NUL byte (0x00), which no text may hold"
TOO_MANY = "too many links that do not work were tried from your network: wait a quarter of an hour and try again"
STATUS_OF: dict[type[ArrearsError], int] = {NotFound: 404, Conflict: 409, InvalidValue: 400}
STATUS_OF_CODE = {"payment_provider": 502}  # the provider refused or did not answer


class BadForm(Exception):
    """A form that cannot be taken: forged (403), unreadable or too big (400, 413). Nothing changes."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Throttled(Exception):
    """An address that tried too many invalid tokens, or a link that sent too many forms of late:
    429 until they age out (`retry_after` seconds, when known)."""

    def __init__(self, message: str = TOO_MANY, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass
class FormData:
    """A POSTed form: its fields in order (repeated names kept)."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str, limit: int = MAX_FIELD) -> str:
        value = next((v for k, v in self.items if k == name), "")
        if len(value) > limit:
            raise BadForm(f"the field {name!r} is longer than {limit} characters")
        return value

    def all(self, name: str) -> list[str]:
        values = [v for k, v in self.items if k == name]
        if any(len(v) > MAX_FIELD for v in values):
            raise BadForm(f"a value of {name!r} is longer than {MAX_FIELD} characters")
        return values


class Portal:
    """The portal's state, kept in `app.state.portal`; the secret key is read on first use."""

    def __init__(self, arrears: Arrears, limits: TokenLimits | None = None) -> None:
        self.arrears = arrears
        self.token_limits = limits or TokenLimits()  # counted in the database, alike in every process
        self.env = page_environment(HERE / "templates")

    @cached_property
    def secret(self) -> str:
        return signing_key.secret_key(self.arrears.uow(), self.arrears.settings.secret_key)

    @cached_property
    def _nonces(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt=CSRF_SALT)

    # -- CSRF: a signed random nonce in a cookie, and in each form its HMAC with the link ---------------

    def nonce_of(self, request: Request) -> str | None:
        raw = request.cookies.get(CSRF_COOKIE)
        if not raw or len(raw) > 200:
            return None
        try:
            nonce = self._nonces.loads(raw)
        except BadSignature:
            return None
        return nonce if isinstance(nonce, str) else None

    def form_token(self, nonce: str, token: str) -> str:
        """The hidden field of every form of the link `token` for the browser holding `nonce`."""
        key = hashlib.sha256(f"{CSRF_SALT}:{self.secret}".encode()).digest()
        return hmac.new(key, f"{nonce}:{token_hash(token)}".encode(), hashlib.sha256).hexdigest()

    def check_form(self, request: Request, token: str, form: FormData) -> None:
        nonce = self.nonce_of(request)
        sent = form.get("csrf")
        if nonce is None or not sent or not hmac.compare_digest(self.form_token(nonce, token), sent):
            raise BadForm("the form has expired or did not come from this page: reload the page and try again", 403)

    def set_nonce(self, request: Request, response: Response, nonce: str) -> None:
        response.set_cookie(
            CSRF_COOKIE,
            self._nonces.dumps(nonce),
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    # -- the one-time notice after a form, for this link only ------------------------------------------

    def set_notice(self, request: Request, response: Response, token: str, code: str) -> None:
        response.set_cookie(
            NOTICE_COOKIE,
            f"{code}.{token_hash(token)[:16]}",
            max_age=300,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def notice_of(self, request: Request, token: str) -> str | None:
        """The notice left for this link's page by the form just sent, if any (`clear_notice` then)."""
        code, _, mark = request.cookies.get(NOTICE_COOKIE, "").partition(".")
        return code if code and mark == token_hash(token)[:16] else None

    def clear_notice(self, response: Response) -> None:
        response.delete_cookie(NOTICE_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class Formats:
    """Amounts and dates as the customer's browser asks (Accept-Language), else as the workspace
    writes them."""

    locale: str

    def money(self, minor: int, currency: str) -> str:
        return format_money(Decimal(minor).scaleb(-minor_unit(currency)), currency, self.locale)

    def day(self, value: date) -> str:
        return format_day(value, self.locale)


def formats_for(request: Request) -> Formats:
    default = portal_of(request).arrears.workspace.locale
    return Formats(accepted_locale(request.headers.get("accept-language"), default))


def render(request: Request, template: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    portal = portal_of(request)
    formats = formats_for(request)
    page = portal.env.get_template(template).render(
        company=portal.arrears.workspace.company_name,
        money=formats.money,
        day=formats.day,
        locale=formats.locale,
        **context,
    )
    return HTMLResponse(page, status_code=http_status)


def error_page(request: Request, status: int, message: str, back: str | None = None) -> Response:
    """A page with the message alone: nothing of any customer (a link back only for a valid link)."""
    try:
        return render(request, "error.html", status, status=status, message=message, back=back)
    except Exception:  # the error page must answer even when the workspace's settings cannot be read
        log.exception("the portal's error page failed")
        return HTMLResponse(f"<!doctype html><title>Error {status}</title><p>Error {status}</p>", status_code=status)


async def read_form(request: Request) -> FormData:
    """The POSTed form (application/x-www-form-urlencoded, at most MAX_FORM bytes, UTF-8, no NUL)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise BadForm("send the form from the page")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM:
        raise BadForm("the form is too large", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise BadForm("the form is too large", 413)
    try:
        items = parse_qsl(
            bytes(body).decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise BadForm("the form cannot be read (it is not UTF-8 text, or has too many fields)") from None
    if any("\x00" in key or "\x00" in value for key, value in items):
        raise BadForm(NUL_MESSAGE)
    return FormData(items)


def status_of(error: ArrearsError) -> int:
    by_code = STATUS_OF_CODE.get(error.code)
    if by_code is not None:
        return by_code
    return next((STATUS_OF[k] for k in type(error).__mro__ if k in STATUS_OF), 400)


class PortalRoute(APIRoute):
    """Every portal address: refused for an address that guessed too many tokens (429), and what
    goes wrong turned into a page (an invalid link counts against the address and shows nothing)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            portal = portal_of(request)
            address = client_address(request)
            try:
                if await run_in_threadpool(
                    throttles.portal_token_blocked, portal.arrears.uow(), address, portal.token_limits
                ):
                    raise Throttled
                if "\x00" in str(request.scope.get("path", "")) or any(
                    "\x00" in v for _, v in request.query_params.multi_items()
                ):
                    raise BadForm(NUL_MESSAGE)
                return await handler(request)
            except Throttled as error:
                refused = error_page(request, 429, error.message)
                if error.retry_after is not None:
                    refused.headers["Retry-After"] = str(error.retry_after)
                return refused
            except LinkInvalid as error:
                await run_in_threadpool(throttles.portal_token_failed, portal.arrears.uow(), address)
                return error_page(request, 404, error.message)
            except BadForm as error:
                return error_page(request, error.status, error.message)
            except RequestValidationError:
                return error_page(request, 400, "the address has a value that cannot be read")
            except ArrearsError as error:
                return error_page(request, status_of(error), error.message)
            except HTTPException as error:
                return error_page(request, error.status_code, str(error.detail))

        async def page(request: Request) -> Response:
            try:
                return await answer(request)
            except Exception as error:  # what `answer` raised, or the database failing as it answered
                if unavailable(error):  # busy or down: a page to try again from
                    log.warning("database unavailable on %s %s: %s", request.method, _loggable(request), reason(error))
                    busy = error_page(request, 503, BUSY)
                    busy.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                    return busy
                log.exception("unexpected error on %s %s", request.method, _loggable(request))
                return error_page(request, 500, UNEXPECTED)

        return page


def _loggable(request: Request) -> str:
    """The path without the link's token (a secret that opens a customer's account: not for the logs)."""
    parts = request.url.path.split("/")
    if len(parts) > 2 and parts[1] == "portal":
        parts[2] = "…"
    return "/".join(parts)
