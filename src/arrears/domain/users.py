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
MAX_PASSWORD_LENGTH = 1024
# The passwords tried first (the most common in published breach lists), folded to lower case.
COMMON_PASSWORDS = frozenset(
    (
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "12345678",
        "123456789",
        "1234567890",
        "0123456789",
        "87654321",
        "12341234",
        "11223344",
        "123123123",
        "1q2w3e4r",
        "1qaz2wsx",
        "qwertyui",
        "qwertyuiop",
        "qwerty123",
        "qwerty12",
        "asdfghjk",
        "asdfghjkl",
        "zxcvbnm1",
        "azertyui",
        "iloveyou",
        "iloveyou1",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "superman",
        "batman123",
        "trustno1",
        "letmein1",
        "letmein123",
        "welcome1",
        "welcome123",
        "whatever",
        "starwars",
        "dragon123",
        "monkey123",
        "master123",
        "shadow123",
        "michael1",
        "jennifer",
        "charlie1",
        "computer",
        "internet",
        "changeme",
        "changeme1",
        "default1",
        "secret123",
        "admin123",
        "administrator",
        "abc12345",
        "abcd1234",
        "abcdefgh",
        "aa123456",
        "access14",
        "mustang1",
        "freedom1",
        "qazwsxedc",
        "zaq12wsx",
        "1password",
        "123qweasd",
        "qweasdzxc",
        "arrears1",
        "arrears123",
    )
)


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


def check_password(password: str, user_name: str | None = None) -> str:
    """A password of 8 to 1,024 characters (the same limit as signing in), not one of the passwords
    every attacker tries first, not one character repeated, and not the user's own name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue(f"the password may have at most {MAX_PASSWORD_LENGTH:,} characters")
    folded = password.casefold()
    if folded in COMMON_PASSWORDS or len(set(folded)) <= 2:
        raise InvalidValue("that password is among the first ones tried by anyone guessing: choose another")
    if user_name and len(user_name) >= 3 and user_name.casefold() in folded:
        raise InvalidValue("the password may not contain the user name")
    return password


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a role: use owner, manager or contributor") from None
