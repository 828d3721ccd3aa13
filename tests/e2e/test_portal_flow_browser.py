"""A customer's whole way through the portal, in Chromium, on SQLite and PostgreSQL: the link of a
reminder's .eml (the daily cycle's email, written as a file), a statement and an invoice PDF, a
dispute, a promise, a payment started with Stripe (the real SDK against a local double of its API;
the checkout page answered by the browser's own router, never the network), then the event Stripe
signs and sends: the invoice is paid on the portal and in the workspace."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import playwright.sync_api as playwright
import respx

from arrears.services import cycle
from tests.browser import sign_in
from tests.ledger import Ledger
from tests.web import NOW, TODAY, Site

expect = playwright.expect
API = "http://stripe.test"
SECRET = "whsec_flow"  # the signing secret of the test's endpoint
CHECKOUT = "https://checkout.stripe.com/c/pay/cs_test_flow"


def configured(site: Site, base: str) -> None:
    """Stripe on (at the local double), links and return addresses on the served site."""
    site.arrears.settings = site.arrears.settings.model_copy(
        update={
            "base_url": base,
            "stripe_secret_key": "sk_test_flow",
            "stripe_api_base": API,
            "stripe_webhook_secret": SECRET,
        }
    )


def reminder_to(folder: Path, address: str) -> EmailMessage:
    """The one .eml in `folder` addressed to `address`."""
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        if address in str(message["To"]):
            found.append(message)
    [message] = found
    return message


def portal_link(message: EmailMessage, base: str) -> str:
    text = message.get_body(("plain",))
    assert text is not None
    [link] = re.findall(re.escape(base) + r"/portal/[A-Za-z0-9_-]{43}", text.get_content())
    return link


def signed_event(session: str, intent: str, amount: int, invoices: str) -> tuple[bytes, str]:
    event = {
        "id": "evt_flow_1",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(NOW.timestamp()),
        "data": {
            "object": {
                "id": session,
                "object": "checkout.session",
                "payment_intent": intent,
                "client_reference_id": "C1",
                "amount_total": amount,
                "currency": "usd",
                "payment_status": "paid",
                "metadata": {"arrears_invoices": invoices},
            }
        },
    }
    body = json.dumps(event).encode()
    stamp = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={mac}"


def test_a_customer_goes_from_a_reminder_to_a_payment_that_shows_paid_everywhere(
    served: tuple[Site, str], browser: playwright.Browser, tmp_path: Path
) -> None:
    site, base = served
    configured(site, base)
    report = cycle.run_cycle(site.arrears.uow, site.arrears.workflows(), site.arrears.mailer(), TODAY)
    assert report.emails_sent >= 1
    link = portal_link(reminder_to(tmp_path / "mail", "pat@acme.test"), base)

    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    context.set_default_timeout(10_000)
    context.route(f"{CHECKOUT}**", lambda route: route.fulfill(body="<h1>Stripe test checkout</h1>"))
    page = context.new_page()
    try:
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("Acme Ltd")
        invoices = page.locator("table.invoices")
        expect(invoices).to_contain_text("INV-1001")
        expect(invoices).to_contain_text("INV-1002")
        expect(page.locator("body")).not_to_contain_text("Beta GmbH")

        with page.expect_download() as statement:
            page.get_by_role("link", name="Download your statement (PDF)").click()
        with page.expect_download() as copy:
            page.get_by_role("link", name="INV-1001 (PDF)").click()
        pdfs = [Path(download.value.path()).read_bytes()[:5] for download in (statement, copy)]

        page.get_by_label("Invoice", exact=True).select_option("I1")
        page.get_by_label("Reason").select_option("damaged")
        page.get_by_label("Message").fill("Two crates arrived broken <b>really</b>")
        page.get_by_role("button", name="Send the dispute").click()
        expect(page.get_by_role("status")).to_contain_text("your dispute was received")
        expect(invoices.locator("tr", has_text="INV-1001")).to_contain_text("Disputed")

        page.get_by_label("Select invoice INV-1002").check()
        page.get_by_label("I will pay by").fill("2026-07-10")
        page.get_by_role("button", name="Promise to pay").click()
        expect(page.get_by_role("status")).to_contain_text("your promise to pay was noted")

        with respx.mock(base_url=API, assert_all_called=True) as stripe_api:
            created = stripe_api.post("/v1/checkout/sessions").respond(
                200, json={"id": "cs_test_flow", "object": "checkout.session", "url": CHECKOUT}
            )
            page.get_by_label("Select invoice INV-1002").check()
            page.get_by_role("button", name="Pay online").click()
            page.wait_for_url(CHECKOUT)
        expect(page.get_by_role("heading", level=1)).to_have_text("Stripe test checkout")
        sent = {k: v[0] for k, v in parse_qs(created.calls.last.request.content.decode()).items()}
        assert (sent["client_reference_id"], sent["metadata[arrears_invoices]"]) == ("C1", "I2")
        assert sent["line_items[0][price_data][unit_amount]"] == "25000"

        body, signature = signed_event("cs_test_flow", "pi_flow", 25000, "I2")
        landed = httpx.post(
            f"{base}/webhooks/stripe",
            content=body,
            headers={"stripe-signature": signature, "content-type": "application/json"},
        )
        assert (landed.status_code, landed.text) == (200, "applied")

        page.goto(link)
        expect(invoices).to_contain_text("INV-1001")
        expect(invoices).not_to_contain_text("INV-1002")
        expect(page.locator("table.payments")).to_contain_text("Paid")

        page.context.clear_cookies()
        sign_in(page, base, "maria")
        page.goto(f"{base}/customers/C1")
        expect(page.locator("table.online-payments tr[data-status=succeeded]")).to_contain_text("Paid")
        page.goto(f"{base}/customers/C1/history")
        timeline = page.locator("main")
        for line in ("Portal opened", "Statement PDF downloaded", "Dispute opened by the customer on the portal"):
            expect(timeline).to_contain_text(line)
        expect(timeline).to_contain_text("Payment promised on the portal")
    finally:
        context.close()

    assert pdfs == [b"%PDF-", b"%PDF-"]
    assert Ledger(site.arrears, tmp_path).invoice("I2") == ("paid", "0.00")
