"""The customer record's portal section (TestClient, both databases): "Copy portal link" shows a link
once that opens the customer's portal, "Revoke portal links" closes every one and says how many, a
collector (contributor) may do both, both are on the timeline, and the record lists the customer's
online payments and marks the invoices whose payment is on its way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from arrears.services import portal
from arrears.services.portal import LinkInvalid
from tests.web import NOW, Site, csrf_of, open_site

LINK = re.compile(r'id="portal-url" type="text" value="(http://127\.0\.0\.1:8000/portal/([A-Za-z0-9_-]{43}))" readonly')


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    opened = open_site(db_url, tmp_path)
    yield opened
    opened.arrears.close()


def _post(client: TestClient, path: str) -> Response:
    csrf = csrf_of(client.get("/customers/C1").text)
    answer: Response = client.post(path, data={"csrf": csrf})
    return answer


def _issue(site: Site) -> str:
    issued = portal.issue_link(site.arrears.uow(), site.people["olivia"], "C1", days=30, base_url="https://x.test")
    return issued.url.rsplit("/", 1)[1]


def test_copy_portal_link_shows_a_link_once_that_opens_the_customers_portal(site: Site) -> None:
    maria = site.signed_in("maria")  # a collector: whoever works the customer's tasks may give it a link
    record = maria.get("/customers/C1").text
    assert "Copy portal link" in record and "No link to the portal is valid now" in record

    answer = maria.post("/customers/C1/portal-link", data={"csrf": csrf_of(record)})

    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    found = LINK.search(answer.text)
    assert found, answer.text[:2000]
    url, token = found.groups()
    assert portal.check(site.arrears.uow(), token).customer.external_id == "C1"
    assert f"valid until {(NOW + timedelta(days=30)):%Y-%m-%d %H:%M} UTC" in answer.text
    assert 'data-copy-from="portal-url"' in answer.text
    again = maria.get("/customers/C1").text
    assert url not in again  # shown once: only its hash is kept
    assert "1 link to the portal valid now" in again
    assert "Portal link issued, valid until" in maria.get("/customers/C1/history").text


def test_revoke_portal_links_closes_every_one_and_says_how_many(site: Site) -> None:
    tokens = [_issue(site), _issue(site)]
    maria = site.signed_in("maria")
    assert "2 links to the portal valid now" in maria.get("/customers/C1").text

    answer = _post(maria, "/customers/C1/portal-links/revoke")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/customers/C1#portal"
    page = maria.get("/customers/C1").text
    assert "2 portal links withdrawn: they open nothing from now on." in page
    assert "No link to the portal is valid now" in page
    for token in tokens:
        with pytest.raises(LinkInvalid):
            portal.check(site.arrears.uow(), token)
    assert "Portal links revoked (2)" in maria.get("/customers/C1/history").text


def test_revoking_when_no_link_is_open_says_so(site: Site) -> None:
    maria = site.signed_in("maria")

    _post(maria, "/customers/C1/portal-links/revoke")

    assert "No portal link was open: nothing to withdraw." in maria.get("/customers/C1").text


def test_an_unknown_customer_gets_no_link(site: Site) -> None:
    maria = site.signed_in("maria")

    answer = _post(maria, "/customers/NOPE/portal-link")

    assert answer.status_code == 404
    assert "NOPE" in answer.text


def test_the_record_lists_online_payments_and_marks_invoices_whose_payment_is_on_its_way(site: Site) -> None:
    with site.arrears.uow() as uow:
        acme = uow.ledger.customer("C1")
        assert acme is not None
        [i1, i2] = sorted(uow.ledger.invoices(["I1", "I2"]), key=lambda i: i.external_id)
        at = site.clock.now()
        uow.portal.add_payment("stripe", acme.id, "USD", 700, [i2.id], at - timedelta(days=6))
        failed = uow.portal.add_payment("stripe", acme.id, "USD", 5000, [], at - timedelta(days=5))
        uow.portal.update_payment(failed, "failed", at - timedelta(days=5), error="card declined")
        paid = uow.portal.add_payment("stripe", acme.id, "USD", 25000, [i2.id], at - timedelta(days=3))
        uow.portal.update_payment(paid, "succeeded", at - timedelta(days=3))
        uow.portal.add_payment("stripe", acme.id, "USD", 10000, [i1.id], at, status="pending")
        uow.commit()

    page = site.signed_in("maria").get("/customers/C1").text

    rows = re.findall(r'<tr data-online-payment="\d+" data-status="(\w+)">(.*?)</tr>', page, re.S)
    assert [status for status, _ in rows] == ["pending", "succeeded", "failed", "started"]
    states = re.findall(r'<td data-label="State"><span class="badge badge-\w+">([^<]+)<', page)
    assert states == ["Processing", "Paid", "Failed", "Started"]
    assert "$100.00" in rows[0][1] and "INV-1001" in rows[0][1]
    assert "$250.00" in rows[1][1] and "INV-1002" in rows[1][1]
    assert "card declined" in rows[2][1] and "On account" in rows[2][1]
    invoice_rows = dict(re.findall(r'<tr data-invoice="(\w+)">(.*?)</tr>', page, re.S))
    assert "Payment processing" in invoice_rows["I1"]
    assert "Payment processing" not in invoice_rows["I2"]


def test_the_history_shows_portal_activity_with_a_kind_of_its_own(site: Site) -> None:
    token = _issue(site)
    portal.view(site.arrears.uow(), token)  # the customer opens the link
    maria = site.signed_in("maria")

    everything = maria.get("/customers/C1/history").text
    visits = maria.get("/customers/C1/history", params={"kind": "portal"}).text
    links = maria.get("/customers/C1/history", params={"kind": "portal_link"}).text

    assert '<option value="portal" >customer portal (what the customer did there)</option>' in everything
    assert '<option value="portal_link" >portal links (issued, revoked)</option>' in everything
    assert re.search(r'<span class="who">Acme Ltd \(on the portal\)</span>\s*Portal opened', visits)
    assert "Portal link issued" not in visits
    assert "Portal link issued" in links and "Portal opened" not in links
    assert "Acme Ltd (on the portal)" in maria.get("/customers/C1").text  # the record's latest events
