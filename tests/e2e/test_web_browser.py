"""A collector's morning in a real browser: Debian's headless Chromium driven by Playwright, against
`arrears serve`'s app run by uvicorn on a free local port, on SQLite and on PostgreSQL.

Nothing is downloaded: Playwright launches /usr/bin/chromium. Every wait is on a selector or a URL,
never a sleep. The SQLite run saves the screenshots of docs/screenshots/."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import playwright.sync_api as playwright
import pytest
import uvicorn

from tests.web import SCRIPT, Site, open_site, password

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
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"

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


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[Site, str]]:
    """The site, served by uvicorn in a thread on a free port of 127.0.0.1; yields it and its base URL."""
    site = open_site(db_url, tmp_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(site.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not started.wait(0.01):
        if server.started:
            started.set()
        elif not thread.is_alive():
            pytest.fail("the server did not start")
    yield site, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()
    site.arrears.close()


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


def sign_in(page: playwright.Page, base: str, name: str) -> None:
    page.goto(f"{base}/tasks")
    page.wait_for_url("**/signin?next=*")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password(name))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/tasks")


def task_row(page: playwright.Page, task_id: int) -> playwright.Locator:
    return page.locator(f'tr[data-task="{task_id}"]')


def test_a_collectors_morning(served: tuple[Site, str], page: playwright.Page, db_url: str) -> None:
    site, base = served
    shoot = db_url.startswith("sqlite")
    expect = playwright.expect

    # Sign in: the page asks for a name and a password.
    page.goto(f"{base}/tasks")
    page.wait_for_url("**/signin?next=*")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    if shoot:
        page.screenshot(path=str(SCREENSHOTS / "signin.png"))
    page.get_by_label("User name").fill("maria")
    page.get_by_label("Password").fill(password("maria"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/tasks")

    # Only my tasks, with the overdue amount and the phone as a tel: link.
    rows = page.locator("table.tasks tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("table.tasks")).not_to_contain_text("Beta GmbH")
    acme = task_row(page, site.tasks["acme"])
    expect(acme).to_contain_text("Acme Ltd")
    expect(acme).to_contain_text("350.00 USD")
    expect(acme.locator('a[href="tel:+14155550100"]')).to_be_visible()
    expect(page.get_by_role("button", name="maria")).to_have_count(0)  # the user menu is a summary, not a button
    expect(page.locator(".user-menu summary")).to_contain_text("maria")
    if shoot:
        page.screenshot(path=str(SCREENSHOTS / "tasks.png"), full_page=True)

    # Log the Acme call as "left voicemail" and try again tomorrow.
    acme.locator("summary", has_text="Actions").click()
    reschedule = acme.locator("form.reschedule")
    expect(reschedule.get_by_label("Next try on")).to_have_value("2026-07-01")
    if shoot:
        page.screenshot(path=str(SCREENSHOTS / "task-actions.png"), full_page=True)
    reschedule.get_by_role("button", name="Left voicemail").click()
    expect(page.locator(".flash")).to_have_text("Rescheduled to 2026-07-01 after a call: left voicemail: Acme Ltd.")
    expect(task_row(page, site.tasks["acme"]).locator("time")).to_have_text("2026-07-01")

    # Complete the other call with a follow-up date, and find the follow-up in my list.
    script = task_row(page, site.tasks["script"])
    script.locator("summary", has_text="Actions").click()
    complete = script.locator("form.complete")
    complete.get_by_label("Call result").select_option("answered")
    complete.get_by_label("Follow-up on").fill("2026-07-03")
    complete.get_by_role("button", name="Complete").click()
    expect(page.locator(".flash")).to_contain_text("Follow-up due 2026-07-03 for maria")
    expect(task_row(page, site.tasks["script"])).to_have_count(0)
    follow_up = rows.filter(has=page.locator('time[datetime="2026-07-03"]'))
    expect(follow_up).to_have_count(1)
    expect(follow_up).to_contain_text(SCRIPT)
    expect(follow_up).to_contain_text("follow up")

    # The completed call is on the Completed tab.
    page.get_by_role("link", name="Completed").click()
    expect(task_row(page, site.tasks["script"])).to_contain_text("answered")

    # The customer record: header, invoices with days past due, contacts, the timeline.
    page.get_by_role("link", name="Open").click()
    page.get_by_role("link", name="Acme Ltd").first.click()
    page.wait_for_url(f"{base}/customers/C1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Ltd")
    expect(page.locator("dl.header")).to_contain_text("350.00 USD")
    expect(page.locator("dl.header")).to_contain_text("5000.00 USD")
    expect(page.locator("table.invoices")).to_contain_text("INV-1001")
    expect(page.locator(".contacts")).to_contain_text("Pat Payables")
    expect(page.locator(".timeline")).to_contain_text("rescheduled to 2026-07-01 after a call: left_voicemail")
    if shoot:
        page.screenshot(path=str(SCREENSHOTS / "customer.png"), full_page=True)

    # Signing out through the user menu ends the session.
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/signin")
    page.goto(f"{base}/tasks")
    page.wait_for_url("**/signin?next=*")


def test_a_contributor_is_refused_on_another_collectors_task(served: tuple[Site, str], page: playwright.Page) -> None:
    site, base = served
    sign_in(page, base, "maria")

    page.get_by_label("Assignee", exact=True).select_option(label="All assignees")
    page.get_by_role("button", name="Apply").click()
    beta = task_row(page, site.tasks["beta"])
    beta.locator("summary", has_text="Actions").click()
    beta.locator("form.complete").get_by_role("button", name="Complete").click()

    playwright.expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    playwright.expect(page.get_by_role("alert")).to_contain_text("only the tasks assigned to them")
    assert site.row(site.tasks["beta"]).status == "open"


def test_a_customer_named_like_a_script_renders_inert(served: tuple[Site, str], page: playwright.Page) -> None:
    site, base = served
    sign_in(page, base, "maria")
    expect = playwright.expect

    expect(task_row(page, site.tasks["script"])).to_contain_text(SCRIPT)
    page.goto(f"{base}/customers/C3")
    expect(page.get_by_role("heading", level=1)).to_contain_text(SCRIPT)
    expect(page.locator("table.invoices")).to_contain_text(SCRIPT)

    assert page.locator("script").count() == 0
    assert page.evaluate("document.title").startswith(SCRIPT)
