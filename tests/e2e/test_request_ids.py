"""Every HTTP answer carries `X-Request-ID` (the client's when sane, else a new one), and what is
logged while a request is served carries the same id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from arrears.adapters.logs import JsonFormatter
from arrears.bootstrap import bootstrap
from arrears.cli.serve import server_app
from arrears.config import Settings

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def app(db_url: str) -> Iterator[FastAPI]:
    arrears = bootstrap(Settings(database_url=db_url))
    served = server_app(arrears)

    @served.get("/logs-something")
    def logs_something() -> dict[str, str]:
        logging.getLogger("arrears.test").warning("served it")
        return {}

    yield served
    arrears.close()


def test_every_kind_of_answer_carries_the_clients_sane_id_or_a_new_one(app: FastAPI) -> None:
    client = TestClient(app)

    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a"})
    page = client.get("/signin")
    api = client.get("/api/v1/tasks")
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})

    assert kept.headers["x-request-id"] == "lb-7f3a"
    assert len(page.headers["x-request-id"]) == 32 and len(api.headers["x-request-id"]) == 32
    assert page.headers["x-request-id"] != api.headers["x-request-id"]
    assert api.status_code == 401  # an error answer has it too
    assert replaced.headers["x-request-id"] not in ("bad id\twith spaces", "")


def test_what_is_logged_while_a_request_is_served_carries_its_id(app: FastAPI, tmp_path: Path) -> None:
    lines = Lines()
    logging.getLogger("arrears.test").addHandler(lines)
    try:
        answer = TestClient(app).get("/logs-something", headers={"X-Request-ID": "req-1"})
        logging.getLogger("arrears.test").warning("after it")
    finally:
        logging.getLogger("arrears.test").removeHandler(lines)

    assert answer.headers["x-request-id"] == "req-1"
    assert [(line["message"], line.get("request_id")) for line in lines.lines] == [
        ("served it", "req-1"),
        ("after it", None),
    ]
