"""The API's limits: calls a minute per token's user (ARREARS_API_RATE_LIMIT), refused tokens per
address, and the size of a request's body; each refused with a 4xx that says why and changes nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from arrears.adapters.db import tables as t
from arrears.api.app import create_app
from arrears.services.calls import CallSettings
from tests.api import Api, assert_error, open_api

GOOD_ROW = {"external_id": "C1", "name": "Acme Ltd", "currency": "USD"}


@pytest.fixture(name="api")
def limited_api(db_url: str) -> Iterator[Api]:
    """The API with 5 calls a minute per user, at 09:00:20 (40 s before the minute ends)."""
    opened = open_api(db_url, api_rate_limit=5)
    opened.clock.at += timedelta(seconds=20)
    with opened.client:
        yield opened
    opened.arrears.close()


def test_a_users_calls_over_the_limit_are_429_until_the_minute_ends_and_others_go_on(api: Api) -> None:
    assert [api.get("/tasks", as_="maria").status_code for _ in range(5)] == [200] * 5

    refused = api.get("/tasks", as_="maria")
    written = api.post("/customers/batch", {"rows": [GOOD_ROW]}, as_="maria")

    error = assert_error(refused, 429, "too_many_requests", "more than 5 calls a minute", "maria", "40 s")
    assert refused.headers["retry-after"] == "40"
    assert error["message"]
    assert_error(written, 429, "too_many_requests")
    assert api.get("/customers/C1").status_code == 404  # the refused write wrote nothing
    assert api.get("/tasks", as_="sam").status_code == 200  # counted per user
    api.clock.at += timedelta(seconds=40)  # the next minute
    assert api.get("/tasks", as_="maria").status_code == 200


def test_without_a_limit_nothing_is_counted(db_url: str) -> None:
    opened = open_api(db_url, api_rate_limit=0)
    with opened.client:
        assert all(opened.get("/tasks").status_code == 200 for _ in range(10))
        with opened.arrears.engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(t.rate_counts)).scalar_one() == 0
    opened.arrears.close()


def guessed(n: int) -> dict[str, str]:
    return {"Authorization": f"Bearer arr_guessed-token-{n:04d}"}


def test_an_address_that_sent_too_many_refused_tokens_is_429_even_with_a_good_one(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="arrears.auth")
    answers = [api.get("/tasks", as_=None, headers=guessed(n)).status_code for n in range(50)]

    blocked = api.get("/tasks", as_=None, headers=guessed(50))
    good = api.get("/tasks", as_="maria")

    assert answers == [401] * 50
    assert_error(blocked, 429, "too_many_requests", "refused API tokens from your address")
    assert_error(good, 429, "too_many_requests")
    assert good.headers["retry-after"] == "900"
    assert api.get("/tasks", as_=None).status_code == 401  # no token: nothing to throttle, nothing counted
    lines = [r.getMessage() for r in caplog.records if r.name == "arrears.auth"]
    assert lines[-1] == "API call refused: too many refused tokens from testclient"
    assert not any("guessed" in line for line in lines)
    api.clock.at += timedelta(minutes=15)  # the failures age out
    assert api.get("/tasks", as_="maria").status_code == 200


def test_a_job_retrying_one_revoked_token_blocks_no_one_behind_its_address(api: Api) -> None:
    revoked = {"Authorization": "Bearer arr_revoked-by-its-owner"}

    answers = {api.get("/tasks", as_=None, headers=revoked).status_code for _ in range(120)}

    assert answers == {401}  # counted once: it guesses nothing
    assert api.get("/tasks", as_="maria").status_code == 200


def test_a_call_over_the_limit_is_429_before_its_body_is_read(api: Api) -> None:
    for _ in range(5):
        api.get("/tasks", as_="maria")
    app = api.client.app
    reads: list[object] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        reads.append(1)
        return {"type": "http.request", "body": b"{not json", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(post_scope("/api/v1/customers/batch", api.tokens["maria"], b"application/json", 9), receive, send))

    assert sent[0]["status"] == 429  # not the 422 of its malformed JSON: the gate comes first
    assert b"too_many_requests" in sent[1]["body"]
    assert reads == []


def post_scope(path: str, token: str, content_type: bytes, length: int) -> dict[str, Any]:
    """An HTTP POST to the app, as a server hands it over (ASGI), before any of its body is read."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", content_type),
            (b"content-length", str(length).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def test_a_json_body_over_twenty_megabytes_is_413_and_writes_nothing(api: Api) -> None:
    padding = "x" * 20_000_000
    declared = api.post("/customers/batch", {"rows": [{**GOOD_ROW, "name": padding}]})

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"rows": [{"external_id": "C1", "currency": "USD", "name": "'
        for _ in range(21):
            yield b"x" * 1_000_000
        yield b'"}]}'

    chunked = api.call("POST", "/customers/batch", content=chunks(), headers={"Content-Type": "application/json"})

    assert_error(declared, 413, "too_large", "over 20,000,000 bytes")
    assert_error(chunked, 413, "too_large", "over 20,000,000 bytes")
    assert api.get("/customers/C1").status_code == 404
    assert api.post("/customers/batch", {"rows": [GOOD_ROW]}).status_code == 200


def test_a_recording_declared_over_the_limit_is_refused_before_a_byte_is_read(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.arrears, "call_settings", lambda: CallSettings(max_bytes=1_000_000, retention_days=90))
    app = create_app(api.arrears)
    reads: list[object] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        reads.append(1)
        return {"type": "http.request", "body": b"\x00" * 65_536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # the limit and the form's margin, plus one
    scope = post_scope("/api/v1/tasks/1/recording", api.tokens["maria"], b"multipart/form-data; boundary=x", 1_064_001)

    asyncio.run(app(scope, receive, send))

    assert sent[0]["status"] == 413
    assert b"over 1,064,000 bytes" in sent[1]["body"]
    assert reads == []
    assert list(api.arrears.calls_dir().glob("*")) == []
