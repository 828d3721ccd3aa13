"""Adding users. The first user of a workspace is added from the command line by whoever runs it."""

from __future__ import annotations

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
