"""The dashboard and alerts pages through FastAPI's TestClient, on both databases: each role's view,
dismissing (CSRF-checked, managers only), filters, pages, empty states and escaping."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from arrears.services import alerts, collection_rules, tasks
from tests.attention import raise_every_kind
from tests.web import NOW, PEOPLE, SCRIPT, TODAY, Site, csrf_of

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def alerted(site: Site) -> dict[str, int]:
    return raise_every_kind(site)


def open_alert_ids(site: Site) -> set[int]:
    return {row.id for row in alerts.list_alerts(site.arrears.uow(), site.people["olivia"], limit=500).items}


def rows_of(html: str) -> list[str]:
    """The kinds of the alert rows on a page, in order."""
    return re.findall(r'<tr data-alert="\d+" data-kind="([a-z_]+)">', html)


def cell(html: str, bucket: str, currency: str) -> str:
    """The amount in the aging table of `currency` for `bucket`."""
    table = html.split(f"Aging of {currency} as a table")[1].split("</table>")[0]
    found = re.search(rf'data-bucket="{re.escape(bucket)}">([^<]+)<', table)
    assert found, f"no {bucket} cell for {currency}"
    return found.group(1)


# -- the dashboard ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dashboard", "/alerts"])
def test_an_anonymous_visitor_is_sent_to_sign_in(site: Site, path: str) -> None:
    answer = site.client().get(path)

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/signin?next=%2F{path[1:]}"


def test_home_still_opens_the_task_list(site: Site) -> None:
    assert site.signed_in("maria").get("/").headers["location"] == "/tasks"


@pytest.mark.parametrize("name", ["morgan", "olivia"])
def test_a_manager_or_an_owner_starts_on_the_dashboard(site: Site, name: str) -> None:
    assert site.signed_in(name).get("/").headers["location"] == "/dashboard"


def test_a_collectors_menu_holds_only_what_she_may_use(site: Site) -> None:
    collector = site.signed_in("maria").get("/tasks").text
    manager = site.signed_in("morgan").get("/tasks").text

    assert '<a href="/import"' not in collector and '<a href="/workflows"' not in collector
    assert '<a href="/import"' in manager and '<a href="/workflows"' in manager


@pytest.mark.parametrize("name", list(PEOPLE))
def test_the_dashboard_renders_for_every_role(site: Site, name: str) -> None:
    page = site.signed_in(name).get("/dashboard")

    assert page.status_code == 200
    assert '<a href="/dashboard" aria-current="page">Dashboard</a>' in page.text
    for heading in ("Aging", "Tasks due today", "Promises due this week", "Overdue by collector"):
        assert f">{heading}</h2>" in page.text
    # The chart: an SVG image with a title that says every amount, and a table of the same numbers.
    assert page.text.count('role="img"') == 2
    assert "Aging of USD: current $0.00; 1-30 $420.00; 31-60 $0.00; 61-90 $0.00; 91+ $0.00" in page.text
    assert cell(page.text, "1-30", "USD") == "$420.00"
    assert cell(page.text, "61-90", "EUR") == "€40.00"
    assert "style=" not in page.text  # the CSP would drop inline styles: the bars are SVG attributes


def test_a_bar_is_as_tall_as_its_share_of_the_largest_bucket(site: Site) -> None:
    page = site.signed_in("maria").get("/dashboard").text

    usd = page.split("Aging of USD:")[1].split("</svg>")[0]
    heights = dict(re.findall(r'data-bucket="([^"]+)">\s*<rect [^>]*height="(\d+)"', usd))
    assert heights == {"current": "0", "1-30": "172", "31-60": "0", "61-90": "0", "91+": "0"}


def test_a_collector_sees_her_tasks_due_today_and_a_manager_everyones(site: Site) -> None:
    maria = site.signed_in("maria").get("/dashboard").text
    morgan = site.signed_in("morgan").get("/dashboard").text

    assert '<span class="big-number">2</span> mine' in maria
    assert "for everyone" not in maria
    assert f'data-task="{site.tasks["acme"]}"' in maria and f'data-task="{site.tasks["beta"]}"' not in maria
    assert '<span class="big-number">0</span> mine' in morgan
    assert "Nothing of mine is due today." in morgan
    assert '<span class="big-number">3</span> for everyone' in morgan
    assert f'data-task="{site.tasks["beta"]}"' in morgan


def test_overdue_by_collector_lists_each_collectors_book(site: Site) -> None:
    page = site.signed_in("morgan").get("/dashboard").text

    table = page.split('<table class="collectors">')[1].split("</table>")[0]
    maria = table.split('data-label="Collector">maria</th>')[1].split("</tr>")[0]
    sam = table.split('data-label="Collector">sam</th>')[1].split("</tr>")[0]
    assert re.findall(r'class="num">([^<]*)<', maria) == ["2", "2", "$420.00", "2"]
    assert re.findall(r'class="num">([^<]*)<', sam) == ["1", "1", "€40.00", "1"]


def test_promises_due_this_week_show_amount_date_and_state(site: Site) -> None:
    for days in (0, 6, 7):
        tasks.create_task(
            site.arrears.uow(),
            site.people["maria"],
            tasks.NewTask(
                "C1",
                "expected_payment",
                f"Promise in {days} days",
                invoice_external_ids=("I2",),
                expected_amount="125.50",
                expected_date=TODAY + timedelta(days=days),
            ),
        )

    page = site.signed_in("maria").get("/dashboard").text

    table = page.split('<table class="promises">')[1].split("</table>")[0]
    assert re.findall(r'<time datetime="([^"]+)"', table) == ["2026-06-30", "2026-07-06"]
    assert table.count("$125.50") == 2
    assert table.count('class="state state-pending">pending<') == 2
    assert "Mine, 2026-06-30 to 2026-07-06" in page


def test_empty_blocks_say_so(site: Site) -> None:
    page = site.signed_in("olivia").get("/dashboard").text

    assert "No promise to pay falls due in the next 7 days." in page
    assert "Nothing of mine is due today." in page


def test_a_script_named_customer_is_text_on_the_dashboard(site: Site) -> None:
    page = site.signed_in("maria").get("/dashboard").text

    assert ESCAPED in page
    assert SCRIPT not in page
    assert page.count("<script") == 1  # /static/app.js


# -- the alerts -------------------------------------------------------------------------------------


def test_with_no_alerts_the_page_says_nothing_needs_attention(site: Site) -> None:
    page = site.signed_in("morgan").get("/alerts")

    assert page.status_code == 200
    assert "No open alerts — nothing needs attention." in page.text
    assert "No dismissed alerts." in site.signed_in("morgan").get("/alerts?status=closed").text


@pytest.mark.parametrize("name", list(PEOPLE))
def test_the_alerts_page_renders_for_every_role(site: Site, alerted: dict[str, int], name: str) -> None:
    page = site.signed_in(name).get("/alerts")

    assert page.status_code == 200
    assert '<a href="/alerts" aria-current="page">Alerts</a>' in page.text


def test_a_manager_sees_every_kind_newest_first_with_customer_and_task_links(
    site: Site, alerted: dict[str, int]
) -> None:
    page = site.signed_in("morgan").get("/alerts").text

    kinds = rows_of(page)
    assert set(kinds) == {"stale_task", "dispute_opened", "promise_broken", "email_failed"}
    ids = [int(i) for i in re.findall(r'<tr data-alert="(\d+)"', page)]
    assert ids == sorted(ids, reverse=True)
    assert '<a href="/customers/C1">Acme Ltd</a>' in page
    assert '<a href="/customers/C3">' + ESCAPED + "</a>" in page
    assert re.search(r'<a href="/customers/C1#task-\d+">Task \d+</a>', page)
    assert page.count(">Dismiss</button>") == len(kinds)


def test_a_collector_sees_only_her_alerts_and_no_dismiss_button(site: Site, alerted: dict[str, int]) -> None:
    maria = site.signed_in("maria").get("/alerts").text
    sam = site.signed_in("sam").get("/alerts").text

    assert set(rows_of(maria)) == {"stale_task", "dispute_opened", "promise_broken"}  # failed emails: managers'
    assert ">Dismiss</button>" not in maria
    assert "A manager dismisses it" in maria
    assert rows_of(sam) == []
    assert "No open alerts — nothing needs attention." in sam


def test_the_kind_filter_narrows_the_list(site: Site, alerted: dict[str, int]) -> None:
    client = site.signed_in("morgan")

    disputes = client.get("/alerts?kind=dispute_opened").text
    emails = client.get("/alerts?kind=email_failed").text

    assert rows_of(disputes) == ["dispute_opened"]
    assert re.search(r'<option value="dispute_opened" selected>Dispute opened \(\d+ open\)</option>', disputes)
    assert rows_of(emails) == ["email_failed"]  # Acme's one past-due email of the day


def test_an_unknown_kind_is_a_clear_400(site: Site) -> None:
    client = site.signed_in("morgan")

    unknown = client.get("/alerts?kind=everything")
    malformed = client.get("/alerts?status=all")

    assert unknown.status_code == 400
    assert "is not a kind of alert" in unknown.text
    assert malformed.status_code == 400


def test_a_manager_dismisses_an_alert_and_finds_it_under_dismissed(site: Site, alerted: dict[str, int]) -> None:
    client = site.signed_in("morgan")
    page = client.get("/alerts?kind=dispute_opened").text
    target = alerted["dispute_opened"]

    answer = client.post(
        f"/alerts/{target}/dismiss", data={"csrf": csrf_of(page), "back": "/alerts?kind=dispute_opened"}
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/alerts?kind=dispute_opened"
    after = client.get(answer.headers["location"]).text
    assert f"Alert {target} dismissed." in after
    assert "No open alerts of this kind — nothing needs attention." in after
    assert target not in open_alert_ids(site)
    closed = client.get("/alerts?status=closed&kind=dispute_opened").text
    assert rows_of(closed) == ["dispute_opened"]
    assert ">Dismiss</button>" not in closed


def test_dismissing_without_the_csrf_token_changes_nothing(site: Site, alerted: dict[str, int]) -> None:
    client = site.signed_in("morgan")
    target = alerted["stale_task"]

    missing = client.post(f"/alerts/{target}/dismiss", data={})
    forged = client.post(f"/alerts/{target}/dismiss", data={"csrf": "forged-token"})

    assert missing.status_code == forged.status_code == 403
    assert "the form has expired" in forged.text
    assert target in open_alert_ids(site)


def test_a_collector_may_not_dismiss_even_her_own_alert(site: Site, alerted: dict[str, int]) -> None:
    client = site.signed_in("maria")
    target = alerted["promise_broken"]

    answer = client.post(f"/alerts/{target}/dismiss", data={"csrf": csrf_of(client.get("/alerts").text)})

    assert answer.status_code == 403
    assert "Not allowed" in answer.text
    assert target in open_alert_ids(site)


def test_dismissing_twice_or_a_missing_alert_is_a_404(site: Site, alerted: dict[str, int]) -> None:
    client = site.signed_in("olivia")
    csrf = csrf_of(client.get("/alerts").text)
    target = alerted["email_failed"]
    client.post(f"/alerts/{target}/dismiss", data={"csrf": csrf})

    again = client.post(f"/alerts/{target}/dismiss", data={"csrf": csrf})
    missing = client.post("/alerts/999999/dismiss", data={"csrf": csrf})

    assert again.status_code == missing.status_code == 404
    assert f"no open alert {target}" in again.text


def test_alerts_come_in_pages_of_25(site: Site) -> None:
    site.clock.at = NOW - timedelta(days=10)
    for n in range(27):
        tasks.create_task(
            site.arrears.uow(),
            site.people["olivia"],
            tasks.NewTask("C1", "call", f"Old call {n}", assignee="maria", due_date=TODAY - timedelta(days=7)),
        )
    site.clock.at = NOW
    collection_rules.stale_task_alerts(site.arrears.uow(), TODAY)
    client = site.signed_in("morgan")

    first = client.get("/alerts").text
    second = client.get("/alerts?page=2").text

    assert len(rows_of(first)) == 25 and len(rows_of(second)) == 2
    assert '<a href="/alerts?status=open&amp;page=2" rel="next">' in first
    assert 'rel="next"' not in second
    assert '<a href="/alerts?status=open" rel="prev">' in second


def test_a_script_named_customer_is_text_on_the_alerts_page(site: Site, alerted: dict[str, int]) -> None:
    page = site.signed_in("maria").get("/alerts?kind=dispute_opened").text

    assert ESCAPED in page
    assert SCRIPT not in page
    assert page.count("<script") == 1
