"""Adding a contact while logging a call, in a real browser (fixtures in tests/browser.py): on a call,
the collector learns of someone new at the customer and records them while logging the call. The SQLite run saves
docs/screenshots/contact-while-logging.png."""

from __future__ import annotations

import playwright.sync_api as playwright

from tests.browser import SCREENSHOTS, sign_in, task_row
from tests.web import Site


def test_a_collector_adds_a_contact_while_logging_a_call(
    served: tuple[Site, str], page: playwright.Page, db_url: str
) -> None:
    site, base = served
    expect = playwright.expect
    sign_in(page, base, "maria")

    acme = task_row(page, site.tasks["acme"])
    acme.locator("summary", has_text="Actions").click()
    log = acme.locator("form.reschedule")
    new_contact = log.locator("details.new-contact")
    expect(new_contact.get_by_label("Name")).to_be_hidden()  # folded until asked for
    new_contact.locator("summary", has_text="Spoke to someone new?").click()
    new_contact.get_by_label("Name").fill("Dana Ortiz")
    new_contact.get_by_label("Phone").fill("+1 415 555 0177")
    new_contact.get_by_label("Email").fill("dana@acme.test")
    new_contact.get_by_label("Role").fill("AP lead")
    if db_url.startswith("sqlite"):
        page.set_viewport_size({"width": 1280, "height": 1400})  # the whole row, clear of the sticky bulk bar
        row, panel = acme.bounding_box(), acme.locator(".action-forms").bounding_box()
        assert row is not None and panel is not None
        bottom = max(row["y"] + row["height"], panel["y"] + panel["height"])  # the panel opens over the rows below
        clip = {"x": row["x"], "y": row["y"], "width": row["width"], "height": bottom - row["y"] + 8}
        page.screenshot(path=str(SCREENSHOTS / "contact-while-logging.png"), clip=clip)  # type: ignore[arg-type]
    log.get_by_role("button", name="Answered", exact=True).click()

    expect(page.locator(".flash")).to_have_text(
        "Rescheduled to 2026-07-01 after a call: answered: Acme Ltd. Contact Dana Ortiz added."
    )
    expect(task_row(page, site.tasks["acme"]).locator('a[href="tel:+14155550177"]')).to_be_visible()

    page.goto(f"{base}/customers/C1")
    expect(page.locator(".contacts")).to_contain_text("Dana Ortiz · AP lead")
    expect(page.locator(".timeline")).to_contain_text("Contact Dana Ortiz added while logging a call")
    assert site.row(site.tasks["acme"]).contact_id is not None
