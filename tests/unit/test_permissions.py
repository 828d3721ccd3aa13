"""Who may do what: one table of actions per role, the same for the API, the pages and the CLI."""

from __future__ import annotations

import pytest

from arrears.domain.errors import PermissionDenied
from arrears.domain.permissions import Action, allowed, require, require_task_update
from arrears.domain.users import TERMINAL, Role, User
from tests.unit.builders import MARIA, MORGAN, OLIVIA

ALL = frozenset(Action)
CONTRIBUTOR_MAY = frozenset({Action.READ, Action.CREATE_TASK, Action.UPDATE_OWN_TASK, Action.OPEN_DISPUTE})
MANAGER_MAY_NOT = frozenset({Action.MANAGE_USERS, Action.MANAGE_SETTINGS})


# -- the readable rules --------------------------------------------------------------------------


def test_an_owner_may_manage_users_and_settings() -> None:
    may = (allowed(OLIVIA, Action.MANAGE_USERS), allowed(OLIVIA, Action.MANAGE_SETTINGS))

    assert may == (True, True)


def test_a_manager_may_not_manage_users() -> None:
    with pytest.raises(PermissionDenied) as caught:
        require(MORGAN, Action.MANAGE_USERS)

    assert caught.value.message == "a manager may not manage users"


def test_a_manager_may_not_manage_settings() -> None:
    with pytest.raises(PermissionDenied) as caught:
        require(MORGAN, Action.MANAGE_SETTINGS)

    assert caught.value.message == "a manager may not manage settings"


def test_a_manager_may_save_workflows_and_resolve_disputes() -> None:
    may = (allowed(MORGAN, Action.MANAGE_WORKFLOWS), allowed(MORGAN, Action.MANAGE_DISPUTES))

    assert may == (True, True)


def test_a_manager_may_write_the_ledger_and_update_any_task() -> None:
    may = (allowed(MORGAN, Action.WRITE_LEDGER), allowed(MORGAN, Action.UPDATE_ANY_TASK))

    assert may == (True, True)


def test_a_contributor_may_open_a_dispute_but_not_resolve_it() -> None:
    may = (allowed(MARIA, Action.OPEN_DISPUTE), allowed(MARIA, Action.MANAGE_DISPUTES))

    assert may == (True, False)


def test_a_contributor_may_create_tasks_and_update_only_their_own() -> None:
    may = (
        allowed(MARIA, Action.CREATE_TASK),
        allowed(MARIA, Action.UPDATE_OWN_TASK),
        allowed(MARIA, Action.UPDATE_ANY_TASK),
    )

    assert may == (True, True, False)


def test_a_contributor_may_not_write_the_ledger() -> None:
    with pytest.raises(PermissionDenied) as caught:
        require(MARIA, Action.WRITE_LEDGER)

    assert caught.value.message == "a contributor may not write ledger"


def test_a_contributor_may_not_change_the_workflows() -> None:
    with pytest.raises(PermissionDenied, match=r"^a contributor may not manage workflows$"):
        require(MARIA, Action.MANAGE_WORKFLOWS)


def test_everyone_may_read() -> None:
    readers = [user.role for user in (OLIVIA, MORGAN, MARIA) if allowed(user, Action.READ)]

    assert readers == [Role.OWNER, Role.MANAGER, Role.CONTRIBUTOR]


# -- the whole table -----------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize(
    ("role", "permitted"),
    [(Role.OWNER, ALL), (Role.MANAGER, ALL - MANAGER_MAY_NOT), (Role.CONTRIBUTOR, CONTRIBUTOR_MAY)],
)
def test_each_role_is_allowed_exactly_its_actions(role: Role, permitted: frozenset[Action], action: Action) -> None:
    user = User(10, "someone", role, None)

    may = allowed(user, action)

    assert may is (action in permitted)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (Action.UPDATE_ANY_TASK, "a contributor may not update any task"),
        (Action.WRITE_LEDGER, "a contributor may not write ledger"),
        (Action.MANAGE_DISPUTES, "a contributor may not manage disputes"),
        (Action.MANAGE_USERS, "a contributor may not manage users"),
        (Action.MANAGE_SETTINGS, "a contributor may not manage settings"),
        (Action.MANAGE_WORKFLOWS, "a contributor may not manage workflows"),
    ],
)
def test_each_denial_names_the_role_and_the_action_in_words(action: Action, message: str) -> None:
    with pytest.raises(PermissionDenied) as caught:
        require(MARIA, action)

    assert caught.value.message == message


@pytest.mark.parametrize("action", list(Action))
def test_an_owner_is_never_denied(action: Action) -> None:
    user = require(OLIVIA, action)

    assert user is OLIVIA


# -- signing in ----------------------------------------------------------------------------------


def test_require_returns_the_user_it_allows() -> None:
    user = require(MARIA, Action.READ)

    assert user is MARIA


def test_nobody_signed_in_may_do_anything() -> None:
    with pytest.raises(PermissionDenied) as caught:
        require(None, Action.READ)

    assert caught.value.message == "sign in first"
    assert caught.value.code == "forbidden"


def test_nobody_signed_in_may_update_a_task() -> None:
    with pytest.raises(PermissionDenied, match=r"^sign in first$"):
        require_task_update(None, MARIA.id)


def test_the_person_at_the_terminal_is_trusted_like_an_owner() -> None:
    may = [action for action in Action if allowed(TERMINAL, action)]

    assert may == list(Action)
