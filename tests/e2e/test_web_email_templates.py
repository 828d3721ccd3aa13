"""The email templates pages (TestClient, both databases): managers and owners list the templates,
preview an edit with the sample customer, save it (a part that does not parse or render is refused
with its line, the text kept, nothing saved), create a new one a workflow step may then name, and
reset to the built-in; every save and reset is audited. Collectors may not."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from arrears.adapters.db import tables as t
from tests.web import SCRIPT, Site, csrf_of


def visible(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def form(site: Site, client: object, name: str) -> dict[str, str]:
    """The parts of template `name` as its page shows them, with the CSRF token."""
    page = client.get(f"/templates/{name}").text  # type: ignore[attr-defined]
    subject = re.search(r'id="part-subject" name="subject" value="([^"]*)"', page)
    text = re.search(r'<textarea id="part-text"[^>]*>\n(.*?)</textarea>', page, re.S)
    body = re.search(r'<textarea id="part-html"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert subject and text and body, page
    return {
        "csrf": csrf_of(page),
        "subject": html.unescape(subject.group(1)),
        "text": html.unescape(text.group(1)),
        "html": html.unescape(body.group(1)),
    }


def stored_parts(site: Site) -> dict[tuple[str, str], str]:
    with site.arrears.engine.connect() as connection:
        e = t.email_templates
        return {(r.name, r.part): r.source for r in connection.execute(select(e.c.name, e.c.part, e.c.source))}


def audit_actions(site: Site) -> list[tuple[str | None, str]]:
    with site.arrears.engine.connect() as connection:
        a = t.audit_log
        rows = connection.execute(select(a.c.entity_id, a.c.action).where(a.c.entity == "template").order_by(a.c.id))
        return [(r.entity_id, r.action) for r in rows]


def test_the_templates_page_lists_the_built_in_templates_for_managers(site: Site) -> None:
    client = site.signed_in("morgan")

    page = client.get("/templates")

    assert page.status_code == 200
    shown = visible(page.text)
    assert "past_due built-in —" in shown
    assert "welcome built-in —" in shown
    assert re.search(r"<a href=\"/templates\"[^>]*>Templates</a>", page.text)  # in the menu


def test_a_collector_may_not_open_the_templates(site: Site) -> None:
    client = site.signed_in("maria")

    assert client.get("/templates").status_code == 403
    assert client.get("/templates/past_due").status_code == 403
    assert 'href="/templates"' not in client.get("/tasks").text


def test_preview_shows_the_edited_subject_and_text_for_the_sample_and_saves_nothing(site: Site) -> None:
    client = site.signed_in("morgan")
    parts = form(site, client, "past_due")
    parts["subject"] = "Reminder for {{ customer.name }}: {{ total | money(currency) }}"

    answer = client.post("/templates/past_due", data={**parts, "action": "preview"})

    assert answer.status_code == 200
    shown = visible(answer.text)
    assert "Reminder for Sample Customer Ltd: $1,730.40" in shown
    assert "INV-1001" in shown and "INV-1017" in shown
    assert stored_parts(site) == {}


def test_the_html_part_opens_alone_under_a_strict_policy(site: Site) -> None:
    client = site.signed_in("morgan")
    parts = form(site, client, "past_due")
    parts["html"] = "<p>{{ customer.name }}</p><script>alert(1)</script>"

    answer = client.post("/templates/past_due/html", data=parts)

    assert answer.status_code == 200
    assert answer.text == "<!doctype html><html><body><p>Sample Customer Ltd</p><script>alert(1)</script></body></html>"
    policy = answer.headers["content-security-policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy


def test_a_template_that_does_not_parse_is_refused_with_its_line_and_kept(site: Site) -> None:
    client = site.signed_in("olivia")
    parts = form(site, client, "past_due")
    parts["text"] = "Dear {{ contact_name }},\n\n{% for i in invoices %}\n{{ i.number }\n{% endfor %}\n"

    answer = client.post("/templates/past_due", data={**parts, "action": "save"})

    assert answer.status_code == 422
    shown = visible(answer.text)
    assert "The template was not saved: 1 problem." in shown
    assert re.search(r"Text part, line 4: unexpected '}'", shown), shown
    assert '<p class="error" id="problem-text">Line 4:' in answer.text  # next to the field
    assert "{{ i.number }" in html.unescape(answer.text)  # the input is kept
    assert stored_parts(site) == {}
    assert audit_actions(site) == []


def test_a_template_that_fails_with_the_sample_is_refused_with_its_line(site: Site) -> None:
    client = site.signed_in("morgan")
    parts = form(site, client, "past_due")
    parts["html"] = "<p>Hello</p>\n<p>{{ customer.nickname.upper() }}</p>\n"

    answer = client.post("/templates/past_due", data={**parts, "action": "save"})

    assert answer.status_code == 422
    assert re.search(r"HTML part, line 2: UndefinedError", visible(answer.text)), visible(answer.text)
    assert stored_parts(site) == {}


def test_a_template_cannot_reach_python_internals(site: Site) -> None:
    client = site.signed_in("morgan")
    parts = form(site, client, "past_due")
    parts["subject"] = "{{ customer.__class__.__mro__ }}"

    answer = client.post("/templates/past_due", data={**parts, "action": "save"})

    assert answer.status_code == 422
    assert "SecurityError" in visible(answer.text)
    assert stored_parts(site) == {}


def test_a_saved_template_is_used_by_the_next_preview_and_audited_then_reset(site: Site) -> None:
    client = site.signed_in("morgan")
    parts = form(site, client, "past_due")
    parts["subject"] = "Please pay {{ total | money(currency) }}"

    saved = client.post("/templates/past_due", data={**parts, "action": "save"})

    assert saved.status_code == 303
    assert stored_parts(site) == {("past_due", "subject"): "Please pay {{ total | money(currency) }}"}
    page = client.get("/templates/past_due")
    assert "Template past_due saved: the next email sent uses it." in visible(page.text)
    assert "past_due edited here by morgan" in visible(client.get("/templates").text)
    assert site.arrears.templates.subject("past_due", {"total": 5, "currency": "USD"}) == "Please pay $5.00"

    reset = client.post("/templates/past_due/reset", data={"csrf": csrf_of(page.text)})

    assert reset.status_code == 303
    assert stored_parts(site) == {}
    assert "past_due built-in" in visible(client.get("/templates").text)
    assert audit_actions(site) == [("past_due", "saved"), ("past_due", "reset")]


def test_a_new_template_is_created_with_a_checked_name_and_a_workflow_step_may_name_it(site: Site) -> None:
    client = site.signed_in("olivia")
    assert client.get("/templates", params={"new": "Bad Name!"}).status_code == 400
    opened = client.get("/templates", params={"new": "gentle_nudge"})
    assert opened.headers["location"] == "/templates/gentle_nudge"
    parts = form(site, client, "gentle_nudge")
    parts["subject"] = "A gentle nudge from {{ company }}"

    answer = client.post("/templates/gentle_nudge", data={**parts, "action": "save"})

    assert answer.status_code == 303
    assert {name for name, _ in stored_parts(site)} == {"gentle_nudge"}
    assert len(stored_parts(site)) == 3
    assert "gentle_nudge" in site.arrears.template_names()
    workflow = '[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "s"\ndays = 5\nemail = "gentle_nudge"\n'
    saved = client.post("/workflows", data={"csrf": parts["csrf"], "source": workflow})
    assert saved.status_code == 303
    refused = client.post("/templates/gentle_nudge/reset", data={"csrf": parts["csrf"]})
    assert refused.status_code == 400
    assert "a workflow step sends it" in visible(refused.text)


def test_template_text_is_shown_escaped(site: Site) -> None:
    client = site.signed_in("morgan")
    parts = form(site, client, "past_due")
    parts["text"] = f"{{# {SCRIPT} #}}Hello\n"
    client.post("/templates/past_due", data={**parts, "action": "save"})

    page = client.get("/templates/past_due")

    assert SCRIPT not in page.text
    assert html.escape(SCRIPT, quote=False) in page.text or "&lt;script&gt;" in page.text


def test_the_sample_carries_an_example_portal_link_and_saving_issues_none(site: Site) -> None:
    client = site.signed_in("morgan")
    parts = form(site, client, "past_due")
    parts["text"] = "Pay here: {{ portal_url }}\n"
    parts["html"] = '<p><a href="{{ portal_url }}">Your account</a></p>'
    example = "http://127.0.0.1:8000/portal/EXAMPLE-LINK"

    preview = client.post("/templates/past_due", data={**parts, "action": "preview"})
    alone = client.post("/templates/past_due/html", data=parts)
    saved = client.post("/templates/past_due", data={**parts, "action": "save"})

    assert preview.status_code == 200 and f"Pay here: {example}" in visible(preview.text)
    assert alone.text == f'<!doctype html><html><body><p><a href="{example}">Your account</a></p></body></html>'
    assert saved.status_code == 303 and stored_parts(site)[("past_due", "text")] == parts["text"]
    with site.arrears.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(t.portal_links)).scalar_one() == 0
