"""The task list and the actions on a task."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ...services import tasks, users
from ..pages import (
    CALL_RESULTS,
    Form,
    TaskId,
    Text,
    WebRoute,
    WebState,
    WebUser,
    local_path,
    parse_day,
    redirect,
    render,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 50
SORTS = {
    "due_date": "Due date",
    "customer": "Customer",
    "assignee": "Assignee",
    "overdue_amount": "Overdue",
}
EVERYONE = "*"


@router.get("/tasks")
def task_list(
    request: Request,
    user: WebUser,
    web: WebState,
    tab: Annotated[str, Query(pattern="^(open|done)$")] = "open",
    assignee: Text = "",
    q: Text = "",
    sort: Annotated[str, Query(pattern=r"^-?(due_date|customer|assignee|overdue_amount)$")] = "due_date",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    today: Annotated[str, Query(pattern="^(show|hide)$")] = "show",
) -> Response:
    uow = web.arrears.uow
    everyone = assignee == EVERYONE
    flt = tasks.task_filter(
        uow(),
        user,
        assignee=None if everyone or not assignee else assignee,
        everyone=everyone,
        status=tab,
        q=q.strip() or None,
        done_today=False if tab == "done" and today == "hide" else None,
    )
    found = tasks.list_tasks(uow(), user, flt, sort=sort, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    params = {"tab": tab, "assignee": assignee, "q": q, "sort": sort, "today": today}

    def link(**changes: object) -> str:
        return "/tasks?" + urlencode({k: v for k, v in {**params, **changes}.items() if v not in ("", None)})

    return render(
        request,
        "tasks.html",
        user=user,
        rows=found.items,
        people=users.list_users(uow()),
        params=params,
        link=link,
        page=page,
        has_next=found.next_offset is not None,
        sorts=SORTS,
        call_results=CALL_RESULTS,
        everyone=EVERYONE,
        tomorrow=web.arrears.uow().clock.today() + timedelta(days=1),
        back=link(page=page),
    )


@router.post("/tasks/{task_id}/complete")
def complete(request: Request, task_id: TaskId, user: WebUser, web: WebState, form: Form) -> Response:
    done, follow_up = tasks.complete_task(
        web.arrears.uow(),
        user,
        task_id,
        outcome=form.get("outcome") or None,
        note=form.get("note") or None,
        follow_up_date=parse_day(form.get("follow_up_date"), "follow-up date"),
        follow_up_assignee=form.get("follow_up_assignee") or None,
    )
    message = f"Completed: {done.customer_name}."
    if follow_up is not None:
        message += f" Follow-up due {follow_up.due_date.isoformat()} for {follow_up.assignee}."
    request.state.session.flash(message)
    return redirect(local_path(form.get("back"), "/tasks"))


@router.post("/tasks/{task_id}/reschedule")
def reschedule(request: Request, task_id: TaskId, user: WebUser, web: WebState, form: Form) -> Response:
    to = parse_day(form.get("to"), "new due date", required=True)
    assert to is not None
    outcome = form.get("outcome") or None
    row = tasks.reschedule_task(web.arrears.uow(), user, task_id, to=to, outcome=outcome)
    result = f" after a call: {outcome.replace('_', ' ')}" if outcome else ""
    request.state.session.flash(f"Rescheduled to {row.due_date.isoformat()}{result}: {row.customer_name}.")
    return redirect(local_path(form.get("back"), "/tasks"))
