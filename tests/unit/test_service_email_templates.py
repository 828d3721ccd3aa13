"""The email templates page's use cases (services/email_templates.py), over fakes: who may edit,
what a refused template says (the part and the line) and that nothing is stored then, that only
the parts differing from the built-in ones are stored, reset, new names, and the version that
tells a process to read the stored parts again.

The renderer is the real Jinja one (adapters/rendering.py) with the built-in templates only: the
part and the line of a refusal are Jinja's to find, and the package's files are all it reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from arrears.adapters.rendering import Templates
from arrears.domain.email_templates import TemplateProblem, TemplateRefused
from arrears.domain.errors import InvalidValue, PermissionDenied
from arrears.services import email_templates
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, OLIVIA, TODAY

CONTEXT: dict[str, Any] = {
    "customer": {"name": "Acme Ltd", "external_id": "C1"},
    "contact_name": None,
    "invoices": [],
    "total": 5,
    "currency": "USD",
}


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


@pytest.fixture
def templates() -> Templates:
    return Templates(company="Northwind")


def built_in() -> dict[str, str]:
    """The built-in parts of the past-due reminder, as the editor first shows them."""
    return dict(email_templates.template(acme_desk(), MORGAN, Templates(), "past_due").parts)


def edited(**parts: str) -> dict[str, str]:
    """The past-due reminder's built-in parts with `parts` typed in their place."""
    return {**built_in(), **parts}


def refusal(save: Callable[[], object]) -> list[TemplateProblem]:
    with pytest.raises(TemplateRefused) as refused:
        save()
    return refused.value.problems


# -- who may ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "use",
    [
        lambda uow, t: email_templates.listing(uow, MARIA, t),
        lambda uow, t: email_templates.template(uow, MARIA, t, "past_due"),
        lambda uow, t: email_templates.preview(uow, MARIA, t, "past_due", {"subject": "Hi"}, TODAY),
        lambda uow, t: email_templates.save(uow, MARIA, t, "past_due", {"subject": "Hi"}, TODAY),
        lambda uow, t: email_templates.reset(uow, MARIA, t, "past_due"),
        lambda uow, t: email_templates.listing(uow, None, t),
    ],
    ids=["listing", "template", "preview", "save", "reset", "signed-out"],
)
def test_a_contributor_may_not_read_or_change_the_templates(
    uow: FakeUnitOfWork, templates: Templates, use: Callable[[FakeUnitOfWork, Templates], Any]
) -> None:
    with pytest.raises(PermissionDenied):
        use(uow, templates)

    assert uow.email_templates.parts == {} and uow.commits == 0


def test_managers_and_owners_list_the_built_in_templates(uow: FakeUnitOfWork, templates: Templates) -> None:
    rows = email_templates.listing(uow, OLIVIA, templates)

    assert {row.name for row in rows} >= {"past_due", "welcome", "final_notice", "courtesy_reminder", "invoice"}
    assert {(row.origin, row.based_on) for row in rows} == {("built-in", "built-in")}
    assert not any(row.name.startswith("_") for row in rows)  # the shared parts are no templates


# -- refused --------------------------------------------------------------------------------------------


def test_a_part_that_does_not_parse_is_refused_with_its_part_and_line_and_nothing_is_stored(
    uow: FakeUnitOfWork, templates: Templates
) -> None:
    broken = "Dear {{ contact_name }},\n\n{% for i in invoices %}\n{{ i.number }\n{% endfor %}\n"

    problems = refusal(lambda: email_templates.save(uow, MORGAN, templates, "past_due", edited(text=broken), TODAY))

    assert [(p.part, p.line) for p in problems] == [("text", 4)]
    assert "unexpected '}'" in problems[0].message
    assert uow.email_templates.parts == {} and uow.email_templates.version() is None
    assert uow.audit.entries == [] and uow.commits == 0


def test_a_part_that_fails_with_the_sample_is_refused_with_its_line(uow: FakeUnitOfWork, templates: Templates) -> None:
    failing = "<p>Hello</p>\n<p>{{ customer.nickname.upper() }}</p>\n"

    problems = refusal(lambda: email_templates.save(uow, MORGAN, templates, "past_due", edited(html=failing), TODAY))

    assert [(p.part, p.line) for p in problems] == [("html", 2)]
    assert problems[0].message.startswith("UndefinedError")
    assert uow.email_templates.parts == {} and uow.commits == 0


def test_every_part_that_does_not_parse_is_named_at_once(uow: FakeUnitOfWork, templates: Templates) -> None:
    parts = edited(subject="{{ total | money(currency) }", html="<p>\n\n{{ customer.name }\n</p>\n")

    problems = refusal(lambda: email_templates.preview(uow, MORGAN, templates, "past_due", parts, TODAY))

    assert [(p.part, p.line) for p in problems] == [("subject", 1), ("html", 3)]


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"subject": "  ", "text": "Hi", "html": "<p>Hi</p>"}, "a template needs a subject"),
        ({"subject": "Hi", "text": "x" * 100_001, "html": ""}, "too long: at most 100,000 characters"),
    ],
)
def test_a_template_without_a_subject_or_too_long_is_refused(
    uow: FakeUnitOfWork, templates: Templates, parts: dict[str, str], message: str
) -> None:
    problems = refusal(lambda: email_templates.save(uow, MORGAN, templates, "past_due", parts, TODAY))

    assert [p.message for p in problems] == [message]
    assert uow.email_templates.parts == {}


def test_a_template_cannot_reach_python_internals(uow: FakeUnitOfWork, templates: Templates) -> None:
    parts = edited(subject="{{ customer.__class__.__mro__ }}")

    problems = refusal(lambda: email_templates.save(uow, MORGAN, templates, "past_due", parts, TODAY))

    assert problems[0].part == "subject" and "SecurityError" in problems[0].message


# -- preview and save -----------------------------------------------------------------------------------


def test_a_preview_renders_the_edit_for_the_sample_customer_and_stores_nothing(
    uow: FakeUnitOfWork, templates: Templates
) -> None:
    parts = edited(subject="Reminder for {{ customer.name }}: {{ total | money(currency) }}")

    rendered = email_templates.preview(uow, MORGAN, templates, "past_due", parts, TODAY)

    assert rendered.subject == "Reminder for Sample Customer Ltd: $1,730.40"
    assert "INV-1001" in rendered.text and "INV-1017" in rendered.text
    assert uow.email_templates.parts == {} and uow.commits == 0


def test_saving_stores_only_the_parts_that_differ_from_the_built_in_ones(
    uow: FakeUnitOfWork, templates: Templates
) -> None:
    parts = edited(subject="Please pay {{ total | money(currency) }}")

    stored = email_templates.save(uow, MORGAN, templates, "past_due", parts, TODAY)

    assert stored == ["subject"]
    assert uow.email_templates.sources() == {("past_due", "subject"): "Please pay {{ total | money(currency) }}"}
    assert templates.subject("past_due", CONTEXT) == "Please pay $5.00"  # the next email uses it
    assert templates.source("past_due", "text") == (built_in()["text"], "built-in")
    assert uow.audit.actions() == [("template", "past_due", "saved")]
    assert uow.audit.entries[0].summary == "Email template past_due saved (subject)"
    row = next(r for r in email_templates.listing(uow, MORGAN, templates) if r.name == "past_due")
    assert (row.origin, row.based_on, row.updated_by) == ("stored", "built-in", "morgan")


def test_a_subject_typed_without_the_line_break_its_file_ends_with_is_not_an_edit(
    uow: FakeUnitOfWork, templates: Templates
) -> None:
    """A browser's one-line input drops the final line break of `past_due.subject.txt`."""
    parts = built_in()
    assert parts["subject"].endswith("\n")

    stored = email_templates.save(
        uow, MORGAN, templates, "past_due", {**parts, "subject": parts["subject"].strip(), "text": "Pay.\n"}, TODAY
    )

    assert stored == ["text"]
    assert templates.source("past_due", "subject") == (parts["subject"], "built-in")
    assert uow.audit.entries[-1].summary == "Email template past_due saved (text part)"


def test_saving_the_built_in_text_again_forgets_what_was_stored(uow: FakeUnitOfWork, templates: Templates) -> None:
    email_templates.save(uow, MORGAN, templates, "past_due", edited(subject="Please pay"), TODAY)

    stored = email_templates.save(uow, MORGAN, templates, "past_due", built_in(), TODAY)

    assert stored == []
    assert uow.email_templates.parts == {}
    assert templates.source("past_due", "subject") == (built_in()["subject"], "built-in")


def test_editing_one_more_part_keeps_the_part_stored_before(uow: FakeUnitOfWork, templates: Templates) -> None:
    email_templates.save(uow, MORGAN, templates, "past_due", edited(subject="Please pay"), TODAY)
    form = email_templates.template(uow, MORGAN, templates, "past_due")

    stored = email_templates.save(uow, OLIVIA, templates, "past_due", {**form.parts, "text": "Pay us.\n"}, TODAY)

    assert stored == ["subject", "text"]
    assert form.origins == {"subject": "stored", "text": "built-in", "html": "built-in"}
    assert uow.audit.entries[-1].summary == "Email template past_due saved (text part)"


# -- reset ----------------------------------------------------------------------------------------------


def test_a_reset_brings_back_the_built_in_template(uow: FakeUnitOfWork, templates: Templates) -> None:
    email_templates.save(uow, MORGAN, templates, "past_due", edited(subject="Please pay", text="Pay.\n"), TODAY)

    removed = email_templates.reset(uow, MORGAN, templates, "past_due")

    assert removed == 2
    assert uow.email_templates.parts == {}
    assert templates.subject("past_due", CONTEXT) == "Overdue: $5.00 on your account with Northwind"
    assert uow.audit.actions()[-1] == ("template", "past_due", "reset")
    assert uow.audit.entries[-1].summary == "Email template past_due reset to the built-in template"


def test_a_reset_of_a_template_with_nothing_stored_records_nothing(uow: FakeUnitOfWork, templates: Templates) -> None:
    assert email_templates.reset(uow, MORGAN, templates, "past_due") == 0

    assert uow.audit.entries == [] and uow.commits == 0


# -- new templates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Bad Name!", "", "a" * 65, "_invoices", "_layout", "9lives", "past-due"])
def test_a_name_a_workflow_step_could_not_send_is_refused(uow: FakeUnitOfWork, templates: Templates, name: str) -> None:
    with pytest.raises(InvalidValue, match="cannot name a template"):
        email_templates.template(uow, MORGAN, templates, name)
    with pytest.raises(InvalidValue, match="cannot name a template"):
        email_templates.save(uow, MORGAN, templates, name, {"subject": "Hi", "text": "Hi", "html": ""}, TODAY)

    assert uow.email_templates.parts == {}


def test_a_shared_part_cannot_be_replaced_through_a_template_named_after_it(
    uow: FakeUnitOfWork, templates: Templates
) -> None:
    """`_invoices`' text part would be `emails/_invoices.txt`, which every reminder includes."""
    with pytest.raises(InvalidValue):
        email_templates.save(uow, MORGAN, templates, "_invoices", {"subject": "x", "text": "GONE\n", "html": ""}, TODAY)

    assert "INV-1001" in email_templates.preview(uow, MORGAN, templates, "past_due", built_in(), TODAY).text


def test_a_new_name_opens_a_form_started_from_the_past_due_reminder(uow: FakeUnitOfWork, templates: Templates) -> None:
    form = email_templates.template(uow, MORGAN, templates, "gentle_nudge")

    assert (form.exists, form.based_on, form.origins) == (False, None, {})
    assert form.parts == built_in()


def test_a_new_template_is_stored_whole_and_named_among_the_templates(
    uow: FakeUnitOfWork, templates: Templates
) -> None:
    parts = edited(subject="A gentle nudge from {{ company }}")

    stored = email_templates.save(uow, OLIVIA, templates, "gentle_nudge", parts, TODAY)

    assert stored == ["subject", "text", "html"]
    assert "gentle_nudge" in templates.names()
    assert templates.subject("gentle_nudge", CONTEXT) == "A gentle nudge from Northwind"
    row = next(r for r in email_templates.listing(uow, MORGAN, templates) if r.name == "gentle_nudge")
    assert (row.origin, row.based_on, row.updated_by) == ("stored", None, "olivia")


def test_a_new_template_is_removed_by_a_reset_unless_a_workflow_step_sends_it(
    uow: FakeUnitOfWork, templates: Templates
) -> None:
    email_templates.save(uow, OLIVIA, templates, "gentle_nudge", edited(subject="Nudge"), TODAY)

    with pytest.raises(InvalidValue, match="a workflow step sends it"):
        email_templates.reset(uow, OLIVIA, templates, "gentle_nudge", in_use={"gentle_nudge", "past_due"})
    assert "gentle_nudge" in templates.names()

    assert email_templates.reset(uow, OLIVIA, templates, "gentle_nudge", in_use={"past_due"}) == 3
    assert "gentle_nudge" not in templates.names()
    assert uow.audit.entries[-1].summary == "Email template gentle_nudge reset to nothing: the template is removed"


# -- the version: read again only when it changed ---------------------------------------------------------


def test_every_save_and_reset_changes_the_version(uow: FakeUnitOfWork, templates: Templates) -> None:
    seen = [uow.email_templates.version()]

    email_templates.save(uow, MORGAN, templates, "past_due", edited(subject="One"), TODAY)
    seen.append(uow.email_templates.version())
    email_templates.save(uow, MORGAN, templates, "past_due", edited(subject="Two"), TODAY)
    seen.append(uow.email_templates.version())
    email_templates.reset(uow, MORGAN, templates, "past_due")
    seen.append(uow.email_templates.version())

    assert seen[0] is None
    assert len(set(seen)) == 4
    assert templates.stored_version == seen[-1]  # the saving process is up to date at once


def test_load_stored_reads_the_parts_only_when_the_version_changed(uow: FakeUnitOfWork, templates: Templates) -> None:
    worker = Templates(company="Northwind")  # another process's templates
    email_templates.load_stored(uow, worker)
    assert uow.email_templates.reads["sources"] == 0  # nothing ever saved: nothing to read

    email_templates.save(uow, MORGAN, templates, "past_due", edited(subject="Please pay"), TODAY)
    reads = uow.email_templates.reads["sources"]
    email_templates.load_stored(uow, worker)
    email_templates.load_stored(uow, worker)

    assert uow.email_templates.reads["sources"] == reads + 1
    assert worker.subject("past_due", CONTEXT) == "Please pay"
    email_templates.reset(uow, MORGAN, templates, "past_due")
    email_templates.load_stored(uow, worker)
    assert uow.email_templates.reads["sources"] == reads + 3  # the reset's own reload, then the worker's
    assert worker.subject("past_due", CONTEXT) == "Overdue: $5.00 on your account with Northwind"
