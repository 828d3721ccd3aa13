"""Every page that can show a customer-supplied string shows it as text (TestClient, both databases):
the customer C3 named `<script>alert(1)</script>`, and a contact, a note, a task, a dispute note, an
invoice number, a received email (its sender, subject, text and attachment), a saved view, a sign-in
name, a browser's User-Agent, an email template's source and a bad form value that break out of an attribute with
`"><img src=x onerror=alert(1)>`. Each page must show the escaped text (so the test would see it)
and never the raw markup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

import pytest

from arrears.services import accounts, customer_record, disputes, email_templates, inbound_mail, tasks
from arrears.services.automation_ports import NewEmail
from tests.ledger import Ledger, contact, csv_bytes, invoice
from tests.web import SCRIPT, TODAY, Site, csrf_of, open_site, password

IMG = '"><img src=x onerror=alert(1)>'
SCRIPT_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_SHOWN = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """The site of tests/web.py with hostile text everywhere around C3 (all maria's)."""
    opened = open_site(db_url, tmp_path)
    owner, uow = opened.people["olivia"], opened.arrears.uow
    ledger = Ledger(opened.arrears, tmp_path)
    ledger.load("contacts", [contact("C3", IMG, email="ap@script.test", phone="+1 415 555 0198")])
    ledger.load("invoices", [invoice("S2", "C3", due=date(2026, 6, 20), amount="30.00", number=IMG)])
    customer_record.add_note(uow(), owner, "C3", f"Called {IMG}")
    tasks.create_task(uow(), owner, tasks.NewTask("C3", "call", f"Ask about {IMG}", assignee="maria", due_date=TODAY))
    promise = tasks.NewTask(
        "C3",
        "expected_payment",
        description=f"Promise {IMG}",
        assignee="maria",
        due_date=date(2026, 7, 2),
        expected_amount="70.00",
        expected_date=date(2026, 7, 2),
    )
    tasks.create_task(uow(), owner, promise)
    disputes.open_dispute(uow(), owner, "S2", "pricing", note=f"Disputed {IMG}", owner="maria")
    accounts.save_view(uow(), opened.people["maria"], f"View {IMG}", {"assignee": "*"})
    with uow() as work:
        c3 = work.ledger.customer("C3")
        assert c3 is not None
        at = work.clock.now()
        work.outbox.queue_email(
            NewEmail(c3.id, "hostile", (f"x{IMG}@script.test",), f"Past due {IMG}", "past_due", "{}", "standard",
                     f"step{IMG}", TODAY, "<hostile@arrears.test>", (), at)
        )  # fmt: skip
        work.commit()
    hostile_mail = EmailMessage()  # a reply from C3's contact: its name, subject, text and file's name hostile
    hostile_mail["From"] = formataddr((IMG, "ap@script.test"))
    hostile_mail["To"] = "ar@example.com"
    hostile_mail["Subject"] = f"Re: {SCRIPT} {IMG}"
    hostile_mail["Message-ID"] = "<hostile-reply@script.test>"
    hostile_mail.set_content(f"We wrote {SCRIPT} and {IMG}\n")
    hostile_mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=f"{IMG}.pdf")
    assert inbound_mail.receive(uow(), bytes(hostile_mail), "pipe").customer_id is not None
    yield opened
    opened.arrears.close()


def assert_inert(html: str, where: str, *shown: str) -> None:
    """No hostile markup got through, and the texts `shown` are on the page, escaped."""
    assert SCRIPT not in html, f"{where}: the script tag is raw"
    assert "<img" not in html, f"{where}: the img tag is raw"
    assert html.count("<script") == 1, f"{where}: a script tag besides app.js"  # the page's own app.js
    for text in shown:
        assert text in html, f"{where}: {text!r} is not on the page"


@pytest.mark.parametrize(
    ("user", "path", "shown"),
    [
        ("maria", "/tasks", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("olivia", "/tasks?assignee=*&q=C3", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("maria", "/tasks?tab=open&assignee=*&customer=C3&sort=-customer", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("maria", "/customers/C3", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("maria", "/customers", [SCRIPT_SHOWN]),
        ("sam", "/customers?q=script", [SCRIPT_SHOWN]),
        ("olivia", "/disputes", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("maria", "/credit", [SCRIPT_SHOWN]),
        ("olivia", "/credit?sort=name&over_limit=", [SCRIPT_SHOWN]),
        ("maria", "/customers/C3#disputes", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("maria", "/customers/C3/history", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("sam", "/customers/C3/email", [SCRIPT_SHOWN, IMG_SHOWN]),  # the customer, a contact, an invoice
        ("maria", f"/customers/C3/history?kind=customer&step={IMG}", [SCRIPT_SHOWN]),
        ("sam", "/customers/C3/emails", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("sam", "/emails/1", [IMG_SHOWN]),
        ("olivia", "/dashboard", [SCRIPT_SHOWN]),
        ("maria", "/dashboard", [SCRIPT_SHOWN]),
        ("olivia", "/alerts", [SCRIPT_SHOWN]),
        ("maria", "/alerts", [SCRIPT_SHOWN]),
        ("maria", "/inbox", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("olivia", "/inbox?view=all&unread=1", [SCRIPT_SHOWN, IMG_SHOWN]),
        ("maria", "/inbox/1", [SCRIPT_SHOWN, IMG_SHOWN]),
    ],
)
def test_every_page_shows_customer_text_inert(site: Site, user: str, path: str, shown: list[str]) -> None:
    page = site.signed_in(user).get(path)

    assert page.status_code == 200, page.text[:500]
    assert_inert(page.text, path, *shown)


def test_the_saved_view_name_on_the_task_list_is_text(site: Site) -> None:
    page = site.signed_in("maria").get("/tasks?tab=open")

    assert_inert(page.text, "/tasks", f"View &#34;&gt;{IMG_SHOWN}")


def test_flash_messages_naming_the_customer_and_invoices_are_text(site: Site) -> None:
    client = site.signed_in("maria")
    csrf = csrf_of(client.get("/customers/C3").text)

    promised = client.post("/customers/C3/promise", data={"amount": "5.00", "date": "2026-07-03", "csrf": csrf})
    page = client.get(promised.headers["location"])

    assert promised.status_code == 303
    assert "Promise to pay recorded for" in page.text
    assert_inert(page.text, "flash after a promise", f"recorded for {SCRIPT_SHOWN}")


def test_error_pages_and_the_sign_in_form_echo_input_as_text(site: Site) -> None:
    client = site.signed_in("maria")
    csrf = csrf_of(client.get("/customers/C3").text)

    bad_date = client.post("/customers/C3/promise", data={"amount": "5.00", "date": IMG, "csrf": csrf})
    unknown = client.get(f"/customers/{IMG}")
    bad_list = client.get("/tasks", params={"tab": IMG})
    anonymous = site.client()
    signin = anonymous.post(
        "/signin", data={"name": IMG, "password": "x", "csrf": csrf_of(anonymous.get("/signin").text)}
    )

    assert bad_date.status_code == 400
    assert_inert(bad_date.text, "bad date", IMG_SHOWN)
    assert unknown.status_code == 404
    assert_inert(unknown.text, "unknown customer")
    assert bad_list.status_code == 400
    assert_inert(bad_list.text, "bad tab", IMG_SHOWN)
    assert signin.status_code == 401
    assert_inert(signin.text, "sign-in", f'value="&#34;&gt;{IMG_SHOWN}"')


def test_the_import_page_lists_hostile_cells_as_text(site: Site) -> None:
    client = site.signed_in("olivia")
    csrf = csrf_of(client.get("/import").text)
    content = csv_bytes([invoice("I9", IMG, amount="1.00"), invoice("I10", SCRIPT, amount="2.00")])

    page = client.post(
        "/import", data={"kind": "invoices", "csrf": csrf}, files={"file": (f"{IMG}.csv", content, "text/csv")}
    )

    assert page.status_code == 422
    assert_inert(page.text, "import errors", IMG_SHOWN, SCRIPT_SHOWN)


def test_the_workflow_editor_shows_a_hostile_source_as_text(site: Site) -> None:
    client = site.signed_in("olivia")
    csrf = csrf_of(client.get("/workflows").text)

    page = client.post("/workflows", data={"source": f"# {SCRIPT}\n{IMG} = 1\n", "csrf": csrf})

    assert page.status_code == 422
    assert_inert(page.text, "workflow errors", SCRIPT_SHOWN, IMG_SHOWN)


def test_the_workflow_preview_shows_hostile_invoice_numbers_as_text(db_url: str, tmp_path: Path) -> None:
    """(Its own site: the disputes of the fixture pause C3's reminders.)"""
    plain = open_site(db_url, tmp_path)
    try:
        ledger = Ledger(plain.arrears, tmp_path)
        ledger.load("contacts", [contact("C3", IMG, email="ap@script.test")])
        ledger.load("invoices", [invoice("S2", "C3", due=date(2026, 5, 17), amount="30.00", number=IMG)])

        # S1 (numbered like a script) 30 days late, S2 45: both reach a step that day (the preview
        # of a later day shows only its own steps), both listed in C3's one past-due email
        page = plain.signed_in("olivia").get("/workflows/preview", params={"as_of": "2026-07-01"})

        assert page.status_code == 200
        assert_inert(page.text, "workflow preview", SCRIPT_SHOWN, IMG_SHOWN)
    finally:
        plain.arrears.close()


def test_the_admin_pages_show_a_token_label_and_a_company_name_as_text(site: Site) -> None:
    owner = site.signed_in("olivia")
    csrf = csrf_of(owner.get("/admin/tokens").text)

    issued = owner.post("/admin/tokens", data={"csrf": csrf, "user": "maria", "label": f"Label {IMG}"})
    owner.post("/admin/settings", data={"csrf": csrf, "company_name": f"Company {IMG}"})
    bad = owner.post("/admin/settings", data={"csrf": csrf, "locale": IMG})

    assert issued.status_code == 200
    assert_inert(issued.text, "token issued", f"Label &#34;&gt;{IMG_SHOWN}")
    assert_inert(owner.get("/admin/tokens").text, "/admin/tokens", f"Label &#34;&gt;{IMG_SHOWN}")
    assert_inert(owner.get("/admin/settings").text, "/admin/settings", f"Company &#34;&gt;{IMG_SHOWN}")
    assert bad.status_code == 400
    assert_inert(bad.text, "bad locale", IMG_SHOWN)


def test_the_template_pages_show_a_hostile_template_source_as_text(site: Site) -> None:
    arrears, manager = site.arrears, site.people["morgan"]
    assert arrears.clock is not None
    hostile = {"subject": f"Past due {IMG}", "text": f"Dear {IMG}\n", "html": f"<p>{IMG}</p>\n"}
    email_templates.save(arrears.uow(), manager, arrears.templates, "past_due", hostile, arrears.clock.today())
    client = site.signed_in("morgan")

    editor = client.get("/templates/past_due")
    listing = client.get("/templates")
    previewed = client.post("/templates/past_due", data={**hostile, "csrf": csrf_of(editor.text), "action": "preview"})

    assert editor.status_code == 200
    assert_inert(
        editor.text, "/templates/past_due", f'value="Past due &#34;&gt;{IMG_SHOWN}"', f"Dear &#34;&gt;{IMG_SHOWN}"
    )
    assert_inert(editor.text, "/templates/past_due", f"&lt;p&gt;&#34;&gt;{IMG_SHOWN}&lt;/p&gt;")
    assert_inert(listing.text, "/templates")
    assert previewed.status_code == 200
    assert_inert(previewed.text, "template preview", f"Past due &#34;&gt;{IMG_SHOWN}", f"Dear &#34;&gt;{IMG_SHOWN}")


def test_a_refused_form_of_the_record_shows_what_was_typed_as_text(site: Site) -> None:
    client = site.signed_in("maria")
    csrf = csrf_of(client.get("/customers/C3").text)

    answer = client.post(
        "/customers/C3/tasks",
        data={"csrf": csrf, "description": f"Call {IMG}", "type": "call", "back": "/customers/C3"},
    )

    assert answer.status_code == 400
    assert_inert(answer.text, "a refused task form", "Call &#34;&gt;&lt;img src=x onerror=alert(1)&gt;")


def test_the_records_portal_section_shows_a_new_link_and_online_payments_as_text(site: Site) -> None:
    """The link shown once names the customer; the online payments name their invoices."""
    with site.arrears.uow() as uow:
        c3 = uow.ledger.customer("C3")
        assert c3 is not None
        [s2] = uow.ledger.invoices(["S2"])
        uow.portal.add_payment("stripe", c3.id, "USD", 3000, [s2.id], uow.clock.now(), status="pending")
        uow.commit()
    client = site.signed_in("maria")

    page = client.post("/customers/C3/portal-link", data={"csrf": csrf_of(client.get("/customers/C3").text)})

    assert page.status_code == 200
    assert_inert(page.text, "the record with a new portal link", f"A new link to {SCRIPT_SHOWN}'s portal")
    payments = page.text.split('<table class="online-payments">', 1)[1].split("</table>", 1)[0]
    assert f'<td data-label="Invoices">&#34;&gt;{IMG_SHOWN}</td>' in payments


def test_a_browsers_user_agent_is_shown_as_text_on_the_sessions_page(site: Site) -> None:
    hostile = site.client()
    hostile.headers["user-agent"] = f"Mozilla/5.0 {SCRIPT} {IMG}"
    form = hostile.get("/signin")
    hostile.post("/signin", data={"name": "maria", "password": password("maria"), "csrf": csrf_of(form.text)})

    page = site.signed_in("maria").get("/account/sessions")

    assert page.status_code == 200
    assert_inert(page.text, "/account/sessions", f"Mozilla/5.0 {SCRIPT_SHOWN} &#34;&gt;{IMG_SHOWN}")
