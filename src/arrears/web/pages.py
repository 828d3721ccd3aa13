"""What every page needs: the web state on the app, the signed-in user, rendering, CSRF checks,
and one place that turns a domain error into an HTML page with the right status."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..adapters.db.engine import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, reason, unavailable
from ..adapters.page_templates import page_environment
from ..bootstrap import Arrears
from ..domain import dates
from ..domain.calls import Suggestion, clock_time, suggestions
from ..domain.currencies import minor_unit
from ..domain.errors import ArrearsError, Conflict, NotFound, PermissionDenied
from ..domain.permissions import Action, allowed, can_update_task
from ..domain.tasks import CallResult
from ..domain.users import User
from ..domain.web_sessions import TooManyAttempts
from ..services import mail_inbox, signing_key, users
from ..services.call_ports import Recording
from ..services.throttles import SignInLimits
from .sessions import Cookies, Session

HERE = Path(__file__).parent
log = logging.getLogger(__name__)
UNEXPECTED = "something went wrong on our side; it has been logged: try again, and tell your administrator if it recurs"
CALL_RESULTS = [(result.value, result.value.replace("_", " ").capitalize()) for result in CallResult]
TaskId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
Text = Annotated[str, Query(max_length=200, pattern=r"^[^\x00]*$")]
STATUS_OF: dict[type[ArrearsError], int] = {NotFound: 404, PermissionDenied: 403, Conflict: 409, TooManyAttempts: 429}
MAX_PATH = 2000  # the longest address `local_path` goes back to
NUL_MESSAGE = "the form or the address holds a NUL byte (0x00), which no text may hold"


class SignInRequired(Exception):
    """An anonymous request for a page: answered with a redirect to the sign-in page."""


class BadForm(Exception):
    """A form without its CSRF token, or with a value that cannot be read: nothing is changed."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Web:
    """The web workspace's state, kept in `app.state.web`: built lazily on the first request."""

    def __init__(self, arrears: Arrears) -> None:
        self.arrears = arrears
        self.sign_in_limits = SignInLimits()  # counted in the database, alike in every process
        self.env = page_environment(HERE / "templates")
        self.env.filters["money"] = self.money
        self.env.filters["dial"] = arrears.dialer_link  # tel:{phone}, or ARREARS_DIALER_URL's softphone scheme
        self.env.filters["clock"] = clock_time  # a segment's start, m:ss
        self.env.globals["call_suggestions"] = self.call_suggestions
        self.env.globals["can_update_task"] = can_update_task  # which actions a page offers; services decide
        self.env.globals["menu"] = menu
        self.env.globals["inbox_unread"] = self.inbox_unread
        self.env.filters["local_time"] = self.local_time

    def money(self, minor: int | None, currency: str) -> str:
        """Minor units as the workspace's locale writes the amount, as the emails do ("$1,234.50",
        "1.234,50 €"): one format for the same amount everywhere."""
        if minor is None:
            return ""
        return self.arrears.templates.money(Decimal(minor).scaleb(-minor_unit(currency)), currency)

    def call_suggestions(self, recording: Recording | None) -> list[Suggestion]:
        """What a call's transcript suggests doing (a promise, a dispute, a new contact), offered as
        actions that apply only when clicked; none unless ARREARS_CALL_SUGGESTIONS is on."""
        if not self.arrears.settings.call_suggestions or recording is None or not recording.transcript:
            return []
        try:
            zone = ZoneInfo(self.arrears.workspace.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            zone = ZoneInfo("UTC")
        return suggestions(recording.transcript, recording.created_at.astimezone(zone).date())

    def inbox_unread(self, user: User) -> int | None:
        """The menu's count beside Inbox: the unread mail of the user's customers, and the unread
        unmatched mail for managers and owners (two counts on the unread mail's partial index, in
        one transaction). None when it cannot be read: the page (an error page too) still renders."""
        try:
            mine, unmatched = mail_inbox.unread_counts(self.arrears.uow(), user)
        except Exception:  # the menu must not break a page, least of all the error page
            log.warning("the inbox's unread count could not be read", exc_info=True)
            return None
        return mine + unmatched

    def local_time(self, moment: datetime | None) -> str:
        """A timestamp (UTC in the database) in the workspace's time zone (Admin → Settings), as
        "2026-06-30 11:00"."""
        if moment is None:
            return ""
        try:
            zone = ZoneInfo(self.arrears.workspace.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            zone = ZoneInfo("UTC")
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    @cached_property
    def cookies(self) -> Cookies:
        return Cookies(signing_key.secret_key(self.arrears.uow(), self.arrears.settings.secret_key))


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def menu(user: User) -> list[tuple[str, str]]:
    """The main menu's pages for a user's role: Import and Workflows only for those who may use them."""
    items = [
        ("/tasks", "Tasks"),
        ("/inbox", "Inbox"),
        ("/customers", "Customers"),
        ("/disputes", "Disputes"),
        ("/credit", "Credit"),
        ("/dashboard", "Dashboard"),
    ]
    if allowed(user, Action.READ_REPORTS):
        items.append(("/reports", "Reports"))
    items.append(("/alerts", "Alerts"))
    if allowed(user, Action.WRITE_LEDGER):
        items.append(("/import", "Import"))
    if allowed(user, Action.MANAGE_WORKFLOWS):
        items.append(("/workflows", "Workflows"))
        items.append(("/templates", "Templates"))
    if allowed(user, Action.MANAGE_USERS):
        items.append(("/admin", "Admin"))  # users, API tokens, workspace settings
    return items


def landing(user: User) -> str:
    """Where a user starts: managers and owners on the dashboard, collectors on their task list."""
    return "/dashboard" if allowed(user, Action.UPDATE_ANY_TASK) else "/tasks"


def list_link(path: str, params: Mapping[str, object]) -> Callable[..., str]:
    """`link(**changes)`: the address of a list page with its filters changed (empty ones left out),
    for its tabs, filters and pager."""

    def link(**changes: object) -> str:
        wanted = {k: v for k, v in {**params, **changes}.items() if v not in ("", None)}
        return f"{path}?{urlencode(wanted)}" if wanted else path

    return link


def session_of(request: Request) -> Session:
    """The request's session, read from the cookie once (the route writes it back if it changed)."""
    session = getattr(request.state, "session", None)
    if session is None:
        session = web_of(request).cookies.load(request)
        request.state.session = session
    assert isinstance(session, Session)
    return session


def optional_user(request: Request) -> User | None:
    session = session_of(request)
    if session.token is None:
        return None
    user = users.session_user(web_of(request).arrears.uow(), session.token)
    if user is None:  # signed out elsewhere, expired, or the user deactivated: the cookie goes too
        session.sign_out()
    return user


def client_address(request: Request) -> str:
    """The client's address: a proxy's X-Forwarded-For is believed (by the server, before this) only
    from ARREARS_FORWARDED_ALLOW_IPS, so a client cannot pick the address it is throttled under or
    that its sessions list shows."""
    return request.client.host if request.client else "unknown"


def user_agent(request: Request) -> str | None:
    """The browser's User-Agent, as sent (the service cuts it to what is kept)."""
    return request.headers.get("user-agent")


def _note_session_used(request: Request, session: Session) -> None:
    """A signed-in cookie about to be signed again (every REFRESH_SECONDS at most): its session's
    row notes the time, for the user's list of their sessions. A page is not lost to it."""
    if session.token is None:
        return
    try:
        users.session_seen(web_of(request).arrears.uow(), session.token)
    except Exception:
        log.warning("a session's last use could not be written", exc_info=True)


def signed_in_user(request: Request) -> User:
    user = optional_user(request)
    if user is None:
        raise SignInRequired
    return user


async def checked_form(request: Request) -> dict[str, str]:
    """The POSTed form as text fields, after checking its CSRF token against the session's."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    if not session_of(request).csrf_matches(fields.get("csrf")):
        raise BadForm("the form has expired or did not come from this site: reload the page and try again", 403)
    if any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
        raise BadForm(NUL_MESSAGE)  # no text may hold one (PostgreSQL refuses it): refused before any service
    return fields


WebUser = Annotated[User, Depends(signed_in_user)]
MaybeUser = Annotated[User | None, Depends(optional_user)]
Form = Annotated[dict[str, str], Depends(checked_form)]
WebState = Annotated[Web, Depends(web_of)]


def render(request: Request, template: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    session = session_of(request)
    page = (
        web_of(request)
        .env.get_template(template)
        .render(request=request, csrf=session.csrf, flash=session.take_flash(), **context)
    )
    return HTMLResponse(page, status_code=http_status)


def redirect(url: str, status: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status)


def local_path(url: str | None, default: str) -> str:
    """A path on this site to go back to (never another site: no scheme, no `//`, no backslash, and
    no control character or space, which browsers drop from an address: `/<TAB>/evil.test`)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > MAX_PATH:
        return default
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return default
    return url


def parse_day(text: str | None, what: str, *, required: bool = False) -> date | None:
    """A form's or an address's date field: None when empty (unless required); a date that is not
    YYYY-MM-DD, or one outside the days Arrears computes with (domain/dates.py), is a 400 page."""
    if not text or not text.strip():
        if required:
            raise BadForm(f"give the {what} as a date")
        return None
    try:
        return dates.parse_day(text, f"the {what}")
    except dates.NotADate:
        raise BadForm(f"{text!r} is not a date (YYYY-MM-DD) for the {what}") from None
    except dates.DateOutOfRange as error:
        raise BadForm(error.message) from None


def error_page(request: Request, status: int, message: str) -> Response:
    """The page of an error, with the menu of whoever is signed in; without it when the database
    does not answer, and plain HTML when even the page cannot be drawn (the session's signing key is
    read from the database the first time, if ARREARS_SECRET_KEY is not set)."""
    user = None
    try:
        # Not after the database failed the request (503): asking it who is signed in would wait again.
        user = optional_user(request) if status != 503 else None
    except Exception:  # an error page must render even when the database does not answer
        user = None
    try:
        return render(request, "error.html", status, user=user, message=message, status=status)
    except Exception:
        log.warning("the error page could not be drawn", exc_info=True)
        plain = f"<!doctype html><title>Error {status}</title><h1>Error {status}</h1><p>{html.escape(message)}</p>"
        return HTMLResponse(plain, status_code=status)


class WebRoute(APIRoute):
    """Turns what goes wrong in a page into HTML (the API's JSON handlers never see it), and writes
    the session cookie back when the request changed the session."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                if "\x00" in str(request.scope.get("path", "")) or any(
                    "\x00" in v for _, v in request.query_params.multi_items()
                ):
                    raise BadForm(NUL_MESSAGE)
                response = await handler(request)
            except SignInRequired:
                wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                wanted = wanted if len(wanted) <= MAX_PATH else request.url.path[:MAX_PATH]
                response = redirect(f"/signin?next={quote(wanted, safe='')}")
            except BadForm as error:
                response = error_page(request, error.status, error.message)
            except RequestValidationError:
                response = error_page(request, 400, "the form or the address has a value that cannot be read")
            except ArrearsError as error:
                status = next((STATUS_OF[k] for k in type(error).__mro__ if k in STATUS_OF), 400)
                response = error_page(request, status, error.message)
            except HTTPException as error:  # e.g. Starlette's "too many fields" in a form: a 4xx
                response = error_page(request, error.status_code, str(error.detail))
            except Exception as error:
                if unavailable(error):  # the database busy or down: a page to try again from
                    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, reason(error))
                    response = error_page(request, 503, UNAVAILABLE_MESSAGE)
                    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                else:  # a defect: logged with its trace, answered with a page, not the API's JSON
                    log.exception("unexpected error on %s %s", request.method, request.url.path)
                    response = error_page(request, 500, UNEXPECTED)
            if response.status_code == 503:  # the database failed this request: the cookie stays as
                return response  # it was (its key, its last use, are in the database: it would fail again)
            session = getattr(request.state, "session", None)
            if isinstance(session, Session) and (session.changed or session.stale):
                if session.stale:  # a write to the database: off the event loop, as the routes' own
                    await run_in_threadpool(_note_session_used, request, session)
                web_of(request).cookies.save(request, response, session)
            web_of(request).cookies.forget_plain_over_https(request, response)
            return response

        return page
