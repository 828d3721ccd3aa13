"""The record's "Copy portal link" in a real browser (fixtures in tests/browser.py): the link shown
once, its Copy button (the page's own script shows it) putting the link on the clipboard, and the
link opening the customer's portal."""

from __future__ import annotations

import re

import playwright.sync_api as playwright

from arrears.services import portal
from tests.browser import sign_in
from tests.web import Site


def test_a_collector_copies_a_portal_link_to_the_clipboard(served: tuple[Site, str], page: playwright.Page) -> None:
    site, base = served
    expect = playwright.expect
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    sign_in(page, base, "maria")
    page.goto(f"{base}/customers/C1#portal")
    expect(page.locator("p.portal-links")).to_contain_text("No link to the portal is valid now")

    page.get_by_role("button", name="Copy portal link").click()

    box = page.get_by_label("Portal link")
    expect(box).to_have_value(re.compile(r"^http://127\.0\.0\.1:8000/portal/[A-Za-z0-9_-]{43}$"))
    url = box.input_value()
    copy = page.locator('#portal-link-issued button[data-copy-from="portal-url"]')
    expect(copy).to_be_visible()  # hidden without the script: the box is there to copy by hand
    copy.click()
    expect(copy).to_have_text("Copied")
    assert clipboard(page, url) == url
    assert portal.check(site.arrears.uow(), url.rsplit("/", 1)[1]).customer.external_id == "C1"
    expect(page.locator("p.portal-links")).to_contain_text("1 link to the portal valid now")


def clipboard(page: playwright.Page, wanted: str) -> str:
    """What the clipboard holds once it holds `wanted`, or after two seconds (the write is a promise)."""
    held = ""
    for _ in range(20):
        held = str(page.evaluate("navigator.clipboard.readText()"))
        if held == wanted:
            break
        page.wait_for_timeout(100)
    return held
