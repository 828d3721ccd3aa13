"""The README's screenshots, taken in a real browser over a realistic workspace (tests/showcase.py:
the demo ledger worked for a week), checking on the way what each page shows. SQLite only: the
workspace is built once for the module, and its tests run in order (the import comes last).

Pages over hostile data (script-like names, a customer id with a slash) have their own tests; they
take no screenshot."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import playwright.sync_api as playwright
import pytest

from arrears.services import exports, users
from tests.browser import SCREENSHOTS, serving_showcase, sign_in
from tests.showcase import PASSWORD, TODAY, Showcase, csv_of

expect = playwright.expect
Served = tuple[Showcase, str]


@pytest.fixture(scope="module")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving_showcase(tmp_path_factory.mktemp("showcase")) as served:
        yield served


def test_a_collectors_task_list_its_actions_and_selecting_three(showcase: Served, page: playwright.Page) -> None:
    _, base = showcase
    sign_in(page, base, "alex", PASSWORD)

    rows = page.locator("table.tasks tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator(".user-menu summary")).to_contain_text("alex")
    broken = rows.filter(has_text="broken promise to pay")
    expect(broken).to_have_count(1)
    expect(broken).to_contain_text(TODAY.isoformat())
    page.screenshot(path=str(SCREENSHOTS / "tasks.png"), full_page=True)

    broken.locator("summary", has_text="Actions").click()
    expect(broken.locator("form.reschedule")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "task-actions.png"), full_page=True)
    broken.locator("summary", has_text="Actions").click()

    rows.nth(0).get_by_role("checkbox").click()
    rows.nth(2).get_by_role("checkbox").click(modifiers=["Shift"])
    expect(page.locator("#selected-count")).to_have_text("3 selected")
    page.screenshot(path=str(SCREENSHOTS / "tasks-bulk.png"))


def test_a_customer_record_with_a_broken_promise_then_one_with_a_dispute_and_a_plan(
    showcase: Served,
    page: playwright.Page,
) -> None:
    show, base = showcase
    sign_in(page, base, "alex", PASSWORD)

    page.goto(f"{base}/customers/{show.promised}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(show.promised)
    expect(page.locator(".open-tasks")).to_contain_text("broken promise to pay")
    expect(page.locator(".timeline")).to_contain_text("Promise to pay broken")
    expect(page.locator("table.emails")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "customer.png"), full_page=True)

    page.goto(f"{base}/customers/{show.disputed}")
    invoices = page.locator("table.invoices")
    expect(invoices).to_contain_text("Disputed")
    expect(invoices).to_contain_text("On plan")
    top = page.locator("section.aging").bounding_box()
    bottom = invoices.bounding_box()
    assert top and bottom
    height = bottom["y"] + bottom["height"] - top["y"] + 16
    clip = {"x": 0, "y": top["y"] - 8, "width": 1280, "height": height}
    page.screenshot(path=str(SCREENSHOTS / "customer-invoices.png"), full_page=True, clip=clip)  # type: ignore[arg-type]


def test_a_collector_finds_a_customer_in_the_list(showcase: Served, page: playwright.Page) -> None:
    show, base = showcase
    sign_in(page, base, "alex", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    rows = page.locator("table.customers tbody tr")
    expect(rows.first).to_be_visible()
    page.get_by_label("Collector").select_option("me")
    page.get_by_label("Overdue").check()
    page.get_by_label("Sort").select_option("-overdue")
    page.get_by_role("button", name="Search").click()
    expect(rows.first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "customers.png"), full_page=True)

    page.get_by_label("Search").fill(show.promised)
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").first.click()
    expect(page).to_have_url(f"{base}/customers/{show.promised}")


def test_the_managers_dashboard_and_alerts(showcase: Served, page: playwright.Page) -> None:
    _, base = showcase
    sign_in(page, base, "morgan", PASSWORD)

    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{base}/dashboard")
    for currency in ("USD", "EUR", "GBP"):
        expect(page.locator("figure.aging-chart", has_text=f"{currency} outstanding")).to_have_count(1)
    expect(page.locator("table.collectors")).to_contain_text("jordan")
    expect(page.locator("table.promises tbody tr")).to_have_count(2)  # sam's and jordan's, due this week
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.get_by_role("link", name="Alerts").click()
    page.wait_for_url(f"{base}/alerts")
    rows = page.locator("table.alerts tbody tr")
    expect(rows.first).to_be_visible()
    kinds = set(rows.evaluate_all("rows => rows.map(r => r.dataset.kind)"))
    assert kinds == {"stale_task", "dispute_opened", "promise_broken", "email_failed"}
    page.screenshot(path=str(SCREENSHOTS / "alerts.png"), full_page=True)


def test_the_workflows_page_previews_tomorrows_cycle(showcase: Served, page: playwright.Page) -> None:
    _, base = showcase
    sign_in(page, base, "morgan", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    page.wait_for_url(f"{base}/workflows")
    expect(page.locator('table.steps tr[data-step="past-due-30"]')).to_contain_text("30 days past due")

    page.get_by_label("Day to preview").fill("2026-07-03")
    page.get_by_role("button", name="Preview the cycle (dry run)").click()
    page.wait_for_url(f"{base}/workflows/preview?as_of=2026-07-03")
    expect(page.get_by_role("heading", name="Dry run of 2026-07-03")).to_be_visible()
    expect(page.locator("p.assumed")).to_contain_text("As if the cycles of 2026-07-01 to 2026-07-02 had run")
    expect(page.locator("table.planned tbody tr").first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "workflows.png"), full_page=True)


def test_the_disputes_a_customers_emails_and_one_email_opened(showcase: Served, page: playwright.Page) -> None:
    show, base = showcase
    sign_in(page, base, "morgan", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Disputes").click()
    page.wait_for_url(f"{base}/disputes")
    expect(page.locator("table.disputes tbody tr").first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "disputes.png"), full_page=True)

    page.goto(f"{base}/customers/{show.promised}/emails")
    rows = page.locator("table.emails tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("p.count")).to_contain_text("email")
    page.screenshot(path=str(SCREENSHOTS / "customer-emails.png"), full_page=True)

    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Body")).to_be_visible()
    expect(page.locator("dl.email-headers")).to_contain_text("Message-ID")
    page.screenshot(path=str(SCREENSHOTS / "email.png"), full_page=True)


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"
)


def test_a_collectors_own_sessions_in_three_browsers(showcase: Served, page: playwright.Page) -> None:
    show, base = showcase
    now = show.clock.at
    with show.arrears.uow() as uow:
        alex = uow.users.by_name("alex")
    assert alex is not None
    users.end_every_session(show.arrears.uow(), alex)  # the browsers of this module's earlier tests
    try:
        for signed_in, used, address, agent in ((7, 5.5, "198.51.100.61", EDGE), (3, 0.5, "203.0.113.24", IPHONE)):
            show.clock.at = now - timedelta(hours=signed_in)
            token = users.start_session(show.arrears.uow(), alex, address=address, user_agent=agent)
            show.clock.at = now - timedelta(hours=used)
            users.session_seen(show.arrears.uow(), token)
    finally:
        show.clock.at = now
    sign_in(page, base, "alex", PASSWORD)

    page.locator(".user-menu summary").click()
    page.get_by_role("link", name="Your sessions").click()
    page.wait_for_url(f"{base}/account/sessions")
    rows = page.locator("table.sessions tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("this browser")
    expect(rows.nth(1)).to_contain_text("Safari on iPhone")
    expect(rows.nth(2)).to_contain_text("Edge on Windows")
    page.screenshot(path=str(SCREENSHOTS / "account-sessions.png"), full_page=True)


def test_the_owners_admin_pages(showcase: Served, page: playwright.Page) -> None:
    _, base = showcase
    sign_in(page, base, "demo", PASSWORD)

    page.goto(f"{base}/admin/users")
    expect(page.locator("main")).to_contain_text("morgan")
    page.screenshot(path=str(SCREENSHOTS / "admin-users.png"), full_page=True)
    page.goto(f"{base}/admin/settings")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "admin-settings.png"), full_page=True)


def test_a_manager_imports_invoices_with_mistakes_then_customers(showcase: Served, page: playwright.Page) -> None:
    show, base = showcase
    sign_in(page, base, "morgan", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    page.wait_for_url(f"{base}/import")

    # An ERP export with a mistyped date, an unknown customer and an amount with a thousands separator.
    header = ("external_id", "customer_external_id", "number", "issue_date", "due_date", "amount")
    bad = csv_of(
        header,
        [
            ("INV-200001", show.disputed, "200001", "2026-06-29", "2026-07-29", "1840.00"),
            ("INV-200002", show.disputed, "200002", "2026-06-29", "2026-02-30", "960.00"),
            ("INV-200003", "CUST-0099", "200003", "2026-06-29", "2026-07-29", '"1,250.00"'),
        ],
    )
    page.get_by_label("What the file holds").select_option("invoices")
    page.get_by_label("CSV file").set_input_files({"name": "invoices.csv", "mimeType": "text/csv", "buffer": bad})
    page.get_by_role("button", name="Upload and import").click()
    errors = page.locator(".import-errors")
    expect(errors).to_contain_text("3 errors: nothing was imported")
    expect(errors.locator("li").nth(0)).to_contain_text("invoices.csv:3: column 'due_date'")
    page.screenshot(path=str(SCREENSHOTS / "import-errors.png"))

    # The customers file of the ERP: one new customer, one as it is.
    out = io.StringIO()
    exports.export(show.arrears.uow(), "customers", out)
    exported = out.getvalue().splitlines()
    known = next(line for line in exported if line.startswith(show.promised + ","))
    new = (
        "CUST-0061,Harborview Logistics LLC,USD,30,15000.00,alex,"
        "ap@harborview-logistics.example.com,+1 206 555 0142,smb;us,false,false"
    )
    good = "\n".join([exported[0], known, new, ""]).encode()
    page.get_by_label("What the file holds").select_option("customers")
    page.get_by_label("CSV file").set_input_files({"name": "customers.csv", "mimeType": "text/csv", "buffer": good})
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", name="Imported customers.csv")).to_be_visible()
    expect(page.locator(".import-result")).to_contain_text("1 created, 0 updated, 1 unchanged")
    expect(page.locator(".upload-progress")).to_be_hidden()
    page.screenshot(path=str(SCREENSHOTS / "import.png"), full_page=True)
