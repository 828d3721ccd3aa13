"""Two people acting on one task from the pages: each form that changes a task carries the version
the task was shown at, and a form older than the task is refused with a 409 page that says so; the
task keeps the change made first, and nothing else is written."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.web import Site, csrf_of, row_counts


def stale_form(client: TestClient, task_id: int, action: str, page: str = "/tasks?tab=open") -> dict[str, str]:
    """The hidden fields of a task's `action` form (complete or reschedule) as the page shows them now."""
    html = client.get(page).text
    form = re.search(rf'<form method="post" action="/tasks/{task_id}/{action}".*?</form>', html, re.S)
    assert form, f"no {action} form for task {task_id} on {page}"
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)">', form.group(0)))
    assert hidden.keys() == {"csrf", "back", "version"}
    assert hidden["csrf"] == csrf_of(html)
    return hidden


@pytest.mark.parametrize("page", ["/tasks?tab=open", "/customers/C1"])
def test_every_form_that_changes_a_task_carries_the_version_it_was_shown_at(site: Site, page: str) -> None:
    client = site.signed_in("maria")
    acme = site.tasks["acme"]

    forms = [stale_form(client, acme, action, page) for action in ("complete", "reschedule")]

    assert [form["version"] for form in forms] == [str(site.row(acme).version)] * 2


def test_a_second_edit_from_the_same_stale_page_is_refused_and_changes_nothing(site: Site) -> None:
    client = site.signed_in("maria")
    acme = site.tasks["acme"]
    reschedule, complete = stale_form(client, acme, "reschedule"), stale_form(client, acme, "complete")

    first = client.post(f"/tasks/{acme}/reschedule", data={**reschedule, "to": "2026-07-03"})
    before = row_counts(site)
    second = client.post(f"/tasks/{acme}/complete", data=complete)

    assert first.status_code == 303
    assert second.status_code == 409
    assert "changed by someone else meanwhile" in second.text
    assert "Nothing was changed" in second.text
    task = site.row(acme)
    assert (task.status, task.due_date.isoformat()) == ("open", "2026-07-03")
    assert row_counts(site) == before


def test_a_collector_cannot_overwrite_what_her_manager_did_meanwhile(site: Site) -> None:
    maria, morgan = site.signed_in("maria"), site.signed_in("morgan")
    acme = site.tasks["acme"]
    seen_by_maria = stale_form(maria, acme, "reschedule")
    seen_by_morgan = stale_form(morgan, acme, "complete", "/customers/C1")

    done = morgan.post(f"/tasks/{acme}/complete", data=seen_by_morgan)
    before = row_counts(site)
    late = maria.post(f"/tasks/{acme}/reschedule", data={**seen_by_maria, "to": "2026-07-03"})

    assert done.status_code == 303
    assert late.status_code == 409
    assert "changed by someone else meanwhile" in late.text
    task = site.row(acme)
    assert (task.status, task.due_date.isoformat()) == ("done", "2026-06-30")
    assert row_counts(site) == before


@pytest.mark.parametrize("version", ["x", "0", "1.5", "²", "9" * 5000])
def test_a_version_that_is_not_one_is_a_400_page(site: Site, version: str) -> None:
    client = site.signed_in("maria")
    acme = site.tasks["acme"]
    form = stale_form(client, acme, "complete")

    answer = client.post(f"/tasks/{acme}/complete", data={**form, "version": version})

    assert answer.status_code == 400
    assert "not a version number" in answer.text
    assert site.row(acme).status == "open"
