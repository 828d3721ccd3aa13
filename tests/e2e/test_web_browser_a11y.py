"""An automated accessibility pass over each main page in Chromium (no axe-core: no network), and
each page at a phone's width (390 px) without a horizontal scroll of the page.

The checks, in the page itself: every input, select and textarea has an accessible label (a label
for it, a wrapping label, aria-label or aria-labelledby); every button and link has a name; every
image and SVG has a text alternative (alt, a <title>, aria-label) or is hidden from assistive
technology; there is exactly one h1, and the headings never skip a level going down."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import playwright.sync_api as playwright
import pytest

from arrears.services import balances, tasks
from tests.browser import sign_in
from tests.ledger import Ledger, customer, invoice
from tests.web import Site

CHECKS = """() => {
  const problems = [];
  const describe = (el) => el.outerHTML.slice(0, 160);
  const text = (el) => (el.textContent || "").replace(/\\s+/g, " ").trim();
  const labelled = (el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const by = el.getAttribute("aria-labelledby");
    const named = (id) => document.getElementById(id) && text(document.getElementById(id));
    if (by && by.split(/\\s+/).some(named)) return true;
    if (el.id && [...document.querySelectorAll("label")].some((l) => l.htmlFor === el.id && text(l))) return true;
    const wrapping = el.closest("label");
    return Boolean(wrapping && text(wrapping));
  };
  for (const el of document.querySelectorAll("input, select, textarea")) {
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (type === "hidden") continue;
    if (["submit", "button", "reset"].includes(type)) {
      if (!(el.value || el.getAttribute("aria-label"))) problems.push("button without a name: " + describe(el));
      continue;
    }
    if (!labelled(el)) problems.push("field without a label: " + describe(el));
  }
  for (const el of document.querySelectorAll("button, [role=button]")) {
    if (el.closest("[aria-hidden=true]")) continue;  // e.g. the bulk form's blocker of implicit submission
    if (!(text(el) || (el.getAttribute("aria-label") || "").trim() || el.getAttribute("aria-labelledby") || el.title))
      problems.push("button without a name: " + describe(el));
  }
  for (const el of document.querySelectorAll("a[href]")) {
    const img = el.querySelector("img[alt], svg[aria-label]");
    if (!(text(el) || (el.getAttribute("aria-label") || "").trim() || el.title || img))
      problems.push("link without a name: " + describe(el));
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push("image without alt: " + describe(el));
  }
  for (const el of document.querySelectorAll("svg")) {
    if (el.closest("[aria-hidden=true]") || el.getAttribute("role") === "presentation") continue;
    const title = el.querySelector(":scope > title");
    if (!((title && text(title)) || (el.getAttribute("aria-label") || "").trim() || el.getAttribute("aria-labelledby")))
      problems.push("svg without a title or aria-label: " + describe(el));
  }
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].filter((h) => !h.closest("[hidden]"));
  const h1 = headings.filter((h) => h.tagName === "H1").length;
  if (h1 !== 1) problems.push("the page has " + h1 + " h1 headings, not one");
  let previous = 0;
  for (const h of headings) {
    const level = Number(h.tagName[1]);
    if (level > previous + 1) problems.push("heading h" + level + " after h" + previous + ": " + text(h).slice(0, 60));
    previous = level;
  }
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  const repeated = ids.filter((id, k) => ids.indexOf(id) !== k);
  if (repeated.length) problems.push("ids used twice: " + [...new Set(repeated)].join(", "));
  return problems;
}"""

PAGES = [
    "/tasks",
    "/tasks?tab=open&assignee=*",
    "/tasks?tab=done",
    "/customers",
    "/customers?q=nobody",
    "/disputes",
    "/admin/users",
    "/admin/tokens",
    "/admin/settings",
    "/account/sessions",
    "/disputes?status=all",
    "/credit",
    "/credit?flagged=on&currency=EUR",
    "/customers/C1",
    "/customers/C3",
    "/customers/C1/history",
    "/customers/C1/emails",
    "/dashboard",
    "/reports",
    "/reports?from=2026-04-01&to=2026-06-30&currency=EUR",
    "/alerts",
    "/inbox",
    "/inbox?view=all&unread=1",
    "/import",
    "/workflows",
    "/workflows/preview?as_of=2026-06-30",
    "/templates",
    "/templates/past_due",
    "/customers/NOPE",
]


def problems_of(page: playwright.Page) -> list[str]:
    found: list[str] = page.evaluate(CHECKS)
    return found


def test_the_checks_find_what_they_look_for(page: playwright.Page) -> None:
    """The checker itself: a page with one of each problem gets each reported."""
    page.set_content(
        "<h1>One</h1><h1>Two</h1><h3>Skipped</h3><input id=a><label>Name <select></select></label>"
        "<button></button><a href=/x></a><img src=x.png><svg></svg><svg aria-hidden=true></svg><p id=a></p>"
    )

    found = "\n".join(problems_of(page))

    assert found.count("field without a label") == 1
    assert "button without a name" in found
    assert "link without a name" in found
    assert "image without alt" in found
    assert found.count("svg without a title") == 1
    assert "the page has 2 h1 headings" in found
    assert "heading h3 after h1" in found
    assert "ids used twice: a" in found


def test_the_sign_in_page_passes_the_checks(served: tuple[Site, str], page: playwright.Page) -> None:
    _, base = served
    page.goto(f"{base}/signin")

    assert problems_of(page) == []


@pytest.mark.parametrize("user", ["olivia", "maria"])
def test_every_main_page_passes_the_checks(served: tuple[Site, str], page: playwright.Page, user: str) -> None:
    _, base = served
    sign_in(page, base, user)
    found = {}
    for path in PAGES:
        page.goto(f"{base}{path}")
        page.wait_for_selector("h1")
        problems = problems_of(page)
        if problems:
            found[path] = problems

    assert found == {}


def test_every_main_page_fits_a_phone_width(
    served: tuple[Site, str], browser: playwright.Browser, tmp_path: Path
) -> None:
    site, base = served
    long_name = "Unbreakable" * 12  # a customer name with no space to wrap at
    ledger = Ledger(site.arrears, tmp_path)
    ledger.load("customers", [customer("LONG", long_name, collector="olivia")])
    ledger.load("invoices", [invoice("L1", "LONG", due=date(2026, 5, 1), amount="1234567.89", number="N" * 60)])
    new = tasks.NewTask("LONG", "call", "Call " + long_name, assignee="olivia", due_date=date(2026, 6, 30))
    tasks.create_task(site.arrears.uow(), site.people["olivia"], new)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        sign_in(phone, base, "olivia")
        wide = {}
        for path in ["/signin", *PAGES, "/customers/LONG", "/tasks?tab=open&assignee=*&q=Unbreakable"]:
            phone.goto(f"{base}{path}")
            phone.wait_for_selector("h1")
            width = phone.evaluate("document.documentElement.scrollWidth")
            if width > 391:
                wide[path] = width
    finally:
        context.close()

    assert wide == {}


# The tables' cards (`.table-wrap`, which scroll sideways rather than widen the page) that are
# narrower than their table: columns hidden behind a scroll bar.
OVERFLOWING = """() => [...document.querySelectorAll('.table-wrap')]
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.querySelector('table')?.className || 'table') + ' ' + e.scrollWidth + '>' + e.clientWidth)"""


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_no_table_hides_columns_on_a_laptop_or_a_phone(
    served: tuple[Site, str], browser: playwright.Browser, tmp_path: Path, width: int, height: int
) -> None:
    """The issue's layout check: at 1400 px and at 390 px no table overflows its card (at 390 px the
    rows become cards, each cell labelled), so no column is hidden behind a scroll bar."""
    site, base = served
    big = [  # amounts as long as a large book's, in every bucket: the aging table's widest columns
        invoice(f"BIG{n}", "BIG", due=date(2026, 6, 29) - timedelta(days=days), amount="98765432.10")
        for n, days in enumerate((-5, 10, 40, 70, 100))
    ]
    ledger = Ledger(site.arrears, tmp_path)
    ledger.load("customers", [customer("BIG", "Big Book Holdings", collector="olivia")])
    ledger.load("invoices", big)
    balances.roll_balances(site.arrears.uow())
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500)
    context.set_default_timeout(10_000)
    screen = context.new_page()
    try:
        sign_in(screen, base, "olivia")
        hidden = {}
        for path in PAGES:
            screen.goto(f"{base}{path}")
            screen.wait_for_selector("h1")
            found = screen.evaluate(OVERFLOWING)
            if found:
                hidden[path] = found
    finally:
        context.close()

    assert hidden == {}


def phone_problems(browser: playwright.Browser, base: str, user: str, paths: Sequence[str]) -> dict[str, list[str]]:
    """Each of `paths` opened on a phone (390 px) by `user`: its problems (the checks above, a page
    wider than the phone, a table overflowing its card), for the pages that have any."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    phone = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        sign_in(phone, base, user)
        for path in paths:
            phone.goto(f"{base}{path}")
            phone.wait_for_selector("h1")
            width = phone.evaluate("document.documentElement.scrollWidth")
            problems = [*problems_of(phone), *(["wider than the phone"] if width > 391 else [])]
            problems += phone.evaluate(OVERFLOWING)
            if problems:
                found[path] = problems
    finally:
        context.close()
    return found
