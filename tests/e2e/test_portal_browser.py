"""The customer portal in Chromium: the accessibility checks of the workspace's pages, no sideways
scroll at a laptop's and a phone's width, the forms as a customer uses them (no script runs: the
page has none), and the README's two screenshots over the showcase workspace (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import playwright.sync_api as playwright
import pytest
from sqlalchemy import Row, select

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears
from arrears.domain.portal import new_token
from arrears.services import disputes, plans
from arrears.services import portal as portal_service
from arrears.services.portal_ports import CheckoutRequest, CheckoutSession
from tests.browser import SCREENSHOTS, serving_showcase
from tests.e2e.test_web_browser_a11y import OVERFLOWING, problems_of
from tests.ledger import Ledger, customer, invoice
from tests.showcase import DAY, TODAY, Showcase
from tests.web import Site

expect = playwright.expect
BANK = "Example Supplies Ltd\nExample Bank AG, Frankfurt\nIBAN: DE89 3704 0044 0532 0130 00\nBIC: COBADEFFXXX"
LONG_NAME = "Unbreakable" * 12  # no space to wrap at
WIDTHS = [(1400, 900), (390, 844)]


@dataclass
class ReturningGateway:
    """A payment provider whose checkout page is the portal's own success address: the customer
    "pays" at once and comes back (what Stripe does after a card payment)."""

    requests: list[CheckoutRequest] = field(default_factory=list)

    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        self.requests.append(request)
        return CheckoutSession(f"cs_test_{len(self.requests)}", request.success_url)


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> ReturningGateway:
    offered = ReturningGateway()
    monkeypatch.setattr(Arrears, "payment_gateway", lambda self: offered)
    return offered


def link(arrears: Arrears, user_name: str, customer_external_id: str) -> str:
    with arrears.uow() as uow:
        user = uow.users.by_name(user_name)
    assert user is not None
    issued = portal_service.issue_link(arrears.uow(), user, customer_external_id, days=30, base_url="x")
    return issued.url.rsplit("/", 1)[1]


def with_bank_details(arrears: Arrears, base: str) -> None:
    """The bank details, and the payment provider's return addresses on the served site."""
    arrears.settings = arrears.settings.model_copy(update={"bank_details": BANK, "base_url": base})


@pytest.fixture
def long_account(served: tuple[Site, str], tmp_path: Path, gateway: ReturningGateway) -> tuple[str, str]:
    """A EUR customer with a name and an invoice number that cannot wrap and amounts as large as a
    big book's: its token and the site's base URL."""
    site, base = served
    with_bank_details(site.arrears, base)
    ledger = Ledger(site.arrears, tmp_path)
    ledger.load("customers", [customer("LONG", LONG_NAME, currency="EUR", collector="maria")])
    ledger.load(
        "invoices",
        [
            invoice("L1", "LONG", due=date(2026, 5, 1), amount="98765432.10", number="N" * 60),
            invoice("L2", "LONG", due=date(2026, 7, 31), amount="1234.50", number="INV-2"),
        ],
    )
    return link(site.arrears, "olivia", "LONG"), base


def test_the_page_its_refused_form_and_its_error_page_pass_the_checks(
    long_account: tuple[str, str], page: playwright.Page
) -> None:
    token, base = long_account

    page.goto(f"{base}/portal/{token}")
    shown = problems_of(page)
    page.get_by_role("button", name="Promise to pay").click()  # no date: refused beside the form
    expect(page.locator("#selected-error")).to_contain_text("give the date")
    refused = problems_of(page)
    page.goto(f"{base}/portal/{new_token()}")
    missing = problems_of(page)

    assert (shown, refused, missing) == ([], [], [])


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_the_page_fits_a_laptop_and_a_phone_without_a_sideways_scroll(
    long_account: tuple[str, str], browser: playwright.Browser, width: int, height: int
) -> None:
    token, base = long_account
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"{base}/portal/{token}")
        expect(page.get_by_role("heading", level=1)).to_have_text(LONG_NAME)
        expect(page.locator(".qr img")).to_be_visible()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        hidden = page.evaluate(OVERFLOWING)
        qr_loaded = page.evaluate("document.querySelector('.qr img').naturalWidth")
    finally:
        context.close()

    assert scroll_width <= width
    assert hidden == []
    assert qr_loaded > 0  # the QR code came through the page's CSP


def test_a_customer_promises_then_pays_the_selected_invoices(
    served: tuple[Site, str], page: playwright.Page, gateway: ReturningGateway
) -> None:
    site, base = served
    with_bank_details(site.arrears, base)
    token = link(site.arrears, "olivia", "C1")
    page.goto(f"{base}/portal/{token}")

    page.get_by_label("Select invoice INV-1001").check()
    page.get_by_label("I will pay by").fill("2026-07-10")
    page.get_by_role("button", name="Promise to pay").click()
    expect(page.get_by_role("status")).to_contain_text("your promise to pay was noted")
    page.get_by_label("Select invoice INV-1002").check()
    page.get_by_label("Amount").fill("50.00")
    page.get_by_role("button", name="Pay online").click()
    page.wait_for_url(f"{base}/portal/{token}?paid=1")

    expect(page.get_by_role("status")).to_contain_text("your payment is on its way")
    expect(page.locator("table.payments")).to_contain_text("Processing")
    [request] = gateway.requests
    assert request.invoice_external_ids == ("I2",) and request.amount_minor == 5000
    with site.arrears.engine.connect() as connection:
        promised = connection.execute(select(t.tasks).where(t.tasks.c.type == "expected_payment")).one()
    assert promised.expected_amount_minor == 10000 and promised.source == "portal"


# -- the README's screenshots ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Showcase, str]]:
    with serving_showcase(tmp_path_factory.mktemp("portal-showcase")) as served:
        yield served


def euros(minor: int) -> str:
    return str(Decimal(minor).scaleb(-2))


def euro_account(show: Showcase) -> str:
    """A EUR customer of the showcase with several open invoices, given one of each marker: a
    dispute, a payment plan, and an online payment by bank debit on its way (pending)."""
    i, c = t.invoices, t.customers
    with show.arrears.engine.connect() as connection:
        rows = connection.execute(
            select(
                c.c.external_id.label("customer"),
                c.c.id.label("customer_id"),
                i.c.external_id.label("invoice"),
                i.c.id.label("invoice_id"),
                (i.c.amount_minor - i.c.paid_minor - i.c.credited_minor - i.c.written_off_minor).label(
                    "outstanding_minor"
                ),
            )
            .join(c, c.c.id == i.c.customer_id)
            .where(
                i.c.currency == "EUR", i.c.status == "open", i.c.disputed.is_(False), c.c.external_id != show.disputed
            )
            .order_by(c.c.external_id, i.c.due_date)
        ).all()
    by_customer: dict[str, list[Row[Any]]] = {}
    for row in rows:
        by_customer.setdefault(row.customer, []).append(row)
    chosen = min((k for k, v in by_customer.items() if 4 <= len(v) <= 8), key=lambda k: (-len(by_customer[k]), k))
    owed = by_customer[chosen]
    disputes.open_dispute(show.arrears.uow(), show.people["alex"], owed[-2].invoice, "not_received")
    planned = owed[1]
    half = planned.outstanding_minor // 2
    plans.create_plan(
        show.arrears.uow(),
        show.people["morgan"],
        [planned.invoice],
        [(TODAY + 15 * DAY, euros(half)), (TODAY + 46 * DAY, euros(planned.outstanding_minor - half))],
    )
    paid = owed[0]
    with show.arrears.uow() as uow:
        at = uow.clock.now()
        paying = uow.portal.add_payment(
            "stripe", paid.customer_id, "EUR", paid.outstanding_minor, [paid.invoice_id], at, status="pending"
        )
        uow.portal.update_payment(paying, "pending", at, payment_intent_id="pi_showcase")
        uow.commit()
    return chosen


def test_the_portal_of_a_customer_with_a_dispute_and_a_plan_on_a_laptop_and_a_phone(
    showcase: tuple[Showcase, str], browser: playwright.Browser, gateway: ReturningGateway
) -> None:
    show, base = showcase
    with_bank_details(show.arrears, base)
    token = link(show.arrears, "alex", euro_account(show))
    shots = {}
    for width, height, name in ((1280, 860, "portal.png"), (390, 844, "portal-phone.png")):
        context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500)
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            page.goto(f"{base}/portal/{token}")
            invoices = page.locator("table.invoices")
            for marker in ("Disputed", "On a payment plan", "Payment processing"):
                expect(invoices).to_contain_text(marker)
            expect(page.locator("table.payments")).to_contain_text("Processing")
            expect(page.get_by_role("button", name="Pay online")).to_be_visible()
            expect(page.locator(".qr img")).to_be_visible()
            shots[name] = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
        finally:
            context.close()

    assert shots["portal.png"] <= 1280 and shots["portal-phone.png"] <= 390
