"""The API's answers carry security headers as the pages do, fit for JSON: nothing may load, frame
or sniff them, nor send a Referer from them, nor cache them; Swagger UI (/docs) may load its CDN but
not be framed. What `arrears serve` serves: the pages keep theirs, the API has its own. A refused
token is logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.bootstrap import bootstrap
from arrears.cli.serve import server_app
from arrears.config import Settings
from tests.api import Api, api_fixture  # noqa: F401

# One backend is enough: the headers do not depend on the database.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

JSON_CSP = "default-src 'none'; frame-ancestors 'none'"


def assert_api_headers(answer: object, csp: str = JSON_CSP) -> None:
    headers = answer.headers  # type: ignore[attr-defined]
    assert headers["content-security-policy"] == csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("method", "path", "as_", "status"),
    [
        ("GET", "/tasks", "olivia", 200),
        ("GET", "/tasks", None, 401),
        ("GET", "/customers/NOPE", "olivia", 404),
        ("POST", "/invoices/batch", "olivia", 422),
        ("GET", "/openapi.json", None, 200),
    ],
)
def test_every_api_answer_carries_the_security_headers(
    api: Api, method: str, path: str, as_: str | None, status: int
) -> None:
    answer = api.call(method, path, as_, json={"rows": "not a list"} if method == "POST" else None)

    assert answer.status_code == status, answer.text
    assert_api_headers(answer)
    assert answer.headers["cache-control"] == "no-store"


def test_the_docs_page_may_load_swagger_ui_but_not_be_framed(api: Api) -> None:
    answer = api.get("/docs", as_=None)

    assert answer.status_code == 200
    assert_api_headers(answer, csp="frame-ancestors 'none'")


def test_a_header_a_route_sets_itself_is_kept(api: Api) -> None:
    answer = api.client.get("/healthz")

    assert answer.headers.get_list("cache-control") == ["no-store"]
    assert_api_headers(answer)


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    arrears = bootstrap(Settings(database_url=db_url, calls_dir=tmp_path / "calls"))
    try:
        yield TestClient(server_app(arrears))
    finally:
        arrears.close()


def test_served_beside_the_pages_the_api_keeps_its_headers_and_the_pages_theirs(served: TestClient) -> None:
    api = served.get("/api/v1/tasks")
    page = served.get("/signin")
    health = served.get("/readyz")

    assert api.status_code == 401
    assert_api_headers(api)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    for answer in (api, page, health):
        assert len(answer.headers.get_list("content-security-policy")) == 1
        assert len(answer.headers.get_list("x-content-type-options")) == 1


def test_a_refused_token_is_logged_with_the_address_and_never_the_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="arrears.auth")

    api.get("/tasks", as_=None, headers={"Authorization": "Bearer arr_guessed-token-1234"})
    api.get("/tasks", as_="maria")

    lines = [record.getMessage() for record in caplog.records if record.name == "arrears.auth"]
    assert lines == ["API token refused: unknown or revoked, from testclient"]
