"""The workflow file: what a valid file is, and that every problem names the line it is on.

Each file is written one argument a line (`toml`), with the line numbers in comments.
"""

from __future__ import annotations

import pytest

from arrears.domain.tasks import TaskType
from arrears.domain.workflows import Step, TaskSpec, Workflow, WorkflowError, parse_workflows
from tests.unit.builders import toml

NAME_RULE = "each workflow needs a name: letters, digits, '_', '-', '.'"
STEP_NAME_RULE = "each step needs a name: letters, digits, '_', '-', '.'"
DAYS_RULE = "days must be a whole number from -3650 to 3650"
TEMPLATE_RULE = "email names a template: lower-case letters, digits, '_'"
TASK_TYPES = (
    "call, email, follow_up, expected_payment, note, get_credit_report, book_meeting, validate_invoice, "
    "update_invoice, offer_payment_plan, escalate_to_collections"
)


def problems(text: str, templates: set[str] | None = None) -> list[tuple[int, str]]:
    """(line, message) of every problem the file has, as the error reports them."""
    with pytest.raises(WorkflowError) as caught:
        parse_workflows(text, "w.toml", templates)
    return [(problem.line, problem.message) for problem in caught.value.problems]


def only(text: str, templates: set[str] | None = None) -> Workflow:
    workflows = parse_workflows(text, "w.toml", templates)
    assert len(workflows) == 1
    return workflows[0]


def step_file(*step_lines: str) -> str:
    """One workflow named standard whose one step (header on line 4) has these lines from line 5."""
    return toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        "",  # 3
        "[[workflow.step]]",  # 4
        *step_lines,  # 5, 6, ...
    )


# -- the file and its workflows ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "# reminders come later\n"])
def test_a_file_without_any_workflow_is_refused_at_line_1(text: str) -> None:
    found = problems(text)

    assert found == [(1, "no [[workflow]] table: a workflow file needs at least one")]


def test_a_file_of_two_workflows_gives_both_in_file_order() -> None:
    text = toml(
        "[[workflow]]",
        'name = "standard"',
        "[[workflow.step]]",
        'name = "past-due-30"',
        "days = 30",
        'email = "past_due"',
        "[[workflow]]",
        'name = "enterprise"',
        'match = { tags = ["enterprise"] }',
        "[[workflow.step]]",
        'name = "past-due-30"',
        "days = 30",
        'task = { type = "call" }',
    )

    workflows = parse_workflows(text, "w.toml")

    assert [(w.name, w.match_tags) for w in workflows] == [("standard", ()), ("enterprise", ("enterprise",))]


def test_a_workflow_without_a_name_is_reported_at_its_header() -> None:
    text = toml(
        "# reminders",  # 1
        "[[workflow]]",  # 2
        "[[workflow.step]]",  # 3
        'name = "s"',  # 4
        "days = 1",  # 5
        'email = "x"',  # 6
    )

    found = problems(text)

    assert found == [(2, NAME_RULE)]


def test_a_workflow_name_with_a_space_is_reported_at_its_name_line() -> None:
    text = toml(
        "[[workflow]]",  # 1
        'match = { tags = ["eu"] }',  # 2
        'name = "my flow"',  # 3
        "[[workflow.step]]",  # 4
        'name = "s"',  # 5
        "days = 1",  # 6
        'email = "x"',  # 7
    )

    found = problems(text)

    assert found == [(3, NAME_RULE)]


def test_two_workflows_with_one_name_are_reported_at_the_second_name() -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        "[[workflow.step]]",  # 3
        'name = "s"',  # 4
        "days = 1",  # 5
        'email = "x"',  # 6
        "[[workflow]]",  # 7
        'name = "standard"',  # 8
        "[[workflow.step]]",  # 9
        'name = "s"',  # 10
        "days = 1",  # 11
        'email = "x"',  # 12
    )

    found = problems(text)

    assert found == [(8, "two workflows are named 'standard'")]


def test_a_workflow_without_steps_is_reported_at_its_header() -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "lonely"',  # 2
    )

    found = problems(text)

    assert found == [(1, "workflow 'lonely' has no [[workflow.step]]")]


def test_an_unknown_key_in_a_workflow_is_reported_at_its_line() -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        'schedule = "daily"',  # 3
        "[[workflow.step]]",  # 4
        'name = "s"',  # 5
        "days = 1",  # 6
        'email = "x"',  # 7
    )

    found = problems(text)

    assert found == [(3, "unknown key 'schedule' in workflow 'standard'")]


@pytest.mark.parametrize("match", ['match = { segment = "smb" }', 'match = "enterprise"'])
def test_match_takes_one_key_tags(match: str) -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        match,  # 3
        "[[workflow.step]]",  # 4
        'name = "s"',  # 5
        "days = 1",  # 6
        'email = "x"',  # 7
    )

    found = problems(text)

    assert found == [(3, 'match takes one key, tags: match = { tags = ["enterprise"] }')]


@pytest.mark.parametrize("tags", ['"enterprise"', '["enterprise", ""]', '["enterprise", "  "]', "[1]"])
def test_match_tags_must_be_a_list_of_tag_names(tags: str) -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        f"match = {{ tags = {tags} }}",  # 3
        "[[workflow.step]]",  # 4
        'name = "s"',  # 5
        "days = 1",  # 6
        'email = "x"',  # 7
    )

    found = problems(text)

    assert found == [(3, "match.tags must be a list of tag names")]


def test_match_tags_are_trimmed() -> None:
    text = toml(
        "[[workflow]]",
        'name = "standard"',
        'match = { tags = [" enterprise ", "eu"] }',
        "[[workflow.step]]",
        'name = "s"',
        "days = 1",
        'email = "x"',
    )

    workflow = only(text)

    assert workflow.match_tags == ("enterprise", "eu")


def test_a_workflow_with_several_tags_applies_to_a_customer_with_any_of_them() -> None:
    workflow = Workflow("vip", (), ("enterprise", "strategic"))

    applies = (workflow.applies_to(["strategic"]), workflow.applies_to(["smb", "enterprise"]))

    assert applies == (True, True)


def test_a_workflow_with_tags_does_not_apply_to_a_customer_without_tags() -> None:
    workflow = Workflow("vip", (), ("enterprise",))

    assert not workflow.applies_to([])


# -- steps ---------------------------------------------------------------------------------------


def test_a_step_without_a_name_is_reported_at_its_header() -> None:
    text = step_file(
        "days = 30",  # 5
        'email = "past_due"',  # 6
    )

    found = problems(text)

    assert found == [(4, STEP_NAME_RULE)]


def test_a_step_name_of_64_characters_is_accepted() -> None:
    text = step_file(f'name = "{"s" * 64}"', "days = 30", 'email = "past_due"')

    workflow = only(text)

    assert workflow.steps[0].name == "s" * 64


def test_a_step_name_of_65_characters_is_reported_at_its_name_line() -> None:
    text = step_file(
        "days = 30",  # 5
        f'name = "{"s" * 65}"',  # 6
        'email = "past_due"',  # 7
    )

    found = problems(text)

    assert found == [(6, STEP_NAME_RULE)]


def test_two_steps_with_one_name_are_reported_at_the_second_step() -> None:
    text = step_file(
        'name = "reminder"',  # 5
        "days = 30",  # 6
        'email = "past_due"',  # 7
        "",  # 8
        "[[workflow.step]]",  # 9
        'name = "reminder"',  # 10
        "days = 45",  # 11
        'email = "past_due"',  # 12
    )

    found = problems(text)

    assert found == [(9, "two steps of 'standard' are named 'reminder'")]


def test_two_steps_on_the_same_day_are_reported_at_the_second_days_line() -> None:
    text = step_file(
        'name = "email-30"',  # 5
        "days = 30",  # 6
        'email = "past_due"',  # 7
        "[[workflow.step]]",  # 8
        'name = "call-30"',  # 9
        'task = { type = "call" }',  # 10
        "days = 30",  # 11
    )

    found = problems(text)

    assert found == [(11, "two steps of 'standard' fire at days = 30")]


def test_steps_of_two_workflows_may_share_a_name_and_a_day() -> None:
    text = toml(
        "[[workflow]]",
        'name = "standard"',
        "[[workflow.step]]",
        'name = "past-due-30"',
        "days = 30",
        'email = "past_due"',
        "[[workflow]]",
        'name = "enterprise"',
        "[[workflow.step]]",
        'name = "past-due-30"',
        "days = 30",
        'email = "past_due"',
    )

    workflows = parse_workflows(text, "w.toml")

    assert [[(s.name, s.days) for s in w.steps] for w in workflows] == [[("past-due-30", 30)], [("past-due-30", 30)]]


@pytest.mark.parametrize("days", [3650, -3650, 0])
def test_days_up_to_ten_years_either_way_are_accepted(days: int) -> None:
    text = step_file('name = "s"', f"days = {days}", 'email = "x"')

    workflow = only(text)

    assert workflow.steps[0].days == days


@pytest.mark.parametrize("days", ["3651", "-3651", "3.5", "30.0", "true", '"30"'])
def test_days_must_be_a_whole_number_within_ten_years(days: str) -> None:
    text = step_file(
        'name = "s"',  # 5
        'email = "x"',  # 6
        f"days = {days}",  # 7
    )

    found = problems(text)

    assert found == [(7, DAYS_RULE)]


def test_a_step_with_neither_days_nor_on_is_reported_at_its_header() -> None:
    text = step_file(
        'name = "s"',  # 5
        'email = "x"',  # 6
    )

    found = problems(text)

    assert found == [(4, "a step has either days (relative to the due date) or on (an event), not both")]


def test_an_event_other_than_the_two_known_is_reported_at_its_on_line() -> None:
    text = step_file(
        'name = "thanks"',  # 5
        'email = "thanks"',  # 6
        'on = "payment_received"',  # 7
    )

    found = problems(text)

    assert found == [(7, "on must be one of customer_created, invoice_created")]


def test_an_event_step_fires_on_its_event_and_never_by_date() -> None:
    text = step_file('name = "presentment"', 'on = "invoice_created"', 'email = "invoice"')

    workflow = only(text)

    assert workflow.event_steps("invoice_created") == (Step("presentment", None, "invoice_created", "invoice"),)
    assert (workflow.dated_steps, workflow.event_steps("customer_created")) == ((), ())


def test_an_unknown_key_in_a_step_is_reported_listing_the_known_keys() -> None:
    text = step_file(
        'name = "s"',  # 5
        "days = 1",  # 6
        'email = "x"',  # 7
        'template = "x"',  # 8
    )

    found = problems(text)

    assert found == [(8, "unknown key 'template' in a step (known: name, days, on, email, task)")]


def test_dated_steps_are_ordered_by_days_whatever_the_order_in_the_file() -> None:
    text = toml(
        "[[workflow]]",
        'name = "standard"',
        *("[[workflow.step]]", 'name = "late"', "days = 60", 'email = "x"'),
        *("[[workflow.step]]", 'name = "welcome"', 'on = "customer_created"', 'email = "x"'),
        *("[[workflow.step]]", 'name = "early"', "days = -3", 'email = "x"'),
        *("[[workflow.step]]", 'name = "due"', "days = 0", 'email = "x"'),
    )

    workflow = only(text)

    assert [s.name for s in workflow.dated_steps] == ["early", "due", "late"]
    assert [s.name for s in workflow.steps] == ["late", "welcome", "early", "due"]


# -- emails and tasks ----------------------------------------------------------------------------


@pytest.mark.parametrize("email", ['"Past_Due"', '"past-due"', '"1st_notice"', '""', "3"])
def test_an_email_names_a_template_of_lower_case_letters_digits_and_underscores(email: str) -> None:
    text = step_file(
        'name = "s"',  # 5
        "days = 1",  # 6
        f"email = {email}",  # 7
    )

    found = problems(text)

    assert found == [(7, TEMPLATE_RULE)]


def test_an_unknown_template_is_reported_at_its_email_line_listing_the_known_ones() -> None:
    text = step_file(
        'name = "s"',  # 5
        "days = 1",  # 6
        'email = "past_due"',  # 7
    )

    found = problems(text, templates={"welcome", "courtesy_reminder"})

    assert found == [(7, "no email template 'past_due' (known: courtesy_reminder, welcome)")]


def test_a_step_with_only_a_task_creates_it_due_the_same_day_without_description() -> None:
    text = step_file('name = "call"', "days = 30", 'task = { type = "call" }')

    step = only(text).steps[0]

    assert (step.email, step.task) == (None, TaskSpec(TaskType.CALL, 0, ""))


def test_a_step_may_send_an_email_and_create_a_task() -> None:
    text = step_file(
        'name = "past-due-30"',
        "days = 30",
        'email = "past_due"',
        'task = { type = "call", due_in_days = 2, description = "Call about the reminder" }',
    )

    step = only(text, templates={"past_due"}).steps[0]

    assert step == Step("past-due-30", 30, None, "past_due", TaskSpec(TaskType.CALL, 2, "Call about the reminder"))


def test_a_task_must_be_a_table() -> None:
    text = step_file(
        'name = "s"',  # 5
        "days = 1",  # 6
        'task = "call"',  # 7
    )

    found = problems(text)

    assert found == [(7, 'task must be a table: task = { type = "call", due_in_days = 2 }')]


def test_a_task_without_a_type_is_reported_listing_the_types() -> None:
    text = step_file(
        'name = "s"',  # 5
        "days = 1",  # 6
        "task = { due_in_days = 2 }",  # 7
    )

    found = problems(text)

    assert found == [(7, f"task type must be one of {TASK_TYPES}")]


@pytest.mark.parametrize("due_in", ["-1", "3651", "1.5", "true"])
def test_a_task_is_due_from_0_to_3650_days_after_the_step(due_in: str) -> None:
    text = step_file(
        'name = "s"',  # 5
        "days = 1",  # 6
        f'task = {{ type = "call", due_in_days = {due_in} }}',  # 7
    )

    found = problems(text)

    assert found == [(7, "task due_in_days must be a whole number from 0 to 3650")]


def test_a_task_due_3650_days_after_the_step_is_accepted() -> None:
    text = step_file('name = "s"', "days = 1", 'task = { type = "note", due_in_days = 3650 }')

    step = only(text).steps[0]

    assert step.task == TaskSpec(TaskType.NOTE, 3650, "")


def test_an_unknown_key_in_a_task_is_reported_listing_the_known_keys() -> None:
    text = step_file(
        'name = "s"',  # 5
        "days = 1",  # 6
        'task = { type = "call", assignee = "maria" }',  # 7
    )

    found = problems(text)

    assert found == [(7, "unknown key 'assignee' in task (known: type, due_in_days, description)")]


def test_a_task_description_must_be_text() -> None:
    text = step_file(
        'name = "s"',  # 5
        "days = 1",  # 6
        'task = { type = "call", description = 5 }',  # 7
    )

    found = problems(text)

    assert found == [(7, "task description must be text")]


# -- how problems are reported -------------------------------------------------------------------


def test_every_problem_of_the_file_is_reported_at_once_in_line_order() -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        'colour = "red"',  # 3
        "[[workflow.step]]",  # 4
        'name = "s"',  # 5
        'on = "birthday"',  # 6
        'email = "Past_Due"',  # 7
        "[[workflow.step]]",  # 8
        "days = 99999",  # 9
        'email = "past_due"',  # 10
    )

    found = problems(text)

    assert [line for line, _ in found] == [3, 6, 7, 8, 9]
    assert found[3] == (8, STEP_NAME_RULE)


def test_the_error_message_names_the_file_and_the_line_of_each_problem() -> None:
    text = step_file(
        'name = "s"',  # 5
        "days = 3651",  # 6
        'email = "Past_Due"',  # 7
    )

    with pytest.raises(WorkflowError) as caught:
        parse_workflows(text, "reminders.toml")

    assert caught.value.message == (
        "reminders.toml: 2 problem(s) in the workflow file\n"
        f"reminders.toml:6: {DAYS_RULE}\n"
        f"reminders.toml:7: {TEMPLATE_RULE}"
    )
    assert caught.value.code == "invalid_workflow"


def test_a_toml_syntax_error_is_reported_at_its_line() -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        'name = "again"',  # 3
    )

    found = problems(text)

    assert len(found) == 1
    assert found[0][0] == 3
    assert found[0][1].startswith("not valid TOML: ")


def test_commented_out_headers_do_not_shift_the_reported_lines() -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        "# [[workflow.step]]",  # 3
        '# name = "old"',  # 4
        "[[workflow.step]]",  # 5
        'name = "s"',  # 6
        "days = -4000",  # 7
        'email = "x"',  # 8
    )

    found = problems(text)

    assert found == [(7, DAYS_RULE)]


def test_problems_of_a_second_workflow_are_reported_at_its_own_lines() -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        "[[workflow.step]]",  # 3
        'name = "s"',  # 4
        "days = 1",  # 5
        'email = "x"',  # 6
        "[[workflow]]",  # 7
        'name = "enterprise"',  # 8
        "[[workflow.step]]",  # 9
        'name = "s"',  # 10
        'email = "x"',  # 11
        "days = 1.5",  # 12
    )

    found = problems(text)

    assert found == [(12, DAYS_RULE)]


@pytest.mark.xfail(
    strict=True,
    reason="an unknown top-level table is located by looking for `key =` before the first header, so "
    "`[defaults]` further down is reported at line 1",
)
def test_an_unknown_table_is_reported_at_its_header_line() -> None:
    text = toml(
        "[[workflow]]",  # 1
        'name = "standard"',  # 2
        "[[workflow.step]]",  # 3
        'name = "s"',  # 4
        "days = 1",  # 5
        'email = "x"',  # 6
        "",  # 7
        "[defaults]",  # 8
        'email = "x"',  # 9
    )

    found = problems(text)

    assert found == [(8, "unknown key 'defaults': a workflow file holds [[workflow]] tables")]
