"""A manager edits an email template in a real browser (fixtures in tests/browser.py): a syntax error
is refused with its line next to the field and the text kept, the fix is saved and the template is
marked as edited here. The SQLite run saves docs/screenshots/template-refused.png."""

from __future__ import annotations

import playwright.sync_api as playwright
from sqlalchemy import select

from arrears.adapters.db import tables as t
from tests.browser import SCREENSHOTS, sign_in
from tests.web import Site

BROKEN = "Dear {{ contact_name or customer.name }},\n\n{% for i in invoices %}\n{{ i.number }\n{% endfor %}\n"
FIXED = BROKEN.replace("{{ i.number }\n", "{{ i.number }}\n")


def stored(site: Site) -> dict[tuple[str, str], str]:
    e = t.email_templates
    with site.arrears.engine.connect() as connection:
        return {(r.name, r.part): r.source for r in connection.execute(select(e.c.name, e.c.part, e.c.source))}


def test_a_manager_fixes_a_refused_template_and_saves_it(
    served: tuple[Site, str], page: playwright.Page, db_url: str
) -> None:
    site, base = served
    expect = playwright.expect
    sign_in(page, base, "morgan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
    page.wait_for_url(f"{base}/templates")
    expect(page.locator('tr[data-template="past_due"]')).to_contain_text("built-in")
    page.get_by_role("link", name="past_due", exact=True).click()
    page.wait_for_url(f"{base}/templates/past_due")
    expect(page.locator("p.origin")).to_have_text("The built-in template.")

    # A syntax error: refused, the line next to the field, the text as typed, nothing stored.
    text = page.get_by_label("Text part")
    text.fill(BROKEN)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("The template was not saved: 1 problem.")
    expect(page.get_by_role("alert")).to_contain_text("Text part, line 4: unexpected '}'")
    expect(page.locator("#problem-text")).to_contain_text("Line 4: unexpected '}'")
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(text).to_have_attribute("aria-describedby", "problem-text")
    expect(text).to_have_value(BROKEN)
    assert stored(site) == {}
    if db_url.startswith("sqlite"):
        page.screenshot(path=str(SCREENSHOTS / "template-refused.png"))

    # The fix is saved, and the template is marked as edited here, by whom.
    text.fill(FIXED)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash")).to_have_text("Template past_due saved: the next email sent uses it.")
    expect(page.locator("p.origin")).to_contain_text("Edited here, last by morgan")
    expect(page.locator('label[for="part-text"]')).to_have_text("Text part (edited here)")
    expect(page.locator('label[for="part-subject"]')).to_have_text("Subject (built-in)")
    expect(page.get_by_label("Text part")).to_have_value(FIXED)
    expect(page.locator("#problem-text")).to_have_count(0)
    assert stored(site) == {("past_due", "text"): FIXED}

    page.get_by_role("link", name="Email templates").click()
    page.wait_for_url(f"{base}/templates")
    expect(page.locator('tr[data-template="past_due"]')).to_contain_text("edited here")
    expect(page.locator('tr[data-template="past_due"]')).to_contain_text("by morgan")
