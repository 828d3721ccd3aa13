"""Browser fixtures for the pages' tests: Debian's headless Chromium driven by Playwright (never a
download), against `arrears serve`'s app run by uvicorn on a free local port of 127.0.0.1, on SQLite
and on PostgreSQL (tests/e2e/conftest.py makes the fixtures visible there).

`served` yields the site of tests/web.py and its base URL; `serving_showcase` serves the realistic
workspace of tests/showcase.py (SQLite), over which the README's screenshots are taken; `page` is a fresh
browser page that fails the test if any script raised a dialog. Every wait is on a selector or a URL,
never a sleep."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import playwright.sync_api as playwright
import pytest
import uvicorn
from fastapi import FastAPI

from arrears.cli.serve import server_app
from tests import showcase as showcase_workspace
from tests.web import Site, open_site, password

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parents[1] / "docs" / "screenshots"

# `make test` (hence CI) sets ARREARS_REQUIRE_BROWSER=1: there a missing Chromium fails the run.
REQUIRE_BROWSER = os.environ.get("ARREARS_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright.Browser]:
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed: apt-get install chromium"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free port of 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not started.wait(0.01):
        if server.started:
            started.set()
        elif not thread.is_alive():
            pytest.fail("the server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[Site, str]]:
    """The site of tests/web.py, served; yields it and its base URL."""
    site = open_site(db_url, tmp_path)
    with serving(site.app) as base:
        yield site, base
    site.arrears.close()


@contextmanager
def serving_showcase(folder: Path) -> Iterator[tuple[showcase_workspace.Showcase, str]]:
    """The workspace of tests/showcase.py on a SQLite file in `folder`, served; yields it and its base URL."""
    built = showcase_workspace.build(f"sqlite:///{folder / 'arrears.db'}", folder)
    try:
        with serving(server_app(built.arrears)) as base:
            yield built, base
    finally:
        built.arrears.close()


@pytest.fixture
def page(browser: playwright.Browser) -> Iterator[playwright.Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()
    assert not dialogs, f"a script ran in the page: {dialogs}"


def sign_in(page: playwright.Page, base: str, name: str, secret: str | None = None) -> None:
    """Sign in as `name`, with the password of tests/web.py's users unless `secret` is given."""
    page.goto(f"{base}/tasks")
    page.wait_for_url("**/signin?next=*")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(secret or password(name))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/tasks")


def task_row(page: playwright.Page, task_id: int) -> playwright.Locator:
    return page.locator(f'tr[data-task="{task_id}"]')
