"""Two of the workspace's flows in a real browser (fixtures in tests/browser.py): a collector disputes
an invoice from the customer record and a manager resolves it from the dispute list, after which
chasing resumes; an owner deactivates a collector, whose next click in her own open browser leads to
the sign-in page."""

from __future__ import annotations

import playwright.sync_api as playwright

from tests.browser import sign_in
from tests.web import Site

expect = playwright.expect


def test_a_dispute_opened_on_the_record_and_resolved_from_the_list(
    served: tuple[Site, str], browser: playwright.Browser
) -> None:
    _, base = served
    collector = browser.new_context().new_page()
    manager = browser.new_context().new_page()
    try:
        sign_in(collector, base, "maria")
        collector.goto(f"{base}/customers/C1")
        collector.get_by_label("Select invoice INV-1001").check()
        form = collector.locator("fieldset.dispute-for-selected")
        form.get_by_label("Reason").select_option("pricing")
        form.get_by_role("button", name="Dispute selected").click()
        expect(collector.locator('tr[data-invoice="I1"]')).to_contain_text("Disputed")
        expect(collector.locator("dl.header")).to_contain_text("$100.00")  # in dispute

        sign_in(manager, base, "morgan")
        manager.get_by_role("navigation", name="Main").get_by_role("link", name="Disputes").click()
        row = manager.locator("table.disputes tbody tr", has_text="INV-1001")
        expect(row).to_contain_text("pricing")
        row.get_by_text("Resolve or reject").click()
        row.get_by_label("How it was settled").first.fill("Credit note CN-7 for the price difference")
        row.get_by_role("button", name="Resolve").click()
        expect(manager.locator("table.disputes tbody tr", has_text="INV-1001")).to_have_count(0)
        manager.get_by_role("link", name="Resolved").click()
        expect(manager.locator("table.disputes tbody tr", has_text="INV-1001")).to_contain_text("Credit note CN-7")

        collector.reload()
        expect(collector.locator('tr[data-invoice="I1"] .badge-dispute')).to_have_count(0)
        expect(collector.locator("#disputes")).to_be_visible()
        expect(collector.locator("ul.disputes")).to_have_count(0)
    finally:
        collector.context.close()
        manager.context.close()


def test_a_collector_deactivated_mid_session_is_sent_to_sign_in_on_her_next_click(
    served: tuple[Site, str], browser: playwright.Browser
) -> None:
    _, base = served
    collector = browser.new_context().new_page()
    owner = browser.new_context().new_page()
    try:
        sign_in(collector, base, "maria")
        expect(collector.locator("table.tasks tbody tr").first).to_be_visible()

        sign_in(owner, base, "olivia")
        owner.goto(f"{base}/admin/users")
        owner.get_by_role("button", name="Deactivate maria").click()
        expect(owner.locator('tr[data-user="maria"]')).to_contain_text("Deactivated")

        collector.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
        collector.wait_for_url("**/signin?next=*")
        collector.get_by_label("User name").fill("maria")
        collector.get_by_label("Password").fill("maria-secret-pw")
        collector.get_by_role("button", name="Sign in").click()
        expect(collector.locator("main")).to_contain_text("wrong")
    finally:
        collector.context.close()
        owner.context.close()
