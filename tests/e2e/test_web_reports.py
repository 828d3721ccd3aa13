"""The reports pages through FastAPI's TestClient, on both databases: the figures of the CLI with a
chart above each table, a CSV per report, the month's PDF pack, the menu's link for managers and
owners only, and bad periods refused with a page."""

from __future__ import annotations

import csv
import io

from tests.web import Site


def test_the_page_shows_the_period_figures_with_charts(site: Site) -> None:
    page = site.signed_in("morgan").get("/reports")

    assert page.status_code == 200
    html = page.text
    # The default period: the 90 days to the site's today (2026-06-30). USD: 420.00 sold (I1, I2, S1)
    # and all of it owed on June 30, none of it due later: DSO 90.0, best possible 0.0.
    assert "2026-04-02 to 2026-06-30 (90 days)" in html
    dso = html[html.index('id="h-dso"') :]
    usd = dso[dso.index('<td data-label="Currency">USD</td>') :][:900]
    assert '<td data-label="DSO" class="num">90.0</td>' in usd
    assert '<td data-label="Best possible DSO" class="num">0.0</td>' in usd
    eur = dso[dso.index('<td data-label="Currency">EUR</td>') :][:900]
    assert '<td data-label="DSO" class="num">–</td>' in eur  # nothing sold in EUR: no DSO
    assert html.count('<svg class="chart"') >= 3  # aging, DSO and CEI by month, the team
    assert "No promise to pay falls due in this period." in html


def test_each_report_downloads_as_the_csv_of_the_cli(site: Site) -> None:
    client = site.signed_in("olivia")

    answer = client.get("/reports/dso.csv", params={"from": "2026-04-02", "to": "2026-06-30"})

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="dso-2026-04-02-2026-06-30.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["currency"], r["dso"], r["sales"], r["ar"]) for r in rows] == [
        ("EUR", "", "0.00", "40.00"),
        ("USD", "90.0", "420.00", "420.00"),
    ]
    for kind in ("aging", "cei", "trend", "promises", "disputes", "productivity"):
        got = client.get(f"/reports/{kind}.csv")
        assert got.status_code == 200, kind
        assert got.text.splitlines()[0].startswith(("currency", "reason", "user")), kind
    assert client.get("/reports/salaries.csv").status_code == 404


def test_the_month_pack_is_a_pdf(site: Site) -> None:
    answer = site.signed_in("olivia").get("/reports/pack.pdf", params={"month": "2026-05"})

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    assert 'filename="arrears-reports-2026-05.pdf"' in answer.headers["content-disposition"]


def test_a_bad_period_or_month_is_a_page_saying_why(site: Site) -> None:
    client = site.signed_in("olivia")

    backwards = client.get("/reports", params={"from": "2026-06-30", "to": "2026-06-01"})
    not_a_month = client.get("/reports/pack.pdf", params={"month": "2026-13"})
    future = client.get("/reports/pack.pdf", params={"month": "2027-01"})

    assert backwards.status_code == 400 and "after it ends" in backwards.text
    assert not_a_month.status_code == 400 and "not a month" in not_a_month.text
    assert future.status_code == 400 and "has not begun" in future.text


def test_only_managers_and_owners_find_the_reports(site: Site) -> None:
    assert 'href="/reports"' in site.signed_in("morgan").get("/tasks").text
    collector = site.signed_in("maria")
    assert 'href="/reports"' not in collector.get("/tasks").text
    assert collector.get("/reports").status_code == 403
