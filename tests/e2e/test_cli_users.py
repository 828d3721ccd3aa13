"""`arrears users role|deactivate|activate|password|list` as a user runs them, on both databases: a
deactivated user's API token is refused at once, the last owner keeps the role, and a weak password
is refused with the reason."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from arrears.api.app import create_app
from arrears.bootstrap import Arrears
from tests.e2e.conftest import Cli


def test_role_deactivate_activate_and_list(cli: Cli, arrears: Arrears) -> None:
    for name, role in (("olivia", "owner"), ("maria", "contributor")):
        assert cli("users", "add", name, "--role", role).exit_code == 0

    promoted = cli("users", "role", "maria", "manager")
    deactivated = cli("users", "deactivate", "maria")
    listed = json.loads(cli("users", "list", "--format", "json").stdout)

    assert (promoted.exit_code, promoted.stdout) == (0, "maria is manager\n")
    assert (deactivated.exit_code, deactivated.stdout) == (0, "maria deactivated (0 web sessions ended)\n")
    assert [(u["name"], u["role"], u["active"]) for u in listed] == [
        ("maria", "manager", False),
        ("olivia", "owner", True),
    ]
    assert cli("users", "activate", "maria").stdout == "maria activated\n"
    assert "maria,manager,,true,0" in cli("users", "list", "--format", "csv").stdout


def test_a_deactivated_users_api_token_is_refused_at_once(cli: Cli, arrears: Arrears) -> None:
    cli("users", "add", "olivia", "--role", "owner")
    cli("users", "add", "robot", "--role", "manager")
    issued = cli("users", "token", "robot", "--label", "ci").stdout.strip()
    api = TestClient(create_app(arrears))
    headers = {"Authorization": f"Bearer {issued}"}
    assert api.get("/api/v1/tasks", headers=headers).status_code == 200

    cli("users", "deactivate", "robot")

    assert api.get("/api/v1/tasks", headers=headers).status_code == 401


def test_the_last_owner_keeps_the_role(cli: Cli) -> None:
    cli("users", "add", "olivia", "--role", "owner")

    result = cli("users", "role", "olivia", "manager")

    assert result.exit_code == 1 and "olivia is the last active owner" in result.stderr


def test_a_common_password_is_refused_and_a_good_one_set(cli: Cli) -> None:
    cli("users", "add", "maria", "--role", "contributor")

    weak = cli("users", "password", "maria", "--password-stdin", input="qwertyuiop\n")
    good = cli("users", "password", "maria", "--password-stdin", input="violet staple anchor\n")

    assert weak.exit_code == 1 and "among the first ones tried" in weak.stderr
    assert (good.exit_code, good.stdout) == (0, "maria's password changed (0 web sessions ended)\n")


def test_an_unknown_user_is_a_clear_error(cli: Cli) -> None:
    result = cli("users", "deactivate", "nobody")

    assert result.exit_code == 1 and "no user named 'nobody'" in result.stderr
