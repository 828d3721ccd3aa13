"""The AR inbox in the workspace, through the TestClient on both databases: a customer's reply in its
collector's inbox, unread until opened; marked unread again; the unmatched mail for managers only,
assigned to a customer (its sender added as a contact); a reply from the page threaded onto the
message; a task from it; attachments downloaded safely; what a customer wrote shown as text; the
task list's and the customer record's markers of unread mail."""

from __future__ import annotations

import email
import re
from datetime import datetime
from email.message import EmailMessage, Message
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.services import inbound_mail
from arrears.services.automation_ports import NewEmail
from tests.web import NOW, SCRIPT, Site, csrf_of, row_counts

OURS = "<reminder-1@arrears.test>"
PATS_ANSWER = "Hello,\nwe paid INV-1001 on Friday.\nPat\n\nOn Mon, Jun 29, Arrears wrote:\n> Your invoice is overdue.\n"


def sent_to_acme(site: Site, message_id: str = OURS, subject: str = "Overdue: $100.00 on your account") -> int:
    """An email of ours to Acme (C1), as the outbox keeps it: what a reply answers."""
    with site.arrears.uow() as uow:
        customer = uow.ledger.customer("C1")
        assert customer is not None
        email_id = uow.outbox.queue_email(
            NewEmail(
                customer.id,
                f"test:{message_id}",
                ("pat@acme.test",),
                subject,
                "past_due",
                "{}",
                None,
                None,
                None,
                message_id,
                (),
                uow.clock.now(),
            )
        )
        uow.commit()
    assert email_id is not None
    return email_id


def raw_mail(
    *,
    sender: str = "Pat Payables <pat@acme.test>",
    subject: str = "Re: Overdue: $100.00 on your account",
    text: str = PATS_ANSWER,
    in_reply_to: str | None = None,
    message_id: str | None = None,
    files: tuple[tuple[str, str, bytes], ...] = (),
    headers: dict[str, str] | None = None,
    written: datetime = NOW,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "ar@example.com"
    message["Subject"] = subject
    message["Date"] = format_datetime(written)
    message["Message-ID"] = message_id or f"<{abs(hash((sender, subject, text)))}@customer.test>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    for filename, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


def receive(site: Site, raw: bytes) -> int:
    received = inbound_mail.receive(site.arrears.uow(), raw, "pipe")
    assert received.id is not None
    return received.id


def row_of(html: str, received_id: int) -> str:
    found = re.search(rf'<tr data-received="{received_id}".*?</tr>', html, re.S)
    assert found, f"no row for message {received_id}"
    return found.group(0)


def nav_count(html: str) -> str | None:
    found = re.search(r'href="/inbox"[^>]*>Inbox(?: <span class="nav-count">(\d+))?', html)
    assert found, "no Inbox in the menu"
    return found.group(1)


def mails(tmp_path: Path) -> list[Message]:
    folder = tmp_path / "mail"
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def test_a_reply_is_unread_in_the_collectors_inbox_until_she_opens_it(site: Site) -> None:
    email_id = sent_to_acme(site)
    received_id = receive(site, raw_mail(in_reply_to=OURS))
    maria = site.signed_in("maria")

    before = maria.get("/inbox").text
    opened = maria.get(f"/inbox/{received_id}").text
    after = maria.get("/inbox").text

    row = row_of(before, received_id)
    assert 'class="unread"' in row and ">Unread</span>" in row  # a word, not only bold
    assert 'href="/customers/C1">Acme Ltd</a>' in row
    assert "Pat Payables" in row and "pat@acme.test" in row
    assert f'href="/inbox/{received_id}">Re: Overdue: $100.00 on your account</a>' in row
    assert '<time datetime="2026-06-30T09:00:00+00:00">2026-06-30 09:00</time>' in row
    assert "My customers <span" in before and "1 unread" in before
    assert nav_count(before) == "1"
    assert '<pre class="email-body reply-text">Hello,\nwe paid INV-1001 on Friday.\nPat</pre>' in opened
    assert "&gt; Your invoice is overdue." in opened  # the whole message, in its <details>
    assert f'<a href="/emails/{email_id}">Overdue: $100.00 on your account</a>' in opened
    assert "by the email of ours it answers (In-Reply-To)" in opened
    assert "by maria" in opened
    assert 'class="read"' in row_of(after, received_id) and ">Unread</span>" not in row_of(after, received_id)
    assert nav_count(after) is None


def test_marking_a_message_unread_puts_it_back_and_marking_it_read_from_the_list(site: Site) -> None:
    received_id = receive(site, raw_mail())
    maria = site.signed_in("maria")
    page = maria.get(f"/inbox/{received_id}").text

    unread = maria.post(f"/inbox/{received_id}/unread", data={"csrf": csrf_of(page), "back": "/inbox"})
    listed = maria.get("/inbox").text
    read = maria.post(f"/inbox/{received_id}/read", data={"csrf": csrf_of(listed), "back": "/inbox?unread=1"})
    only_unread = maria.get("/inbox?unread=1").text

    assert unread.status_code == 303 and unread.headers["location"] == "/inbox"
    assert "marked unread" in listed
    assert 'class="unread"' in row_of(listed, received_id)
    assert read.status_code == 303 and read.headers["location"] == "/inbox?unread=1"
    assert f'data-received="{received_id}"' not in only_unread
    assert "No unread mail here" in only_unread


def test_the_unmatched_mail_is_for_managers_and_a_collector_gets_none_of_it(site: Site) -> None:
    received_id = receive(site, raw_mail(sender="Stranger <someone@nowhere.test>", subject="Who do I pay?"))
    maria, morgan = site.signed_in("maria"), site.signed_in("morgan")

    mine = maria.get("/inbox").text
    tab = maria.get("/inbox?view=unmatched")
    message = maria.get(f"/inbox/{received_id}")
    managers = morgan.get("/inbox?view=unmatched").text

    assert "Unmatched" not in mine and f'data-received="{received_id}"' not in mine
    assert nav_count(mine) is None
    assert tab.status_code == 403
    assert message.status_code == 404
    assert f'data-received="{received_id}"' in managers and "Who do I pay?" in managers
    assert "Unmatched <span" in managers and nav_count(managers) == "1"


def test_a_manager_assigns_unmatched_mail_and_adds_its_sender_as_a_contact(site: Site) -> None:
    received_id = receive(site, raw_mail(sender="Dee Fox <dee@acme.test>", subject="Our new AP address"))
    morgan, maria = site.signed_in("morgan"), site.signed_in("maria")
    page = morgan.get(f"/inbox/{received_id}").text
    refused = maria.post(
        f"/inbox/{received_id}/assign", data={"csrf": csrf_of(maria.get("/inbox").text), "customer": "C1"}
    )

    answer = morgan.post(
        f"/inbox/{received_id}/assign", data={"csrf": csrf_of(page), "customer": "C1", "add_contact": "on"}
    )
    shown = morgan.get(answer.headers["location"]).text
    record = maria.get("/customers/C1").text

    assert refused.status_code == 403  # managers and owners assign
    assert 'name="add_contact" value="on" checked' in page
    assert answer.status_code == 303 and answer.headers["location"] == f"/inbox/{received_id}"
    assert "Email assigned to Acme Ltd (C1). dee@acme.test is one of its contacts now" in shown
    assert "assigned by hand" in shown
    assert 'href="mailto:dee@acme.test"' in record  # the contact
    assert f'href="/inbox/{received_id}"' in record  # the record's mail
    assert f'data-received="{received_id}"' in maria.get("/inbox").text  # now her customer's


def test_assigning_to_a_customer_that_does_not_exist_changes_nothing(site: Site) -> None:
    received_id = receive(site, raw_mail(sender="someone@nowhere.test", subject="Hi"))
    morgan = site.signed_in("morgan")
    page = morgan.get(f"/inbox/{received_id}").text
    before = row_counts(site)

    answer = morgan.post(f"/inbox/{received_id}/assign", data={"csrf": csrf_of(page), "customer": "NOPE"})

    assert answer.status_code == 404
    assert row_counts(site) == before


def test_a_reply_from_the_page_goes_to_the_sender_threaded_onto_their_message(site: Site, tmp_path: Path) -> None:
    sent_to_acme(site)
    received_id = receive(site, raw_mail(in_reply_to=OURS, message_id="<their-answer@acme.test>"))
    maria = site.signed_in("maria")
    page = maria.get(f"/inbox/{received_id}").text
    key = page.split('name="key" value="')[1].split('"')[0]
    form = {"csrf": csrf_of(page), "key": key, "text": "Thank you, Pat.\nWe see the payment."}

    answer = maria.post(f"/inbox/{received_id}/reply", data=form)
    shown = maria.get(answer.headers["location"]).text
    again = maria.post(f"/inbox/{received_id}/reply", data=form)  # the form sent twice

    assert answer.status_code == 303 and answer.headers["location"] == f"/inbox/{received_id}"
    [sent] = mails(tmp_path)
    assert sent["To"] == "pat@acme.test"
    assert sent["Subject"] == "Re: Overdue: $100.00 on your account"
    assert sent["In-Reply-To"] == "<their-answer@acme.test>"
    assert any("Thank you, Pat." in str(part.get_payload(decode=True)) for part in sent.walk())
    with site.arrears.engine.connect() as connection:
        row = connection.execute(select(t.emails).where(t.emails.c.in_reply_to.is_not(None))).one()
    assert row.in_reply_to == "<their-answer@acme.test>" and row.status == "sent"
    assert again.status_code == 303
    assert "Reply sent to pat@acme.test: Re: Overdue: $100.00 on your account." in shown
    assert "This reply was sent already" in maria.get(f"/inbox/{received_id}").text


def test_a_reply_to_a_sender_not_on_the_record_is_refused_beside_the_form_with_the_text_kept(
    site: Site, tmp_path: Path
) -> None:
    sent_to_acme(site)
    received_id = receive(site, raw_mail(sender="other@elsewhere.test", in_reply_to=OURS))
    maria = site.signed_in("maria")
    page = maria.get(f"/inbox/{received_id}").text
    key = page.split('name="key" value="')[1].split('"')[0]

    answer = maria.post(f"/inbox/{received_id}/reply", data={"csrf": csrf_of(page), "key": key, "text": "Kept text"})

    assert "other@elsewhere.test is not on Acme Ltd" in page  # said before anyone writes
    assert answer.status_code == 400
    assert 'id="error-reply"' in answer.text and "is not an address of customer" in answer.text
    assert ">Kept text</textarea>" in answer.text
    assert mails(tmp_path) == []


def test_a_task_from_a_message_quotes_what_the_sender_wrote(site: Site) -> None:
    received_id = receive(site, raw_mail())
    maria = site.signed_in("maria")
    page = maria.get(f"/inbox/{received_id}").text

    answer = maria.post(
        f"/inbox/{received_id}/task", data={"csrf": csrf_of(page), "type": "call", "due_date": "2026-07-02"}
    )
    shown = maria.get(answer.headers["location"]).text
    tasks = maria.get("/tasks").text

    assert answer.status_code == 303
    assert "Call task created for Acme Ltd, due 2026-07-02 for maria." in shown
    assert "Email from Pat Payables (2026-06-30): Re: Overdue: $100.00 on your account" in tasks
    assert 'href="/customers/C1#invoices">Open a dispute</a>' in page


def test_attachments_download_with_safe_headers_and_html_never_shows_inline(site: Site) -> None:
    files = (
        ("page.html", "text/html", b"<script>alert(1)</script>"),
        ("drawing.svg", "image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("scan.png", "image/png", b"\x89PNG\r\n\x1a\nnot really"),
        ('r\u00e9sum\u00e9 "final".pdf', "application/pdf", b"%PDF-1.4"),
    )
    received_id = receive(site, raw_mail(files=files))
    other_id = receive(site, raw_mail(subject="Another", files=(("x.txt", "text/plain", b"x"),)))
    maria = site.signed_in("maria")
    page = maria.get(f"/inbox/{received_id}").text
    ids = re.findall(rf'href="/inbox/{received_id}/attachments/(\d+)"', page)

    html, svg, png, pdf = (maria.get(f"/inbox/{received_id}/attachments/{i}") for i in ids)
    elsewhere = maria.get(f"/inbox/{other_id}/attachments/{ids[0]}")

    assert len(ids) == 4 and "page.html" in page and "25 bytes" in page
    for answer in (html, svg, png, pdf):
        assert answer.status_code == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in answer.headers["content-security-policy"]  # the pages' policy: no script
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith('attachment; filename="page.html"')
    assert html.content == b"<script>alert(1)</script>"
    assert svg.headers["content-type"] == "application/octet-stream"
    assert svg.headers["content-disposition"].startswith("attachment;")
    assert png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"].startswith('inline; filename="scan.png"')
    assert pdf.headers["content-disposition"] == (
        "inline; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
    )
    assert elsewhere.status_code == 404


def test_what_a_customer_wrote_is_shown_as_text_never_as_html(site: Site) -> None:
    received_id = receive(
        site,
        raw_mail(
            sender=f'"{SCRIPT}" <pat@acme.test>',
            subject=f"Re: {SCRIPT}",
            text=f"<b>bold?</b> {SCRIPT}\n<img src=x onerror=alert(2)>\n",
        ),
    )
    maria = site.signed_in("maria")

    listed = maria.get("/inbox").text
    opened = maria.get(f"/inbox/{received_id}").text
    record = maria.get("/customers/C1").text

    for html in (listed, opened, record):
        assert SCRIPT not in html and "<img src=x" not in html and "<b>bold?</b>" not in html
    assert "Re: &lt;script&gt;alert(1)&lt;/script&gt;" in listed
    assert (
        "&lt;b&gt;bold?&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;\n&lt;img src=x onerror=alert(2)&gt;" in opened
    )


def test_the_task_list_marks_a_customer_with_unread_mail_and_the_record_lists_it(site: Site) -> None:
    received_id = receive(site, raw_mail())
    receive(site, raw_mail(subject="Second thoughts", text="One more thing.\n"))
    receive(site, raw_mail(headers={"Auto-Submitted": "auto-replied"}, subject="Out of office", text="Away.\n"))
    maria = site.signed_in("maria")

    tasks = maria.get("/tasks").text
    record = maria.get("/customers/C1").text
    maria.get(f"/inbox/{received_id}")
    later = maria.get("/tasks").text

    acme = re.search(rf'<tr data-task="{site.tasks["acme"]}".*?</tr>', tasks, re.S)
    script = re.search(rf'<tr data-task="{site.tasks["script"]}".*?</tr>', tasks, re.S)
    assert acme and script
    assert 'href="/customers/C1#mail"' in acme.group(0) and "✉</span> 2 unread" in acme.group(0)
    assert "unread" not in script.group(0)  # C3 has no mail
    assert "✉</span> 1 unread" in later
    assert 'Mail received <span class="badge badge-unread">2 unread</span>' in record
    assert f'<a href="/inbox/{received_id}">Re: Overdue: $100.00 on your account</a>' in record
    assert "Auto-reply" in record and "Out of office" in record


def test_the_inbox_says_what_to_do_when_empty_and_pages_by_fifty(site: Site) -> None:
    maria = site.signed_in("maria")
    empty = maria.get("/inbox").text
    for n in range(51):
        receive(site, raw_mail(subject=f"Message {n}", message_id=f"<m{n}@acme.test>"))

    first = maria.get("/inbox").text
    second = maria.get("/inbox?offset=50").text

    assert "No mail from your customers yet" in empty and "arrears mail receive" in empty
    assert first.count("<tr data-received=") == 50 and "Message 50" in first and "Message 0<" not in first
    assert 'href="/inbox?offset=50" rel="next"' in first
    assert second.count("<tr data-received=") == 1 and "Message 0<" in second
    assert 'href="/inbox" rel="prev"' in second


def test_bad_inbox_addresses_are_4xx_pages(site: Site) -> None:
    maria = site.signed_in("maria")

    assert maria.get("/inbox?view=everything").status_code == 400
    assert maria.get("/inbox?offset=-1").status_code == 400
    assert maria.get("/inbox/999999").status_code == 404
    assert maria.get("/inbox/1/attachments/999").status_code == 404


def test_a_bounce_shows_the_servers_status_and_diagnostic_and_the_email_it_reports(site: Site) -> None:
    email_id = sent_to_acme(site)
    report = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\r\nTo: ar@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.acme.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.test\r\n\r\n"
        "Final-Recipient: rfc822; pat@acme.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <pat@acme.test>: Recipient address rejected\r\n\r\n"
        f"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {OURS}\r\nSubject: Overdue\r\n\r\n--r--\r\n"
    )
    received_id = receive(site, report.encode())
    maria = site.signed_in("maria")

    listed = maria.get("/inbox").text
    opened = maria.get(f"/inbox/{received_id}").text

    row = row_of(listed, received_id)
    assert 'class="kind kind-bounce">Bounce</span>' in row and ">Unread</span>" not in row  # stored read
    assert "<strong>Delivery failed</strong> · status 5.1.1" in opened
    assert f'our email <a href="/emails/{email_id}">Overdue: $100.00 on your account</a>' in opened
    assert "550 5.1.1 &lt;pat@acme.test&gt;: Recipient address rejected" in opened
    assert "by the copy of our email that the delivery report carries" in opened
