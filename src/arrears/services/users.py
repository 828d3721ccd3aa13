"""The people who use Arrears: adding them (the first from the command line), their roles, turning
them off and on, their passwords, and their web sessions, which end at once when they sign out, are
deactivated or get a new password; each user sees their own open sessions and ends any of them,
after typing their password again."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from ..domain.audit import Actor, AuditEntry
from ..domain.errors import Conflict, NotFound
from ..domain.permissions import Action, require
from ..domain.users import (
    MAX_PASSWORD_LENGTH,
    Role,
    User,
    check_email,
    check_password,
    check_user_name,
    parse_role,
)
from ..domain.web_sessions import (
    MAX_ADDRESS,
    MAX_USER_AGENT,
    OpenSessions,
    PasswordNotConfirmed,
    TooManyAttempts,
    client_text,
)
from . import throttles
from .ports import PasswordHasher, UnitOfWork
from .throttles import SIGN_IN_LIMITS, SignInLimits

SESSION_HOURS = 12  # a working day, then sign in again
SESSIONS_SHOWN = 50  # a user's list of sessions shows the newest (and the current one); "end all others" ends all


def add_user(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    name: str,
    role: str,
    *,
    email: str | None,
    password: str | None,
    published: bool = False,
) -> User:
    """Add a user with a role; the password (optional: API-token-only users have none) is checked
    against the password rules and hashed. `published`: the demo's password, printed for anyone to
    use on made-up data, is taken as it is (it guards nothing)."""
    check_user_name(name)
    parsed_role = parse_role(role)
    if email:
        check_email(email)
    if password is not None and not published:
        check_password(password, name)
    password_hash = hasher.hash(password) if password is not None else None
    with uow:
        user = uow.users.add(name, parsed_role, email or None, password_hash)
        uow.commit()
    return user


def list_users(uow: UnitOfWork) -> list[User]:
    """The active users, by name (who can be given a task or a customer)."""
    with uow:
        return uow.users.all()


@dataclass(frozen=True, slots=True)
class Account:
    user: User
    active: bool
    open_sessions: int


def accounts(uow: UnitOfWork, actor: User) -> list[Account]:
    """Every user with whether they are active and how many web sessions they have open (owners)."""
    require(actor, Action.MANAGE_USERS)
    with uow:
        now = uow.clock.now()
        sessions = uow.users.open_sessions(now)
        return [Account(user, active, sessions.get(user.id, 0)) for user, active in uow.users.accounts()]


def _target(uow: UnitOfWork, name: str) -> User:
    user = uow.users.by_name(name)
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def _audit(uow: UnitOfWork, actor: User, target: User, action: str, summary: str) -> None:
    uow.audit.record(AuditEntry(uow.clock.now(), Actor.of(actor), "user", str(target.id), action, summary, None))


def _keep_an_owner(uow: UnitOfWork, target: User) -> None:
    if target.role is Role.OWNER and uow.users.is_active(target.id) and uow.users.active_owners() <= 1:
        raise Conflict(f"{target.name} is the last active owner: make someone else an owner first")


def set_role(uow: UnitOfWork, actor: User, name: str, role: str) -> User:
    """Give a user another role (owners); the last active owner keeps theirs."""
    require(actor, Action.MANAGE_USERS)
    wanted = parse_role(role)
    with uow:
        target = _target(uow, name)
        if target.role is wanted:
            return target
        _keep_an_owner(uow, target)
        uow.users.set_role(target.id, wanted)
        _audit(uow, actor, target, "role", f"{target.name} is now {wanted.value} (was {target.role.value})")
        uow.commit()
    return User(target.id, target.name, wanted, target.email)


def set_active(uow: UnitOfWork, actor: User, name: str, active: bool) -> int:
    """Deactivate a user (their sessions end at once, their API tokens stop working, they can no
    longer sign in) or activate them again (owners). Returns how many sessions it ended."""
    require(actor, Action.MANAGE_USERS)
    with uow:
        target = _target(uow, name)
        if uow.users.is_active(target.id) == active:
            return 0
        if not active:
            _keep_an_owner(uow, target)
        uow.users.set_active(target.id, active)
        ended = 0 if active else uow.users.end_sessions(target.id, uow.clock.now())
        _audit(
            uow,
            actor,
            target,
            "activated" if active else "deactivated",
            f"{target.name} {'activated' if active else 'deactivated'}",
        )
        uow.commit()
    return ended


def set_password(uow: UnitOfWork, hasher: PasswordHasher, actor: User, name: str, password: str) -> int:
    """A new password for a user: their own, or anyone's for an owner. Every session of theirs ends
    (they sign in again with it); returns how many."""
    if actor.name != name:
        require(actor, Action.MANAGE_USERS)
    hashed = hasher.hash(check_password(password, name))
    with uow:
        target = _target(uow, name)
        uow.users.set_password_hash(target.id, hashed)
        ended = uow.users.end_sessions(target.id, uow.clock.now())
        _audit(uow, actor, target, "password", f"{target.name}'s password changed")
        uow.commit()
    return ended


# -- web sessions --------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(uow: UnitOfWork, user: User, *, address: str | None = None, user_agent: str | None = None) -> str:
    """A new web session for a user who just signed in: the token for their cookie (stored hashed).
    The client's address and User-Agent are kept (cut to what the columns hold) for the user's list
    of their sessions."""
    token = secrets.token_urlsafe(32)
    with uow:
        now = uow.clock.now()
        uow.users.start_session(
            user.id,
            _hash(token),
            now,
            now + timedelta(hours=SESSION_HOURS),
            address=client_text(address, MAX_ADDRESS),
            user_agent=client_text(user_agent, MAX_USER_AGENT),
        )
        uow.commit()
    return token


def session_seen(uow: UnitOfWork, token: str) -> None:
    """The session was used now: when its cookie is signed again, every few minutes at most."""
    if not token or len(token) > 100:
        return
    with uow:
        uow.users.session_seen(_hash(token), uow.clock.now())
        uow.commit()


def session_user(uow: UnitOfWork, token: str) -> User | None:
    """The user a session token names, while the session is open and the user active."""
    if not token or len(token) > 100:
        return None
    with uow:
        return uow.users.session_user(_hash(token), uow.clock.now())


def end_session(uow: UnitOfWork, token: str) -> None:
    """Sign out: the session ends, and a copy of its cookie is refused from now on."""
    if not token or len(token) > 100:
        return
    with uow:
        uow.users.end_session(_hash(token), uow.clock.now())
        uow.commit()


def end_every_session(uow: UnitOfWork, user: User) -> int:
    """Sign out everywhere: every session of the user ends (other browsers, a lost laptop)."""
    with uow:
        ended = uow.users.end_sessions(user.id, uow.clock.now())
        uow.commit()
    return ended


def my_sessions(uow: UnitOfWork, user: User, token: str) -> OpenSessions:
    """The signed-in user's own open sessions, newest first, the one of `token` (theirs, in this
    browser) marked current; any role sees its own and no one else's."""
    with uow:
        return uow.users.sessions_of(user.id, uow.clock.now(), _hash(token), SESSIONS_SHOWN)


def end_my_session(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    user: User,
    token: str,
    session_id: int,
    password: str,
    address: str,
    limits: SignInLimits = SIGN_IN_LIMITS,
) -> None:
    """End one of the user's other sessions (a browser left signed in elsewhere), once they have
    typed their password again. Raises PasswordNotConfirmed (counted as a failed sign-in),
    TooManyAttempts, or NotFound for a session that is not one of their other open ones (another
    user's included): nothing is ended then."""
    _confirm_password(uow, hasher, user, password, address, limits)
    with uow:
        if not uow.users.end_session_of(user.id, session_id, uow.clock.now(), _hash(token)):
            raise NotFound(f"session {session_id} is not one of your other open sessions")
        uow.commit()


def end_my_other_sessions(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    user: User,
    token: str,
    password: str,
    address: str,
    limits: SignInLimits = SIGN_IN_LIMITS,
) -> int:
    """End every session of the user but this browser's (the one of `token`), once they have typed
    their password again; how many ended. Refused as `end_my_session` is."""
    _confirm_password(uow, hasher, user, password, address, limits)
    with uow:
        ended = uow.users.end_sessions(user.id, uow.clock.now(), keep_hash=_hash(token))
        uow.commit()
    return ended


def _confirm_password(
    uow: UnitOfWork, hasher: PasswordHasher, user: User, password: str, address: str, limits: SignInLimits
) -> None:
    """The user's password, typed again, checked as signing in checks it and under the same throttle:
    a wrong one counts as a failed sign-in of the user from `address`, and a blocked name is refused
    before the password is looked at, so that this form is no way around the throttle to guess it.
    The right one forgets the name's failures from that address, as signing in does."""
    if throttles.sign_in_blocked(uow, user.name, address, limits):
        raise TooManyAttempts("too many wrong passwords: wait 15 minutes before trying again; nothing was ended")
    confirmed = authenticate(uow, hasher, user.name, password)
    if confirmed is None or confirmed.id != user.id:
        throttles.sign_in_failed(uow, user.name, address)
        raise PasswordNotConfirmed("the password is wrong: nothing was ended")
    throttles.signed_in(uow, user.name, address)


def authenticate(uow: UnitOfWork, hasher: PasswordHasher, name: str, password: str) -> User | None:
    """The user whose password this is; None for a wrong password, an unknown user or one without a
    password (API-token-only). Says nothing about which of those it was."""
    if len(name) > 64 or len(password) > MAX_PASSWORD_LENGTH:
        return None
    with uow:
        user = uow.users.by_name(name)
        stored = uow.users.password_hash(name)
    if user is None or stored is None:
        hasher.verify(_decoy_hash(hasher), password)  # as slow as a real check: no user enumeration by timing
        return None
    return user if hasher.verify(stored, password) else None


_DECOY: list[str] = []


def _decoy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password, made once: what an unknown name's password is checked against."""
    if not _DECOY:
        _DECOY.append(hasher.hash(secrets.token_urlsafe(16)))
    return _DECOY[0]
