"""Users and their roles: owner, manager, contributor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import InvalidValue


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CONTRIBUTOR = "contributor"


_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    email: str | None


# The person at the terminal running `arrears …`: trusted like an owner (they hold the database),
# but no user of the workspace; the audit log names them "terminal".
TERMINAL = User(0, "terminal", Role.OWNER, None)


def check_user_name(name: str) -> str:
    if not _USER_NAME.fullmatch(name):
        raise InvalidValue(
            f"{name!r} is not a valid user name: 1 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_email(email: str) -> str:
    if not _EMAIL.fullmatch(email):
        raise InvalidValue(f"{email!r} is not an email address")
    return email


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a role: use owner, manager or contributor") from None
