"""Users (services/users.py), over fakes: adding one with a role and a hashed password, signing in
without saying whether the name or the password was wrong, and the session's user."""

from __future__ import annotations

import pytest

from arrears.domain.errors import Conflict, InvalidValue
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


def test_a_session_names_a_user_who_still_exists(uow: FakeUnitOfWork) -> None:
    assert users.signed_in(uow, MARIA.id) == MARIA
    assert users.signed_in(uow, 99) is None
