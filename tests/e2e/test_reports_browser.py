"""The reports in Chromium over the showcase workspace (SQLite): a manager opens Reports from the
menu, every chart is drawn (an SVG with a size, its marks inside), the DSO table says what
`arrears report dso` says, the page passes the accessibility checks and fits a phone; and the
README's screenshots, with a few disputes resolved and rejected in June."""

from __future__ import annotations

from collections.abc import Iterator

import playwright.sync_api as playwright
import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.domain.reports import Period
from arrears.services import disputes, reports
from tests.browser import SCREENSHOTS, serving_showcase, sign_in
from tests.e2e.test_web_browser_a11y import problems_of
from tests.showcase import PASSWORD, TODAY, Showcase

expect = playwright.expect


@pytest.fixture(scope="module")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Showcase, str]]:
    with serving_showcase(tmp_path_factory.mktemp("reports-showcase")) as served:
        show, base = served
        with_disputes(show)
        yield show, base


def with_disputes(show: Showcase) -> None:
    """Six more disputes on open invoices, of four reasons: two resolved, one rejected."""
    with show.arrears.engine.connect() as connection:
        invoices = list(
            connection.execute(
                select(t.invoices.c.external_id)
                .where(t.invoices.c.status == "open", t.invoices.c.disputed.is_(False))
                .order_by(t.invoices.c.id)
                .limit(6)
            ).scalars()
        )
    manager = show.people["morgan"]
    reasons = ("pricing", "damaged", "not_received", "pricing", "quantity", "damaged")
    opened = [disputes.open_dispute(show.arrears.uow(), manager, i, r) for i, r in zip(invoices, reasons, strict=True)]
    disputes.close_dispute(show.arrears.uow(), manager, opened[0].id, "resolved", "Contract price applied")
    disputes.close_dispute(show.arrears.uow(), manager, opened[1].id, "resolved", "Replacement shipped")
    disputes.close_dispute(show.arrears.uow(), manager, opened[2].id, "rejected", "Signed delivery note on file")


def test_a_manager_reads_the_reports_and_every_chart_is_drawn(
    showcase: tuple[Showcase, str], page: playwright.Page
) -> None:
    show, base = showcase
    sign_in(page, base, "morgan", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.wait_for_url(f"{base}/reports")

    charts = page.locator("svg.chart")
    expect(charts).to_have_count(6)  # aging, DSO and CEI by month, promises, disputes, the team
    for k in range(6):
        box = charts.nth(k).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, k
    expect(charts.nth(0).locator("rect")).not_to_have_count(0)
    expect(charts.nth(1).locator("polyline")).to_have_count(3)  # DSO, best possible, ADD
    period = Period.of(None, None, TODAY)
    for line in reports.receivables(show.arrears.uow(), period):  # what `arrears report dso` prints
        document = line.dso_dict()
        row = page.locator("#h-dso ~ .table-wrap").first.locator("tr", has_text=line.currency)
        expect(row.locator('td[data-label="DSO"]')).to_have_text(str(document["dso"]))
        expect(row.locator('td[data-label="Sales"]')).to_have_text(document["sales"])
    expect(page.locator("#h-disputes ~ .table-wrap").first).to_contain_text("not_received")
    assert problems_of(page) == []


def test_the_reports_page_on_a_laptop_and_a_phone(showcase: tuple[Showcase, str], browser: playwright.Browser) -> None:
    _, base = showcase
    widths = {}
    for width, height, suffix in ((1400, 900, ""), (390, 844, "-phone")):
        context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500)
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            sign_in(page, base, "morgan", PASSWORD)
            page.goto(f"{base}/reports?currency=USD")
            expect(page.locator("svg.chart").first).to_be_visible()
            widths[suffix] = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(SCREENSHOTS / f"reports{suffix}.png"), full_page=not suffix)
        finally:
            context.close()

    assert widths[""] <= 1400 and widths["-phone"] <= 390
