"""The customer list page (/customers) through FastAPI's TestClient, on both databases: every role
reads it, the search and filters, the pages, the empty states, and customer names as text."""

from __future__ import annotations

import re

import pytest

from tests.web import PEOPLE, SCRIPT, Site, row_counts

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-customer="([^"]+)">', html)


@pytest.mark.parametrize("name", list(PEOPLE))
def test_every_role_reads_the_list_and_it_is_in_the_menu(site: Site, name: str) -> None:
    page = site.signed_in(name).get("/customers")

    assert page.status_code == 200
    assert listed(page.text) == ["C3", "C1", "C2"]  # by name: "<script>…" sorts first
    assert '<a href="/customers" aria-current="page">Customers</a>' in page.text


def test_a_search_by_invoice_number_or_contact_email_finds_the_customer(site: Site) -> None:
    client = site.signed_in("sam")

    assert listed(client.get("/customers", params={"q": "inv-1002"}).text) == ["C1"]
    assert listed(client.get("/customers", params={"q": "pat@acme"}).text) == ["C1"]
    assert listed(client.get("/customers", params={"q": "beta"}).text) == ["C2"]


def test_the_filters_and_the_sort(site: Site) -> None:
    client = site.signed_in("morgan")

    assert listed(client.get("/customers", params={"collector": "sam"}).text) == ["C2"]
    assert listed(client.get("/customers", params={"collector": "-"}).text) == []
    assert set(listed(client.get("/customers", params={"overdue": "on"}).text)) == {"C1", "C2", "C3"}
    assert listed(client.get("/customers", params={"sort": "-overdue"}).text)[0] == "C2"  # EUR before USD


def test_mine_is_the_signed_in_collectors_customers(site: Site) -> None:
    assert listed(site.signed_in("maria").get("/customers", params={"collector": "me"}).text) == ["C3", "C1"]


def test_a_row_shows_the_balance_the_collector_and_the_phone(site: Site) -> None:
    page = site.signed_in("maria").get("/customers", params={"q": "acme"}).text

    row = page.split('<tr data-customer="C1">')[1].split("</tr>")[0]
    assert '<a href="/customers/C1">Acme Ltd</a>' in row
    assert '<td data-label="Collector">maria</td>' in row
    assert '<td data-label="Balance" class="num">$350.00</td>' in row
    assert '<td data-label="Overdue" class="num">$350.00</td>' in row
    assert '<a href="tel:+14155550100">+1 415 555 0100</a>' in row


def test_a_name_like_a_script_is_text(site: Site) -> None:
    page = site.signed_in("maria").get("/customers", params={"q": "script"}).text

    assert ESCAPED in page and SCRIPT not in page


def test_no_match_says_what_a_search_finds_and_nothing_changes(site: Site) -> None:
    client = site.signed_in("maria")
    before = row_counts(site)

    page = client.get("/customers", params={"q": "nobody"})

    assert page.status_code == 200 and listed(page.text) == []
    assert "No customer matches" in page.text and "invoice number" in page.text
    assert row_counts(site) == before


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"sort": "balance"}, "is not a sort"),
        ({"collector": "nobody"}, "no user named"),
        ({"q": "x" * 201}, ""),
        ({"page": "0"}, ""),
        ({"overdue": "yes please"}, ""),
    ],
)
def test_a_bad_query_is_a_400_with_a_message(site: Site, params: dict[str, str], reason: str) -> None:
    page = site.signed_in("maria").get("/customers", params=params)

    assert page.status_code in (400, 422) and reason in page.text


def test_an_anonymous_visitor_is_sent_to_sign_in(site: Site) -> None:
    answer = site.client().get("/customers")

    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=%2Fcustomers"
