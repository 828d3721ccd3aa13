"""The task list page through FastAPI's TestClient, on both databases: select many and act on them
(by ids or on everything that matches the filters), the role checked on each task, saved views and
the default view, the filter builder, the total count. The site is tests/web.py's: maria has the
"acme" and "script" calls, sam has "beta"."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.services import tasks
from tests.ledger import Ledger, customer, invoice
from tests.web import TODAY, Site, csrf_of


@pytest.fixture
def kyoto(site: Site, tmp_path: Path) -> int:
    """A yen customer tagged `vip`, owing 5000 JPY for two months, with an email task for morgan."""
    ledger = Ledger(site.arrears, tmp_path)
    ledger.load("customers", [customer("C4", "Kyoto KK", currency="JPY", collector="morgan", tags="vip;japan")])
    ledger.load("invoices", [invoice("J1", "C4", due=date(2026, 5, 1), amount="5000")])
    new = tasks.NewTask("C4", "email", "Email Kyoto", assignee="morgan", due_date=date(2026, 7, 6))
    return tasks.create_task(site.arrears.uow(), site.people["olivia"], new).id


def csrf(client: TestClient, path: str = "/tasks?tab=open") -> str:
    return csrf_of(client.get(path).text)


def shown(page: str) -> set[str]:
    """The customers of the rows on a task list page."""
    return set(re.findall(r'data-label="Customer"><a href="[^"]*">([^<]*)</a>', page))


def statuses(site: Site, *keys: str) -> list[str]:
    return [site.row(site.tasks[key]).status for key in keys]


# -- select many and act --------------------------------------------------------------------------


def test_a_collector_completes_the_tasks_she_selected(site: Site) -> None:
    client = site.signed_in("maria")
    ids = [site.tasks["acme"], site.tasks["script"]]

    answer = client.post(
        "/tasks/bulk", data={"csrf": csrf(client), "tab": "open", "action": "complete", "ids": ids, "back": "/tasks"}
    )
    page = client.get(answer.headers["location"]).text

    assert answer.status_code == 303
    assert "2 tasks completed." in page
    assert statuses(site, "acme", "script", "beta") == ["done", "done", "open"]
    assert "0 tasks" in page


def test_a_manager_moves_the_due_date_of_every_task_that_matches_the_filters(site: Site) -> None:
    client = site.signed_in("morgan")
    data = {"csrf": csrf(client), "tab": "open", "assignee": "maria", "type": "call", "all_matching": "1"}

    answer = client.post("/tasks/bulk", data={**data, "action": "move", "due": "2026-07-10", "ids": ["999"]})
    page = client.get(answer.headers["location"]).text

    assert answer.status_code == 303
    assert answer.headers["location"] == "/tasks?tab=open&assignee=maria&type=call"
    assert "2 tasks moved to 2026-07-10." in page
    due = {key: site.row(site.tasks[key]).due_date for key in ("acme", "script", "beta")}
    assert due == {"acme": date(2026, 7, 10), "script": date(2026, 7, 10), "beta": TODAY}


def test_a_manager_reassigns_the_selected_tasks(site: Site) -> None:
    client = site.signed_in("morgan")
    ids = [site.tasks["acme"], site.tasks["script"]]

    answer = client.post(
        "/tasks/bulk", data={"csrf": csrf(client), "action": "reassign", "to": "sam", "ids": ids, "tab": "open"}
    )

    assert answer.status_code == 303
    assert [site.row(i).assignee for i in ids] == ["sam", "sam"]
    assert "2 tasks reassigned to sam." in client.get(answer.headers["location"]).text


def test_a_collector_including_anothers_task_is_refused_and_nothing_changes(site: Site) -> None:
    client = site.signed_in("maria")
    ids = [site.tasks["acme"], site.tasks["beta"]]

    answer = client.post("/tasks/bulk", data={"csrf": csrf(client), "action": "complete", "ids": ids})

    assert answer.status_code == 403
    assert "Not allowed" in answer.text
    assert f"task {site.tasks['beta']} is not assigned to you; nothing was changed" in answer.text
    assert statuses(site, "acme", "beta") == ["open", "open"]


def test_a_collector_acting_on_everyones_matching_tasks_is_refused(site: Site) -> None:
    client = site.signed_in("maria")

    answer = client.post(
        "/tasks/bulk",
        data={"csrf": csrf(client), "action": "move", "due": "2026-07-10", "assignee": "*", "all_matching": "1"},
    )

    assert answer.status_code == 403
    assert [site.row(site.tasks[k]).due_date for k in ("acme", "beta")] == [TODAY, TODAY]


def test_a_collector_may_not_reassign_even_her_own_tasks_in_bulk(site: Site) -> None:
    client = site.signed_in("maria")
    page = client.get("/tasks").text

    answer = client.post(
        "/tasks/bulk", data={"csrf": csrf_of(page), "action": "reassign", "to": "sam", "ids": [site.tasks["acme"]]}
    )

    assert "Reassign to" not in page  # not offered to a contributor
    assert "Mark complete" in page
    assert answer.status_code == 403
    assert site.row(site.tasks["acme"]).assignee == "maria"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "complete"}, "select at least one task"),
        ({"action": "complete", "ids": ["x"]}, "not task ids"),
        ({"action": "explode", "ids": ["1"]}, "choose what to do"),
        ({"action": "move", "ids": ["1"], "due": "someday"}, "is not a date"),
        ({"action": "move", "ids": ["1"], "due": "2026-01-01"}, "in the past"),
        ({"action": "reassign", "ids": ["1"]}, "choose whom"),
        ({"action": "complete", "ids": ["1"], "tab": "nope"}, "not a tab"),
    ],
)
def test_a_bulk_form_that_cannot_be_read_is_a_400_page_and_changes_nothing(
    site: Site, data: dict[str, object], message: str
) -> None:
    client = site.signed_in("morgan")

    answer = client.post("/tasks/bulk", data={"csrf": csrf(client), **data})

    assert answer.status_code == 400
    assert message in answer.text
    assert statuses(site, "acme", "script", "beta") == ["open"] * 3


@pytest.mark.parametrize("path", ["/tasks/bulk", "/tasks/views"])
def test_a_bulk_action_or_a_view_without_the_csrf_token_is_refused(site: Site, path: str) -> None:
    client = site.signed_in("morgan")

    answer = client.post(path, data={"action": "complete", "ids": [site.tasks["acme"]], "name": "Forged view"})

    assert answer.status_code == 403
    assert "expired" in answer.text
    assert site.row(site.tasks["acme"]).status == "open"
    assert "Forged view" not in client.get("/tasks").text


# -- what the page offers -------------------------------------------------------------------------


def test_a_collector_sees_no_checkbox_or_action_on_anothers_task(site: Site) -> None:
    client = site.signed_in("maria")

    page = client.get("/tasks?tab=open&assignee=*").text

    beta = re.search(rf'<tr data-task="{site.tasks["beta"]}">.*?</tr>', page, re.S)
    acme = re.search(rf'<tr data-task="{site.tasks["acme"]}">.*?</tr>', page, re.S)
    assert beta and acme
    assert "checkbox" not in beta.group(0)
    assert "/complete" not in beta.group(0)
    assert "sam’s task" in beta.group(0)
    assert 'form="bulk" name="ids"' in acme.group(0)
    assert 'aria-label="Select call task for Acme Ltd, due 2026-06-30"' in acme.group(0)
    assert "3 tasks" in page
    assert "all_matching" not in page  # everyone's tasks: not hers to change all at once


def test_a_manager_sees_every_row_selectable_and_may_reassign(site: Site) -> None:
    page = site.signed_in("morgan").get("/tasks?tab=open&assignee=*").text

    assert page.count('class="select-task"') == 3
    assert '<label for="bulk-to">Reassign to</label>' in page


def test_select_all_matching_is_offered_when_there_are_more_than_a_page(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("arrears.web.routes.tasks.PAGE_SIZE", 2)
    client = site.signed_in("morgan")

    page = client.get("/tasks?tab=open&assignee=*").text
    one_page = client.get("/tasks?tab=open&assignee=maria").text

    assert "3 tasks" in page
    assert page.count('class="select-task"') == 2
    assert "Select all 3 matching tasks" in page
    assert "Select all" not in one_page.replace("Select all tasks on this page", "")


def test_the_count_stops_at_what_a_bulk_action_may_change(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("arrears.services.tasks.MAX_BULK", 2)
    monkeypatch.setattr("arrears.web.routes.tasks.PAGE_SIZE", 1)

    page = site.signed_in("morgan").get("/tasks?tab=open&assignee=*").text

    assert "More than 2 tasks" in page
    assert "narrow the filters" in page
    assert "all_matching" not in page


def test_a_completed_list_has_no_bulk_form(site: Site) -> None:
    client = site.signed_in("maria")
    client.post(f"/tasks/{site.tasks['acme']}/complete", data={"csrf": csrf(client)})

    page = client.get("/tasks?tab=done").text

    assert "1 task<" in page
    assert 'id="bulk"' not in page


# -- the filter builder ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "customers"),
    [
        ("", {"Acme Ltd", "&lt;script&gt;alert(1)&lt;/script&gt;", "Beta GmbH", "Kyoto KK"}),
        ("type=email", {"Kyoto KK"}),
        ("type=email&type=call", {"Acme Ltd", "&lt;script&gt;alert(1)&lt;/script&gt;", "Beta GmbH", "Kyoto KK"}),
        ("due_from=2026-07-01", {"Kyoto KK"}),
        ("due_to=2026-06-30", {"Acme Ltd", "&lt;script&gt;alert(1)&lt;/script&gt;", "Beta GmbH"}),
        ("due_from=2026-07-01&due_to=2026-07-05", set()),
        # each customer's own currency: $350.00, $70.00, €40.00, 5000 JPY
        ("min_overdue=100", {"Acme Ltd", "Kyoto KK"}),
        ("min_overdue=350.00", {"Acme Ltd", "Kyoto KK"}),
        ("min_overdue=350.01", {"Kyoto KK"}),
        ("min_overdue=5000", {"Kyoto KK"}),
        ("min_overdue=5000.5", set()),  # no half yen: at least 5001 JPY
        ("min_overdue=4999.5", {"Kyoto KK"}),
        ("tag=vip", {"Kyoto KK"}),
        ("tag=vi", set()),
        ("customer=C2", {"Beta GmbH"}),
        ("customer=C2&type=email", set()),
    ],
)
def test_each_filter_of_the_builder(site: Site, kyoto: int, query: str, customers: set[str]) -> None:
    page = site.signed_in("morgan").get(f"/tasks?tab=open&assignee=*&{query}").text

    assert shown(page) == customers
    count = len(customers)
    assert f">{count} {'task' if count == 1 else 'tasks'}</p>" in page


def test_the_filters_stay_in_the_sort_and_page_links(site: Site, kyoto: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("arrears.web.routes.tasks.PAGE_SIZE", 1)
    client = site.signed_in("morgan")

    page = client.get("/tasks?tab=open&assignee=*&type=call&min_overdue=10&sort=customer").text

    kept = "assignee=%2A&amp;type=call&amp;min_overdue=10"
    assert f'href="/tasks?tab=open&amp;{kept}&amp;sort=customer&amp;page=2" rel="next"' in page
    assert f'href="/tasks?tab=open&amp;{kept}&amp;sort=-customer"' in page
    assert f'href="/tasks?tab=done&amp;{kept}&amp;sort=customer"' in page
    assert 'name="min_overdue" value="10"' in page
    assert re.search(r'id="type-call" name="type" value="call" checked', page)
    assert "More filters (2 in use)" in page


def rows_in_order(page: str) -> list[str]:
    return re.findall(r'data-label="Customer"><a href="[^"]*">([^<]*)</a>', page)


def test_all_assignees_open_on_the_worklist_with_a_why_on_each_row(site: Site) -> None:
    client = site.signed_in("morgan")

    page = client.get("/tasks?tab=open&assignee=*").text

    # Acme 350.00 USD, 30 days: 350×1×100×2; Beta 40.00 EUR, 61 days: 40×3×100×2; the script 70.00, 29 days
    assert rows_in_order(page) == ["Acme Ltd", "Beta GmbH", "&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert "350.00 USD overdue 30 days" in page and "40.00 EUR overdue 61 days" in page
    assert "Sorted by priority" in page
    assert 'expected to pay <time datetime="2026-05-31">' in page


def test_one_persons_list_still_opens_by_due_date_and_a_chosen_sort_stays_in_the_links(site: Site) -> None:
    client = site.signed_in("morgan")

    mine = client.get("/tasks?tab=open&assignee=maria").text
    everyone_by_due = client.get("/tasks?tab=open&assignee=*&sort=due_date").text

    assert re.search(r'aria-sort="ascending">\s*<a href="[^"]*sort=-due_date"', mine)
    assert 'href="/tasks?tab=open&amp;assignee=maria&amp;sort=priority">Put the customers to chase first on top' in mine
    assert 'href="/tasks?tab=done&amp;assignee=%2A&amp;sort=due_date"' in everyone_by_due


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("min_overdue=1e5", "is not an amount"),
        ("min_overdue=-5", "negative"),
        ("type=lunch", "task type"),
        ("due_from=tomorrow", "is not a date"),
        ("sort=price", "not a sort"),
        ("assignee=nobody", "no user named"),
        ("tab=maybe", "not a tab"),
    ],
)
def test_a_filter_that_cannot_be_read_is_a_400_page(site: Site, query: str, message: str) -> None:
    answer = site.signed_in("maria").get(f"/tasks?{query}")

    assert answer.status_code == 400
    assert message in answer.text


# -- saved views ----------------------------------------------------------------------------------


def save(client: TestClient, name: str, *, default: bool = False, **filters: str | list[str]) -> str:
    data: dict[str, object] = {"csrf": csrf(client), "name": name, **filters} | ({"default": "1"} if default else {})
    answer = client.post("/tasks/views", data=data)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_a_saved_view_is_a_link_to_its_filters(site: Site) -> None:
    client = site.signed_in("maria")

    location = save(client, "Everyone's calls", tab="open", assignee="*", type=["call"])
    page = client.get(location).text

    assert location == "/tasks?tab=open&assignee=%2A&type=call"
    assert "View “Everyone&#39;s calls” saved." in page
    link = '<a href="/tasks?tab=open&amp;assignee=%2A&amp;type=call" aria-current="true">Everyone&#39;s calls</a>'
    assert link in page
    assert "Beta GmbH" in page


def test_the_default_view_opens_the_task_list_and_filters_in_the_address_win(site: Site) -> None:
    client = site.signed_in("maria")
    save(client, "Beta", default=True, tab="open", assignee="*", customer="C2")

    plain = client.get("/tasks").text
    asked = client.get("/tasks?tab=open").text

    assert shown(plain) == {"Beta GmbH"}
    assert "(default)" in plain
    assert shown(asked) == {"Acme Ltd", "&lt;script&gt;alert(1)&lt;/script&gt;"}


def test_a_new_default_view_replaces_the_old_one(site: Site) -> None:
    client = site.signed_in("maria")
    save(client, "Beta", default=True, tab="open", assignee="*", customer="C2")
    save(client, "Acme", default=True, tab="open", customer="C1")

    plain = client.get("/tasks").text

    assert shown(plain) == {"Acme Ltd"}
    assert plain.count("(default)") == 1


def test_deleting_the_default_view_brings_back_my_open_tasks(site: Site) -> None:
    client = site.signed_in("maria")
    save(client, "Beta", default=True, tab="open", assignee="*", customer="C2")
    view_id = re.search(r'action="/tasks/views/(\d+)/delete"', client.get("/tasks").text)
    assert view_id

    answer = client.post(f"/tasks/views/{view_id.group(1)}/delete", data={"csrf": csrf(client), "back": "/tasks"})
    page = client.get("/tasks").text

    assert answer.status_code == 303
    assert "View deleted." in page
    assert shown(page) == {"Acme Ltd", "&lt;script&gt;alert(1)&lt;/script&gt;"}
    assert "Beta" not in page


def test_a_view_is_its_owners_alone(site: Site) -> None:
    maria = site.signed_in("maria")
    save(maria, "Beta", default=True, tab="open", assignee="*", customer="C2")
    view_id = re.search(r'action="/tasks/views/(\d+)/delete"', maria.get("/tasks").text)
    assert view_id
    sam = site.signed_in("sam")

    answer = sam.post(f"/tasks/views/{view_id.group(1)}/delete", data={"csrf": csrf(sam)})

    assert answer.status_code == 404
    assert 'action="/tasks/views/' not in sam.get("/tasks").text
    assert shown(maria.get("/tasks").text) == {"Beta GmbH"}


def test_a_view_needs_a_name(site: Site) -> None:
    client = site.signed_in("maria")

    answer = client.post("/tasks/views", data={"csrf": csrf(client), "name": "  ", "tab": "open"})

    assert answer.status_code == 400
    assert "needs a name" in answer.text


def test_a_default_view_that_no_longer_reads_is_skipped_with_a_notice(site: Site) -> None:
    client = site.signed_in("maria")
    with site.arrears.uow() as uow:  # saved through the API, say, for a user since removed
        uow.accounts.save_view(site.people["maria"].id, "Gone", {"assignee": "nobody"}, True)
        uow.commit()

    page = client.get("/tasks")

    assert page.status_code == 200
    assert "Your default view “Gone” could not be applied" in page.text
    assert shown(page.text) == {"Acme Ltd", "&lt;script&gt;alert(1)&lt;/script&gt;"}


def test_completing_a_task_keeps_the_note_written_in_its_form(site: Site) -> None:
    client = site.signed_in("maria")
    page = client.get("/tasks").text
    acme = site.tasks["acme"]
    form = re.search(rf'<form method="post" action="/tasks/{acme}/complete".*?</form>', page, re.S)
    assert form and f'<textarea id="note-{acme}" name="note"' in form.group(0)

    answer = client.post(
        f"/tasks/{acme}/complete",
        data={"csrf": csrf_of(page), "outcome": "answered", "note": "Pays Friday by wire", "version": "1"},
    )

    assert answer.status_code == 303
    row = site.row(acme)
    assert (row.status, row.note) == ("done", "Pays Friday by wire")
