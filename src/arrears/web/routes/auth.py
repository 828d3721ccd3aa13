"""Sign in and out.

Every sign-in decision is logged (logger `arrears.auth`: signed in, refused, throttled) with the
name tried, written as a quoted literal so that it cannot forge a log line, and the client's
address; never the password, nor the session's token."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ...services import throttles, users
from ..pages import (
    MAX_PATH,
    Form,
    MaybeUser,
    WebRoute,
    WebState,
    WebUser,
    client_address,
    landing,
    local_path,
    redirect,
    render,
    user_agent,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)
log = logging.getLogger("arrears.auth")

# Where to go once signed in: the address asked for, filters and all (a task list's can be long).
Next = Annotated[str, Query(max_length=MAX_PATH, pattern=r"^[^\x00]*$")]


@router.get("/")
def home(user: MaybeUser) -> Response:
    """Where each role starts (`pages.landing`), or the sign-in page."""
    return redirect(landing(user) if user else "/signin")


@router.get("/signin")
def signin_page(request: Request, user: MaybeUser, next: Next = "/") -> Response:
    if user is not None:
        return redirect(local_path(next, "/"))
    return render(request, "signin.html", user=None, next=local_path(next, "/"), name="", error=None)


@router.post("/signin")
def signin(request: Request, web: WebState, form: Form) -> Response:
    name, password = form.get("name", "").strip()[:64], form.get("password", "")
    wanted = local_path(form.get("next"), "/")
    address = client_address(request)
    if throttles.sign_in_blocked(web.arrears.uow(), name, address, web.sign_in_limits):
        log.warning("sign-in throttled: name %r from %s", name, address)
        message = "Too many failed attempts: wait 15 minutes before trying again."
        return render(request, "signin.html", 429, user=None, next=wanted, name=name, error=message)
    user = users.authenticate(web.arrears.uow(), web.arrears.hasher, name, password)
    if user is None:
        throttles.sign_in_failed(web.arrears.uow(), name, address)
        log.warning("sign-in refused: name %r from %s: wrong name or password", name, address)
        message = "The user name or the password is wrong."
        return render(request, "signin.html", 401, user=None, next=wanted, name=name, error=message)
    throttles.signed_in(web.arrears.uow(), name, address)
    log.info("signed in: %s (user %d) from %s", user.name, user.id, address)
    token = users.start_session(web.arrears.uow(), user, address=address, user_agent=user_agent(request))
    request.state.session.sign_in(token)
    return redirect(wanted)


@router.post("/signout")
def signout(request: Request, web: WebState, form: Form) -> Response:
    """End this session: a copy of its cookie is refused from now on."""
    session = request.state.session
    if session.token:
        users.end_session(web.arrears.uow(), session.token)
    session.sign_out()
    return redirect("/signin")


@router.post("/signout/everywhere")
def signout_everywhere(request: Request, user: WebUser, web: WebState, form: Form) -> Response:
    """End every session of the signed-in user, in every browser."""
    users.end_every_session(web.arrears.uow(), user)
    request.state.session.sign_out()
    return redirect("/signin")
