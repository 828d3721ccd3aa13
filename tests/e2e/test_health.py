"""`GET /healthz` (the process is up) and `GET /readyz` (the database answers, its schema is the
newest): no sign-in, no data of the workspace, never cached; a 503 with the reason when not ready."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.adapters.db.engine import head_revision
from arrears.bootstrap import bootstrap
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
