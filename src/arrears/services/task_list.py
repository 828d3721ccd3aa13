"""The task list as collectors work it: filters by name, one page at a time (largest overdue first or
by due date), and bulk actions over a selection or over everything a filter matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from ..domain import tasks as rules
from ..domain.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from ..domain.permissions import Action, require, require_task_update
from ..domain.tasks import parse_task_type
from ..domain.users import User
from .ports import UnitOfWork
from .tasks import MAX_BULK, MAX_PAGE, SORTS, explained, record_audit, user_id_named
from .workspace_ports import Page, TaskFilter


def task_filter(
    uow: UnitOfWork,
    user: User,
    *,
    assignee: str | None = None,
    everyone: bool = False,
    status: str = "open",
    **others: Any,
) -> TaskFilter:
    """Mine by default; one assignee by name; or everyone."""
    if status not in ("open", "done", "cancelled", "all"):
        raise InvalidValue(f"{status!r} is not a task status: use open, done, cancelled or all")
    for name in others.get("types", ()):
        parse_task_type(name)
    with uow:
        if everyone:
            ids: tuple[int, ...] | None = None
        elif assignee:
            found = uow.accounts.user(assignee)
            if found is None:
                raise InvalidValue(f"no user named {assignee!r}")
            ids = (found.id,)
        else:
            ids = (user.id,)
    return TaskFilter(assignee_ids=ids, status=status, **others)


def list_tasks(
    uow: UnitOfWork,
    user: User,
    flt: TaskFilter,
    *,
    sort: str = "due_date",
    limit: int = 50,
    offset: int = 0,
    count_up_to: int | None = None,
) -> Page:
    """One page of the task list; overdue amounts are as of the day the balances were last rolled to
    (`services/balances.py`: today, wherever the worker, the server or the cycle runs).

    With `count_up_to`, the page's `total` is how many tasks match, counted no further than that
    (a page of a million open tasks need not count them all: "more than 10,000" is enough)."""
    require(user, Action.READ)
    if sort not in SORTS:
        raise InvalidValue(f"{sort!r} is not a sort: use one of {', '.join(SORTS)}")
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidValue(f"limit must be 1 to {MAX_PAGE} and offset zero or more")
    with uow:
        today = uow.clock.today()
        page = uow.task_list.list_tasks(flt, today, sort, limit, offset)
        if count_up_to is not None:
            page = replace(page, total=uow.task_list.count_tasks(flt, today, count_up_to))
        return replace(page, items=[explained(row, today) for row in page.items])


def task_list(
    uow: UnitOfWork,
    user: User,
    *,
    assignee: str | None = None,
    everyone: bool = False,
    status: str = "open",
    types: Sequence[str] = (),
    q: str | None = None,
    sort: str = "due_date",
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """The task list as a person asks for it (assignee by name), one page of it."""
    flt = task_filter(uow, user, assignee=assignee, everyone=everyone, status=status, types=tuple(types), q=q or None)
    return list_tasks(uow, user, flt, sort=sort, limit=limit, offset=offset)


# -- bulk ---------------------------------------------------------------------------------------------


def _bulk_targets(uow: UnitOfWork, user: User, ids: Sequence[int] | None, flt: TaskFilter | None) -> list[int]:
    if (ids is None) == (flt is None):
        raise InvalidValue("give either a list of task ids or a filter")
    if ids is not None:
        if len(ids) > MAX_BULK:
            raise InvalidValue(f"at most {MAX_BULK:,} tasks at once")
        wanted = tuple(dict.fromkeys(ids))
        found = uow.task_list.matching_task_ids(TaskFilter(status="all", ids=wanted), uow.clock.today(), MAX_BULK + 1)
        missing = set(wanted) - {task_id for task_id, _, _ in found}
        if missing:
            raise NotFound(f"no task {', '.join(str(i) for i in sorted(missing)[:10])}")
    else:
        assert flt is not None
        found = uow.task_list.matching_task_ids(flt, uow.clock.today(), MAX_BULK + 1)
        if len(found) > MAX_BULK:
            raise InvalidValue(f"the filter matches more than {MAX_BULK:,} tasks; narrow it")
    for task_id, assignee_id, status in found:
        try:
            require_task_update(user, assignee_id)
        except PermissionDenied:
            raise PermissionDenied(f"task {task_id} is not assigned to you; nothing was changed") from None
        if status != "open":
            raise Conflict(f"task {task_id} is {status}; nothing was changed")
    return [task_id for task_id, _, _ in found]


def bulk_complete(
    uow: UnitOfWork, user: User, *, ids: Sequence[int] | None = None, flt: TaskFilter | None = None
) -> int:
    """Mark many tasks complete in one transaction: all or nothing, the role checked on each."""
    with uow:
        targets = _bulk_targets(uow, user, ids, flt)
        now = uow.clock.now()
        count = uow.tasks.bulk_update(
            targets,
            {"status": "done", "outcome": rules.OUTCOME_DONE, "completed_at": now, "completed_by": user.id},
            now,
        )
        uow.alerts.close_alerts([f"stale_task:{i}" for i in targets], now)
        record_audit(
            uow, user, "task", None, "bulk_completed", f"{count} tasks completed at once", None, {"ids": targets}
        )
        uow.commit()
        return count


def bulk_reassign(
    uow: UnitOfWork, user: User, assignee: str, *, ids: Sequence[int] | None = None, flt: TaskFilter | None = None
) -> int:
    require(user, Action.UPDATE_ANY_TASK)
    with uow:
        assignee_id = user_id_named(uow, assignee)
        targets = _bulk_targets(uow, user, ids, flt)
        count = uow.tasks.bulk_update(targets, {"assignee_id": assignee_id}, uow.clock.now())
        record_audit(
            uow,
            user,
            "task",
            None,
            "bulk_reassigned",
            f"{count} tasks reassigned to {assignee}",
            None,
            {"ids": targets, "assignee_id": assignee_id},
        )
        uow.commit()
        return count


def bulk_move_due(
    uow: UnitOfWork, user: User, due: date, *, ids: Sequence[int] | None = None, flt: TaskFilter | None = None
) -> int:
    with uow:
        if due < uow.clock.today():
            raise InvalidValue(f"the new due date {due} is in the past")
        targets = _bulk_targets(uow, user, ids, flt)
        count = uow.tasks.bulk_update(targets, {"due_date": due}, uow.clock.now())
        record_audit(
            uow,
            user,
            "task",
            None,
            "bulk_moved",
            f"{count} tasks moved to {due}",
            None,
            {"ids": targets, "due_date": due.isoformat()},
        )
        uow.commit()
        return count
