"""The customer list (search, filters, sorting), the customer record and what is done from it: a
task, a promise or a dispute on the invoices selected in the record, a note on the account, and a
link to the customer's portal issued or every one withdrawn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.responses import HTMLResponse, Response

from ...domain.errors import InvalidValue
from ...domain.permissions import Action, allowed
from ...domain.users import User
from ...services import (
    chasing,
    credit,
    customer_admin,
    customer_record,
    customers,
    disputes,
    mail_inbox,
    portal,
    task_list,
    tasks,
    users,
)
from ..credit_chart import score_chart
from ..pages import (
    CALL_RESULTS,
    BadForm,
    Form,
    Web,
    WebRoute,
    WebState,
    WebUser,
    list_link,
    local_path,
    parse_day,
    redirect,
    render,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)

MAX_SELECTED = 1000
ContactId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
MAIL_SHOWN = 10  # the record's "Mail received": the newest messages (the inbox has them all)


async def selected_invoices(request: Request) -> tuple[str, ...]:
    """The external ids of the invoices ticked in the record's table (the `invoice` checkboxes).
    The form was read, and its CSRF token checked, by the `Form` dependency: Starlette keeps it."""
    form = await request.form()
    chosen = [value.strip() for value in form.getlist("invoice") if isinstance(value, str) and value.strip()]
    if len(chosen) > MAX_SELECTED:
        raise BadForm(f"select at most {MAX_SELECTED} invoices at once")
    return tuple(dict.fromkeys(chosen))


Selected = Annotated[tuple[str, ...], Depends(selected_invoices)]


PAGE_SIZE = 50
CREDIT_FLAGS = {"over_limit": "Over limit", "score_below_threshold": "Score low", "review_due": "Review due"}
SORT_LABELS = {
    "name": "Name, A to Z",
    "-name": "Name, Z to A",
    "external_id": "Customer id",
    "-overdue": "Overdue, largest first (per currency)",
    "-outstanding": "Balance, largest first (per currency)",
}
Flag = Annotated[str, Query(max_length=3, pattern="^(|on|1|true)$")]


@router.get("/customers")
def customer_list(
    request: Request,
    user: WebUser,
    web: WebState,
    q: Annotated[str, Query(max_length=customers.MAX_QUERY)] = "",
    collector: Annotated[str, Query(max_length=100)] = "",
    overdue: Flag = "",
    on_hold: Flag = "",
    disputed: Flag = "",
    tag: Annotated[str, Query(max_length=100)] = "",
    sort: Annotated[str, Query(max_length=16)] = "name",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Every customer, found by name, id, email, phone, a contact or an invoice number (`q`)."""
    found = customers.customer_list(
        web.arrears.uow(),
        user,
        q=q,
        collector=(user.name if collector == "me" else collector) or None,
        overdue=bool(overdue),
        on_hold=bool(on_hold),
        disputed=bool(disputed),
        tag=tag,
        sort=sort,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    params = {
        "q": q,
        "collector": collector,
        "overdue": overdue,
        "on_hold": on_hold,
        "disputed": disputed,
        "tag": tag,
        "sort": sort if sort != "name" else "",
    }

    link = list_link("/customers", params)

    return render(
        request,
        "customers.html",
        user=user,
        rows=found.items,
        params={**params, "sort": sort},
        filtered=any(v for k, v in params.items() if k != "sort"),
        link=link,
        page=page,
        has_next=found.next_offset is not None,
        people=users.list_users(web.arrears.uow()),
        sorts=SORT_LABELS,
        unassigned=customers.UNASSIGNED,
    )


@dataclass(frozen=True)
class FormProblem:
    """A refused form of the record's invoice table: which one (`form`: task, promise, dispute), why,
    and what was typed and ticked, shown again."""

    form: str
    message: str
    typed: dict[str, str]
    selected: tuple[str, ...]


FormAction = Callable[[Request, str, User, Web, dict[str, str], tuple[str, ...]], Response]


def in_place(
    which: str,
    action: FormAction,
    request: Request,
    external_id: str,
    user: User,
    web: Web,
    form: dict[str, str],
    selected: tuple[str, ...],
) -> Response:
    """Run a form's action; a value refused (400) re-renders the record with the error beside the
    form and the input kept, when the form came from the record (not from the task list)."""
    try:
        return action(request, external_id, user, web, form, selected)
    except (BadForm, InvalidValue) as error:
        status = error.status if isinstance(error, BadForm) else 400
        came_from_record = local_path(form.get("back"), record_path(external_id)).startswith(record_path(external_id))
        if status != 400 or not came_from_record:
            raise
        problem = FormProblem(which, error.message, form, selected)
        return record_page(request, external_id, user, web, problem=problem)


def record_path(external_id: str, section: str = "") -> str:
    return f"/customers/{quote(external_id, safe='')}" + (f"#{section}" if section else "")


@router.post("/customers/{external_id:path}/promise")
def promise(
    request: Request, external_id: str, user: WebUser, web: WebState, form: Form, selected: Selected
) -> Response:
    """A promise to pay (an expected payment task) on the customer, tagging the invoices named (the
    `invoices` field of a task's actions) or selected in the record."""
    return in_place("promise", _promise, request, external_id, user, web, form, selected)


def _promise(
    request: Request, external_id: str, user: User, web: Web, form: dict[str, str], selected: tuple[str, ...]
) -> Response:
    due = parse_day(form.get("date"), "promised date", required=True)
    amount = form.get("amount", "").strip()
    if not amount:
        raise BadForm("give the promised amount")
    invoices = tuple(dict.fromkeys([*(i for i in form.get("invoices", "").split() if i), *selected]))
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
    return redirect(local_path(form.get("back"), record_path(external_id)))


@router.post("/customers/{external_id:path}/tasks")
def create_task_for_selected(
    request: Request, external_id: str, user: WebUser, web: WebState, form: Form, selected: Selected
) -> Response:
    """One task on the customer, tagged with the invoices selected in the record."""
    return in_place("task", _task_for_selected, request, external_id, user, web, form, selected)


def _task_for_selected(
    request: Request, external_id: str, user: User, web: Web, form: dict[str, str], selected: tuple[str, ...]
) -> Response:
    if not selected:
        raise BadForm("select one or more open invoices for the task")
    due = parse_day(form.get("due_date"), "task's due date")
    row = tasks.create_task(
        web.arrears.uow(),
        user,
        tasks.NewTask(
            external_id,
            form.get("type", "").strip() or "call",
            description=form.get("description", ""),
            assignee=form.get("assignee", "").strip() or None,
            due_date=due,
            invoice_external_ids=selected,
        ),
    )
    count = len(row.invoice_external_ids)
    request.state.session.flash(
        f"{row.type.replace('_', ' ').capitalize()} task created on {count} invoice{'s' if count != 1 else ''}, "
        f"due {row.due_date.isoformat()} for {row.assignee or 'nobody'}."
    )
    return redirect(record_path(external_id, "open-tasks"))


@router.post("/customers/{external_id:path}/disputes")
def dispute_selected(
    request: Request, external_id: str, user: WebUser, web: WebState, form: Form, selected: Selected
) -> Response:
    """A dispute, for one of the configured reasons, on each invoice selected in the record."""
    return in_place("dispute", _dispute_selected, request, external_id, user, web, form, selected)


def _dispute_selected(
    request: Request, external_id: str, user: User, web: Web, form: dict[str, str], selected: tuple[str, ...]
) -> Response:
    if not selected:
        raise BadForm("select one or more open invoices to dispute")
    reason = form.get("reason", "").strip()
    opened = disputes.open_disputes(
        web.arrears.uow(),
        user,
        external_id,
        selected,
        reason,
        note=form.get("note", "").strip() or None,
        owner=form.get("owner", "").strip() or None,
    )
    numbers = ", ".join(row.invoice_external_id for row in opened)
    request.state.session.flash(f"Dispute opened ({reason}) on {numbers}: those invoices are not chased meanwhile.")
    return redirect(record_path(external_id, "invoices"))


@router.post("/customers/{external_id:path}/notes")
def add_note(request: Request, external_id: str, user: WebUser, web: WebState, form: Form) -> Response:
    customer_record.add_note(web.arrears.uow(), user, external_id, form.get("note", ""))
    request.state.session.flash("Note added to the account.")
    return redirect(record_path(external_id, "notes"))


def _contact(form: dict[str, str]) -> tasks.NewContact:
    return tasks.NewContact(
        form.get("name", ""),
        phone=form.get("phone"),
        email=form.get("email"),
        role=form.get("role"),
        receives_reminders=form.get("receives_reminders") in ("on", "1", "true"),
    )


@router.post("/customers/{external_id:path}/contacts")
def add_contact(request: Request, external_id: str, user: WebUser, web: WebState, form: Form) -> Response:
    customer_admin.add_contact(web.arrears.uow(), user, external_id, _contact(form))
    request.state.session.flash("Contact added.")
    return redirect(record_path(external_id, "contacts"))


@router.post("/customers/{external_id:path}/contacts/{contact_id}")
def edit_contact(
    request: Request, external_id: str, contact_id: ContactId, user: WebUser, web: WebState, form: Form
) -> Response:
    customer_admin.edit_contact(web.arrears.uow(), user, external_id, contact_id, _contact(form))
    request.state.session.flash("Contact saved.")
    return redirect(record_path(external_id, "contacts"))


@router.post("/customers/{external_id:path}/contacts/{contact_id}/remove")
def remove_contact(
    request: Request, external_id: str, contact_id: ContactId, user: WebUser, web: WebState, form: Form
) -> Response:
    customer_admin.remove_contact(web.arrears.uow(), user, external_id, contact_id)
    request.state.session.flash("Contact removed.")
    return redirect(record_path(external_id, "contacts"))


@router.post("/customers/{external_id:path}/collector")
def change_collector(request: Request, external_id: str, user: WebUser, web: WebState, form: Form) -> Response:
    """Give the customer to another collector (managers); the open tasks the previous one held follow."""
    collector = form.get("collector", "").strip() or None
    moved = customer_admin.set_collector(web.arrears.uow(), user, external_id, collector)
    tasks_moved = f" {moved} open task{'s' if moved != 1 else ''} moved with it." if moved else ""
    request.state.session.flash(f"Collector is now {collector or 'nobody'}.{tasks_moved}")
    return redirect(record_path(external_id))


@router.post("/customers/{external_id:path}/invoices/{invoice_external_id}/excluded")
def exclude_invoice(
    request: Request, external_id: str, invoice_external_id: str, user: WebUser, web: WebState, form: Form
) -> Response:
    """Exclude one invoice from chasing (it counts as overdue nowhere), or include it again (managers)."""
    excluded = form.get("excluded", "") == "1"
    chasing.set_chasing(
        web.arrears.uow(), user, "invoice", invoice_external_id, "excluded", excluded, customer_external_id=external_id
    )
    request.state.session.flash(
        f"Invoice {invoice_external_id} {'excluded from chasing' if excluded else 'included in chasing again'}."
    )
    return redirect(record_path(external_id, "invoices"))


@router.post("/customers/{external_id:path}/chasing")
def pause_chasing(request: Request, external_id: str, user: WebUser, web: WebState, form: Form) -> Response:
    """Pause the customer's reminders and workflow tasks, or resume them (managers)."""
    paused = form.get("paused", "") == "1"
    chasing.set_chasing(web.arrears.uow(), user, "customer", external_id, "paused", paused)
    request.state.session.flash(
        "Chasing paused: no reminder or workflow task until resumed." if paused else "Chasing resumed."
    )
    return redirect(record_path(external_id))


@router.post("/customers/{external_id:path}/portal-link")
def copy_portal_link(request: Request, external_id: str, user: WebUser, web: WebState, form: Form) -> Response:
    """A new link to the customer's portal (valid ARREARS_PORTAL_LINK_DAYS), shown once on the record
    to copy: only its hash is kept, so the page is not stored by the browser either."""
    settings = web.arrears.settings
    issued = portal.issue_link(
        web.arrears.uow(), user, external_id, days=settings.portal_link_days, base_url=settings.base_url
    )
    page = record_page(request, external_id, user, web, issued=issued)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/customers/{external_id:path}/portal-links/revoke")
def revoke_portal_links(request: Request, external_id: str, user: WebUser, web: WebState, form: Form) -> Response:
    """Withdraw every link to the customer's portal issued so far (by a person or in an email)."""
    revoked = portal.revoke_links(web.arrears.uow(), user, external_id)
    request.state.session.flash(
        f"{revoked} portal link{'s' if revoked != 1 else ''} withdrawn: they open nothing from now on. "
        "The next reminder carries a new one."
        if revoked
        else "No portal link was open: nothing to withdraw."
    )
    return redirect(record_path(external_id, "portal"))


@router.get("/customers/{external_id:path}")
def customer_page(request: Request, external_id: str, user: WebUser, web: WebState) -> Response:
    return record_page(request, external_id, user, web)


def record_page(
    request: Request,
    external_id: str,
    user: User,
    web: Web,
    *,
    problem: FormProblem | None = None,
    issued: portal.IssuedLink | None = None,
) -> HTMLResponse:
    """The record; with `problem`, answered 400 with the refused form's error beside it and what
    was typed and ticked kept; with `issued`, the portal link just issued, shown this once."""
    record = customer_record.customer_record(web.arrears.uow(), user, external_id)
    flt = task_list.task_filter(web.arrears.uow(), user, everyone=True, customer_external_id=external_id)
    open_tasks = task_list.list_tasks(web.arrears.uow(), user, flt, limit=100).items
    panel = credit.credit_panel(web.arrears.uow(), user, external_id, web.arrears.credit_policy())
    return render(
        request,
        "customer.html",
        400 if problem else 200,
        user=user,
        record=record,
        c=record.customer,
        tasks=open_tasks,
        mail=mail_inbox.customer_mail(web.arrears.uow(), user, external_id, limit=MAIL_SHOWN),
        call_results=CALL_RESULTS,
        people=users.list_users(web.arrears.uow()),
        back=record_path(external_id),
        tomorrow=record.today + timedelta(days=1),
        may_close=disputes.may_close(user),
        may_manage=allowed(user, Action.WRITE_LEDGER),
        may_link=allowed(user, Action.CREATE_TASK),
        issued=issued,
        problem=problem or FormProblem("", "", {}, ()),
        credit=panel,
        credit_chart=score_chart(panel.history),
        credit_flags=CREDIT_FLAGS,
    )
