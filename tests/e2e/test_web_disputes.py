"""Disputes in the pages, through FastAPI's TestClient on both databases: the dispute list with its
filters, resolving and rejecting with a note (managers), the customer record's disputes and amount
in dispute, the alert to the customer's collector, and customer text shown as text."""

from __future__ import annotations

import re

import pytest

from arrears.services import alerts, disputes
from tests.web import SCRIPT, Site, csrf_of, row_counts

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def disputed(site: Site) -> dict[str, int]:
    """Two open disputes: morgan's on Acme's I1 (pricing, 60.00 of 100.00, owned by morgan) and sam's on
    the script-named customer's S1 (damaged)."""
    uow = site.arrears.uow
    acme = disputes.open_dispute(uow(), site.people["morgan"], "I1", "pricing", amount="60.00", owner="morgan")
    script = disputes.open_dispute(uow(), site.people["sam"], "S1", "damaged", note=f"Broken {SCRIPT}")
    return {"acme": acme.id, "script": script.id}


def listed(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-dispute="(\d+)"', html)]


def test_the_list_shows_the_open_disputes_newest_first_with_their_details(site: Site, disputed: dict[str, int]) -> None:
    page = site.signed_in("maria").get("/disputes")

    assert page.status_code == 200
    assert listed(page.text) == [disputed["script"], disputed["acme"]]
    row = page.text.split(f'<tr data-dispute="{disputed["acme"]}"')[1].split("</tr>")[0]
    assert "Acme Ltd" in row and "INV-1001" in row and "pricing" in row and "$60.00" in row and "morgan" in row
    assert "Resolve or reject" not in page.text  # a collector reads; managers settle
    assert ESCAPED in page.text and SCRIPT not in page.text


def test_the_filters(site: Site, disputed: dict[str, int]) -> None:
    client = site.signed_in("morgan")

    assert listed(client.get("/disputes", params={"reason": "damaged"}).text) == [disputed["script"]]
    assert listed(client.get("/disputes", params={"owner": "morgan"}).text) == [disputed["acme"]]
    assert listed(client.get("/disputes", params={"customer": "C1"}).text) == [disputed["acme"]]
    assert listed(client.get("/disputes", params={"status": "resolved"}).text) == []


def test_a_manager_resolves_one_with_a_note_and_chasing_resumes(site: Site, disputed: dict[str, int]) -> None:
    client = site.signed_in("morgan")
    page = client.get("/disputes")

    answer = client.post(
        f"/disputes/{disputed['acme']}/resolve",
        data={"csrf": csrf_of(page.text), "resolution": "Credit note for 60.00 agreed", "back": "/disputes"},
    )

    assert answer.status_code == 303 and answer.headers["location"] == "/disputes"
    assert listed(client.get("/disputes").text) == [disputed["script"]]
    resolved = client.get("/disputes", params={"status": "resolved"}).text
    assert listed(resolved) == [disputed["acme"]] and "Credit note for 60.00 agreed" in resolved
    record = client.get("/customers/C1").text
    assert "Dispute on invoice I1 resolved: Credit note for 60.00 agreed" in record  # on the timeline


def test_a_manager_resolves_one_with_a_credit_note_from_the_form(site: Site, disputed: dict[str, int]) -> None:
    client = site.signed_in("morgan")
    page = client.get("/disputes")
    assert 'name="credit_note"' in page.text and 'name="write_off"' in page.text

    answer = client.post(
        f"/disputes/{disputed['acme']}/resolve",
        data={"csrf": csrf_of(page.text), "resolution": "Agreed", "credit_note": "40.00", "write_off": "20.00"},
    )
    too_much = client.post(
        f"/disputes/{disputed['script']}/resolve",
        data={"csrf": csrf_of(page.text), "resolution": "Agreed", "credit_note": "999999.00"},
    )

    assert answer.status_code == 303
    resolved = client.get("/disputes", params={"status": "resolved"}).text
    dispute_id = disputed["acme"]
    assert f"Agreed (credit note DISPUTE-{dispute_id}-CN, 40.00 USD; write-off DISPUTE-{dispute_id}-WO, 20.00 USD)" in (
        resolved
    )
    assert too_much.status_code in (400, 422)
    assert "above" in too_much.text


def test_a_manager_rejects_one_from_the_customer_record(site: Site, disputed: dict[str, int]) -> None:
    client = site.signed_in("olivia")
    page = client.get("/customers/C1")

    answer = client.post(
        f"/disputes/{disputed['acme']}/reject",
        data={"csrf": csrf_of(page.text), "resolution": "Contract price applies", "back": "/customers/C1#disputes"},
    )

    assert answer.status_code == 303 and answer.headers["location"] == "/customers/C1#disputes"
    assert disputes.get_dispute(site.arrears.uow(), site.people["olivia"], disputed["acme"]).status == "rejected"


@pytest.mark.parametrize(
    ("who", "path", "fields", "status"),
    [
        ("maria", "resolve", {"resolution": "ok"}, 403),  # a collector may not settle a dispute
        ("morgan", "resolve", {"resolution": "  "}, 400),  # say how
        ("morgan", "settle", {"resolution": "ok"}, 400),
    ],
)
def test_what_is_refused_changes_nothing(
    site: Site, disputed: dict[str, int], who: str, path: str, fields: dict[str, str], status: int
) -> None:
    client = site.signed_in(who)
    token = csrf_of(client.get("/disputes").text)
    before = row_counts(site)

    answer = client.post(f"/disputes/{disputed['acme']}/{path}", data={"csrf": token, **fields})

    assert answer.status_code == status
    assert row_counts(site) == before


def test_settling_a_dispute_twice_is_a_409(site: Site, disputed: dict[str, int]) -> None:
    client = site.signed_in("morgan")
    token = csrf_of(client.get("/disputes").text)
    client.post(f"/disputes/{disputed['acme']}/resolve", data={"csrf": token, "resolution": "done"})

    again = client.post(f"/disputes/{disputed['acme']}/reject", data={"csrf": token, "resolution": "no"})

    assert again.status_code == 409 and "already resolved" in again.text


def test_the_customer_record_shows_the_amount_in_dispute_and_the_disputes(site: Site, disputed: dict[str, int]) -> None:
    page = site.signed_in("morgan").get("/customers/C1").text

    assert '<dt>In dispute</dt><dd><a href="#disputes">$60.00</a></dd>' in page
    assert f'<li data-dispute="{disputed["acme"]}"><strong>INV-1001</strong> · pricing · $60.00' in page
    assert "Of which in dispute: <strong>$60.00</strong> on 1 invoice." in page
    assert "Resolve or reject" in page


def test_the_dispute_alert_goes_to_the_customers_collector(site: Site, disputed: dict[str, int]) -> None:
    mine = alerts.list_alerts(site.arrears.uow(), site.people["maria"], limit=50).items

    assert {a.kind for a in mine} == {"dispute_opened"}  # Acme's and the script-named customer's: hers
    assert len(mine) == 2


def test_a_dispute_is_dated_by_the_workspace_clock_not_the_database_server(site: Site) -> None:
    """The site's clock is 2026-06-30 09:00 UTC, whatever day the tests run on."""
    disputes.open_dispute(site.arrears.uow(), site.people["morgan"], "I1", "pricing")

    page = site.signed_in("morgan").get("/disputes").text

    assert '<time datetime="2026-06-30T09:00:00+00:00">2026-06-30</time>' in page


def test_a_manager_reassigns_a_dispute_and_the_change_is_on_the_timeline(site: Site, disputed: dict[str, int]) -> None:
    client = site.signed_in("morgan")
    page = client.get("/disputes")
    assert f'action="/disputes/{disputed["acme"]}/assign"' in page.text and 'name="owner"' in page.text

    answer = client.post(
        f"/disputes/{disputed['acme']}/assign",
        data={"csrf": csrf_of(page.text), "owner": "sam", "back": "/disputes"},
    )

    assert answer.status_code == 303 and answer.headers["location"] == "/disputes"
    assert disputes.get_dispute(site.arrears.uow(), site.people["morgan"], disputed["acme"]).owner == "sam"
    assert disputed["acme"] in listed(client.get("/disputes", params={"owner": "sam"}).text)
    assert listed(client.get("/disputes", params={"owner": "morgan"}).text) == []
    assert "Dispute on invoice I1 now owned by sam" in client.get("/customers/C1").text  # on the timeline
    assert f'action="/disputes/{disputed["acme"]}/assign"' in client.get("/customers/C1").text


@pytest.mark.parametrize(
    ("who", "fields", "status"),
    [
        ("maria", {"owner": "sam"}, 403),  # a collector may not reassign a dispute
        ("morgan", {"owner": "nobody"}, 400),  # no such user
        ("morgan", {"owner": " "}, 400),
    ],
)
def test_a_refused_reassignment_changes_nothing(
    site: Site, disputed: dict[str, int], who: str, fields: dict[str, str], status: int
) -> None:
    client = site.signed_in(who)
    page = client.get("/disputes").text
    assert ("/assign" in page) is (who != "maria")  # the form is offered to managers and owners only
    manager = site.signed_in("morgan")
    before = row_counts(site)

    answer = client.post(f"/disputes/{disputed['acme']}/assign", data={"csrf": csrf_of(page), **fields})
    forged = manager.post(f"/disputes/{disputed['acme']}/assign", data={"owner": "sam"})

    assert answer.status_code == status
    assert forged.status_code in (400, 403)  # no CSRF token
    assert row_counts(site) == before
    assert disputes.get_dispute(site.arrears.uow(), site.people["morgan"], disputed["acme"]).owner == "morgan"
