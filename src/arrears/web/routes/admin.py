"""Administration for owners: the users, their roles, turning them off and on, a new password, and
adding someone (services/users.py decides who may)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from ...domain.users import Role
from ...services import users
from ..pages import BadForm, Form, WebRoute, WebState, WebUser, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

UserName = Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")]
BACK = "/admin/users"


@router.get("/admin/users")
def user_list(request: Request, user: WebUser, web: WebState) -> Response:
    people = users.accounts(web.arrears.uow(), user)
    return render(request, "admin_users.html", user=user, people=people, roles=[r.value for r in Role])


@router.post("/admin/users")
def add(request: Request, user: WebUser, web: WebState, form: Form) -> Response:
    users.accounts(web.arrears.uow(), user)  # owners only, before anything is read from the form
    name = form.get("name", "").strip()
    password = form.get("password", "")
    if not password:
        raise BadForm("give the new user a password (they can change it)")
    added = users.add_user(
        web.arrears.uow(),
        web.arrears.hasher,
        name,
        form.get("role", ""),
        email=form.get("email", "").strip() or None,
        password=password,
    )
    request.state.session.flash(f"{added.name} added as {added.role.value}.")
    return redirect(BACK)


@router.post("/admin/users/{name}/role")
def change_role(request: Request, name: UserName, user: WebUser, web: WebState, form: Form) -> Response:
    changed = users.set_role(web.arrears.uow(), user, name, form.get("role", ""))
    request.state.session.flash(f"{changed.name} is now {changed.role.value}.")
    return redirect(BACK)


@router.post("/admin/users/{name}/deactivate")
def deactivate(request: Request, name: UserName, user: WebUser, web: WebState, form: Form) -> Response:
    ended = users.set_active(web.arrears.uow(), user, name, False)
    request.state.session.flash(
        f"{name} deactivated: {ended} session{'s' if ended != 1 else ''} ended, API tokens refused."
    )
    return redirect(BACK)


@router.post("/admin/users/{name}/activate")
def activate(request: Request, name: UserName, user: WebUser, web: WebState, form: Form) -> Response:
    users.set_active(web.arrears.uow(), user, name, True)
    request.state.session.flash(f"{name} activated.")
    return redirect(BACK)


@router.post("/admin/users/{name}/password")
def new_password(request: Request, name: UserName, user: WebUser, web: WebState, form: Form) -> Response:
    ended = users.set_password(web.arrears.uow(), web.arrears.hasher, user, name, form.get("password", ""))
    if name == user.name:  # their own: this session ended with the others
        request.state.session.sign_out()
        return redirect("/signin")
    request.state.session.flash(f"{name}'s password changed; {ended} session{'s' if ended != 1 else ''} ended.")
    return redirect(BACK)
