"""A database that is busy or stops answering gets a 503 with `Retry-After` (the request may be sent
again), as JSON under the API and as a page in the workspace and the portal: never the 500 of a defect.
Any other database error stays a defect's 500, logged with its trace.

The workspace runs on a SQLite file in a folder of its own; once signed in, the folder is moved away
and the pool emptied, so every new connection fails as a server that went down would. A busy
database is a lock held past SQLite's wait, raised where a service would meet it."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from arrears.adapters.db.engine import make_engine, upgrade
from arrears.api import errors
from arrears.bootstrap import bootstrap
from arrears.cli.serve import server_app
from arrears.config import Settings
from arrears.services import accounts, task_list, throttles, users
from arrears.services import portal as portal_service
from arrears.web.sessions import REFRESH_SECONDS
from tests.web import Site, csrf_of, open_site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    (tmp_path / "db").mkdir()
    url = f"sqlite:///{tmp_path / 'db' / 'arrears.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    opened = open_site(url, tmp_path)
    yield opened
    opened.arrears.close()


def stop_database(site: Site, tmp_path: Path) -> None:
    site.arrears.engine.dispose()
    (tmp_path / "db").rename(tmp_path / "gone")


def test_the_api_answers_503_with_retry_after_when_the_database_stops_answering(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = accounts.issue_token(site.arrears.uow(), "maria")
    client = site.client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    stop_database(site, tmp_path)

    with caplog.at_level(logging.WARNING):
        answers = [
            client.get("/api/v1/tasks", headers=bearer),
            client.post("/api/v1/tasks", headers=bearer, json={"customer_external_id": "C1", "type": "call"}),
        ]

    for answer in answers:
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
        assert answer.json()["error"] == {
            "code": "unavailable",
            "message": "the database is busy or does not answer; try again in a few seconds",
        }
    assert "database unavailable on GET /api/v1/tasks" in caplog.text


def test_a_signed_in_page_and_the_sign_in_form_answer_a_503_page(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    maria = site.signed_in("maria")
    stranger = site.client()
    form = stranger.get("/signin")
    stop_database(site, tmp_path)
    asked: list[str] = []
    session_user = users.session_user
    monkeypatch.setattr(users, "session_user", lambda uow, token: asked.append(token) or session_user(uow, token))

    answers = [
        maria.get("/tasks"),
        stranger.post("/signin", data={"name": "maria", "password": "x", "csrf": csrf_of(form.text)}),
    ]

    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["retry-after"] == "5"
        assert "the database is busy or does not answer" in answer.text
    assert len(asked) == 1  # the error page does not ask the failed database again who is signed in


def test_a_portal_page_answers_a_503_page_and_logs_no_token(
    site: Site, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    issued = portal_service.issue_link(site.arrears.uow(), site.people["olivia"], "C1", days=30, base_url="x")
    token = issued.url.rsplit("/", 1)[1]
    client = site.client()
    assert client.get(f"/portal/{token}").status_code == 200
    stop_database(site, tmp_path)

    with caplog.at_level(logging.WARNING):
        answer = client.get(f"/portal/{token}")

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "Please try again shortly" in answer.text
    assert "we cannot show your account for a moment; please try again shortly" in answer.text.lower()
    assert token not in answer.text
    assert "database unavailable on GET /portal/" in caplog.text and token not in caplog.text


def test_no_free_connection_in_the_pool_is_a_503_not_a_500() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/api/v1/busy")
    def busy() -> None:
        raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00")

    answer = TestClient(app).get("/api/v1/busy")

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["error"]["code"] == "unavailable"


def test_a_session_due_for_its_refresh_gets_the_503_page_without_trying_to_note_its_use(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    maria = site.signed_in("maria")
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + REFRESH_SECONDS + 60)  # the cookie's clock
    stop_database(site, tmp_path)

    with caplog.at_level(logging.WARNING):
        answer = maria.get("/tasks")

    assert answer.status_code == 503
    assert "the database is busy or does not answer" in answer.text
    # Once the database failed the page, the session's last use is not written (it would fail again,
    # or wait 30 seconds more for a connection).
    assert "last use could not be written" not in caplog.text


def sqlite_error(message: str) -> OperationalError:
    """What SQLAlchemy raises when SQLite says `message` (as it does after its busy timeout, for one)."""
    return OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))


def test_a_locked_database_in_a_route_is_a_503_and_any_other_database_error_a_500(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bearer = {"Authorization": f"Bearer {accounts.issue_token(site.arrears.uow(), 'maria')}"}
    client = site.client()
    failure = sqlite_error("database is locked")

    def failing(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(task_list, "task_list", failing)
    with caplog.at_level(logging.WARNING):
        busy = client.get("/api/v1/tasks", headers=bearer)
        failure = sqlite_error("no such table: tasks")
        broken = client.get("/api/v1/tasks", headers=bearer)

    assert (busy.status_code, busy.headers["retry-after"], busy.json()["error"]["code"]) == (503, "5", "unavailable")
    assert "database unavailable on GET /api/v1/tasks: database is locked" in caplog.text
    assert "SELECT 1" not in caplog.text.split("unexpected error")[0]  # the warning names no statement
    assert (broken.status_code, broken.json()["error"]["code"]) == (500, "internal")
    assert "retry-after" not in broken.headers
    assert "no such table: tasks" in caplog.text  # the defect's trace, for whoever fixes it


def test_a_bad_portal_link_while_the_database_is_busy_is_a_503_whose_log_keeps_the_token_out(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def locked(*args: object) -> None:
        raise sqlite_error("database is locked")

    monkeypatch.setattr(throttles, "portal_token_failed", locked)  # counting the bad link meets the lock
    with caplog.at_level(logging.WARNING):
        answer = site.client().get("/portal/not-a-real-token-0123456789")

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "database unavailable on GET /portal/" in caplog.text
    assert "not-a-real-token" not in caplog.text and "not-a-real-token" not in answer.text


def test_the_first_page_after_start_is_a_503_page_even_before_the_signing_key_was_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "db").mkdir()
    url = f"sqlite:///{tmp_path / 'db' / 'arrears.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    arrears = bootstrap(Settings(database_url=url))  # no ARREARS_SECRET_KEY: it is kept in the database
    try:
        client = TestClient(server_app(arrears), follow_redirects=False)
        (tmp_path / "db").rename(tmp_path / "gone")
        client.cookies.set("arrears_session", "x")  # a cookie to read: the key is needed at once
        with caplog.at_level(logging.WARNING):
            answers = [client.get("/tasks"), client.post("/signin", data={})]
    finally:
        arrears.close()

    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("text/html")  # a page, plain as it must be
        assert answer.headers["retry-after"] == "5"
        assert "the database is busy or does not answer" in answer.text
