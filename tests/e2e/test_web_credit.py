"""Credit in the workspace through FastAPI's TestClient, on both databases: the credit page (every
customer by exposure within its currency, its sorts, filters and pages), the customer record's
credit panel (figures, the behavioural score's why, the score chart with its table), credit hold
set and released by a manager and shown on the page, the record, the task list and the customer
list, refused to a collector, and customer names as text."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from arrears.web.routes.credit import PAGE_SIZE
from tests.ledger import Ledger, credit_score, customer
from tests.web import SCRIPT, Site, csrf_of, row_counts

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PARTS = [
    {"name": "lateness", "points": "12.5", "why": "pays 12.5 days late on average (weighted by amount)"},
    {"name": "late_share", "points": "10.0", "why": "1 of 2 invoices paid late"},
    {"name": "broken_promises", "points": "0.0", "why": "0 promises broken in 12 months"},
    {"name": "days_past_due", "points": "5.0", "why": "oldest open invoice 30 days past due"},
]


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-customer="([^"]+)">', html)


def row_of(html: str, external_id: str) -> str:
    found = re.search(rf'<tr data-(?:customer|task)="{re.escape(external_id)}">.*?</tr>', html, re.S)
    assert found, f"no row {external_id}"
    return found.group(0)


@pytest.fixture
def scored(site: Site, tmp_path: Path) -> Site:
    return with_credit(site, tmp_path)


def with_credit(site: Site, tmp_path: Path) -> Site:
    """The site's ledger with credit: Acme (C1, limit 5,000.00, owes 350.00) has bureau scores of
    700 and then 510 of 850 and a behavioural score of 72 with its parts; the script-named customer
    (C3, owes 70.00) has a limit of 50.00 (over it); Beta (C2, EUR 40.00) has neither."""
    ledger = Ledger(site.arrears, tmp_path)
    ledger.load("customers", [customer("C3", SCRIPT, collector="maria", credit_limit="50.00")])
    ledger.load(
        "credit-scores",
        [
            credit_score("C1", on=date(2026, 1, 15), score=700, max_score=850, source="bureau"),
            credit_score("C1", on=date(2026, 5, 20), score=510, max_score=850, source="bureau"),
        ],
    )
    explanation = json.dumps({"why": "pays 12.5 days late on average", "parts": PARTS})
    with site.arrears.uow() as uow:
        acme = uow.ledger.customer("C1")
        assert acme is not None
        uow.credit.add_scores(
            [(acme.id, date(2026, 5, 1), 80, "{}"), (acme.id, date(2026, 6, 1), 72, explanation)], uow.clock.now()
        )
        uow.commit()
    return site


def hold(client: TestClient, external_id: str, on: bool, note: str = "") -> Response:
    record = client.get(f"/customers/{external_id}")
    return client.post(
        f"/customers/{external_id}/credit-hold",
        data={
            "csrf": csrf_of(record.text),
            "hold": "1" if on else "0",
            "note": note,
            "back": f"/customers/{external_id}",
        },
    )


def test_the_credit_page_lists_customers_by_exposure_largest_first_within_each_currency(scored: Site) -> None:
    page = scored.signed_in("maria").get("/credit")

    assert page.status_code == 200
    assert '<a href="/credit" aria-current="page">Credit</a>' in page.text
    assert listed(page.text) == ["C2", "C1", "C3"]  # EUR before USD; 350.00 before 70.00
    acme = row_of(page.text, "C1")
    assert '<a href="/customers/C1#credit">Acme Ltd</a>' in acme
    assert '<td data-label="Limit" class="num">$5,000.00</td>' in acme
    assert '<td data-label="Exposure" class="num">$350.00</td>' in acme
    assert '<td data-label="Available" class="num">$4,650.00</td>' in acme
    assert "510<span" in acme and "/ 850" in acme and "bureau" in acme
    assert '<td data-label="Behavioural" class="num">72</td>' in acme
    assert '<td data-label="Next review">2027-05-20</td>' in acme  # 365 days after the bureau's score
    over = row_of(page.text, "C3")
    assert '<span class="over">$20.00 over</span>' in over
    assert '<span class="badge badge-over-limit">Over limit</span>' in over  # a word, not a colour


def test_the_credit_page_sorts_by_available_score_and_name(scored: Site) -> None:
    client = scored.signed_in("morgan")

    assert listed(client.get("/credit", params={"sort": "available"}).text) == ["C2", "C3", "C1"]
    by_score = listed(client.get("/credit", params={"sort": "score"}).text)
    assert by_score[0] == "C1" and set(by_score[1:]) == {"C2", "C3"}  # no score: last
    assert listed(client.get("/credit", params={"sort": "name"}).text) == ["C3", "C1", "C2"]
    assert listed(client.get("/credit", params={"sort": "-name"}).text) == ["C2", "C1", "C3"]
    assert client.get("/credit", params={"sort": "nonsense"}).status_code == 400


def test_the_credit_page_filters_by_flag_limit_currency_and_hold(scored: Site) -> None:
    client = scored.signed_in("morgan")

    assert listed(client.get("/credit", params={"over_limit": "on"}).text) == ["C3"]
    assert listed(client.get("/credit", params={"currency": "EUR"}).text) == ["C2"]
    assert listed(client.get("/credit", params={"flagged": "on"}).text) == ["C3"]  # 510 of 850 is 60%: not low
    assert "No customer matches these filters." in client.get("/credit", params={"on_hold": "on"}).text
    assert client.get("/credit", params={"currency": "EURO"}).status_code == 400


def test_a_score_below_the_threshold_is_flagged(scored: Site, tmp_path: Path) -> None:
    Ledger(scored.arrears, tmp_path).load(
        "credit-scores", [credit_score("C1", on=date(2026, 6, 20), score=300, max_score=850, source="bureau")]
    )

    page = scored.signed_in("morgan").get("/credit", params={"flagged": "on"}).text

    assert listed(page) == ["C1", "C3"]
    assert '<span class="badge badge-score-below-threshold">Score low</span>' in row_of(page, "C1")


def test_the_credit_page_has_pages_of_fifty(site: Site, tmp_path: Path) -> None:
    Ledger(site.arrears, tmp_path).load(
        "customers", [customer(f"P{n:03}", f"Paged {n:03}", currency="GBP") for n in range(PAGE_SIZE + 5)]
    )
    client = site.signed_in("maria")

    first = client.get("/credit", params={"currency": "GBP", "sort": "name"}).text
    second = client.get("/credit", params={"currency": "GBP", "sort": "name", "page": "2"}).text

    assert len(listed(first)) == PAGE_SIZE and listed(first)[0] == "P000"
    assert listed(second) == [f"P{n:03}" for n in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert 'href="/credit?currency=GBP&amp;sort=name&amp;page=2" rel="next"' in first


def test_the_record_shows_the_credit_panel_with_the_why_and_the_score_chart(scored: Site) -> None:
    page = scored.signed_in("maria").get("/customers/C1").text

    panel = page.split('<section class="credit-panel"')[1].split("</section>")[0]
    assert "<dt>Exposure</dt><dd>$350.00</dd>" in panel
    assert "<dt>Available</dt><dd>$4,650.00</dd>" in panel
    assert "510 / 850" in panel and "bureau, 2026-05-20" in panel
    assert "<dt>Behavioural score</dt><dd>72" in panel
    assert '<li data-part="lateness"><strong>−12.5</strong> pays 12.5 days late on average' in panel
    assert '<li data-part="late_share"><strong>−10.0</strong> 1 of 2 invoices paid late</li>' in panel
    assert '<svg class="score-chart"' in panel and 'role="img"' in panel
    assert panel.count('<polyline class="line-') == 2  # the bureau's line and Arrears' line
    assert ">0%</text>" in panel and ">100%</text>" in panel and ">2026-01-15</text>" in panel
    assert 'style="' not in panel  # the CSP allows no inline style
    assert '<td data-label="Percent" class="num">60%</td>' in panel  # 510 of 850
    assert "Put on credit hold" not in panel  # maria is a collector


def test_a_record_without_scores_says_so(site: Site) -> None:
    page = site.signed_in("maria").get("/customers/C2").text

    assert "No credit score yet" in page and '<svg class="score-chart"' not in page


def test_a_manager_puts_a_customer_on_credit_hold_and_it_shows_everywhere(scored: Site) -> None:
    morgan = scored.signed_in("morgan")

    answer = hold(morgan, "C1", True, "over terms since May")

    assert answer.status_code == 303 and answer.headers["location"] == "/customers/C1"
    record = morgan.get("/customers/C1").text
    assert '<span class="badge badge-credit-hold">Credit hold</span>' in record
    assert "On credit hold since 2026-06-30 09:00 by morgan: “over terms since May”." in record
    assert "Release credit hold" in record
    assert listed(morgan.get("/credit", params={"on_hold": "on"}).text) == ["C1"]
    assert "Credit hold" in row_of(morgan.get("/credit").text, "C1")
    tasks = scored.signed_in("maria").get("/tasks").text
    assert "Credit hold</a>" in row_of(tasks, str(scored.tasks["acme"]))
    assert "Credit hold" not in row_of(tasks, str(scored.tasks["script"]))
    assert "Credit hold" in row_of(morgan.get("/customers").text, "C1")
    assert "Credit hold set: over terms since May" in morgan.get("/customers/C1").text  # the timeline

    released = hold(morgan, "C1", False, "paid down")

    assert released.status_code == 303
    record = morgan.get("/customers/C1").text
    assert "badge-credit-hold" not in record and "Put on credit hold" in record
    assert "Credit hold released: paid down" in record


def test_a_collector_gets_no_hold_form_and_her_post_is_refused(scored: Site) -> None:
    maria = scored.signed_in("maria")
    before = row_counts(scored)

    answer = hold(maria, "C1", True, "mine")

    assert answer.status_code == 403
    assert row_counts(scored) == before
    assert "badge-credit-hold" not in maria.get("/customers/C1").text


def test_a_hold_without_the_csrf_token_is_refused(scored: Site) -> None:
    answer = scored.signed_in("morgan").post("/customers/C1/credit-hold", data={"hold": "1"})

    assert answer.status_code == 403
    assert "badge-credit-hold" not in scored.signed_in("morgan").get("/customers/C1").text


def test_customer_names_and_notes_are_text_on_the_credit_page_and_panel(scored: Site) -> None:
    morgan = scored.signed_in("morgan")
    hold(morgan, "C3", True, SCRIPT)

    page = morgan.get("/credit").text
    record = morgan.get("/customers/C3").text

    assert SCRIPT not in page and ESCAPED in page
    assert SCRIPT not in record and ESCAPED in record
