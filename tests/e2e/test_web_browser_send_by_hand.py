"""Emailing a customer by hand in a real browser (fixtures in tests/browser.py): a collector opens
"Email this customer" from the record, keeps the contact ticked for reminders, chooses the past-due
template and one invoice attached as a PDF, sends, and the message the file transport wrote
(tmp_path/mail) has the recipient, the subject and the PDF."""

from __future__ import annotations

import email
import re
from pathlib import Path

import playwright.sync_api as playwright

from tests.browser import sign_in
from tests.web import Site


def test_a_collector_emails_a_customer_by_hand_with_an_invoice_attached(
    served: tuple[Site, str], page: playwright.Page, tmp_path: Path
) -> None:
    _, base = served
    expect = playwright.expect
    sign_in(page, base, "maria")
    page.goto(f"{base}/customers/C1")

    page.get_by_role("link", name="Email this customer").click()
    page.wait_for_url(f"{base}/customers/C1/email")
    expect(page.get_by_label(re.compile("pat@acme.test"))).to_be_checked()
    page.get_by_label("Template", exact=True).select_option("past_due")
    page.get_by_label(re.compile("INV-1001")).check()
    page.get_by_label("Attach each chosen invoice as a PDF").check()
    page.get_by_role("button", name="Send email").click()

    page.wait_for_url(f"{base}/customers/C1#emails")
    expect(page.locator(".flash")).to_contain_text("Email sent to pat@acme.test: Overdue: $100.00")
    expect(page.locator("table.emails tbody tr").first).to_contain_text("Sent")
    [written] = list((tmp_path / "mail").glob("*.eml"))
    message = email.message_from_bytes(written.read_bytes())
    assert message["To"] == "pat@acme.test"
    assert message["Subject"] == "Overdue: $100.00 on your account with Arrears Demo Co."
    [pdf] = [part for part in message.walk() if part.get_content_disposition() == "attachment"]
    assert pdf.get_filename() == "invoice-INV-1001.pdf"
    data = pdf.get_payload(decode=True)
    assert isinstance(data, bytes) and data.startswith(b"%PDF")
