"""Emailing a customer by hand from its record, and its PDFs, through the TestClient on both databases:
a template or a written text to the addresses the record holds, the invoices chosen listed, linked and
attached, a statement attached, sent at once by the file transport (tmp_path/mail) and on the
customer's timeline; bad input refused with its reason and nothing queued; a form sent twice queues
one email; the statement and an invoice's copy downloaded by any role, another customer's invoice not."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import date
from email.message import Message
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from arrears.adapters.db import tables as t
from tests.ledger import Ledger, contact, credit_note, customer, payment
from tests.web import SCRIPT, Site, csrf_of, open_site, row_counts


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    opened = open_site(db_url, tmp_path)
    Ledger(opened.arrears, tmp_path).load(
        "customers",
        [customer("C1", "Acme Ltd", collector="maria", credit_limit="5000.00", email="ap@acme.test")],
    )
    Ledger(opened.arrears, tmp_path).load(
        "contacts", [contact("C1", "Rae Rivera", email="rae@acme.test", role="AP lead", receives_reminders="true")]
    )
    yield opened
    opened.arrears.close()


def mails(tmp_path: Path) -> list[Message]:
    folder = tmp_path / "mail"
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def form_of(client: TestClient, customer_id: str = "C1") -> tuple[str, str, str]:
    """The form page, its CSRF token and its key."""
    page = client.get(f"/customers/{customer_id}/email")
    assert page.status_code == 200, page.text[:300]
    key = page.text.split('name="key" value="')[1].split('"')[0]
    return page.text, csrf_of(page.text), key


def attachments(message: Message) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in message.walk():
        if part.get_content_disposition() == "attachment":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[str(part.get_filename())] = payload
    return found


def text_of(message: Message, subtype: str) -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError(f"no text/{subtype} part")


def test_the_form_offers_the_customers_addresses_its_open_invoices_and_the_templates(site: Site) -> None:
    page, _, _ = form_of(site.signed_in("maria"))

    assert 'value="rae@acme.test" checked' in page and 'value="pat@acme.test" checked' in page  # receive reminders
    assert 'value="ap@acme.test" >' in page  # the customer's own address: offered, not ticked
    assert "(Rae Rivera, AP lead)" in page
    assert 'value="I1"' in page and 'value="I2"' in page and 'value="B1"' not in page
    assert '<option value="past_due">' in page and '<option value="_free_text">' not in page


def test_a_collector_emails_a_template_with_the_invoices_and_a_statement_attached(site: Site, tmp_path: Path) -> None:
    client = site.signed_in("maria")
    _, csrf, key = form_of(client)

    answer = client.post(
        "/customers/C1/email",
        data={
            "csrf": csrf,
            "key": key,
            "template": "past_due",
            "to": ["rae@acme.test", "ap@acme.test"],
            "invoice": ["I1", "I2"],
            "attach_invoices": "on",
            "attach_statement": "on",
        },
    )
    record = client.get("/customers/C1").text

    assert answer.status_code == 303
    assert answer.headers["location"] == "/customers/C1#emails"
    [sent] = mails(tmp_path)
    assert sent["To"] == "rae@acme.test, ap@acme.test"
    assert sent["Subject"] == "Overdue: $350.00 on your account with Arrears Demo Co."
    assert "Dear Rae Rivera" in text_of(sent, "plain") and "INV-1002" in text_of(sent, "plain")
    pdfs = attachments(sent)
    assert sorted(pdfs) == ["invoice-INV-1001.pdf", "invoice-INV-1002.pdf", "statement-C1-2026-06-30.pdf"]
    assert all(data.startswith(b"%PDF") for data in pdfs.values())
    assert "Email sent to rae@acme.test, ap@acme.test: Overdue: $350.00" in record  # the flash
    assert "Email queued by hand to rae@acme.test, ap@acme.test" in record  # the timeline, by maria
    with site.arrears.engine.connect() as connection:
        row = connection.execute(select(t.emails)).one()
        linked = connection.execute(select(t.email_invoices.c.invoice_id)).scalars().all()
    assert (row.status, row.workflow, row.step, row.template) == ("sent", None, None, "past_due")
    assert row.message_id == sent["Message-ID"] and row.message_id.endswith("@example.com>")
    assert len(linked) == 2


def test_a_written_email_goes_as_typed_and_its_html_escapes_the_text(site: Site, tmp_path: Path) -> None:
    client = site.signed_in("sam")  # any collector may write to a customer
    _, csrf, key = form_of(client)

    answer = client.post(
        "/customers/C1/email",
        data={
            "csrf": csrf,
            "key": key,
            "template": "",
            "subject": "About your\r\naccount",
            "body": f"Hello,\n\nplease call us. {SCRIPT}",
            "to": "PAT@acme.test",
        },
    )

    assert answer.status_code == 303
    [sent] = mails(tmp_path)
    assert sent["To"] == "pat@acme.test" and sent["Subject"] == "About your account"
    assert attachments(sent) == {}
    assert f"please call us. {SCRIPT}" in text_of(sent, "plain")
    html = text_of(sent, "html")
    assert "&lt;script&gt;" in html and SCRIPT not in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"template": "past_due", "to": []}, "choose at least one recipient"),
        ({"template": "no_such_template"}, "there is no email template"),
        ({"template": "past_due", "invoice": ["I1", "B1"]}, "is not an invoice of customer"),
        ({"template": "", "subject": "Hello", "body": "   "}, "write the email&#39;s text"),
        ({"template": "", "subject": "", "body": "Hi"}, "write the email&#39;s subject"),
        ({"template": "past_due", "to": ["evil@attacker.test"]}, "is not an address of customer"),
        ({"template": "invoice"}, "failed"),  # its subject names the first invoice: none chosen
    ],
)
def test_bad_input_is_a_page_with_the_reason_and_queues_nothing(
    site: Site, tmp_path: Path, fields: dict[str, object], message: str
) -> None:
    client = site.signed_in("maria")
    _, csrf, key = form_of(client)
    before = row_counts(site)

    answer = client.post("/customers/C1/email", data={"csrf": csrf, "key": key, "to": ["rae@acme.test"], **fields})

    assert answer.status_code == 400, answer.text[:300]
    assert message in answer.text
    assert row_counts(site) == before
    assert mails(tmp_path) == []


def test_a_form_sent_twice_sends_one_email(site: Site, tmp_path: Path) -> None:
    client = site.signed_in("maria")
    _, csrf, key = form_of(client)
    data = {"csrf": csrf, "key": key, "template": "past_due", "to": "rae@acme.test", "invoice": "I1"}

    first = client.post("/customers/C1/email", data=data)
    second = client.post("/customers/C1/email", data=data)

    assert (first.status_code, second.status_code) == (303, 303)
    assert len(mails(tmp_path)) == 1
    assert "was sent already" in client.get("/customers/C1").text


def test_the_statement_and_an_invoice_copy_download_for_any_role(site: Site, tmp_path: Path) -> None:
    Ledger(site.arrears, tmp_path).load("payments", [payment("P7", on=date(2026, 6, 20), amount="30.00")])
    Ledger(site.arrears, tmp_path).load("credit-notes", [credit_note("CN1", invoice="I2", on=date(2026, 6, 21))])
    client = site.signed_in("sam")  # not Acme's collector

    record = client.get("/customers/C1").text
    statement = client.get("/customers/C1/statement.pdf")
    copy = client.get("/customers/C1/invoices/I1.pdf")

    assert 'href="/customers/C1/statement.pdf"' in record and 'href="/customers/C1/invoices/I1.pdf"' in record
    assert 'href="/customers/C1/email"' in record
    for answer, name in ((statement, "statement-C1-2026-06-30.pdf"), (copy, "invoice-INV-1001.pdf")):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert answer.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/customers/C1/invoices/B1.pdf", "has no invoice"),  # Beta's invoice under Acme
        ("/customers/C1/invoices/NOPE.pdf", "has no invoice"),
        ("/customers/C9/statement.pdf", "no customer"),
        ("/customers/C9/email", "no customer"),
    ],
)
def test_another_customers_invoice_or_an_unknown_customer_is_not_found(site: Site, path: str, message: str) -> None:
    answer = site.signed_in("maria").get(path)

    assert answer.status_code == 404
    assert message in answer.text
