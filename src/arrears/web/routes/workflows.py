"""The workflows page: the workflows in force and their steps, their TOML source (managers and owners
edit and save it), and a dry-run preview of a day's cycle — the same service call as
`arrears cycle --dry-run`, inside units of work that roll back, so the preview writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ...bootstrap import DEFAULT_WORKFLOWS, Arrears
from ...domain.permissions import Action, allowed
from ...domain.users import User
from ...domain.workflows import WorkflowError
from ...services import users, workflows
from ...services.workflows import CyclePreview
from ..pages import BadForm, Form, WebRoute, WebState, WebUser, parse_day, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

MAX_SOURCE_CHARS = 200_000
PREVIEW_ITEMS = 100
EDITED_SOURCE = "workflow file from the web page"


def _sources(arrears: Arrears) -> tuple[tuple[str, str] | None, tuple[str, str]]:
    """(text, name) of the ARREARS_WORKFLOWS file if one is set, and of the built-in default."""
    path = arrears.settings.workflows
    given = (path.read_text(encoding="utf-8"), str(path)) if path is not None else None
    return given, (DEFAULT_WORKFLOWS.read_text(encoding="utf-8"), "built-in default workflow")


def _page(
    request: Request,
    user: User,
    arrears: Arrears,
    status: int = 200,
    *,
    as_of: date | None = None,
    preview: CyclePreview | None = None,
    edited: str | None = None,
    problems: WorkflowError | None = None,
) -> Response:
    given, default = _sources(arrears)
    report = preview.report if preview else None
    shown = workflows.in_force(arrears.uow(), user, given, default, arrears.template_names())
    names = {person.id: person.name for person in users.list_users(arrears.uow())} if report else {}
    assert arrears.clock is not None
    return render(
        request,
        "workflows.html",
        status,
        user=user,
        shown=shown,
        source=shown.text if edited is None else edited,
        problems=problems,
        can_manage=allowed(user, Action.MANAGE_WORKFLOWS),
        as_of=as_of or arrears.clock.today(),
        report=report,
        assumed=preview.assumed if preview else (),
        opened_on=preview.opened_on if preview else {},
        business_days_only=arrears.settings.cycle_business_days_only,
        planned=report.planned[:PREVIEW_ITEMS] if report else [],
        names=names,
        limit=PREVIEW_ITEMS,
    )


@router.get("/workflows")
def workflows_page(request: Request, user: WebUser, web: WebState) -> Response:
    return _page(request, user, web.arrears)


@router.post("/workflows")
def save_workflows(request: Request, user: WebUser, web: WebState, form: Form) -> Response:
    """Validate and store the edited file; on an error, the page names each line and keeps the old file."""
    text = form.get("source", "").replace("\r\n", "\n")
    if len(text) > MAX_SOURCE_CHARS:
        raise BadForm(f"the workflow file is too long: at most {MAX_SOURCE_CHARS:,} characters", 413)
    try:
        saved = workflows.save(web.arrears.uow(), user, text, EDITED_SOURCE, web.arrears.template_names())
    except WorkflowError as error:
        return _page(request, user, web.arrears, 422, edited=text, problems=error)
    names = ", ".join(w.name for w in saved)
    request.state.session.flash(f"Workflow file saved: {names}. The next cycle follows it.")
    return redirect("/workflows")


@router.get("/workflows/preview")
def preview(
    request: Request,
    user: WebUser,
    web: WebState,
    as_of: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """What the cycle of `as_of` (default today) would send and create, once the cycles of the days
    before it have run (`workflows.preview_cycle`); nothing is written."""
    arrears = web.arrears
    assert arrears.clock is not None
    arrears.refresh_workspace()  # the company, locale, sender and time zone an owner stored, as of now
    day = parse_day(as_of, "day to preview") or arrears.clock.today()
    active = arrears.workflows()
    with arrears.dry_run() as uow_factory:
        shown = workflows.preview_cycle(
            uow_factory,
            user,
            active,
            arrears.mailer(),
            day,
            today=arrears.clock.today(),
            business_days_only=arrears.settings.cycle_business_days_only,
        )
    return _page(request, user, arrears, as_of=day, preview=shown)
