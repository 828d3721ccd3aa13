"""Adding users. The first user of a workspace is added from the command line by whoever runs it."""

from __future__ import annotations

import secrets

from ..domain.users import User, check_email, check_password, check_user_name, parse_role
from .ports import PasswordHasher, UnitOfWork


def add_user(
    uow: UnitOfWork, hasher: PasswordHasher, name: str, role: str, *, email: str | None, password: str | None
) -> User:
    """Add a user with a role; the password (optional: API-token-only users have none) is hashed."""
    check_user_name(name)
    parsed_role = parse_role(role)
    if email:
        check_email(email)
    password_hash = hasher.hash(check_password(password)) if password is not None else None
    with uow:
        user = uow.users.add(name, parsed_role, email or None, password_hash)
        uow.commit()
    return user


def list_users(uow: UnitOfWork) -> list[User]:
    with uow:
        return uow.users.all()


def authenticate(uow: UnitOfWork, hasher: PasswordHasher, name: str, password: str) -> User | None:
    """The user whose password this is; None for a wrong password, an unknown user or one without a
    password (API-token-only). Says nothing about which of those it was."""
    if len(name) > 64 or len(password) > 1024:
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


def signed_in(uow: UnitOfWork, user_id: int) -> User | None:
    """The user a session names, if they still exist (a deleted user's session ends)."""
    with uow:
        return uow.accounts.user_by_id(user_id)
