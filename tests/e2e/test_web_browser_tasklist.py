"""Select many on the task list in a real browser (fixtures in tests/browser.py): a collector
shift-clicks a range and completes it; a manager reassigns and opens a customer record; "select all
N matching" then a new due date."""

from __future__ import annotations

from datetime import date

import playwright.sync_api as playwright
import pytest

from arrears.services import tasks
from tests.browser import sign_in, task_row
from tests.web import Site

expect = playwright.expect


def add_task(site: Site, customer: str, description: str, assignee: str, due: date) -> int:
    new = tasks.NewTask(customer, "call", description, assignee=assignee, due_date=due)
    return tasks.create_task(site.arrears.uow(), site.people["olivia"], new).id


def checkbox(page: playwright.Page, task_id: int) -> playwright.Locator:
    return task_row(page, task_id).get_by_role("checkbox")


def test_a_collector_shift_clicks_three_tasks_and_completes_them(
    served: tuple[Site, str], page: playwright.Page
) -> None:
    site, base = served
    later = add_task(site, "C1", "Call Acme again about INV-1002", "maria", date(2026, 7, 1))
    last = add_task(site, "C1", "Call Acme about the statement", "maria", date(2026, 7, 2))
    sign_in(page, base, "maria")
    expect(page.locator("#task-count")).to_have_text("4 tasks")

    checkbox(page, site.tasks["acme"]).click()
    checkbox(page, later).click(modifiers=["Shift"])

    for task_id in (site.tasks["acme"], site.tasks["script"], later):
        expect(checkbox(page, task_id)).to_be_checked()
    expect(checkbox(page, last)).not_to_be_checked()
    expect(page.locator("#selected-count")).to_have_text("3 selected")
    expect(page.get_by_label("Select all tasks on this page")).to_have_js_property("indeterminate", True)

    page.get_by_role("button", name="Mark complete").click()

    expect(page.locator(".flash")).to_have_text("3 tasks completed.")
    expect(page.locator("table.tasks tbody tr")).to_have_count(1)
    expect(task_row(page, last)).to_be_visible()
    assert [site.row(i).status for i in (site.tasks["acme"], site.tasks["script"], later, last)] == [
        "done",
        "done",
        "done",
        "open",
    ]


def test_shift_click_unticks_a_range_and_the_page_box_selects_the_page(
    served: tuple[Site, str], page: playwright.Page
) -> None:
    site, base = served
    sign_in(page, base, "maria")
    page_box = page.get_by_label("Select all tasks on this page")
    expect(page.get_by_role("button", name="Mark complete")).to_be_disabled()

    page_box.check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    checkbox(page, site.tasks["acme"]).click()
    checkbox(page, site.tasks["script"]).click(modifiers=["Shift"])

    expect(page.locator("#selected-count")).to_have_text("0 selected")
    expect(page_box).not_to_be_checked()
    expect(page.get_by_role("button", name="Mark complete")).to_be_disabled()


def test_a_manager_reassigns_tasks_to_sam_then_opens_a_customer(
    served: tuple[Site, str], page: playwright.Page
) -> None:
    site, base = served
    sign_in(page, base, "morgan")
    page.get_by_label("Assignee", exact=True).select_option(label="All assignees")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#task-count")).to_have_text("3 tasks")

    checkbox(page, site.tasks["acme"]).check()
    checkbox(page, site.tasks["script"]).check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.get_by_label("Reassign to").select_option("sam")
    page.get_by_role("button", name="Reassign").click()

    expect(page.locator(".flash")).to_have_text("2 tasks reassigned to sam.")
    for key in ("acme", "script", "beta"):
        expect(task_row(page, site.tasks[key]).locator('td[data-label="Assignee"]')).to_have_text("sam")
    assert site.row(site.tasks["acme"]).assignee == "sam"

    task_row(page, site.tasks["acme"]).get_by_role("link", name="Acme Ltd").click()
    page.wait_for_url(f"{base}/customers/C1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Ltd")
    expect(page.locator(".open-tasks")).to_contain_text("sam")


def test_select_all_matching_then_move_their_due_date(
    served: tuple[Site, str], page: playwright.Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("arrears.web.routes.tasks.PAGE_SIZE", 2)
    site, base = served
    sign_in(page, base, "morgan")
    page.goto(f"{base}/tasks?tab=open&assignee=*")
    offer = page.get_by_label("Select all 3 matching tasks")
    expect(page.locator("table.tasks tbody tr")).to_have_count(2)
    expect(offer).to_be_hidden()

    page.get_by_label("Select all tasks on this page").check()
    offer.check()
    expect(page.locator("#selected-count")).to_have_text("All 3 matching tasks selected")
    checkbox(page, site.tasks["acme"]).uncheck()  # less than the page: no longer everything
    expect(offer).to_be_hidden()
    expect(offer).not_to_be_checked()
    checkbox(page, site.tasks["acme"]).check()
    offer.check()
    page.get_by_label("Move due date to").fill("2026-07-15")
    page.get_by_role("button", name="Move due date").click()

    expect(page.locator(".flash")).to_have_text("3 tasks moved to 2026-07-15.")
    page.wait_for_url(f"{base}/tasks?tab=open&assignee=%2A")
    assert {site.row(site.tasks[key]).due_date for key in ("acme", "script", "beta")} == {date(2026, 7, 15)}


def test_without_the_script_the_boxes_and_the_bulk_buttons_still_work(
    served: tuple[Site, str], browser: playwright.Browser
) -> None:
    site, base = served
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, base, "maria")
        expect(page.get_by_label("Select all tasks on this page")).to_be_hidden()  # it needs the script

        checkbox(page, site.tasks["acme"]).check()
        checkbox(page, site.tasks["script"]).check()
        page.get_by_role("button", name="Mark complete").click()

        expect(page.locator(".flash")).to_have_text("2 tasks completed.")
        assert [site.row(site.tasks[key]).status for key in ("acme", "script")] == ["done", "done"]
    finally:
        context.close()
