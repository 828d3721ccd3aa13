"""The dashboard and the alerts in a real browser (fixtures in tests/browser.py): a manager reads the
aging chart and the team's numbers, dismisses an alert, and a collector sees her own, on a book
arranged through the services."""

from __future__ import annotations

import re
from pathlib import Path

import playwright.sync_api as playwright

from tests.attention import fill_book, raise_every_kind
from tests.browser import sign_in
from tests.ledger import Ledger
from tests.web import SCRIPT, Site


def test_a_manager_reads_the_dashboard_and_dismisses_an_alert(
    served: tuple[Site, str], page: playwright.Page, tmp_path: Path
) -> None:
    site, base = served
    expect = playwright.expect
    fill_book(site, Ledger(site.arrears, tmp_path))
    newest = raise_every_kind(site)
    sign_in(page, base, "morgan")

    # The dashboard: an aging chart per currency with a table of the same numbers.
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{base}/dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    usd = page.locator("figure.aging-chart", has_text="USD outstanding")
    expect(usd.get_by_role("img")).to_have_count(1)
    expect(usd.locator("figcaption")).to_contain_text("$22,070.50")
    expect(usd.locator('td[data-bucket="61-90"]')).to_have_text("$8,900.00")
    expect(usd.locator('g[data-bucket="61-90"] text').first).to_have_text("8.90k")
    eur = page.locator("figure.aging-chart", has_text="EUR outstanding")
    expect(eur.locator('td[data-bucket="current"]')).to_have_text("€5,600.00")
    # Overdue by collector, tasks due today for everyone, promises this week with their state.
    collectors = page.locator("table.collectors")
    expect(collectors.locator("tr", has_text="sam")).to_contain_text("$13,100.00")
    expect(collectors.locator("tr", has_text="No collector")).to_contain_text("$650.00")
    expect(page.locator(".count-line", has_text="for everyone")).to_contain_text("8 for everyone")
    promises = page.locator("table.promises")
    expect(promises.locator("tbody tr")).to_have_count(3)
    expect(promises.locator("tr", has_text="Umbrella GmbH")).to_contain_text("kept")
    expect(promises.locator("tr", has_text="Northwind Traders")).to_contain_text("pending")

    # The alerts: every kind, newest first; the script-named customer is text.
    page.get_by_role("link", name="Alerts").click()
    page.wait_for_url(f"{base}/alerts")
    rows = page.locator("table.alerts tbody tr")
    kinds = set(rows.evaluate_all("rows => rows.map(r => r.dataset.kind)"))
    assert kinds == {"stale_task", "dispute_opened", "promise_broken", "email_failed"}
    dispute = page.locator(f'tr[data-alert="{newest["dispute_opened"]}"]')
    expect(dispute.get_by_role("link", name=SCRIPT)).to_be_visible()

    # A stale task's alert links to the task on its customer's record.
    stale = page.locator(f'tr[data-alert="{newest["stale_task"]}"]')
    stale.get_by_role("link", name=re.compile(r"^Task \d+$")).click()
    page.wait_for_url(re.compile(r"/customers/C1#task-\d+$"))
    expect(page.locator("#" + page.url.rpartition("#")[2])).to_contain_text("Call Acme's payables desk")
    page.go_back()
    page.wait_for_url(f"{base}/alerts")

    # Dismiss the dispute alert: it leaves the open list and shows under Dismissed.
    before = rows.count()
    dispute.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".flash")).to_have_text(f"Alert {newest['dispute_opened']} dismissed.")
    expect(rows).to_have_count(before - 1)
    page.get_by_label("Kind").select_option(label="Dispute opened")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".empty")).to_have_text("No open alerts of this kind — nothing needs attention.")
    page.get_by_role("link", name="Dismissed").click()
    expect(page.locator(f'tr[data-alert="{newest["dispute_opened"]}"]')).to_be_visible()
    expect(page.get_by_role("button", name="Dismiss")).to_have_count(0)

    assert page.locator("script").count() == 1  # /static/app.js alone


def test_a_collector_sees_her_alerts_without_a_dismiss_button(served: tuple[Site, str], page: playwright.Page) -> None:
    site, base = served
    raise_every_kind(site)
    sign_in(page, base, "maria")

    page.goto(f"{base}/alerts")
    rows = page.locator("table.alerts tbody tr")

    expect = playwright.expect
    expect(rows.first).to_be_visible()
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.kind)")) == {
        "stale_task",
        "dispute_opened",
        "promise_broken",
    }
    expect(page.get_by_role("button", name="Dismiss")).to_have_count(0)
    page.goto(f"{base}/dashboard")
    expect(page.locator(".count-line").first).to_contain_text("mine")
    expect(page.locator(".due-list").first).to_contain_text(SCRIPT)
