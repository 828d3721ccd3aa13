"""The email templates pages (managers and owners): the templates and where each comes from, one
template's subject, text and HTML parts to edit, a preview with a sample customer, save, and reset
to the folder's or the built-in template. What is saved is used from the next email on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from markupsafe import escape
from starlette.responses import HTMLResponse, Response

from ...domain.email_templates import PART_LABELS, PARTS, TemplateRefused, check_name
from ...domain.errors import ArrearsError
from ...domain.users import User
from ...services import email_templates
from ...services.automation_ports import Rendered
from ..pages import Form, WebRoute, WebState, WebUser, redirect, render
from .history import BODY_CSP

router = APIRouter(route_class=WebRoute, include_in_schema=False)

TemplateName = Annotated[str, PathParam(max_length=64)]


def _parts(form: dict[str, str]) -> dict[str, str]:
    """The parts as typed, with the browser's line breaks (CRLF) made plain ones."""
    return {part: form.get(part, "").replace("\r\n", "\n") for part in PARTS}


def _editor(
    request: Request,
    user: User,
    web: WebState,
    name: str,
    status: int = 200,
    *,
    edited: dict[str, str] | None = None,
    refused: TemplateRefused | None = None,
    preview: Rendered | None = None,
) -> Response:
    shown = email_templates.template(web.arrears.uow(), user, web.arrears.templates, name)
    return render(
        request,
        "email_template.html",
        status,
        user=user,
        t=shown,
        parts=edited if edited is not None else shown.parts,
        labels=PART_LABELS,
        refused=refused,
        preview=preview,
    )


@router.get("/templates")
def templates_page(
    request: Request, user: WebUser, web: WebState, new: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """The templates; with `new`, the form of a new template's name, which leads to its page (a
    name in use opens that template)."""
    rows = email_templates.listing(web.arrears.uow(), user, web.arrears.templates)
    if new.strip():
        return redirect(f"/templates/{check_name(new.strip())}")
    return render(request, "email_templates.html", user=user, rows=rows)


@router.get("/templates/{name}")
def template_page(request: Request, name: TemplateName, user: WebUser, web: WebState) -> Response:
    return _editor(request, user, web, name)


@router.post("/templates/{name}")
def preview_or_save(request: Request, name: TemplateName, user: WebUser, web: WebState, form: Form) -> Response:
    """Preview (nothing saved) or save the parts as typed; a part that does not parse or render with
    the sample is named with its line, the text kept, and nothing saved."""
    parts = _parts(form)
    arrears = web.arrears
    assert arrears.clock is not None
    try:
        if form.get("action") == "save":
            stored = email_templates.save(
                arrears.uow(),
                user,
                arrears.templates,
                name,
                parts,
                arrears.clock.today(),
                base_url=arrears.settings.base_url,
            )
            told = "it is the same as the built-in one" if not stored else "the next email sent uses it"
            request.state.session.flash(f"Template {name} saved: {told}.")
            return redirect(f"/templates/{name}")
        today, base = arrears.clock.today(), arrears.settings.base_url
        rendered = email_templates.preview(arrears.uow(), user, arrears.templates, name, parts, today, base_url=base)
    except TemplateRefused as error:
        return _editor(request, user, web, name, 422, edited=parts, refused=error)
    return _editor(request, user, web, name, edited=parts, preview=rendered)


@router.post("/templates/{name}/html")
def preview_html(name: TemplateName, user: WebUser, web: WebState, form: Form) -> Response:
    """The HTML part as typed, rendered with the sample, alone, under a policy that runs nothing and
    loads nothing (as an email's body is shown)."""
    arrears = web.arrears
    assert arrears.clock is not None
    try:
        rendered = email_templates.preview(
            arrears.uow(),
            user,
            arrears.templates,
            name,
            _parts(form),
            arrears.clock.today(),
            base_url=arrears.settings.base_url,
        )
        body, status = rendered.html, 200
        if "<html" not in body.lower():  # a fragment (no layout) is shown as a document of its own
            body = f"<!doctype html><html><body>{body}</body></html>"
    except TemplateRefused as error:
        body, status = f"<!doctype html><html><body><p>{escape(error.message)}</p></body></html>", 422
    return HTMLResponse(body, status, headers={"content-security-policy": BODY_CSP})


@router.post("/templates/{name}/reset")
def reset_template(request: Request, name: TemplateName, user: WebUser, web: WebState, form: Form) -> Response:
    arrears = web.arrears
    try:
        in_use = {s.email for w in arrears.workflows() for s in w.steps if s.email}
    except ArrearsError:  # a workflow in force that does not load: the reset is checked by nothing else
        in_use = set()
    removed = email_templates.reset(arrears.uow(), user, arrears.templates, name, in_use)
    if not removed:
        request.state.session.flash(f"Template {name} had nothing saved here: nothing to reset.")
    elif name in arrears.templates.names():
        request.state.session.flash(f"Template {name} reset: the next email sent uses the one it was based on.")
    else:
        request.state.session.flash(f"Template {name} removed.")
        return redirect("/templates")
    return redirect(f"/templates/{name}")
