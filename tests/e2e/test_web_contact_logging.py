"""The "Spoke to someone new?" group of a task's Complete and "Log a call" forms: the new
contact lands on the task's customer, shows on the customer record and its timeline, and is escaped;
the forms stay CSRF-checked (FastAPI's TestClient, both databases)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from arrears.adapters.db import tables as t
from tests.web import SCRIPT, Site, csrf_of


def _form(client: TestClient, **fields: str) -> dict[str, str]:
    return {"csrf": csrf_of(client.get("/tasks").text), "back": "/tasks", **fields}


def _contacts(site: Site) -> list[tuple[str, str, str | None, str | None, str | None]]:
    """(customer external id, name, phone, email, role) of every contact, by name."""
    k, c = t.contacts, t.customers
    query = (
        select(c.c.external_id, k.c.name, k.c.phone, k.c.email, k.c.role)
        .join(c, c.c.id == k.c.customer_id)
        .order_by(k.c.name)
    )
    with site.arrears.engine.connect() as connection:
        return [(row[0], row[1], row[2], row[3], row[4]) for row in connection.execute(query)]


def test_each_task_form_has_a_collapsible_labelled_new_contact_group(site: Site) -> None:
    page = site.signed_in("maria").get("/tasks").text
    acme = site.tasks["acme"]

    complete = re.search(rf'<form method="post" action="/tasks/{acme}/complete".*?</form>', page, re.S)
    log = re.search(rf'<form method="post" action="/tasks/{acme}/reschedule".*?</form>', page, re.S)
    assert complete and log
    for form, key in ((complete.group(0), f"cc-{acme}"), (log.group(0), f"rc-{acme}")):
        assert '<details class="new-contact"><summary>Spoke to someone new?</summary>' in form
        for suffix, name in (("n", "name"), ("p", "phone"), ("e", "email"), ("r", "role")):
            assert f'<label for="{key}-{suffix}">' in form
            assert f'id="{key}-{suffix}" name="contact_{name}"' in form


def test_completing_with_a_new_contact_adds_it_to_the_customer_and_says_so(site: Site) -> None:
    client = site.signed_in("maria")
    data = _form(
        client,
        outcome="answered",
        contact_name="Dana Ortiz",
        contact_phone="+1 415 555 0177",
        contact_email="dana@acme.test",
        contact_role="AP lead",
    )

    answer = client.post(f"/tasks/{site.tasks['acme']}/complete", data=data)
    page = client.get(answer.headers["location"]).text

    assert answer.status_code == 303
    assert "Completed: Acme Ltd. Contact Dana Ortiz added." in page
    assert ("C1", "Dana Ortiz", "+1 415 555 0177", "dana@acme.test", "AP lead") in _contacts(site)
    row = site.row(site.tasks["acme"])
    assert row.status == "done" and row.contact_id is not None
    record = client.get("/customers/C1").text
    contacts = record.split('<h2 id="contacts">Contacts</h2>', 1)[1].split('<h2 id="timeline">Timeline</h2>', 1)[0]
    assert "<strong>Dana Ortiz</strong> · AP lead" in contacts
    assert '<a href="tel:+14155550177">+1 415 555 0177</a>' in contacts
    assert "Contact Dana Ortiz added while logging a call" in record


def test_logging_a_call_with_a_new_contact_reschedules_it_and_adds_the_contact(site: Site) -> None:
    client = site.signed_in("maria")
    data = _form(client, to="2026-07-02", outcome="left_voicemail", contact_name="Lee Chan", contact_role="Buyer")

    answer = client.post(f"/tasks/{site.tasks['acme']}/reschedule", data=data)
    page = client.get(answer.headers["location"]).text

    assert answer.status_code == 303
    assert "Rescheduled to 2026-07-02 after a call: left voicemail: Acme Ltd. Contact Lee Chan added." in page
    row = site.row(site.tasks["acme"])
    assert (row.status, row.due_date.isoformat()) == ("open", "2026-07-02")
    assert ("C1", "Lee Chan", None, None, "Buyer") in _contacts(site)
    assert "<strong>Lee Chan</strong> · Buyer" in client.get("/customers/C1").text


def test_empty_contact_fields_add_nobody(site: Site) -> None:
    client = site.signed_in("maria")
    data = _form(client, contact_name=" ", contact_phone="", contact_email="", contact_role="")

    answer = client.post(f"/tasks/{site.tasks['acme']}/complete", data=data)
    page = client.get(answer.headers["location"]).text

    assert answer.status_code == 303
    assert "added" not in page.split('class="flash"', 1)[1].split("</p>", 1)[0]
    assert [name for _, name, *_ in _contacts(site)] == ["Pat Payables"]


def test_a_script_name_is_stored_as_given_and_shown_as_text(site: Site) -> None:
    client = site.signed_in("maria")
    data = _form(client, contact_name=SCRIPT)

    answer = client.post(f"/tasks/{site.tasks['acme']}/complete", data=data)
    flashed = client.get(answer.headers["location"]).text
    record = client.get("/customers/C1").text

    assert answer.status_code == 303
    assert ("C1", SCRIPT, None, None, None) in _contacts(site)
    for page in (flashed, record):
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"contact_name": "Dana", "contact_email": "not-an-email"}, "is not an email address"),
        ({"contact_phone": "+1 415 555 0177"}, "needs a name of 1 to 200 characters"),
    ],
    ids=["bad-email", "no-name"],
)
@pytest.mark.parametrize("path", ["complete", "reschedule"])
def test_a_bad_contact_is_a_page_with_the_reason_and_changes_nothing(
    site: Site, path: str, fields: dict[str, str], message: str
) -> None:
    client = site.signed_in("maria")
    data = _form(client, to="2026-07-02", follow_up_date="2026-07-03", **fields)

    answer = client.post(f"/tasks/{site.tasks['acme']}/{path}", data=data)

    assert answer.status_code == 400
    assert message in answer.text
    row = site.row(site.tasks["acme"])
    assert (row.status, row.due_date.isoformat(), row.version, row.contact_id) == ("open", "2026-06-30", 1, None)
    assert [name for _, name, *_ in _contacts(site)] == ["Pat Payables"]


@pytest.mark.parametrize("token", [None, "forged-token"])
@pytest.mark.parametrize("path", ["complete", "reschedule"])
def test_without_the_csrf_token_nothing_is_added(site: Site, path: str, token: str | None) -> None:
    client = site.signed_in("maria")
    data = {"to": "2026-07-02", "contact_name": "Dana Ortiz"} | ({"csrf": token} if token else {})

    answer = client.post(f"/tasks/{site.tasks['acme']}/{path}", data=data)

    assert answer.status_code == 403
    assert site.row(site.tasks["acme"]).status == "open"
    assert [name for _, name, *_ in _contacts(site)] == ["Pat Payables"]


def test_a_contributor_cannot_add_a_contact_through_anothers_task(site: Site) -> None:
    client = site.signed_in("maria")

    answer = client.post(f"/tasks/{site.tasks['beta']}/complete", data=_form(client, contact_name="Dana Ortiz"))

    assert answer.status_code == 403
    assert [name for _, name, *_ in _contacts(site)] == ["Pat Payables"]
