"""A collector's morning in a real browser (fixtures in tests/browser.py): sign in, only my tasks,
actions in place, the customer record, sign out; a contributor refused; a script-named customer inert.
The SQLite run saves docs/screenshots/signin.png (the other screenshots are taken over a realistic
workspace: test_web_browser_screenshots.py)."""

from __future__ import annotations

import playwright.sync_api as playwright

from tests.browser import SCREENSHOTS, sign_in, task_row
from tests.web import SCRIPT, Site, password


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
    expect(acme).to_contain_text("$350.00")
    expect(acme.locator('a[href="tel:+14155550100"]')).to_be_visible()
    expect(page.get_by_role("button", name="maria")).to_have_count(0)  # the user menu is a summary, not a button
    expect(page.locator(".user-menu summary")).to_contain_text("maria")

    # Log the Acme call as "left voicemail" and try again tomorrow.
    acme.locator("summary", has_text="Actions").click()
    reschedule = acme.locator("form.reschedule")
    expect(reschedule.get_by_label("Next try on")).to_have_value("2026-07-01")
    reschedule.get_by_role("button", name="Left voicemail").click()
    expect(page.locator(".flash")).to_have_text("Rescheduled to 2026-07-01 after a call: left voicemail: Acme Ltd.")
    expect(task_row(page, site.tasks["acme"]).locator('td[data-label="Due"] time')).to_have_text("2026-07-01")

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
    expect(page.locator("dl.header")).to_contain_text("$350.00")
    expect(page.locator("dl.header")).to_contain_text("$5,000.00")
    expect(page.locator("table.invoices")).to_contain_text("INV-1001")
    expect(page.locator(".contacts")).to_contain_text("Pat Payables")
    expect(page.locator(".timeline")).to_contain_text("rescheduled to 2026-07-01 after a call: left_voicemail")

    # Signing out through the user menu ends the session.
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(f"{base}/signin")
    page.goto(f"{base}/tasks")
    page.wait_for_url("**/signin?next=*")


def test_a_contributor_is_refused_on_another_collectors_task(served: tuple[Site, str], page: playwright.Page) -> None:
    site, base = served
    sign_in(page, base, "maria")

    page.get_by_label("Assignee", exact=True).select_option(label="All assignees")
    page.get_by_role("button", name="Apply").click()
    beta = task_row(page, site.tasks["beta"])
    playwright.expect(beta).to_contain_text("sam’s task")
    playwright.expect(beta.locator("summary", has_text="Actions")).to_have_count(0)
    playwright.expect(beta.locator("input[type=checkbox]")).to_have_count(0)
    # The page offers nothing on sam's task; a form forged in the page with its CSRF token is refused.
    page.evaluate(
        """(taskId) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = `/tasks/${taskId}/complete`;
            const csrf = document.createElement("input");
            csrf.type = "hidden";
            csrf.name = "csrf";
            csrf.value = document.querySelector('input[name="csrf"]').value;
            form.append(csrf);
            document.body.append(form);
            form.submit();
        }""",
        site.tasks["beta"],
    )

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

    assert page.locator("script").count() == 1  # /static/app.js alone
    assert page.locator("script").get_attribute("src") == "/static/app.js"
    assert page.evaluate("document.title").startswith(SCRIPT)
