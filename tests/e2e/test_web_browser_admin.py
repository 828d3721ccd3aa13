"""A manager's pages in a real browser (fixtures in tests/browser.py): import a CSV through the import
page — a bad file's errors by line, a check, then the import — and the workflows page with its dry-run
preview."""

from __future__ import annotations

import threading
from typing import Any

import playwright.sync_api as playwright
import pytest

from arrears.services import imports, workflows
from tests.browser import sign_in
from tests.ledger import csv_bytes, customer, invoice, ledger_state
from tests.web import SCRIPT, Site


def csv_file(name: str, content: bytes) -> playwright.FilePayload:
    return {"name": name, "mimeType": "text/csv", "buffer": content}


def test_a_manager_imports_a_file_through_the_page(
    served: tuple[Site, str], page: playwright.Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, base = served
    expect = playwright.expect
    sign_in(page, base, "morgan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    page.wait_for_url(f"{base}/import")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import")
    page.evaluate("window.notReloaded = true")  # the script sends the form: the page stays

    # A bad file: every error by line, nothing imported, the script-named customer as text.
    page.get_by_label("What the file holds").select_option("invoices")
    bad = csv_bytes([invoice("I8", "C1", amount="10.00"), invoice("I9", "C1", amount="ten"), invoice("I10", SCRIPT)])
    page.get_by_label("CSV file").set_input_files(csv_file("bad.csv", bad))
    page.get_by_role("button", name="Upload and import").click()
    errors = page.locator(".import-errors")
    expect(errors).to_contain_text("2 errors: nothing was imported")
    expect(errors.locator("li").nth(0)).to_contain_text("bad.csv:3: column 'amount'")
    expect(errors.locator("li").nth(1)).to_contain_text(f"no customer with external id '{SCRIPT}'")
    expect(page.get_by_label("What the file holds")).to_have_value("invoices")
    expect(page.get_by_role("heading", name="bad.csv was rejected")).to_be_focused()

    # Check a good file first (nothing written), then import it.
    good = csv_bytes(
        [
            customer("C1", "Acme Ltd", collector="maria", phone="+1 415 555 0100", credit_limit="5000.00"),
            customer("C9", "Nine Co"),
        ]
    )
    page.get_by_label("What the file holds").select_option("customers")
    page.get_by_label("CSV file").set_input_files(csv_file("customers.csv", good))
    page.get_by_label("Check only").check()
    page.get_by_role("button", name="Upload and import").click()
    result = page.locator(".import-result")
    expect(result).to_contain_text("1 created, 0 updated, 1 unchanged (dry run: nothing was written)")
    page.get_by_label("Check only").uncheck()
    page.get_by_label("CSV file").set_input_files(csv_file("customers.csv", good))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", name="Imported customers.csv")).to_be_visible()
    expect(result).to_contain_text("customers.csv: 2 customers rows: 1 created, 0 updated, 1 unchanged")
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator(".upload-progress")).to_be_hidden()

    # While the server reads a file, the bar shows how far it has got (polled every 500 ms).
    reading, release = threading.Event(), threading.Event()
    real = imports.import_csv_as

    def slow(*args: Any, progress: imports.Progress, **options: Any) -> imports.ImportSummary:
        progress(len(good) // 2)
        reading.set()
        release.wait(20)
        return real(*args, progress=progress, **options)

    monkeypatch.setattr(imports, "import_csv_as", slow)
    page.get_by_label("CSV file").set_input_files(csv_file("customers.csv", good))
    page.get_by_role("button", name="Upload and import").click()
    box = page.locator(".upload-progress")
    expect(box.locator("label")).to_have_text("Reading the file")
    expect(box.locator("progress")).to_have_js_property("value", len(good) // 2)
    expect(box.locator("progress")).to_have_js_property("max", len(good))
    expect(page.get_by_role("button", name="Upload and import")).to_be_disabled()
    assert reading.is_set()
    release.set()
    expect(result).to_contain_text("0 created, 0 updated, 2 unchanged")
    expect(page.locator(".upload-progress")).to_be_hidden()

    assert "C9" in {row.external_id for row in ledger_state(site.arrears.engine)["customers"]}


def test_a_manager_reads_the_workflows_and_previews_the_cycle(served: tuple[Site, str], page: playwright.Page) -> None:
    site, base = served
    expect = playwright.expect
    sign_in(page, base, "morgan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
    page.wait_for_url(f"{base}/workflows")

    steps = page.locator("table.steps")
    expect(steps.locator('tr[data-step="past-due-30"]')).to_contain_text("30 days past due")
    expect(steps.locator('tr[data-step="past-due-30"]')).to_contain_text("Call about the 30-day reminder")
    expect(page.get_by_label("Workflow file")).to_have_value(workflows.stored_source(site.arrears.uow()) or _default())

    page.get_by_label("Day to preview").fill("2026-06-30")
    page.get_by_role("button", name="Preview the cycle (dry run)").click()
    page.wait_for_url(f"{base}/workflows/preview?as_of=2026-06-30")
    planned = page.locator("table.planned")
    expect(page.get_by_role("heading", name="Dry run of 2026-06-30")).to_be_visible()
    email = planned.locator('tr[data-kind="email"]', has_text="past-due-30")
    expect(email).to_contain_text("pat@acme.test")
    expect(planned.locator('tr[data-kind="task"]', has_text="past-due-30")).to_contain_text("maria")

    # A broken edit names its line and keeps the file in force.
    source = page.get_by_label("Workflow file")
    source.fill(source.input_value().replace('email = "final_notice"', 'email = "no_such_template"'))
    page.get_by_role("button", name="Check and save").click()
    expect(page.get_by_role("alert")).to_contain_text("The workflow file was not saved")
    expect(page.get_by_role("alert")).to_contain_text("no_such_template")
    assert workflows.stored_source(site.arrears.uow()) is None


def _default() -> str:
    from arrears.bootstrap import DEFAULT_WORKFLOWS

    return DEFAULT_WORKFLOWS.read_text(encoding="utf-8")


def test_the_complete_file_box_shows_for_invoices_only_and_the_closed_invoices_are_listed(
    served: tuple[Site, str], page: playwright.Page
) -> None:
    site, base = served
    expect = playwright.expect
    sign_in(page, base, "morgan")
    page.goto(f"{base}/import")
    complete = page.get_by_label("Invoices only: the file lists every invoice of its customers")

    expect(complete).to_be_hidden()  # customers are chosen first
    page.get_by_label("What the file holds").select_option("invoices")
    expect(complete).to_be_visible()
    complete.check()
    page.get_by_label("What the file holds").select_option("payments")
    expect(complete).to_be_hidden()
    page.get_by_label("What the file holds").select_option("invoices")
    expect(complete).not_to_be_checked()  # hidden, it was unticked: no surprise closing

    complete.check()
    erp = csv_bytes([invoice("I1", "C1", amount="100.00", number="INV-1001")])
    page.get_by_label("CSV file").set_input_files(csv_file("erp.csv", erp))
    page.get_by_role("button", name="Upload and import").click()

    result = page.locator(".import-result")
    expect(result).to_contain_text("Closed as not in the file: 1 invoice")
    expect(result.locator(".closed-invoices li")).to_have_text(["I2"])
    statuses = {row.external_id: row.status for row in ledger_state(site.arrears.engine)["invoices"]}
    assert statuses["I2"] == "void" and statuses["I1"] == "open"
