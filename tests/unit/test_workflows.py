"""Workflow files and the rule of which step fires (docs/workflows.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from arrears.domain.tasks import TaskType
from arrears.domain.workflows import Step, Workflow, WorkflowError, parse_workflows, step_to_fire

STANDARD = """
[[workflow]]
name = "standard"

[[workflow.step]]
name = "courtesy"
days = -3
email = "courtesy_reminder"

[[workflow.step]]
name = "past-due-30"
days = 30
email = "past_due"
task = { type = "call", due_in_days = 2, description = "Call about the 30-day reminder" }

[[workflow.step]]
name = "past-due-45"
days = 45
email = "past_due"

[[workflow.step]]
name = "welcome"
on = "customer_created"
email = "welcome"
"""

DUE = date(2026, 5, 31)


def workflow() -> Workflow:
    return parse_workflows(STANDARD, "standard.toml")[0]


def test_a_workflow_file_parses_into_steps() -> None:
    parsed = workflow()

    assert parsed.name == "standard"
    assert [s.days for s in parsed.dated_steps] == [-3, 30, 45]
    step = parsed.dated_steps[1]
    assert step.task is not None and (step.task.type, step.task.due_in_days) == (TaskType.CALL, 2)
    assert [s.name for s in parsed.event_steps("customer_created")] == ["welcome"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "s"\ndays = "thirty"\nemail = "x"\n', 5, "days must be"),
        (
            '[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "s"\ndays = 3\non = "customer_created"\nemail = "x"\n',
            3,
            "either days",
        ),
        ('[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "s"\ndays = 3\n', 3, "give email or task"),
        (
            '[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "s"\ndays = 3\ntask = { type = "dance" }\n',
            6,
            "task type must be",
        ),
        ('[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "s"\non = "birthday"\nemail = "x"\n', 5, "on must be"),
        ('[[workflow]]\nname = "w"\n[[workflow.step]]\nname = "s"\ndays = 3\nemial = "x"\n', 6, "unknown key 'emial'"),
        ('[[workflow]]\nname = "w"\n[[workflow.step]\n', 3, "not valid TOML"),
        ('title = "x"\n', 1, "unknown key 'title'"),
    ],
)
def test_errors_in_a_workflow_file_name_their_line(text: str, line: int, message: str) -> None:
    with pytest.raises(WorkflowError) as caught:
        parse_workflows(text, "w.toml")

    assert any(p.line == line and message in p.message for p in caught.value.problems), caught.value.message
    assert f"w.toml:{line}:" in caught.value.message


def test_an_unknown_template_is_an_error_when_templates_are_known() -> None:
    with pytest.raises(WorkflowError, match="no email template 'past_due'"):
        parse_workflows(STANDARD, "standard.toml", templates={"courtesy_reminder", "welcome"})


def test_a_workflow_matches_customers_by_tag() -> None:
    text = (
        '[[workflow]]\nname = "vip"\nmatch = { tags = ["enterprise"] }\n'
        '[[workflow.step]]\nname = "s"\ndays = 1\nemail = "x"\n'
    )
    vip = parse_workflows(text, "w.toml")[0]

    assert vip.applies_to(["enterprise", "eu"])
    assert not vip.applies_to(["smb"])
    assert workflow().applies_to([])


@pytest.mark.parametrize(
    ("days_late", "fires", "skipped"),
    [
        (-4, None, []),
        (-3, "courtesy", []),
        (0, "courtesy", []),
        (29, None, ["courtesy"]),  # late: the courtesy step is never caught up
        (30, "past-due-30", ["courtesy"]),
        (44, "past-due-30", ["courtesy"]),
        (45, "past-due-45", ["courtesy", "past-due-30"]),
        (400, "past-due-45", ["courtesy", "past-due-30"]),
    ],
)
def test_only_the_latest_due_step_fires_and_earlier_ones_are_skipped(
    days_late: int, fires: str | None, skipped: list[str]
) -> None:
    firing = step_to_fire(workflow(), DUE, done=(), as_of=DUE + timedelta(days=days_late))

    assert (firing.step.name if firing.step else None) == fires
    assert [s.name for s in firing.skipped] == skipped


def test_a_step_fires_at_most_once_per_invoice() -> None:
    done = {"courtesy", "past-due-30"}

    assert step_to_fire(workflow(), DUE, done, DUE + timedelta(days=31)).step is None
    assert step_to_fire(workflow(), DUE, done, DUE + timedelta(days=45)).step == Step(
        "past-due-45", 45, None, "past_due", None
    )
