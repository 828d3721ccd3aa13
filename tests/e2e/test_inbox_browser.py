"""The AR inbox in Chromium: a collector signs in, finds the customer's reply unread in the inbox (and
in the menu's count), opens it and reads what was written, marks it unread again; the inbox pages
pass the accessibility checks and fit a phone (both databases). Then the README's screenshots, at a
laptop's and a phone's width, over the showcase workspace (SQLite) with a morning's mail received."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import playwright.sync_api as playwright
import pytest
from sqlalchemy import Row, select

from arrears.adapters.db import tables as t
from arrears.adapters.imap import mailbox_from_url
from arrears.services import inbound_mail, mail_inbox
from tests.browser import SCREENSHOTS, serving_showcase, sign_in
from tests.e2e.test_web_browser_a11y import phone_problems, problems_of
from tests.e2e.test_web_inbox import OURS, raw_mail, receive, sent_to_acme
from tests.imap import ImapFolder
from tests.showcase import NOW, PASSWORD, Showcase
from tests.web import Site

expect = playwright.expect


def test_a_collector_reads_a_customers_reply_in_the_inbox(
    served: tuple[Site, str], page: playwright.Page, imap: ImapFolder
) -> None:
    site, base = served
    sent_to_acme(site)
    imap.append(raw_mail(in_reply_to=OURS))  # the reply lands in the AR mailbox; the fetch brings it in
    assert inbound_mail.fetch_mailbox(site.arrears.uow, mailbox_from_url(imap.url)).stored == 1
    with site.arrears.engine.connect() as connection:
        received_id = connection.execute(select(t.received_emails.c.id)).scalar_one()
    sign_in(page, base, "maria")

    inbox = page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox")
    expect(inbox).to_have_text("Inbox 1 unread")
    expect(page.locator("table.tasks a.mail-marker")).to_have_text("✉ 1 unread email from Acme Ltd")
    inbox.click()
    page.wait_for_url(f"{base}/inbox")
    row = page.locator(f'tr[data-received="{received_id}"]')
    expect(row).to_have_class("unread")
    expect(row.locator(".badge-unread")).to_have_text("Unread")
    expect(row).to_contain_text("Acme Ltd")
    assert problems_of(page) == []

    row.get_by_role("link", name="Re: Overdue: $100.00 on your account").click()
    page.wait_for_url(f"{base}/inbox/{received_id}")
    expect(page.locator("pre.reply-text")).to_have_text("Hello,\nwe paid INV-1001 on Friday.\nPat")
    expect(page.locator("details.whole-message pre")).not_to_be_visible()
    page.locator("details.whole-message summary").click()
    expect(page.locator("details.whole-message pre")).to_contain_text("> Your invoice is overdue.")
    expect(inbox).to_have_text("Inbox")  # read now
    assert problems_of(page) == []

    page.get_by_role("button", name="Mark unread").click()
    page.wait_for_url(f"{base}/inbox")
    expect(page.locator(".flash")).to_contain_text("marked unread")
    expect(page.locator(f'tr[data-received="{received_id}"]')).to_have_class("unread")
    expect(inbox).to_have_text("Inbox 1 unread")


def test_the_inbox_pages_fit_a_phone_and_pass_the_checks_for_a_manager(
    served: tuple[Site, str], browser: playwright.Browser
) -> None:
    site, base = served
    received_id = receive(site, raw_mail(sender="Someone <someone@nowhere.test>", subject="Who do I pay?" * 8))

    paths = ("/inbox", "/inbox?view=unmatched", "/inbox?view=all&unread=1", f"/inbox/{received_id}")
    found = phone_problems(browser, base, "morgan", paths)

    assert found == {}


# -- the README's screenshots ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Showcase, str]]:
    with serving_showcase(tmp_path_factory.mktemp("inbox-showcase")) as served:
        yield served


def a_mornings_mail(show: Showcase) -> int:
    """Replies to the reminders of alex's customers received early on June 30 (one with a remittance
    attached, one read already), an out-of-office answer, and a message nobody's: the reply with
    the remittance, its id."""
    e, c, u, k = t.emails, t.customers, t.users, t.contacts
    with show.arrears.engine.connect() as connection:
        sent = connection.execute(
            select(e.c.message_id, e.c.subject, e.c.to_addresses, c.c.name)
            .join(c, c.c.id == e.c.customer_id)
            .join(u, u.c.id == c.c.collector_id)
            .where(u.c.name == "alex", e.c.status == "sent")
            .order_by(e.c.id)
        ).all()
        names = dict(connection.execute(select(k.c.email, k.c.name).where(k.c.email.is_not(None))).all())
    remittance, question, away = list({row.name: row for row in sent}.values())[:3]

    def sender(row: Row[Any]) -> str:
        address = str(json.loads(row.to_addresses)[0])
        return f"{names[address]} <{address}>" if address in names else address

    def arrives(hour: int, minute: int, raw: bytes) -> int:
        show.clock.at = NOW.replace(hour=hour, minute=minute)
        return receive_in(show, raw)

    def written(hour: int, minute: int) -> datetime:
        return NOW.replace(hour=hour, minute=minute)

    arrives(
        7,
        12,
        raw_mail(
            sender=sender(away),
            subject=f"Automatic reply: {away.subject}",
            text="I am out of the office until July 6, with no access to email.\n",
            in_reply_to=away.message_id,
            headers={"Auto-Submitted": "auto-replied"},
            written=written(7, 12),
        ),
    )
    question_id = arrives(
        7,
        48,
        raw_mail(
            sender=sender(question),
            subject=f"Re: {question.subject}",
            text=(
                "Hello,\n\nWe cannot find one of these invoices in our system. Could you send a copy?\n"
                "Once we have it, it goes in the next payment run (Thursday).\n\nThanks,\nAccounts payable\n\n"
                f"On Mon, Jun 29, 2026, Arrears Demo Co. wrote:\n> {question.subject}\n"
            ),
            in_reply_to=question.message_id,
            written=written(7, 46),
        ),
    )
    arrives(
        8,
        21,
        raw_mail(
            sender="Jo Lee <jo.lee@example.net>",
            subject="Statement request",
            text="Please send our statement of account. Our customer number is on an old invoice somewhere.\n",
            written=written(8, 20),
        ),
    )
    remittance_id = arrives(
        8,
        40,
        raw_mail(
            sender=sender(remittance),
            subject=f"Re: {remittance.subject}",
            text=(
                "Hi,\n\nWe paid the overdue invoices last Friday by bank transfer.\n"
                "The remittance advice is attached; the money should reach you by Wednesday.\n\n"
                "Kind regards,\nAccounts payable\n\n"
                f"On Mon, Jun 22, 2026, Arrears Demo Co. wrote:\n> {remittance.subject}\n"
                "> Please pay the amount overdue.\n"
            ),
            in_reply_to=remittance.message_id,
            files=(("remittance-advice.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * 18_000),),
            written=written(8, 37),
        ),
    )
    show.clock.at = NOW
    mail_inbox.open_message(show.arrears.uow(), show.people["alex"], question_id)
    return remittance_id


def receive_in(show: Showcase, raw: bytes) -> int:
    received = inbound_mail.receive(show.arrears.uow(), raw, "pipe")
    assert received.id is not None
    return received.id


def test_the_inbox_and_a_reply_with_a_remittance_on_a_laptop_and_a_phone(
    showcase: tuple[Showcase, str], browser: playwright.Browser
) -> None:
    show, base = showcase
    remittance_id = a_mornings_mail(show)
    widths = {}
    for width, height, suffix in ((1400, 900, ""), (390, 844, "-phone")):
        context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500)
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            sign_in(page, base, "alex", PASSWORD)
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
            page.wait_for_url(f"{base}/inbox")
            rows = page.locator("table.inbox tbody tr")
            expect(rows).to_have_count(3)  # alex's customers' mail; the unmatched message is the managers'
            expect(rows.filter(has_text="Auto-reply")).to_have_count(1)
            expect(page.locator("tr.unread")).to_have_count(1)
            widths[f"inbox{suffix}"] = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(SCREENSHOTS / f"inbox{suffix}.png"), full_page=True)

            page.locator(f'tr[data-received="{remittance_id}"] a.subject').click()
            page.wait_for_url(f"{base}/inbox/{remittance_id}")
            expect(page.locator("pre.reply-text")).to_contain_text("We paid the overdue invoices last Friday")
            expect(page.locator("ul.attachments")).to_contain_text("remittance-advice.pdf")
            widths[f"inbox-message{suffix}"] = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(SCREENSHOTS / f"inbox-message{suffix}.png"), full_page=True)
            page.get_by_role("button", name="Mark unread").click()  # unread again for the phone's list
            page.wait_for_url(f"{base}/inbox")
        finally:
            context.close()

    assert widths["inbox"] <= 1400 and widths["inbox-message"] <= 1400
    assert widths["inbox-phone"] <= 390 and widths["inbox-message-phone"] <= 390
