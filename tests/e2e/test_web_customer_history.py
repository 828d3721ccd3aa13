"""The customer record's history and what is changed from it, through the TestClient on both
databases: payments, promises and plans on the record; how often each invoice was reminded; the
history and the emails pages with their filters and pager; one email opened whole (its HTML alone,
under a policy that runs nothing); contacts added, edited and removed; the collector changed and
chasing paused by a manager, refused to a collector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from fastapi.testclient import TestClient

from arrears.adapters.db import tables as t
from arrears.domain.audit import SYSTEM, AuditEntry
from arrears.services import plans
from arrears.services.automation_ports import NewEmail
from arrears.services.workspace_ports import DisputeFilter
from tests.ledger import Ledger, payment
from tests.web import NOW, SCRIPT, TODAY, Site, csrf_of, open_site, row_counts


class Body(NamedTuple):
    subject: str
    html: str
    text: str


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    opened = open_site(db_url, tmp_path)
    yield opened
    opened.arrears.close()


def sent_email(site: Site, n: int, invoices: tuple[str, ...], step: str | None, html: str = "<p>Hi</p>") -> int:
    """An email to Acme listing `invoices`, queued by `step` (None: by hand) and sent."""
    with site.arrears.uow() as uow:
        customer = uow.ledger.customer("C1")
        assert customer is not None
        invoice_ids = tuple(i.id for i in uow.ledger.invoices(list(invoices)))
        at = NOW + timedelta(minutes=n)
        email_id = uow.outbox.queue_email(
            NewEmail(
                customer.id,
                f"test:{n}",
                ("pat@acme.test",),
                f"Reminder {n}",
                "past_due",
                "{}",
                "standard" if step else None,
                step,
                TODAY if step else None,
                f"<{n}@arrears.test>",
                invoice_ids,
                at,
            )
        )
        assert email_id is not None
        entry = AuditEntry(at, SYSTEM, "email", str(email_id), "sent", f"Email {n} sent", customer.id)
        uow.outbox.mark_sent(email_id, at, entry, Body(f"Reminder {n}", html, f"Dear Acme, reminder {n}."))
        uow.commit()
    return email_id


def page_of(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def test_the_record_shows_payments_plans_promises_and_how_often_each_invoice_was_reminded(
    site: Site, tmp_path: Path
) -> None:
    Ledger(site.arrears, tmp_path).load(
        "payments", [payment("P7", on=date(2026, 6, 20), amount="30.00", method="wire")]
    )
    plans.create_plan(site.arrears.uow(), site.people["olivia"], ["I2"], [(date(2026, 7, 31), "250.00")])
    client = site.signed_in("maria")
    csrf = csrf_of(page_of(client, "/customers/C1"))
    client.post("/customers/C1/promise", data={"csrf": csrf, "amount": "70.00", "date": "2026-07-03", "invoices": "I1"})
    sent_email(site, 1, ("I1", "I2"), "reminder")
    sent_email(site, 2, ("I1",), "final")

    page = page_of(client, "/customers/C1")

    assert 'data-cash="P7"' in page and "INV-1001" in page and "wire" in page
    assert 'data-state="pending"' in page and "70.00" in page
    assert "250.00" in page and "2026-07-31" in page  # the plan's instalment
    assert "Reminded 2 times, last 2026-06-30 by step final" in page
    assert "Reminded 1 time, last 2026-06-30 by step reminder" in page


def test_the_emails_page_counts_a_steps_emails_and_one_opens_with_its_body(site: Site) -> None:
    first = sent_email(site, 1, ("I1", "I2"), "reminder", html=f"<p>{SCRIPT}</p>")
    sent_email(site, 2, ("I1",), "reminder")
    sent_email(site, 3, ("I2",), "final")
    client = site.signed_in("sam")  # any role reads

    by_step = page_of(client, "/customers/C1/emails?step=reminder")
    by_invoice = page_of(client, "/customers/C1/emails?invoice=I2")
    opened = page_of(client, f"/emails/{first}")
    body = client.get(f"/emails/{first}/body")

    assert 'data-total="2"' in by_step and "Reminder 3" not in by_step
    assert 'data-total="2"' in by_invoice and "Reminder 2" not in by_invoice
    assert "Dear Acme, reminder 1." in opened and "&lt;1@arrears.test&gt;" in opened
    assert "step reminder of workflow standard" in opened and "INV-1001, INV-1002" in opened
    assert body.headers["content-security-policy"].startswith("default-src 'none'")
    assert "sandbox" in body.headers["content-security-policy"]
    assert body.text == f"<p>{SCRIPT}</p>"  # as sent: its script can run nowhere


def test_the_history_page_filters_by_kind_invoice_and_step_and_pages(site: Site) -> None:
    sent_email(site, 1, ("I1",), "reminder")
    sent_email(site, 2, ("I2",), "final")
    with site.arrears.uow() as uow:
        customer = uow.ledger.customer("C1")
        assert customer is not None
        for n in range(60):
            uow.audit.record(
                AuditEntry(NOW - timedelta(days=2, minutes=n), SYSTEM, "plan", str(n), "x", f"old {n}", customer.id)
            )
        uow.commit()
    client = site.signed_in("maria")

    emails = page_of(client, "/customers/C1/history?kind=email")
    step = page_of(client, "/customers/C1/history?step=final")
    invoice = page_of(client, "/customers/C1/history?invoice=I1&kind=email")
    first = page_of(client, "/customers/C1/history")
    second = page_of(client, "/customers/C1/history?page=2")

    assert "Email 1 sent" in emails and "Email 2 sent" in emails and "old 1" not in emails
    assert "Email 2 sent" in step and "Email 1 sent" not in step
    assert "Email 1 sent" in invoice and "Email 2 sent" not in invoice
    assert 'rel="next"' in first and "old 59" not in first
    assert "old 59" in second and 'rel="prev"' in second


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/customers/C1/history?invoice=B1", 400, "not an invoice of customer"),
        ("/customers/C9/history", 404, "no customer"),
        ("/customers/C1/emails?status=lost", 400, "queued, sent, failed, bounced"),
        ("/emails/999999", 404, "no email 999999"),
        ("/emails/0", 400, "cannot be read"),
    ],
)
def test_a_bad_filter_or_an_unknown_email_is_a_page_with_the_reason(
    site: Site, path: str, status: int, message: str
) -> None:
    answer = site.signed_in("maria").get(path)

    assert answer.status_code == status
    assert message in answer.text


def test_a_collector_adds_edits_and_removes_a_contact_from_the_record(site: Site) -> None:
    client = site.signed_in("maria")
    csrf = csrf_of(page_of(client, "/customers/C1"))

    added = client.post(
        "/customers/C1/contacts", data={"csrf": csrf, "name": "Dee Fox", "email": "dee@acme.test", "role": "AP"}
    )
    page = page_of(client, "/customers/C1")
    with site.arrears.uow() as uow:
        [dee] = [
            k
            for k in uow.ledger.ledger_records("contacts", 50, 0, customer_external_id="C1").items
            if k.name == "Dee Fox"
        ]
    edited = client.post(
        f"/customers/C1/contacts/{dee.id}",
        data={"csrf": csrf, "name": "Dee Fox", "email": "dee@acme.test", "role": "AP", "receives_reminders": "on"},
    )
    after_edit = page_of(client, "/customers/C1")
    removed = client.post(f"/customers/C1/contacts/{dee.id}/remove", data={"csrf": csrf})

    assert [a.status_code for a in (added, edited, removed)] == [303, 303, 303]
    assert added.headers["location"] == "/customers/C1#contacts"
    assert f'data-contact="{dee.id}"' in page and "no reminders" in page.split(f'data-contact="{dee.id}"')[1][:800]
    assert "receives reminders" in after_edit.split(f'data-contact="{dee.id}"')[1][:800]
    assert "Contact Dee Fox now receives the reminders" in after_edit
    assert f'data-contact="{dee.id}"' not in page_of(client, "/customers/C1")


def test_a_contact_who_receives_reminders_without_an_email_is_refused_and_nothing_changes(site: Site) -> None:
    client = site.signed_in("maria")
    csrf = csrf_of(page_of(client, "/customers/C1"))
    before = row_counts(site)

    answer = client.post("/customers/C1/contacts", data={"csrf": csrf, "name": "Dee", "receives_reminders": "on"})

    assert answer.status_code == 400
    assert "needs an email address" in answer.text
    assert row_counts(site) == before


def test_a_manager_gives_the_customer_to_sam_and_pauses_then_resumes_its_chasing(site: Site) -> None:
    client = site.signed_in("morgan")
    csrf = csrf_of(page_of(client, "/customers/C1"))

    moved = client.post("/customers/C1/collector", data={"csrf": csrf, "collector": "sam"})
    told = page_of(client, "/customers/C1")
    paused = client.post("/customers/C1/chasing", data={"csrf": csrf, "paused": "1"})
    page = page_of(client, "/customers/C1")
    resumed = client.post("/customers/C1/chasing", data={"csrf": csrf, "paused": "0"})

    assert (moved.status_code, paused.status_code, resumed.status_code) == (303, 303, 303)
    assert "Collector is now sam. 1 open task moved with it." in told
    assert "Chasing paused" in page and "Resume chasing" in page
    assert site.row(site.tasks["acme"]).assignee == "sam"
    assert "Pause chasing" in page_of(client, "/customers/C1")


def test_a_collector_is_offered_neither_and_refused_both(site: Site) -> None:
    client = site.signed_in("maria")
    page = page_of(client, "/customers/C1")
    csrf = csrf_of(page)
    before = row_counts(site)

    collector = client.post("/customers/C1/collector", data={"csrf": csrf, "collector": "maria"})
    chasing = client.post("/customers/C1/chasing", data={"csrf": csrf, "paused": "1"})

    assert "Change collector" not in page and "Pause chasing" not in page
    assert (collector.status_code, chasing.status_code) == (403, 403)
    assert row_counts(site) == before
    assert site.row(site.tasks["acme"]).assignee == "maria"
    with site.arrears.engine.connect() as connection:
        assert connection.execute(t.customers.select().where(t.customers.c.workflow_paused)).first() is None


def test_a_manager_excludes_an_invoice_from_chasing_and_includes_it_again(site: Site) -> None:
    client = site.signed_in("morgan")
    page = page_of(client, "/customers/C1")
    csrf = csrf_of(page)

    excluded = client.post("/customers/C1/invoices/I1/excluded", data={"csrf": csrf, "excluded": "1"})
    after = page_of(client, "/customers/C1")
    included = client.post("/customers/C1/invoices/I1/excluded", data={"csrf": csrf, "excluded": "0"})

    assert 'form="exclude-I1">Exclude from chasing</button>' in page
    assert (excluded.status_code, included.status_code) == (303, 303)
    row = after.split('<tr data-invoice="I1">')[1].split("</tr>")[0]
    assert "Not chased" in row and "Chase again" in row
    assert "Invoice I1 excluded from chasing" in after
    assert "Not chased" not in page_of(client, "/customers/C1").split('<tr data-invoice="I1">')[1].split("</tr>")[0]


def test_another_customers_invoice_is_not_found_through_this_one_and_a_collector_is_refused(site: Site) -> None:
    manager = site.signed_in("morgan")
    csrf = csrf_of(page_of(manager, "/customers/C1"))
    collector = site.signed_in("maria")
    collector_csrf = csrf_of(page_of(collector, "/customers/C1"))
    before = row_counts(site)

    elsewhere = manager.post("/customers/C1/invoices/B1/excluded", data={"csrf": csrf, "excluded": "1"})
    refused = collector.post("/customers/C1/invoices/I1/excluded", data={"csrf": collector_csrf, "excluded": "1"})

    assert (elsewhere.status_code, refused.status_code) == (404, 403)
    assert "Exclude from chasing" not in page_of(collector, "/customers/C1")
    assert row_counts(site) == before
    with site.arrears.engine.connect() as connection:
        assert connection.execute(t.invoices.select().where(t.invoices.c.excluded)).first() is None


def test_disputing_selected_invoices_gives_them_an_owner_and_a_note(site: Site) -> None:
    client = site.signed_in("maria")
    csrf = csrf_of(page_of(client, "/customers/C1"))

    answer = client.post(
        "/customers/C1/disputes",
        data={"csrf": csrf, "invoice": ["I1", "I2"], "reason": "pricing", "owner": "sam", "note": "PO says 90.00"},
    )

    assert answer.status_code == 303
    with site.arrears.uow() as uow:
        rows = uow.disputes.disputes(DisputeFilter(status="open"), 10, 0).items
    assert sorted((d.invoice_external_id, d.owner, d.note) for d in rows) == [
        ("I1", "sam", "PO says 90.00"),
        ("I2", "sam", "PO says 90.00"),
    ]
