"""Reading an account and keeping one's own things (services/accounts.py), over fakes: the timeline,
issues, saved views, and API tokens issued once, stored as a hash, revoked."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from arrears.domain.audit import SYSTEM, Actor, AuditEntry
from arrears.domain.errors import InvalidValue, NotFound
from arrears.domain.users import User
from arrears.services import accounts, throttles
from arrears.services.workspace_ports import SavedView
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, NOW, SAM

NO_RATE_LIMIT = throttles.api_rate_limit(0)


def token_user(uow: FakeUnitOfWork, token: str) -> User | None:
    """The user an API call with `token` is admitted as, from an address that is not blocked."""
    return accounts.admit_api_call(uow, token, "10.0.0.1", NO_RATE_LIMIT).user


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


# -- the timeline and issues ------------------------------------------------------------------------


def test_the_timeline_is_the_customers_audit_log_newest_first(uow: FakeUnitOfWork) -> None:
    for minutes, customer_id, summary in ((0, 1, "first"), (5, 2, "Beta's"), (10, 1, "second")):
        at = NOW + timedelta(minutes=minutes)
        uow.audit.record(AuditEntry(at, SYSTEM, "task", "7", "created", summary, customer_id, {"n": minutes}))

    page = accounts.timeline(uow, SAM, "C1")

    assert [(row.summary, row.actor, row.actor_kind, row.changes) for row in page.items] == [
        ("second", "system", "system", {"n": 10}),
        ("first", "system", "system", {"n": 0}),
    ]


def test_the_timeline_of_an_unknown_customer_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no customer with external id 'C9'"):
        accounts.timeline(uow, SAM, "C9")


def test_issues_are_listed_for_one_customer_or_all(uow: FakeUnitOfWork) -> None:
    acmes = uow.customer_records.add_issue(1, "Collect May", MARIA.id)
    betas = uow.customer_records.add_issue(2, "Collect April", SAM.id)

    for_acme = accounts.list_issues(uow, SAM, "C1", None)
    for_all = accounts.list_issues(uow, SAM, None, "open")

    assert [(i.id, i.customer_external_id, i.title) for i in for_acme] == [(acmes, "C1", "Collect May")]
    assert [i.id for i in for_all] == [betas, acmes]


def test_the_issues_of_an_unknown_customer_are_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound):
        accounts.list_issues(uow, SAM, "C9", None)


# -- saved views ---------------------------------------------------------------------------------------


def test_someone_who_saved_no_view_gets_open_by_default_and_all(uow: FakeUnitOfWork) -> None:
    assert accounts.views(uow, MARIA) == [
        SavedView(0, "Open", {"status": "open"}, True),
        SavedView(0, "All", {"status": "all"}, False),
    ]


def test_a_saved_view_replaces_the_defaults_for_its_owner_only(uow: FakeUnitOfWork) -> None:
    saved = accounts.save_view(uow, MARIA, "  Calls  ", {"types": ["call"]}, is_default=True)

    assert accounts.views(uow, MARIA) == [saved]
    assert (saved.name, saved.filters, saved.is_default) == ("Calls", {"types": ["call"]}, True)
    assert [v.name for v in accounts.views(uow, SAM)] == ["Open", "All"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [("   ", "a name of 1 to 100 characters"), ("x" * 101, "a name of 1 to 100 characters"), ("a\x00b", "NUL byte")],
)
def test_a_view_needs_a_name_of_1_to_100_characters_without_a_nul(uow: FakeUnitOfWork, name: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        accounts.save_view(uow, MARIA, name, {})

    assert uow.accounts.saved_views == {}


def test_someone_deletes_their_own_view(uow: FakeUnitOfWork) -> None:
    saved = accounts.save_view(uow, MARIA, "Calls", {"types": ["call"]})

    accounts.delete_view(uow, MARIA, saved.id)

    assert uow.accounts.saved_views == {}


def test_someone_elses_view_cannot_be_deleted(uow: FakeUnitOfWork) -> None:
    saved = accounts.save_view(uow, MARIA, "Calls", {"types": ["call"]})

    with pytest.raises(NotFound, match=f"no saved view {saved.id}"):
        accounts.delete_view(uow, SAM, saved.id)

    assert list(uow.accounts.saved_views) == [saved.id]


# -- API tokens ------------------------------------------------------------------------------------------


def test_a_token_is_issued_once_and_only_its_hash_is_stored(uow: FakeUnitOfWork) -> None:
    token = accounts.issue_token(uow, "maria", "laptop")

    [stored] = uow.accounts.tokens.values()
    assert token.startswith("arr_") and len(token) > 40
    assert (stored.user_id, stored.name, stored.token_hash) == (
        MARIA.id,
        "laptop",
        hashlib.sha256(token.encode()).hexdigest(),
    )
    assert token not in repr(uow.accounts.tokens)


def test_issuing_a_token_is_audited(uow: FakeUnitOfWork) -> None:
    accounts.issue_token(uow, "maria")

    assert uow.audit.entries == [
        AuditEntry(NOW, Actor.of(MARIA), "api_token", "1", "created", "API token created for maria", None)
    ]


def test_a_token_for_an_unknown_user_is_not_issued(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        accounts.issue_token(uow, "nobody")

    assert uow.accounts.tokens == {} and not uow.audit.entries


def test_a_token_signs_its_user_in_and_its_use_is_recorded(uow: FakeUnitOfWork) -> None:
    token = accounts.issue_token(uow, "maria")

    user = token_user(uow, token)

    assert user == MARIA
    assert uow.accounts.tokens[1].last_used_at == NOW


@pytest.mark.parametrize("token", ["arr_not-issued", "not-ours", "arr_" + "x" * 200])
def test_a_token_not_issued_signs_no_one_in(uow: FakeUnitOfWork, token: str) -> None:
    accounts.issue_token(uow, "maria")

    assert token_user(uow, token) is None


def test_revoked_tokens_sign_no_one_in_and_the_revocation_is_audited(uow: FakeUnitOfWork) -> None:
    tokens = [accounts.issue_token(uow, "maria") for _ in range(2)]
    other = accounts.issue_token(uow, "morgan")

    count = accounts.revoke_tokens(uow, "maria")

    assert count == 2
    assert [token_user(uow, t) for t in tokens] == [None, None]
    assert token_user(uow, other) == MORGAN
    assert uow.audit.entries[-1].summary == "2 API tokens of maria revoked"


def test_the_tokens_of_an_unknown_user_cannot_be_revoked(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound):
        accounts.revoke_tokens(uow, "nobody")

    assert uow.commits == 0


def test_a_blocked_address_is_refused_before_its_token_is_looked_at() -> None:
    uow = acme_desk()
    token = accounts.issue_token(uow, "maria")
    for n in range(throttles.API_TOKEN_LIMITS.address):
        throttles.api_token_failed(uow, "10.0.0.9", f"arr_guess-{n}")

    assert accounts.admit_api_call(uow, token, "10.0.0.9", NO_RATE_LIMIT) == accounts.ApiCaller(blocked=True)
    assert token_user(uow, token) == MARIA  # another address
    assert token_user(uow, "not-a-token") is None
