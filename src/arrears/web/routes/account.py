"""The signed-in user's own sessions: where they are signed in, and ending any of them (one, or all
but this browser) after typing their password again. services/users.py decides what may be ended:
only one's own sessions, whatever the role.

A refused password is logged as a refused sign-in is (logger `arrears.auth`, with the address,
never the password), and counted by the sign-in throttle."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from ...domain.users import User
from ...domain.web_sessions import PasswordNotConfirmed, TooManyAttempts
from ...services import users
from ..pages import Form, Web, WebRoute, WebState, WebUser, client_address, redirect, render, session_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)
log = logging.getLogger("arrears.auth")

PAGE = "/account/sessions"
SessionId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _token(request: Request) -> str:
    token = session_of(request).token
    assert token is not None  # a signed-in user's request (WebUser) has one
    return token


def _page(request: Request, user: User, web: Web, http_status: int = 200, error: str | None = None) -> Response:
    listed = users.my_sessions(web.arrears.uow(), user, _token(request))
    return render(
        request,
        "account_sessions.html",
        http_status,
        user=user,
        sessions=listed,
        timezone=web.arrears.workspace.timezone,
        error=error,
    )


def _refused(request: Request, user: User, web: Web, error: PasswordNotConfirmed | TooManyAttempts) -> Response:
    address = client_address(request)
    if isinstance(error, TooManyAttempts):
        log.warning("ending sessions throttled: %s (user %d) from %s", user.name, user.id, address)
        message = "Too many wrong passwords: wait 15 minutes before trying again. No session was ended."
        return _page(request, user, web, 429, message)
    log.warning("ending sessions refused: %s (user %d) from %s: wrong password", user.name, user.id, address)
    return _page(request, user, web, 403, "The password is wrong: no session was ended.")


@router.get(PAGE)
def sessions_page(request: Request, user: WebUser, web: WebState) -> Response:
    return _page(request, user, web)


@router.post(PAGE + "/end-others")
def end_others(request: Request, user: WebUser, web: WebState, form: Form) -> Response:
    address = client_address(request)
    try:
        ended = users.end_my_other_sessions(
            web.arrears.uow(),
            web.arrears.hasher,
            user,
            _token(request),
            form.get("password", ""),
            address,
            web.sign_in_limits,
        )
    except (PasswordNotConfirmed, TooManyAttempts) as error:
        return _refused(request, user, web, error)
    log.info("sessions ended: %s (user %d) ended %d other sessions from %s", user.name, user.id, ended, address)
    session_of(request).flash(
        f"{ended} other session{'s' if ended != 1 else ''} ended: only this browser is signed in."
    )
    return redirect(PAGE)


@router.post(PAGE + "/{session_id}/end")
def end_one(request: Request, session_id: SessionId, user: WebUser, web: WebState, form: Form) -> Response:
    address = client_address(request)
    try:
        users.end_my_session(
            web.arrears.uow(),
            web.arrears.hasher,
            user,
            _token(request),
            session_id,
            form.get("password", ""),
            address,
            web.sign_in_limits,
        )
    except (PasswordNotConfirmed, TooManyAttempts) as error:
        return _refused(request, user, web, error)
    log.info("session ended: %s (user %d) ended their session %d from %s", user.name, user.id, session_id, address)
    session_of(request).flash("Session ended: that browser is signed out.")
    return redirect(PAGE)
