"""Who may change a task: the rule the pages use to show actions and the services enforce."""

from __future__ import annotations

import pytest

from arrears.domain.errors import PermissionDenied
from arrears.domain.permissions import can_update_task, require_task_update
from arrears.domain.users import Role, User

MARIA = User(3, "maria", Role.CONTRIBUTOR, None)
MORGAN = User(2, "morgan", Role.MANAGER, None)
OLIVIA = User(1, "olivia", Role.OWNER, None)


@pytest.mark.parametrize(
    ("user", "assignee_id", "may"),
    [
        (MARIA, 3, True),
        (MARIA, 4, False),
        (MARIA, None, False),
        (MORGAN, 4, True),
        (MORGAN, None, True),
        (OLIVIA, 3, True),
    ],
)
def test_contributors_update_only_their_own_tasks_managers_and_owners_any(
    user: User, assignee_id: int | None, may: bool
) -> None:
    allowed = can_update_task(user, assignee_id)

    assert allowed is may
    if may:
        assert require_task_update(user, assignee_id) is user
    else:
        with pytest.raises(PermissionDenied, match="only the tasks assigned to them"):
            require_task_update(user, assignee_id)
