"""API tokens as owners manage them from the pages (services/accounts.py), over fakes: the list
shows every token and never the token, an owner issues one for someone else, and revokes one alone;
everyone else is refused and nothing changes."""

from __future__ import annotations

import pytest

from arrears.domain.audit import Actor
from arrears.domain.errors import InvalidValue, NotFound, PermissionDenied
from arrears.domain.users import User
from arrears.services import accounts
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, NOW, OLIVIA
from tests.unit.test_service_accounts import token_user


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def test_the_list_shows_each_tokens_user_label_and_state_but_never_the_token(uow: FakeUnitOfWork) -> None:
    token = accounts.issue_token(uow, "maria", "erp-sync", by=OLIVIA)
    accounts.issue_token(uow, "morgan", "laptop", by=OLIVIA)

    rows = accounts.list_tokens(uow, OLIVIA)

    assert [(r.user_name, r.label, r.created_at, r.last_used_at, r.revoked_at) for r in rows] == [
        ("morgan", "laptop", NOW, None, None),  # newest first (the same time here: the later id)
        ("maria", "erp-sync", NOW, None, None),
    ]
    assert token not in repr(rows)


def test_an_owner_issues_a_token_for_someone_else_and_the_audit_names_the_owner(uow: FakeUnitOfWork) -> None:
    token = accounts.issue_token(uow, "maria", "  erp-sync ", by=OLIVIA)

    assert token_user(uow, token) == MARIA
    [entry] = uow.audit.entries
    assert (entry.actor, entry.entity, entry.action, entry.summary) == (
        Actor.of(OLIVIA),
        "api_token",
        "created",
        "API token created for maria (erp-sync)",
    )
    assert uow.accounts.tokens[1].name == "erp-sync"


@pytest.mark.parametrize("actor", [MORGAN, MARIA])
def test_only_owners_list_issue_or_revoke_tokens(uow: FakeUnitOfWork, actor: User) -> None:
    accounts.issue_token(uow, "maria", "erp-sync")
    entries = list(uow.audit.entries)

    with pytest.raises(PermissionDenied):
        accounts.list_tokens(uow, actor)
    with pytest.raises(PermissionDenied):
        accounts.issue_token(uow, "maria", "mine", by=actor)
    with pytest.raises(PermissionDenied):
        accounts.revoke_token(uow, actor, 1)

    assert len(uow.accounts.tokens) == 1 and uow.accounts.tokens[1].revoked_at is None
    assert uow.audit.entries == entries


@pytest.mark.parametrize(("label", "reason"), [("x" * 101, "at most 100"), ("a\x00b", "NUL")])
def test_a_bad_label_issues_no_token(uow: FakeUnitOfWork, label: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        accounts.issue_token(uow, "maria", label, by=OLIVIA)

    assert uow.accounts.tokens == {} and not uow.audit.entries


def test_revoking_one_token_refuses_it_and_leaves_the_users_other_tokens(uow: FakeUnitOfWork) -> None:
    first = accounts.issue_token(uow, "maria", "erp-sync", by=OLIVIA)
    second = accounts.issue_token(uow, "maria", "laptop", by=OLIVIA)

    revoked = accounts.revoke_token(uow, OLIVIA, 1)

    assert (revoked.id, revoked.revoked_at, revoked.label) == (1, NOW, "erp-sync")
    assert token_user(uow, first) is None
    assert token_user(uow, second) == MARIA
    last = uow.audit.entries[-1]
    assert (last.actor, last.entity_id, last.action, last.summary) == (
        Actor.of(OLIVIA),
        "1",
        "revoked",
        "API token 1 (erp-sync) of maria revoked",
    )
    listed = {r.id: r.revoked_at for r in accounts.list_tokens(uow, OLIVIA)}
    assert listed == {1: NOW, 2: None}


def test_revoking_a_revoked_token_changes_nothing(uow: FakeUnitOfWork) -> None:
    accounts.issue_token(uow, "maria", "erp-sync", by=OLIVIA)
    accounts.revoke_token(uow, OLIVIA, 1)
    entries = list(uow.audit.entries)

    again = accounts.revoke_token(uow, OLIVIA, 1)

    assert again.revoked_at == NOW
    assert uow.audit.entries == entries


def test_revoking_an_unknown_token_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no API token 7"):
        accounts.revoke_token(uow, OLIVIA, 7)
