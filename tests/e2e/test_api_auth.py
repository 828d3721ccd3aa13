"""API tokens: `arrears users token NAME` prints one (stored hashed), `arrears users revoke NAME`
ends them; every call without a valid token is a 401 with a JSON error."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from typer.testing import CliRunner

from arrears.adapters.db import tables as t
from arrears.cli.main import app
from tests.api import Api, api_fixture, assert_error  # noqa: F401


def arrears_cli(api: Api, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--database-url", str(api.arrears.settings.database_url)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_call_without_a_token_is_401_with_a_bearer_challenge(api: Api) -> None:
    answer = api.get("/tasks", as_=None)

    assert_error(answer, 401, "unauthorized", "Authorization: Bearer")
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_call_with_an_unknown_or_malformed_token_is_401(api: Api) -> None:
    for header in ("Bearer arr_not-a-token", "Bearer x", "Basic b2xpdmlhOnB3", "Bearer " + "arr_" + "a" * 500):
        answer = api.get("/tasks", as_=None, headers={"Authorization": header})

        assert_error(answer, 401, "unauthorized")


def test_a_token_printed_by_the_cli_works_and_is_stored_only_as_its_hash(api: Api) -> None:
    token = arrears_cli(api, "users", "token", "maria", "--label", "erp-sync").strip()

    answer = api.get("/tasks", as_=None, headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 200
    with api.arrears.engine.connect() as connection:
        stored = set(connection.execute(select(t.api_tokens.c.token_hash)).scalars())
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_a_revoked_token_is_401_and_other_users_tokens_still_work(api: Api) -> None:
    assert api.get("/tasks", as_="maria").status_code == 200

    out = arrears_cli(api, "users", "revoke", "maria")

    assert "revoked 1 API token of maria" in out
    assert_error(api.get("/tasks", as_="maria"), 401, "unauthorized", "revoked")
    assert api.get("/tasks", as_="sam").status_code == 200
    fresh = arrears_cli(api, "users", "token", "maria").strip()
    assert api.get("/tasks", as_=None, headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_a_token_for_an_unknown_user_is_a_user_error(api: Api) -> None:
    result = CliRunner().invoke(app, ["users", "token", "nobody", "--database-url", api.arrears.settings.database_url])

    assert result.exit_code == 1
    assert "no user named 'nobody'" in result.stderr


def test_the_cli_lists_the_tokens_and_revokes_one_leaving_the_others(api: Api) -> None:
    first = arrears_cli(api, "users", "token", "maria", "--label", "erp-sync").strip()
    second = arrears_cli(api, "users", "token", "maria", "--label", "bi-export").strip()

    listed = json.loads(arrears_cli(api, "users", "tokens", "--format", "json"))
    [sync] = [row for row in listed if row["label"] == "erp-sync"]
    out = arrears_cli(api, "users", "revoke-token", str(sync["id"]))
    after = {
        row["label"]: row["revoked_at"] for row in json.loads(arrears_cli(api, "users", "tokens", "--format", "json"))
    }

    assert first not in json.dumps(listed) and second not in json.dumps(listed)  # never the token itself
    assert out.strip() == f"revoked API token {sync['id']} of maria (erp-sync)"
    assert after["erp-sync"] and not after["bi-export"]
    assert_error(api.get("/tasks", as_=None, headers={"Authorization": f"Bearer {first}"}), 401, "unauthorized")
    assert api.get("/tasks", as_=None, headers={"Authorization": f"Bearer {second}"}).status_code == 200
