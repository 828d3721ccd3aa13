"""The pages: sign in and out, the task list with its actions, the customer record.

Each route reads its input, calls one service and renders or redirects (POST, then redirect, so a
reload never repeats an action). Roles are checked by the services, not here."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from ..domain.tasks import CallResult
from ..services import customer_record, tasks, users
from .pages import BadForm, Form, MaybeUser, WebRoute, WebState, WebUser, local_path, parse_day, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 50
SORTS = {
    "due_date": "Due date",
    "customer": "Customer",
    "assignee": "Assignee",
    "overdue_amount": "Overdue",
}
CALL_RESULTS = [(result.value, result.value.replace("_", " ").capitalize()) for result in CallResult]
EVERYONE = "*"
TaskId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Text = Annotated[str, Query(max_length=200, pattern=r"^[^\x00]*$")]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/")
def home(user: MaybeUser) -> Response:
    return redirect("/tasks" if user else "/signin")


@router.get("/signin")
def signin_page(request: Request, user: MaybeUser, next: Text = "/tasks") -> Response:
    if user is not None:
        return redirect(local_path(next, "/tasks"))
    return render(request, "signin.html", user=None, next=local_path(next, "/tasks"), name="", error=None)


@router.post("/signin")
def signin(request: Request, web: WebState, form: Form) -> Response:
    name, password = form.get("name", "").strip()[:64], form.get("password", "")
    wanted = local_path(form.get("next"), "/tasks")
    address = _client(request)
    if web.throttle.blocked(name, address):
        message = "Too many failed attempts: wait 15 minutes before trying again."
        return render(request, "signin.html", 429, user=None, next=wanted, name=name, error=message)
    user = users.authenticate(web.arrears.uow(), web.arrears.hasher, name, password)
    if user is None:
        web.throttle.failed(name, address)
        message = "The user name or the password is wrong."
        return render(request, "signin.html", 401, user=None, next=wanted, name=name, error=message)
    web.throttle.succeeded(name, address)
    session = request.state.session
    session.sign_in(user.id)
    return redirect(wanted)


@router.post("/signout")
def signout(request: Request, form: Form) -> Response:
    request.state.session.sign_out()
    return redirect("/signin")


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


@router.post("/customers/{external_id}/promise")
def promise(request: Request, external_id: str, user: WebUser, web: WebState, form: Form) -> Response:
    """A promise to pay (an expected payment task) on the customer, tagging the invoices named."""
    due = parse_day(form.get("date"), "promised date", required=True)
    amount = form.get("amount", "").strip()
    if not amount:
        raise BadForm("give the promised amount")
    invoices = tuple(i for i in form.get("invoices", "").split() if i)
    row = tasks.create_task(
        web.arrears.uow(),
        user,
        tasks.NewTask(
            external_id,
            "expected_payment",
            description=f"Promise to pay {amount} by {due}",
            assignee=user.name,
            due_date=due,
            invoice_external_ids=invoices,
            expected_amount=amount,
            expected_date=due,
        ),
    )
    request.state.session.flash(f"Promise to pay recorded for {row.customer_name}, due {row.due_date.isoformat()}.")
    return redirect(local_path(form.get("back"), f"/customers/{quote(external_id, safe='')}"))


@router.get("/customers/{external_id}")
def customer_page(request: Request, external_id: str, user: WebUser, web: WebState) -> Response:
    record = customer_record.customer_record(web.arrears.uow(), user, external_id)
    flt = tasks.task_filter(web.arrears.uow(), user, everyone=True, customer_external_id=external_id)
    open_tasks = tasks.list_tasks(web.arrears.uow(), user, flt, limit=100).items
    return render(
        request,
        "customer.html",
        user=user,
        record=record,
        c=record.customer,
        tasks=open_tasks,
        call_results=CALL_RESULTS,
        people=users.list_users(web.arrears.uow()),
        back=f"/customers/{quote(external_id, safe='')}",
        tomorrow=record.today + timedelta(days=1),
    )
