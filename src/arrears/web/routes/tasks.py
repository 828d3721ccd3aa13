"""The task list (filters, saved views, select many and act on them) and the actions on one task.

The list's filters and sort live in the URL (`ListParams`), so links, pages, sorting and saved views
all keep them; a bulk action posts them back with the selected ids or "all matching", and the route
rebuilds the same filter through the service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from ...domain.errors import ArrearsError
from ...domain.money import MAX_MINOR, parse_decimal
from ...domain.permissions import Action, allowed, can_update_task
from ...domain.tasks import TaskType
from ...domain.users import User
from ...services import accounts, tasks, users
from ...services import task_list as listing
from ...services.workspace_ports import SavedView, TaskFilter
from ..pages import (
    CALL_RESULTS,
    BadForm,
    Form,
    TaskId,
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
    "priority": "Priority",
    "due_date": "Due date",
    "customer": "Customer",
    "assignee": "Assignee",
    "overdue_amount": "Overdue",
}
TABS = {"open": "Open", "done": "Completed", "all": "All"}
EVERYONE = "*"
TYPES = [(kind.value, kind.value.replace("_", " ").capitalize()) for kind in TaskType]
ViewId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]


def _text(value: str, what: str) -> str:
    value = value.strip()
    if len(value) > 200 or "\x00" in value:
        raise BadForm(f"the {what} is longer than 200 characters or holds a NUL byte")
    return value


def default_sort(assignee: str) -> str:
    """Everyone's tasks open on the worklist's priority (whom to chase first); one person's on due date."""
    return "priority" if assignee == EVERYONE else "due_date"


@dataclass(frozen=True)
class ListParams:
    """The task list's filters and sort, as the URL, the bulk form and a saved view keep them."""

    tab: str = "open"  # open, done or all (the task status)
    assignee: str = ""  # "": mine; "*": everyone; else a user name
    q: str = ""
    type: tuple[str, ...] = ()
    due_from: date | None = None
    due_to: date | None = None
    min_overdue: Decimal | None = None  # in each customer's own currency
    tag: str = ""
    customer: str = ""  # the customer's external id
    today: str = "show"  # on the Completed tab: show or hide what was completed today
    sort: str = "due_date"

    @classmethod
    def read(cls, values: Callable[[str], list[str]]) -> ListParams:
        """From the URL's query, a posted form or a saved view; a bad value is a 400 page."""

        def one(key: str, default: str = "") -> str:
            found = values(key)
            return _text(found[-1], key.replace("_", " ")) if found else default

        tab = one("tab") or one("status", "open")  # a view saved through the API says "status"
        if tab not in TABS:
            raise BadForm(f"{tab!r} is not a tab of the task list: use open, done or all")
        assignee = one("assignee")
        sort = one("sort", default_sort(assignee))
        if sort.removeprefix("-") not in SORTS:
            raise BadForm(f"{sort!r} is not a sort of the task list")
        today = one("today", "show")
        if today not in ("show", "hide"):
            raise BadForm("completed today is either show or hide")
        minimum = one("min_overdue")
        least = parse_decimal(minimum) if minimum else None
        if least is not None and least.scaleb(3) > MAX_MINOR:  # in any currency's minor units (at most 3)
            raise BadForm(f"{minimum} is too large for the least overdue amount")
        types = tuple(dict.fromkeys(_text(kind, "task type") for kind in values("type") if kind.strip()))
        return cls(
            tab=tab,
            assignee=assignee,
            q=one("q"),
            type=types[:20],
            due_from=parse_day(one("due_from"), "due from date"),
            due_to=parse_day(one("due_to"), "due to date"),
            min_overdue=least,
            tag=one("tag"),
            customer=one("customer"),
            today=today,
            sort=sort,
        )

    @classmethod
    def of_view(cls, view: SavedView) -> ListParams:
        def values(key: str) -> list[str]:
            value = view.filters.get(key)
            if isinstance(value, list | tuple):
                return [str(v) for v in value if isinstance(v, str | int)]
            return [] if value is None or isinstance(value, dict) else [str(value)]

        return cls.read(values)

    def items(self) -> list[tuple[str, str]]:
        """The query of this list's address: what differs from the defaults, and always the tab (an
        address with no filter at all opens the user's default view)."""
        default = ListParams()
        pairs: list[tuple[str, str]] = []
        for spec in fields(self):
            value = getattr(self, spec.name)
            usual = default_sort(self.assignee) if spec.name == "sort" else getattr(default, spec.name)
            if value == usual and spec.name != "tab":
                continue
            if isinstance(value, tuple):
                pairs.extend((spec.name, item) for item in value)
            elif isinstance(value, date):
                pairs.append((spec.name, value.isoformat()))
            else:
                pairs.append((spec.name, str(value)))
        return pairs

    def as_view(self) -> dict[str, Any]:
        """The filters a saved view stores (the types as a list)."""
        stored: dict[str, Any] = {}
        for key, value in self.items():
            if key == "type":
                stored.setdefault("type", []).append(value)
            else:
                stored[key] = value
        return stored

    def url(self, page: int | None = None) -> str:
        return "/tasks?" + urlencode(self.items() + ([("page", str(page))] if page and page > 1 else []))

    @property
    def advanced(self) -> int:
        """How many of the filter builder's fields are in use (the builder opens when any is)."""
        used = (self.type, self.due_from, self.due_to, self.min_overdue is not None, self.tag, self.customer)
        return sum(1 for value in used if value)


FILTER_KEYS = frozenset({spec.name for spec in fields(ListParams)} | {"status"})


def _filter(web: WebState, user: User, params: ListParams) -> TaskFilter:
    everyone = params.assignee == EVERYONE
    return listing.task_filter(
        web.arrears.uow(),
        user,
        assignee=None if everyone or not params.assignee else params.assignee,
        everyone=everyone,
        status=params.tab,
        q=params.q or None,
        done_today=False if params.tab == "done" and params.today == "hide" else None,
        types=params.type,
        due_from=params.due_from,
        due_to=params.due_to,
        min_overdue=params.min_overdue,
        tag=params.tag or None,
        customer_external_id=params.customer or None,
    )


async def form_lists(request: Request, form: Form) -> dict[str, list[str]]:
    """The POSTed form (its CSRF token checked by `Form`) with every value of each field: the ids
    of the selected tasks, the task types of the filter."""
    data = await request.form()
    return {key: [value for value in data.getlist(key) if isinstance(value, str)] for key in data}


FormLists = Annotated[dict[str, list[str]], Depends(form_lists)]


def _first(form: Mapping[str, list[str]], key: str) -> str:
    found = form.get(key)
    return found[-1].strip() if found else ""


def _views(views: list[SavedView], current: ListParams) -> list[tuple[SavedView, str, bool]]:
    """The user's saved views (not the built-in ones: the tabs are those), each with its address and
    whether it is what the page shows."""
    shown = []
    for view in views:
        if view.id == 0:
            continue
        try:
            params = ListParams.of_view(view)
        except (BadForm, ArrearsError):
            continue
        shown.append((view, params.url(), params == current))
    return shown


@router.get("/tasks")
def task_list(
    request: Request,
    user: WebUser,
    web: WebState,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    uow = web.arrears.uow
    views = accounts.views(uow(), user)
    notice = None
    default = next((view for view in views if view.is_default), None)
    if default is not None and FILTER_KEYS.isdisjoint(request.query_params.keys()):
        # No filter in the address: the user's default view (one that no longer reads is skipped).
        try:
            params = ListParams.of_view(default)
            flt = _filter(web, user, params)
        except (BadForm, ArrearsError) as error:
            notice = f"Your default view “{default.name}” could not be applied: {getattr(error, 'message', error)}"
            params = ListParams()
            flt = _filter(web, user, params)
    else:
        params = ListParams.read(request.query_params.getlist)
        flt = _filter(web, user, params)
    found = listing.list_tasks(
        uow(),
        user,
        flt,
        sort=params.sort,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        count_up_to=tasks.MAX_BULK + 1,
    )
    total = found.total or 0
    may_update_any = allowed(user, Action.UPDATE_ANY_TASK)

    def can_update(assignee_id: int | None) -> bool:
        return can_update_task(user, assignee_id)

    def link(**changes: Any) -> str:
        wanted = changes.pop("page", None)
        return replace(params, **changes).url(wanted)

    selectable = [row for row in found.items if row.status == "open" and can_update(row.assignee_id)]
    return render(
        request,
        "tasks.html",
        user=user,
        rows=found.items,
        total=total,
        max_bulk=tasks.MAX_BULK,
        people=users.list_users(uow()),
        params=params,
        hidden=params.items(),
        link=link,
        page=page,
        has_next=found.next_offset is not None,
        sorts=SORTS,
        tabs=TABS,
        types=TYPES,
        views=_views(views, params),
        notice=notice,
        call_results=CALL_RESULTS,
        everyone=EVERYONE,
        tomorrow=uow().clock.today() + timedelta(days=1),
        back=link(page=page),
        can_update=can_update,
        can_reassign=may_update_any,
        bulk=bool(selectable),
        # "all N matching": open tasks only, at most MAX_BULK, and only tasks this user may change
        offer_all=bool(selectable)
        and params.tab == "open"
        and len(found.items) < total <= tasks.MAX_BULK
        and (may_update_any or flt.assignee_ids == (user.id,)),
    )


@router.post("/tasks/bulk")
def bulk(request: Request, user: WebUser, web: WebState, form: FormLists) -> Response:
    """Complete, reassign or move the due date of the selected tasks, or of all that match the
    posted filters: all or nothing (the service checks the role on each task)."""
    params = ListParams.read(lambda key: form.get(key, []))
    everything = _first(form, "all_matching") == "1"
    ids: list[int] | None = None
    flt: TaskFilter | None = None
    if everything:
        flt = _filter(web, user, params)
    else:
        try:
            ids = [int(value) for value in form.get("ids", [])]
        except ValueError:
            raise BadForm("the selected tasks are not task ids") from None
        if not ids:
            raise BadForm("select at least one task first")
        if any(not 1 <= task_id <= 2_147_483_647 for task_id in ids):
            raise BadForm("the selected tasks are not task ids")
    action = _first(form, "action")
    if action == "complete":
        count = listing.bulk_complete(web.arrears.uow(), user, ids=ids, flt=flt)
        done = "completed"
    elif action == "reassign":
        to = _first(form, "to")
        if not to:
            raise BadForm("choose whom to reassign the tasks to")
        count = listing.bulk_reassign(web.arrears.uow(), user, to, ids=ids, flt=flt)
        done = f"reassigned to {to}"
    elif action == "move":
        due = parse_day(_first(form, "due"), "new due date", required=True)
        assert due is not None
        count = listing.bulk_move_due(web.arrears.uow(), user, due, ids=ids, flt=flt)
        done = f"moved to {due.isoformat()}"
    else:
        raise BadForm("choose what to do with the selected tasks: complete, reassign or move the due date")
    request.state.session.flash(f"{count} {'task' if count == 1 else 'tasks'} {done}.")
    return redirect(local_path(_first(form, "back"), params.url()))


@router.post("/tasks/views")
def save_view(request: Request, user: WebUser, web: WebState, form: FormLists) -> Response:
    """Save the list's current filters under a name (replacing a view of that name), maybe as the
    default view: the one /tasks opens with."""
    params = ListParams.read(lambda key: form.get(key, []))
    view = accounts.save_view(
        web.arrears.uow(), user, _first(form, "name"), params.as_view(), is_default=_first(form, "default") == "1"
    )
    request.state.session.flash(f"View “{view.name}” saved{' as your default' if view.is_default else ''}.")
    return redirect(params.url())


@router.post("/tasks/views/{view_id}/delete")
def delete_view(request: Request, view_id: ViewId, user: WebUser, web: WebState, form: Form) -> Response:
    accounts.delete_view(web.arrears.uow(), user, view_id)
    request.state.session.flash("View deleted.")
    return redirect(local_path(form.get("back"), "/tasks?tab=open"))


def _new_contact(form: Mapping[str, str]) -> tasks.NewContact | None:
    """The "Spoke to someone new?" fields of a task's form: a new contact when any is filled in (the
    service checks them: a name is needed, an email must be one)."""
    values = {key: form.get(f"contact_{key}", "").strip() for key in ("name", "phone", "email", "role")}
    if not any(values.values()):
        return None
    return tasks.NewContact(
        values["name"],
        values["phone"] or None,
        values["email"] or None,
        values["role"] or None,
        receives_reminders=form.get("contact_reminders") == "on",
    )


def _version(form: Mapping[str, str]) -> int | None:
    """The version of the task that the form was shown with (None from a form without one): the
    service refuses the change, as a conflict (409), if someone else changed the task since."""
    text = form.get("version", "").strip()
    if not text:
        return None
    if not (len(text) <= 10 and text.isascii() and text.isdigit() and 1 <= int(text) <= 2_147_483_647):
        raise BadForm("the version of the task in the form is not a version number")
    return int(text)


def _added(contact: tasks.NewContact | None) -> str:
    return "" if contact is None else f" Contact {contact.name.strip()} added."


@router.post("/tasks/{task_id}/complete")
def complete(request: Request, task_id: TaskId, user: WebUser, web: WebState, form: Form) -> Response:
    contact = _new_contact(form)
    done, follow_up = tasks.complete_task(
        web.arrears.uow(),
        user,
        task_id,
        outcome=form.get("outcome") or None,
        note=form.get("note") or None,
        follow_up_date=parse_day(form.get("follow_up_date"), "follow-up date"),
        follow_up_assignee=form.get("follow_up_assignee") or None,
        version=_version(form),
        contact=contact,
    )
    message = f"Completed: {done.customer_name}."
    if follow_up is not None:
        message += f" Follow-up due {follow_up.due_date.isoformat()} for {follow_up.assignee}."
    request.state.session.flash(message + _added(contact))
    return redirect(local_path(form.get("back"), "/tasks"))


@router.post("/tasks/{task_id}/reschedule")
def reschedule(request: Request, task_id: TaskId, user: WebUser, web: WebState, form: Form) -> Response:
    to = parse_day(form.get("to"), "new due date", required=True)
    assert to is not None
    outcome = form.get("outcome") or None
    contact = _new_contact(form)
    row = tasks.reschedule_task(
        web.arrears.uow(), user, task_id, to=to, outcome=outcome, version=_version(form), contact=contact
    )
    result = f" after a call: {outcome.replace('_', ' ')}" if outcome else ""
    request.state.session.flash(
        f"Rescheduled to {row.due_date.isoformat()}{result}: {row.customer_name}.{_added(contact)}"
    )
    return redirect(local_path(form.get("back"), "/tasks"))
