"""The customer record and what is done from it."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from ...services import customer_record, tasks, users
from ..pages import CALL_RESULTS, BadForm, Form, WebRoute, WebState, WebUser, local_path, parse_day, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


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
