"""Users (services/users.py), over fakes: adding one with a role and a hashed password, signing in
without saying whether the name or the password was wrong, the session's user, and one's own
sessions listed and ended after typing one's password again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from arrears.domain.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from arrears.domain.users import Role, User
from arrears.domain.web_sessions import PasswordNotConfirmed, TooManyAttempts
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


# -- one's own sessions: listed, and ended after typing one's password again -----------------------

PASSWORD = "a long secret of hers"
HERE = "198.51.100.7"


@pytest.fixture
def maria_signs_in(uow: FakeUnitOfWork, hasher: FakeHasher) -> Callable[..., str]:
    """Maria, with a password, signing in: `maria_signs_in(user_agent=…)` returns the new cookie's token."""
    users.set_password(uow, hasher, OLIVIA, "maria", PASSWORD)

    def sign_in(*, address: str = HERE, user_agent: str | None = None) -> str:
        token = users.start_session(uow, MARIA, address=address, user_agent=user_agent)
        uow.clock.advance(timedelta(minutes=1))
        return token

    return sign_in


def test_my_sessions_are_my_open_ones_newest_first_this_browser_marked(
    uow: FakeUnitOfWork, maria_signs_in: Callable[..., str]
) -> None:
    laptop = maria_signs_in(user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/128.0")
    ended = maria_signs_in()
    phone = maria_signs_in(address="203.0.113.9", user_agent="Mozilla/5.0 (iPhone) Version/17.5 Mobile Safari/604.1")
    users.start_session(uow, SAM)
    users.end_session(uow, ended)

    listed = users.my_sessions(uow, MARIA, laptop)

    assert [(s.device, s.address, s.current) for s in listed.shown] == [
        ("Safari on iPhone", "203.0.113.9", False),
        ("Firefox on Windows", HERE, True),
    ]
    assert listed.total == 2 and listed.not_shown == 0
    assert users.session_user(uow, phone) == MARIA


def test_a_long_list_shows_the_newest_and_always_this_browser(
    uow: FakeUnitOfWork, maria_signs_in: Callable[..., str]
) -> None:
    oldest = maria_signs_in()
    for _ in range(users.SESSIONS_SHOWN + 5):
        maria_signs_in()

    listed = users.my_sessions(uow, MARIA, oldest)

    assert len(listed.shown) == users.SESSIONS_SHOWN and listed.not_shown == 6
    assert listed.shown[-1].current and not any(s.current for s in listed.shown[:-1])
    assert [s.signed_in_at for s in listed.shown] == sorted((s.signed_in_at for s in listed.shown), reverse=True)


def test_a_session_keeps_the_address_and_browser_cut_to_what_is_stored(
    uow: FakeUnitOfWork, maria_signs_in: Callable[..., str]
) -> None:
    token = maria_signs_in(address="2001:db8::1%eth0" + "9" * 60, user_agent="Agent\x00\n" + "x" * 300)

    [session] = users.my_sessions(uow, MARIA, token).shown

    assert session.address == "2001:db8::1%eth0" + "9" * 48
    assert session.user_agent == "Agent" + "x" * 195


def test_using_a_session_moves_its_last_use(uow: FakeUnitOfWork, maria_signs_in: Callable[..., str]) -> None:
    token = maria_signs_in()
    signed_in = uow.clock.now() - timedelta(minutes=1)
    uow.clock.advance(timedelta(minutes=7))

    users.session_seen(uow, token)

    [session] = users.my_sessions(uow, MARIA, token).shown
    assert (session.signed_in_at, session.last_seen_at) == (signed_in, uow.clock.now())


def test_ending_another_of_my_sessions_with_my_password_signs_that_browser_out(
    uow: FakeUnitOfWork, hasher: FakeHasher, maria_signs_in: Callable[..., str]
) -> None:
    here, there = maria_signs_in(), maria_signs_in()
    [other] = [s for s in users.my_sessions(uow, MARIA, here).shown if not s.current]

    users.end_my_session(uow, hasher, MARIA, here, other.id, PASSWORD, HERE)

    assert users.session_user(uow, there) is None
    assert users.session_user(uow, here) == MARIA
    assert [s.current for s in users.my_sessions(uow, MARIA, here).shown] == [True]


def test_a_wrong_password_ends_nothing_and_counts_as_a_failed_sign_in(
    uow: FakeUnitOfWork, hasher: FakeHasher, maria_signs_in: Callable[..., str]
) -> None:
    here, there = maria_signs_in(), maria_signs_in()
    [other] = [s for s in users.my_sessions(uow, MARIA, here).shown if not s.current]

    with pytest.raises(PasswordNotConfirmed, match="the password is wrong"):
        users.end_my_session(uow, hasher, MARIA, here, other.id, "a guess", HERE)
    with pytest.raises(PasswordNotConfirmed):
        users.end_my_other_sessions(uow, hasher, MARIA, here, "another guess", HERE)

    assert users.session_user(uow, there) == MARIA
    assert [(f.kind, f.account, f.address) for f in uow.failed_attempts.failures] == [("sign_in", "maria", HERE)] * 2


def test_once_the_sign_in_throttle_blocks_the_name_even_the_right_password_is_not_checked(
    uow: FakeUnitOfWork, hasher: FakeHasher, maria_signs_in: Callable[..., str]
) -> None:
    here, there = maria_signs_in(), maria_signs_in()
    for n in range(5):
        with pytest.raises(PasswordNotConfirmed):
            users.end_my_other_sessions(uow, hasher, MARIA, here, f"guess {n}", HERE)
    checked = hasher.verified

    with pytest.raises(TooManyAttempts):
        users.end_my_other_sessions(uow, hasher, MARIA, here, PASSWORD, HERE)

    assert hasher.verified == checked
    assert users.session_user(uow, there) == MARIA


def test_another_users_session_is_not_found_and_nothing_is_ended(
    uow: FakeUnitOfWork, hasher: FakeHasher, maria_signs_in: Callable[..., str]
) -> None:
    here = maria_signs_in()
    sams = users.start_session(uow, SAM)
    [sams_session] = users.my_sessions(uow, SAM, sams).shown
    commits = uow.commits

    with pytest.raises(NotFound, match=f"session {sams_session.id} is not one of your other open sessions"):
        users.end_my_session(uow, hasher, MARIA, here, sams_session.id, PASSWORD, HERE)

    assert users.session_user(uow, sams) == SAM
    assert uow.commits == commits + 1  # the throttle forgetting maria's failures, as a sign-in does


def test_this_browsers_own_session_is_not_ended_by_its_id(
    uow: FakeUnitOfWork, hasher: FakeHasher, maria_signs_in: Callable[..., str]
) -> None:
    here = maria_signs_in()
    [this] = users.my_sessions(uow, MARIA, here).shown

    with pytest.raises(NotFound):
        users.end_my_session(uow, hasher, MARIA, here, this.id, PASSWORD, HERE)

    assert users.session_user(uow, here) == MARIA


def test_ending_all_my_other_sessions_keeps_this_one_and_others_users(
    uow: FakeUnitOfWork, hasher: FakeHasher, maria_signs_in: Callable[..., str]
) -> None:
    laptop, phone, tablet = maria_signs_in(), maria_signs_in(), maria_signs_in()
    sams = users.start_session(uow, SAM)

    ended = users.end_my_other_sessions(uow, hasher, MARIA, phone, PASSWORD, HERE)

    assert ended == 2
    assert [users.session_user(uow, t) for t in (laptop, phone, tablet, sams)] == [None, MARIA, None, SAM]
