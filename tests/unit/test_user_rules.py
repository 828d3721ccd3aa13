"""Users: names, email addresses, passwords and roles."""

from __future__ import annotations

import pytest

from arrears.domain.errors import InvalidValue
from arrears.domain.users import TERMINAL, Role, check_email, check_password, check_user_name, parse_role


@pytest.mark.parametrize("name", ["maria", "m", "Maria.Lopez", "maria_l", "maria-l", "maria@acme", "7eleven"])
def test_a_user_name_of_letters_digits_and_dot_underscore_at_or_dash_is_accepted(name: str) -> None:
    accepted = check_user_name(name)

    assert accepted == name


def test_a_user_name_of_64_characters_is_accepted() -> None:
    name = "m" * 64

    assert check_user_name(name) == name


@pytest.mark.parametrize(
    "name", ["m" * 65, "", ".maria", "_maria", "-maria", "@maria", "maria lopez", "maría", "ma/ria"]
)
def test_a_user_name_outside_the_pattern_is_refused_saying_what_is_allowed(name: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_user_name(name)

    assert caught.value.message == (
        f"{name!r} is not a valid user name: 1 to 64 letters, digits, '.', '_', '@' or '-', "
        "starting with a letter or digit"
    )


@pytest.mark.parametrize("email", ["ap@acme.example", "a.b+c@mail.acme.co.uk", "x@y.z"])
def test_an_address_with_one_at_and_a_dotted_domain_is_an_email(email: str) -> None:
    accepted = check_email(email)

    assert accepted == email


@pytest.mark.parametrize("email", ["ap", "ap@acme", "@acme.example", "ap@@acme.example", "ap @acme.example", ""])
def test_anything_else_is_not_an_email(email: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_email(email)

    assert caught.value.message == f"{email!r} is not an email address"


def test_a_password_of_eight_characters_is_accepted() -> None:
    accepted = check_password("k7#pq2zx")

    assert accepted == "k7#pq2zx"


def test_a_password_of_seven_characters_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_password("k7#pq2z")

    assert caught.value.message == "the password must have at least 8 characters"


@pytest.mark.parametrize("password", ["password", "PassWord1", "12345678", "qwertyuiop", "aaaaaaaa", "abababab"])
def test_a_password_tried_first_by_anyone_guessing_is_refused(password: str) -> None:
    with pytest.raises(InvalidValue, match="among the first ones tried"):
        check_password(password)


def test_a_password_holding_the_user_name_is_refused_any_case() -> None:
    with pytest.raises(InvalidValue, match="may not contain the user name"):
        check_password("Maria-2026!", "maria")

    assert check_password("Maria-2026!", "sam") == "Maria-2026!"  # a short name elsewhere is no matter


def test_a_password_longer_than_signing_in_accepts_is_refused() -> None:
    with pytest.raises(InvalidValue, match="at most 1,024 characters"):
        check_password(("xy7" * 342)[:1025])

    assert len(check_password(("xy7" * 342)[:1024])) == 1024


@pytest.mark.parametrize("role", ["owner", "manager", "contributor"])
def test_each_role_parses_from_its_name(role: str) -> None:
    parsed = parse_role(role)

    assert parsed is Role(role)


@pytest.mark.parametrize("text", ["Owner", "admin", "collector", ""])
def test_anything_else_is_not_a_role(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_role(text)

    assert caught.value.message == f"{text!r} is not a role: use owner, manager or contributor"


def test_the_person_at_the_terminal_is_an_owner_named_terminal() -> None:
    assert (TERMINAL.id, TERMINAL.name, TERMINAL.role, TERMINAL.email) == (0, "terminal", Role.OWNER, None)
