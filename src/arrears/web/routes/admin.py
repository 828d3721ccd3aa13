"""Administration for owners: the users, their roles, turning them off and on, a new password, and
adding someone (services/users.py decides who may); API tokens (services/accounts.py); the
workspace's company name, time zone, locale and sender (services/settings.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from ...domain.users import Role
from ...services import accounts, settings, users
from ...services.settings import InvalidSetting, WorkspaceView
from ..pages import BadForm, Form, WebRoute, WebState, WebUser, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

UserName = Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")]
TokenId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
BACK = "/admin/users"


@router.get("/admin")
def admin(request: Request, user: WebUser, web: WebState) -> Response:
    """The main menu's Admin entry: the users page, which links to the others (owners)."""
    users.accounts(web.arrears.uow(), user)  # owners only: others get the refusal, not a redirect
    return redirect(BACK)


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


# -- API tokens ----------------------------------------------------------------------------------------


@router.get("/admin/tokens")
def token_list(request: Request, user: WebUser, web: WebState) -> Response:
    tokens = accounts.list_tokens(web.arrears.uow(), user)
    return render(request, "admin_tokens.html", user=user, tokens=tokens, people=users.list_users(web.arrears.uow()))


@router.post("/admin/tokens")
def issue_token(request: Request, user: WebUser, web: WebState, form: Form) -> Response:
    """The token is in this answer and nowhere else (not the session, not a redirect's address): a
    page that no cache keeps. Reloading it asks to send the form again, which issues another."""
    accounts.list_tokens(web.arrears.uow(), user)  # owners only, before anything is read from the form
    label = form.get("label", "").strip()
    if not label:
        raise BadForm("give the token a label: what it is for, e.g. erp-sync")
    for_user = form.get("user", "")
    token = accounts.issue_token(web.arrears.uow(), for_user, label, by=user)
    page = render(request, "admin_token_issued.html", user=user, token=token, for_user=for_user, label=label)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: TokenId, user: WebUser, web: WebState, form: Form) -> Response:
    revoked = accounts.revoke_token(web.arrears.uow(), user, token_id)
    label = f" ({revoked.label})" if revoked.label else ""
    request.state.session.flash(
        f"API token {revoked.id}{label} of {revoked.user_name} revoked: it is refused from now on."
    )
    return redirect("/admin/tokens")


# -- workspace settings --------------------------------------------------------------------------------

SETTINGS_FIELDS = [  # name, label, environment variable, hint, input type
    ("company_name", "Company name", "ARREARS_COMPANY_NAME", "Who the emails come from, by name.", "text"),
    ("timezone", "Time zone", "ARREARS_TIMEZONE", 'An IANA name such as Europe/London: what "today" is.', "text"),
    ("locale", "Locale", "ARREARS_LOCALE", "How amounts and dates are written, e.g. en_GB or de_DE.", "text"),
    ("email_from", "Sender address (From)", "ARREARS_EMAIL_FROM", "The address reminders are sent from.", "email"),
]


def _settings_page(
    request: Request, user: WebUser, view: WorkspaceView, values: dict[str, str], error: InvalidSetting | None = None
) -> Response:
    return render(
        request,
        "admin_settings.html",
        400 if error else 200,
        user=user,
        fields=SETTINGS_FIELDS,
        values=values,
        stored=view.stored,
        effective=asdict(view.effective),
        defaults=asdict(view.defaults),
        error=error.message if error else None,
        error_field=error.field if error else None,
    )


@router.get("/admin/settings")
def settings_page(request: Request, user: WebUser, web: WebState) -> Response:
    view = settings.workspace_settings(web.arrears.uow(), user, web.arrears.workspace_defaults())
    return _settings_page(request, user, view, view.stored)


@router.post("/admin/settings")
def save_settings(request: Request, user: WebUser, web: WebState, form: Form) -> Response:
    """A field left empty goes back to the environment's value; one bad value saves nothing."""
    arrears = web.arrears
    changes: dict[str, str | None] = {
        name: (form[name].strip() or None) for name, *_ in SETTINGS_FIELDS if name in form
    }
    try:
        settings.update_workspace(arrears.uow(), user, arrears.workspace_defaults(), changes, arrears.is_locale)
    except InvalidSetting as error:
        view = settings.workspace_settings(arrears.uow(), user, arrears.workspace_defaults())
        return _settings_page(request, user, view, {k: form.get(k, "") for k, *_ in SETTINGS_FIELDS}, error)
    arrears.refresh_workspace()  # this process at once; the others within a minute
    request.state.session.flash("Workspace settings saved: the next email uses them.")
    return redirect("/admin/settings")
