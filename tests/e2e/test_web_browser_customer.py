"""The customer record in a real browser (fixtures in tests/browser.py): the aging bar and the dispute
and plan markers, then two invoices ticked and one task created for them, found in Open tasks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import playwright.sync_api as playwright

from arrears.services import disputes, plans
from tests.browser import sign_in
from tests.ledger import Ledger, invoice
from tests.web import Site


def give_acme_some_history(site: Site, tmp_path: Path) -> None:
    """Acme owes in three buckets, disputes INV-1001 and has INV-0904 on a payment plan."""
    Ledger(site.arrears, tmp_path).load(
        "invoices",
        [
            invoice("I3", "C1", due=date(2026, 7, 15), amount="50.00", number="INV-1003"),
            invoice("I4", "C1", due=date(2026, 3, 1), amount="400.00", number="INV-0904"),
            invoice("I5", "C1", due=date(2026, 4, 20), amount="180.00", number="INV-0951"),
        ],
    )
    disputes.open_dispute(site.arrears.uow(), site.people["maria"], "I1", "pricing", note="Price list of May")
    plans.create_plan(
        site.arrears.uow(),
        site.people["olivia"],
        ["I4"],
        [(date(2026, 7, 31), "200.00"), (date(2026, 8, 31), "200.00")],
    )


def test_a_collector_creates_one_task_for_two_selected_invoices(
    served: tuple[Site, str], page: playwright.Page, tmp_path: Path
) -> None:
    site, base = served
    give_acme_some_history(site, tmp_path)
    expect = playwright.expect
    sign_in(page, base, "maria")

    page.goto(f"{base}/customers/C1")

    bar = page.locator("svg.aging-bar")
    expect(bar).to_be_visible()
    expect(bar.locator("rect")).to_have_count(4)  # current, 1-30, 61-90 and 91+: nothing at 31-60
    expect(page.locator('.aging-legend li[data-bucket="91+"]')).to_contain_text("$400.00")
    expect(page.locator('tr[data-invoice="I1"]')).to_contain_text("Disputed")
    expect(page.locator('tr[data-invoice="I4"]')).to_contain_text("On plan")
    expect(page.locator('tr[data-invoice="I2"] .badge')).to_have_count(0)

    page.get_by_label("Select invoice INV-1002").check()
    page.get_by_label("Select invoice INV-0951").check()
    form = page.locator("fieldset.task-for-selected")
    form.get_by_label("Type").select_option("book_meeting")
    form.get_by_label("Description").fill("Meet the AP team about two invoices")
    form.get_by_label("Due on").fill("2026-07-02")
    form.get_by_role("button", name="Create task for selected").click()

    page.wait_for_url(f"{base}/customers/C1#open-tasks")
    expect(page.locator(".flash")).to_have_text("Book meeting task created on 2 invoices, due 2026-07-02 for maria.")
    created = page.locator(".open-tasks li").filter(has_text="Meet the AP team about two invoices")
    expect(created).to_have_count(1)
    expect(created).to_contain_text("invoices INV-1002, INV-0951")
    expect(created).to_contain_text("due 2026-07-02")
