"""`GET /healthz` (the process is up) and `GET /readyz` (the database answers, its schema is the
newest): no sign-in, no data of the workspace, never cached; a 503 with the reason when not ready."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.adapters.db.engine import CONNECT_TIMEOUT, head_revision, postgres_connect_args
from arrears.bootstrap import READINESS_DEADLINE, bootstrap
from arrears.cli.serve import server_app  # what `arrears serve` runs: the API, the pages and the portal
from arrears.config import Settings

CHECKS = ("/healthz", "/readyz")


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    """What `arrears serve` serves, on a migrated database with nothing in it."""
    yield from served(db_url)


def served(database_url: str) -> Iterator[TestClient]:
    arrears = bootstrap(Settings(database_url=database_url))
    try:
        yield TestClient(server_app(arrears))
    finally:
        arrears.close()


def test_both_answer_200_to_anyone_without_a_session_or_any_data(client: TestClient) -> None:
    health = client.get("/healthz")
    ready = client.get("/readyz")
    head = client.head("/readyz")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "schema": head_revision()})
    assert head.status_code == 200
    for answer in (health, ready):
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["cache-control"] == "no-store"
        assert "set-cookie" not in answer.headers


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_readiness_is_503_with_the_reason_when_the_schema_is_not_the_newest(client: TestClient, db_url: str) -> None:
    connection = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '0015'")
    connection.close()

    ready = client.get("/readyz")

    assert ready.status_code == 503
    assert ready.json()["reason"] == f"the schema is at revision 0015, not {head_revision()}: run `arrears db upgrade`"
    assert client.get("/healthz").status_code == 200


def test_a_database_that_does_not_answer_is_not_ready_but_the_process_is_healthy(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "arrears.db"
    for client in served(f"sqlite:///{missing}"):
        health = client.get("/healthz")
        ready = client.get("/readyz")

        assert health.status_code == 200
        assert ready.status_code == 503
        assert ready.json()["reason"] == "the database does not answer (OperationalError)"
        assert str(missing) not in ready.text


def test_an_empty_database_is_not_ready_until_it_is_upgraded(tmp_path: Path) -> None:
    for client in served(f"sqlite:///{tmp_path / 'empty.db'}"):
        ready = client.get("/readyz")

        assert ready.status_code == 503
        assert "no Arrears schema: run `arrears db upgrade`" in ready.json()["reason"]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A PostgreSQL URL whose server takes the connection and then says nothing: the kernel completes
    the handshake for a socket that listens, and nobody ever reads from it (a server hung, or a
    firewall that swallows packets). Without a timeout, a connection to it waits for ever."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"postgresql+psycopg://arrears@127.0.0.1:{listener.getsockname()[1]}/arrears"


# Nothing listens on port 1 (refused at once); 10.255.255.1 is not routed (a connection to it waits
# for an answer that never comes, or fails at once where there is no route at all).
@pytest.mark.parametrize(
    "url",
    ["silent", "postgresql+psycopg://arrears@127.0.0.1:1/arrears", "postgresql+psycopg://arrears@10.255.255.1/arrears"],
    ids=["silent-server", "closed-port", "non-routable"],
)
def test_a_postgresql_that_does_not_answer_makes_readiness_503_within_seconds(
    url: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("silent_server") if url == "silent" else url
    for client in served(url):
        started = time.monotonic()
        ready = client.get("/readyz")
        took = time.monotonic() - started

        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["reason"].startswith("the database d")
        assert "127.0.0.1" not in ready.text and "10.255.255.1" not in ready.text
        assert took < READINESS_DEADLINE + 1.5
        assert client.get("/healthz").status_code == 200


def test_a_check_that_hangs_past_the_deadline_is_answered_503_without_waiting_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = threading.Event()

    def hangs(_engine: object) -> str:
        released.wait(30)  # a name lookup or a connection that no timeout covers
        return head_revision()

    monkeypatch.setattr("arrears.bootstrap.current_revision", hangs)
    monkeypatch.setattr("arrears.bootstrap.READINESS_DEADLINE", 0.5)
    try:
        for client in served(f"sqlite:///{tmp_path / 'arrears.db'}"):
            started = time.monotonic()
            ready = client.get("/readyz")
            took = time.monotonic() - started

            assert ready.status_code == 503
            assert ready.json()["reason"] == "the database did not answer within 0.5 seconds"
            assert took < 2
    finally:
        released.set()


def test_the_application_engine_of_postgresql_gets_a_connect_timeout_unless_the_url_sets_one() -> None:
    url = "postgresql+psycopg://arrears@db.internal/arrears"

    assert postgres_connect_args(url, CONNECT_TIMEOUT) == {"connect_timeout": CONNECT_TIMEOUT}
    assert postgres_connect_args(url + "?connect_timeout=30", CONNECT_TIMEOUT) == {}
