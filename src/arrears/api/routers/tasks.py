"""/api/v1/tasks: the task list, one task, and what a collector does with tasks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from ...domain.tasks import TaskType
from ...services import task_list, tasks
from ..deps import CurrentUser, Paging, QueryText, Uow
from ..errors import ERRORS
from ..schemas import (
    INT32,
    BulkComplete,
    BulkCompleted,
    BulkMove,
    BulkMoved,
    BulkReassign,
    BulkReassigned,
    Completed,
    Page,
    TaskComplete,
    TaskCreate,
    TaskOut,
    TaskPatch,
    TaskReschedule,
    UserName,
)
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/tasks", tags=["tasks"], responses=ERRORS)

TaskId = Annotated[int, Path(ge=1, le=INT32, examples=[1])]


@router.get("")
def list_tasks(
    user: CurrentUser,
    uow: Uow,
    paging: Paging,
    assignee: Annotated[UserName | None, Query(description="Whose tasks (default: yours)")] = None,
    everyone: Annotated[bool, Query(alias="all", description="Everyone's tasks")] = False,
    task_status: Annotated[Literal["open", "done", "cancelled", "all"], Query(alias="status")] = "open",
    types: Annotated[list[TaskType] | None, Query(alias="type", description="One or more task types")] = None,
    q: Annotated[QueryText, Query(description="Customer name or id, description, invoice number")] = None,
    sort: tasks.TaskSort = "due_date",
) -> Page[TaskOut]:
    """The task list: yours by default, one assignee's, or everyone's."""
    page = task_list.task_list(
        uow,
        user,
        assignee=assignee,
        everyone=everyone,
        status=task_status,
        types=types or (),
        q=q,
        sort=sort,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[TaskOut].of(page.items, page.next_offset, TaskOut.of)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_task(body: TaskCreate, user: CurrentUser, uow: Uow) -> TaskOut:
    """A task on a customer; `expected_payment` tasks carry a promise to pay."""
    return TaskOut.of(tasks.create_task(uow, user, body.to_new_task()))


@router.post("/bulk-complete")
def bulk_complete(body: BulkComplete, user: CurrentUser, uow: Uow) -> BulkCompleted:
    """Complete up to 10,000 tasks at once: all or nothing."""
    return BulkCompleted(completed=task_list.bulk_complete(uow, user, ids=body.ids))


@router.post("/bulk-reassign")
def bulk_reassign(body: BulkReassign, user: CurrentUser, uow: Uow) -> BulkReassigned:
    """Give up to 10,000 tasks to another user (managers and owners)."""
    return BulkReassigned(reassigned=task_list.bulk_reassign(uow, user, body.assignee, ids=body.ids))


@router.post("/bulk-move")
def bulk_move(body: BulkMove, user: CurrentUser, uow: Uow) -> BulkMoved:
    """Move the due date of up to 10,000 tasks."""
    return BulkMoved(moved=task_list.bulk_move_due(uow, user, body.due_date, ids=body.ids))


@router.get("/{task_id}")
def get_task(task_id: TaskId, user: CurrentUser, uow: Uow) -> TaskOut:
    return TaskOut.of(tasks.get_task(uow, user, task_id))


@router.patch("/{task_id}")
def update_task(task_id: TaskId, body: TaskPatch, user: CurrentUser, uow: Uow) -> TaskOut:
    """Edit an open task; `version` must be the one read, else 409 and nothing changes."""
    return TaskOut.of(tasks.update_task(uow, user, task_id, body.changes(), version=body.version))


@router.post("/{task_id}/complete")
def complete_task(task_id: TaskId, body: TaskComplete, user: CurrentUser, uow: Uow) -> Completed:
    """Complete a task; with a follow-up date, a follow-up task opens, due that day. `new_contact`: someone
    new spoken to, added to the customer's contacts and recorded on the task (or `contact_id`)."""
    done, follow_up = tasks.complete_task(
        uow,
        user,
        task_id,
        outcome=body.outcome,
        note=body.note,
        follow_up_date=body.follow_up_date,
        follow_up_assignee=body.follow_up_assignee,
        version=body.version,
        contact=body.contact(),
        contact_id=body.contact_id,
    )
    return Completed(task=TaskOut.of(done), follow_up=None if follow_up is None else TaskOut.of(follow_up))


@router.post("/{task_id}/reschedule")
def reschedule_task(task_id: TaskId, body: TaskReschedule, user: CurrentUser, uow: Uow) -> TaskOut:
    """Keep the task open with a new due date (e.g. a call not answered); `new_contact` / `contact_id`
    record who was spoken to, as for completing."""
    row = tasks.reschedule_task(
        uow,
        user,
        task_id,
        to=body.due_date,
        outcome=body.outcome,
        note=body.note,
        version=body.version,
        contact=body.contact(),
        contact_id=body.contact_id,
    )
    return TaskOut.of(row)
