"""Users (services/users.py), over fakes: adding one with a role and a hashed password, signing in
without saying whether the name or the password was wrong, and the session's user."""

from __future__ import annotations

from datetime import timedelta

import pytest

from arrears.domain.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from arrears.domain.users import Role, User
from arrears.services import users
from tests.fakes import FakeHasher, FakeUnitOfWork, acme_desk, make_user
from tests.unit.builders import MARIA, MORGAN, OLIVIA, SAM


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


@pytest.fixture
def hasher() -> FakeHasher:
    return FakeHasher()


def test_a_user_is_added_with_a_role_and_only_the_hash_of_their_password(
    uow: FakeUnitOfWork, hasher: FakeHasher
) -> None:
    user = users.add_user(uow, hasher, "nina", "manager", email="nina@example.com", password="correct horse")

    assert user == User(5, "nina", Role.MANAGER, "nina@example.com")
    assert uow.users.password_hash("nina") == "hashed:correct horse"
    assert uow.commits == 1


def test_a_user_for_the_api_only_has_no_password(uow: FakeUnitOfWork, hasher: FakeHasher) -> None:
    users.add_user(uow, hasher, "robot", "contributor", email=None, password=None)

    assert uow.users.password_hash("robot") is None


@pytest.mark.parametrize(
    ("name", "role", "email", "password", "reason"),
    [
        ("-nina", "manager", None, None, "not a valid user name"),
        ("nina", "admin", None, None, "'admin' is not a role"),
        ("nina", "manager", "nina-at-example", None, "is not an email address"),
        ("nina", "manager", None, "short", "at least 8 characters"),
    ],
)
def test_a_user_with_a_bad_name_role_email_or_password_is_not_added(
    uow: FakeUnitOfWork, hasher: FakeHasher, name: str, role: str, email: str | None, password: str | None, reason: str
) -> None:
    with pytest.raises(InvalidValue, match=reason):
        users.add_user(uow, hasher, name, role, email=email, password=password)

    assert uow.users.by_name(name) is None and uow.commits == 0


def test_a_name_is_taken_once(uow: FakeUnitOfWork, hasher: FakeHasher) -> None:
    with pytest.raises(Conflict, match="a user named 'maria' already exists"):
        users.add_user(uow, hasher, "maria", "owner", email=None, password=None)

    assert uow.accounts.people[MARIA.id].user == MARIA


def test_users_are_listed_by_name(uow: FakeUnitOfWork) -> None:
    assert users.list_users(uow) == [MARIA, MORGAN, OLIVIA, SAM]


# -- signing in ----------------------------------------------------------------------------------------


@pytest.fixture
def nina(uow: FakeUnitOfWork, hasher: FakeHasher) -> User:
    return uow.accounts.add_user(make_user(), password_hash=hasher.hash("correct horse"))


def test_the_right_password_signs_its_user_in(uow: FakeUnitOfWork, hasher: FakeHasher, nina: User) -> None:
    assert users.authenticate(uow, hasher, "nina", "correct horse") == nina


def test_a_wrong_password_signs_no_one_in(uow: FakeUnitOfWork, hasher: FakeHasher, nina: User) -> None:
    assert users.authenticate(uow, hasher, "nina", "wrong horse") is None


def test_an_unknown_name_is_checked_as_slowly_as_a_known_one(uow: FakeUnitOfWork, hasher: FakeHasher) -> None:
    assert users.authenticate(uow, hasher, "nobody", "correct horse") is None

    assert hasher.verified == 1


def test_a_user_without_a_password_cannot_sign_in_with_one(uow: FakeUnitOfWork, hasher: FakeHasher) -> None:
    assert users.authenticate(uow, hasher, "maria", "") is None

    assert hasher.verified == 1


def test_a_name_or_password_too_long_to_be_real_is_refused_without_a_check(
    uow: FakeUnitOfWork, hasher: FakeHasher, nina: User
) -> None:
    assert users.authenticate(uow, hasher, "n" * 65, "correct horse") is None
    assert users.authenticate(uow, hasher, "nina", "x" * 1025) is None

    assert hasher.verified == 0


def test_a_session_names_its_user_until_it_ends(uow: FakeUnitOfWork) -> None:
    token = users.start_session(uow, MARIA)

    assert users.session_user(uow, token) == MARIA
    users.end_session(uow, token)
    assert users.session_user(uow, token) is None  # a copy of the cookie is refused
    assert users.session_user(uow, "forged") is None


def test_a_session_expires_after_a_working_day(uow: FakeUnitOfWork) -> None:
    token = users.start_session(uow, MARIA)

    uow.clock.advance(timedelta(hours=12))

    assert users.session_user(uow, token) is None


def test_signing_out_everywhere_ends_every_session_of_the_user_only(uow: FakeUnitOfWork) -> None:
    laptop, phone, sams = (
        users.start_session(uow, MARIA),
        users.start_session(uow, MARIA),
        users.start_session(uow, SAM),
    )

    assert users.end_every_session(uow, MARIA) == 2
    assert (users.session_user(uow, laptop), users.session_user(uow, phone)) == (None, None)
    assert users.session_user(uow, sams) == SAM


def test_deactivating_a_user_ends_their_sessions_and_their_sign_in(uow: FakeUnitOfWork, hasher: FakeHasher) -> None:
    users.set_password(uow, hasher, OLIVIA, "maria", "a long secret")
    token = users.start_session(uow, MARIA)

    assert users.set_active(uow, OLIVIA, "maria", False) == 1

    assert users.session_user(uow, token) is None
    assert users.authenticate(uow, hasher, "maria", "a long secret") is None
    assert [u.name for u in users.list_users(uow)] == ["morgan", "olivia", "sam"]  # no longer to assign work to
    assert ("user", str(MARIA.id), "deactivated") in uow.audit.actions()
    users.set_active(uow, OLIVIA, "maria", True)
    assert users.authenticate(uow, hasher, "maria", "a long secret") == MARIA


def test_a_new_password_ends_the_users_sessions(uow: FakeUnitOfWork, hasher: FakeHasher) -> None:
    token = users.start_session(uow, MARIA)

    assert users.set_password(uow, hasher, MARIA, "maria", "a new long secret") == 1  # her own

    assert users.session_user(uow, token) is None
    assert uow.users.password_hash("maria") == "hashed:a new long secret"


def test_only_an_owner_changes_someone_elses_password_role_or_activity(uow: FakeUnitOfWork, hasher: FakeHasher) -> None:
    for change in (
        lambda: users.set_password(uow, hasher, MORGAN, "maria", "a long secret"),
        lambda: users.set_role(uow, MORGAN, "maria", "manager"),
        lambda: users.set_active(uow, MORGAN, "maria", False),
        lambda: users.accounts(uow, MORGAN),
    ):
        with pytest.raises(PermissionDenied):
            change()

    assert uow.commits == 0


def test_an_owner_changes_a_role_and_it_is_audited(uow: FakeUnitOfWork) -> None:
    changed = users.set_role(uow, OLIVIA, "maria", "manager")

    assert changed.role is Role.MANAGER and uow.users.by_name("maria") == changed
    assert uow.audit.entries[-1].summary == "maria is now manager (was contributor)"


def test_the_last_active_owner_keeps_the_role_and_stays_active(uow: FakeUnitOfWork) -> None:
    for change in (
        lambda: users.set_role(uow, OLIVIA, "olivia", "manager"),
        lambda: users.set_active(uow, OLIVIA, "olivia", False),
    ):
        with pytest.raises(Conflict, match="last active owner"):
            change()

    users.set_role(uow, OLIVIA, "morgan", "owner")
    assert users.set_role(uow, OLIVIA, "olivia", "manager").role is Role.MANAGER


def test_the_accounts_list_says_who_is_active_and_their_open_sessions(uow: FakeUnitOfWork) -> None:
    users.start_session(uow, SAM)
    users.set_active(uow, OLIVIA, "maria", False)

    listed = {a.user.name: (a.active, a.open_sessions) for a in users.accounts(uow, OLIVIA)}

    assert listed == {"maria": (False, 0), "morgan": (True, 0), "olivia": (True, 0), "sam": (True, 1)}


def test_an_unknown_user_is_not_found(uow: FakeUnitOfWork, hasher: FakeHasher) -> None:
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        users.set_role(uow, OLIVIA, "nobody", "manager")
