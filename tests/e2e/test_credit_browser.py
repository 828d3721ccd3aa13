"""Credit in Chromium: a manager opens the credit page from the menu, follows a customer to its
record's credit panel (the score chart drawn, its table beside), puts the customer on credit hold
with a note and finds the badge on the credit page; the pages pass the accessibility checks and
fit a phone (both databases). Then the README's screenshots over the showcase workspace (SQLite),
with six months of behavioural scores and two customers on hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import playwright.sync_api as playwright
import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.services import credit
from tests.browser import SCREENSHOTS, serving_showcase, sign_in
from tests.e2e.test_web_browser_a11y import phone_problems, problems_of
from tests.e2e.test_web_credit import with_credit
from tests.showcase import PASSWORD, Showcase
from tests.web import Site

expect = playwright.expect


def test_a_manager_finds_a_customer_on_the_credit_page_and_puts_it_on_hold(
    served: tuple[Site, str], page: playwright.Page, tmp_path: Path
) -> None:
    site, base = served
    with_credit(site, tmp_path)
    sign_in(page, base, "morgan")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Credit").click()
    page.wait_for_url(f"{base}/credit")
    expect(page.locator("table.credit tbody tr")).to_have_count(3)
    expect(page.locator('tr[data-customer="C3"]')).to_contain_text("Over limit")
    assert problems_of(page) == []
    page.locator('tr[data-customer="C1"]').get_by_role("link", name="Acme Ltd").click()
    page.wait_for_url(f"{base}/customers/C1#credit")
    chart = page.locator("svg.score-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline")).to_have_count(2)
    expect(page.locator("table.scores tbody tr")).to_have_count(4)
    expect(page.locator(".score-parts")).to_contain_text("1 of 2 invoices paid late")
    page.get_by_label("Note").and_(page.locator("#credit-hold-note")).fill("Over terms since May")
    page.get_by_role("button", name="Put on credit hold").click()
    page.wait_for_url(f"{base}/customers/C1#credit")
    expect(page.locator(".flash")).to_contain_text("credit hold")
    expect(page.locator(".credit-hold-detail")).to_contain_text("by morgan: “Over terms since May”")
    assert problems_of(page) == []

    page.goto(f"{base}/credit?on_hold=on")

    expect(page.locator("table.credit tbody tr")).to_have_count(1)
    expect(page.locator('tr[data-customer="C1"] .badge-credit-hold')).to_have_text("Credit hold")


def test_the_credit_pages_fit_a_phone(served: tuple[Site, str], browser: playwright.Browser, tmp_path: Path) -> None:
    site, base = served
    with_credit(site, tmp_path)

    found = phone_problems(browser, base, "morgan", ("/credit", "/credit?flagged=on", "/customers/C1", "/customers/C3"))

    assert found == {}


# -- the README's screenshots ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Showcase, str]]:
    with serving_showcase(tmp_path_factory.mktemp("credit-showcase")) as served:
        yield served


def with_history_and_holds(show: Showcase) -> str:
    """The behavioural scores of January to June (one a month), and the two customers
    furthest over their limits on credit hold: the first one's external id."""
    for month in range(1, 7):
        day = date(2026, month, 1)
        credit.compute_scores(show.arrears.uow, day, day)
    policy = show.arrears.credit_policy()
    found = credit.credit_page(show.arrears.uow(), show.people["demo"], policy, sort="available", flagged=True)
    over = [line for line in found.lines if line.available_minor is not None and line.available_minor < 0]
    assert len(over) >= 2, "the showcase has customers over their limits"
    over.sort(key=lambda line: line.available_minor or 0)
    notes = ("Over the limit since April; no answer to the statement", "Two promises broken: orders on prepayment")
    for line, note in zip(over[:2], notes, strict=True):
        credit.hold(show.arrears.uow(), show.people["demo"], line.external_id, note)
    with show.arrears.engine.connect() as connection:  # the panel's customer: on hold, scored by a bureau
        bureau = set(
            connection.execute(
                select(t.customers.c.external_id)
                .join(t.credit_scores, t.credit_scores.c.customer_id == t.customers.c.id)
                .where(t.credit_scores.c.source != "arrears")
            ).scalars()
        )
    return next((line.external_id for line in over[:2] if line.external_id in bureau), over[0].external_id)


def test_the_credit_page_and_a_customers_credit_panel_on_a_laptop_and_a_phone(
    showcase: tuple[Showcase, str], browser: playwright.Browser
) -> None:
    show, base = showcase
    held = with_history_and_holds(show)
    widths = {}
    for width, height, suffix in ((1400, 900, ""), (390, 844, "-phone")):
        context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500)
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            sign_in(page, base, "demo", PASSWORD)
            page.goto(f"{base}/credit?flagged=on")
            expect(page.locator("table.credit tbody tr").first).to_be_visible()
            expect(page.locator(".badge-credit-hold")).to_have_count(2)
            widths[f"credit{suffix}"] = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(SCREENSHOTS / f"credit{suffix}.png"), full_page=True)
            if suffix:
                continue
            page.goto(f"{base}/customers/{held}#credit")
            panel = page.locator("section.credit-panel")
            expect(panel.locator("svg.score-chart")).to_be_visible()
            expect(panel.locator(".badge-credit-hold")).to_be_visible()
            widths["customer-credit"] = page.evaluate("document.documentElement.scrollWidth")
            panel.screenshot(path=str(SCREENSHOTS / "customer-credit.png"))
        finally:
            context.close()

    assert widths["credit"] <= 1400 and widths["customer-credit"] <= 1400
    assert widths["credit-phone"] <= 390
