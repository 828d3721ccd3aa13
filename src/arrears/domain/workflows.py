"""Reminder workflows (docs/workflows.md): steps relative to each invoice's due date, or
triggered by an event; and the rule of which step fires for an invoice on a day.

Parsing is pure (the caller reads the file); every error names the line it is on.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .errors import ArrearsError
from .tasks import TaskType

EVENTS = ("customer_created", "invoice_created")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_TEMPLATE = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_DAYS = 3650


@dataclass(frozen=True, slots=True)
class TaskSpec:
    type: TaskType
    due_in_days: int = 0
    description: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    days: int | None = None  # relative to the due date; negative = before it
    on: str | None = None  # an event instead of a day: customer_created or invoice_created
    email: str | None = None  # template name
    task: TaskSpec | None = None


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    steps: tuple[Step, ...]
    match_tags: tuple[str, ...] = ()  # empty: every customer
    # The steps that follow the calendar, by `days` ascending (the cycle asks for them per invoice).
    dated_steps: tuple[Step, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dated = tuple(sorted((s for s in self.steps if s.days is not None), key=lambda s: s.days or 0))
        object.__setattr__(self, "dated_steps", dated)

    def applies_to(self, customer_tags: Iterable[str]) -> bool:
        return not self.match_tags or bool(set(self.match_tags) & set(customer_tags))

    def event_steps(self, event: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.on == event)


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    message: str


class WorkflowError(ArrearsError):
    code = "invalid_workflow"

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = [f"{source}:{p.line}: {p.message}" for p in self.problems]
        super().__init__("\n".join([f"{source}: {len(lines)} problem(s) in the workflow file", *lines]))


@dataclass
class _Locator:
    """Finds the line of a workflow, a step, or a key inside one, in the TOML text."""

    lines: list[str]
    workflow_headers: list[int] = field(default_factory=list)
    step_headers: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> _Locator:
        locator = cls(text.splitlines())
        for number, line in enumerate(locator.lines, start=1):
            stripped = line.strip().replace(" ", "")
            if stripped.startswith("[[workflow.step]]"):
                locator.step_headers.append(number)
            elif stripped.startswith("[[workflow]]"):
                locator.workflow_headers.append(number)
        return locator

    def _block_end(self, start: int) -> int:
        following = [n for n in self.workflow_headers + self.step_headers if n > start]
        return min(following) if following else len(self.lines) + 1

    def key(self, start: int, key: str) -> int:
        for number in range(start, self._block_end(start)):
            if re.match(rf"\s*{re.escape(key)}\s*=", self.lines[number - 1]):
                return number
        return start

    def workflow(self, index: int) -> int:
        return self.workflow_headers[index] if index < len(self.workflow_headers) else 1

    def step(self, index: int) -> int:
        return self.step_headers[index] if index < len(self.step_headers) else 1


def parse_workflows(text: str, source: str, templates: Iterable[str] | None = None) -> tuple[Workflow, ...]:
    """Parse and validate a workflow file; raises WorkflowError listing every problem with its line.

    `templates`, when given, are the email template names that exist: a step naming another is an error.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise WorkflowError(
            source, [Problem(int(match.group(1)) if match else 1, f"not valid TOML: {error}")]
        ) from None
    locate = _Locator.of(text)
    problems: list[Problem] = []
    known_templates = None if templates is None else set(templates)
    raw_workflows = document.get("workflow")
    unknown_top = sorted(set(document) - {"workflow"})
    for key in unknown_top:
        problems.append(Problem(locate.key(1, key), f"unknown key {key!r}: a workflow file holds [[workflow]] tables"))
    if not isinstance(raw_workflows, list) or not raw_workflows:
        problems.append(Problem(1, "no [[workflow]] table: a workflow file needs at least one"))
        raise WorkflowError(source, problems)
    workflows: list[Workflow] = []
    step_index = 0
    names: set[str] = set()
    for w_index, raw in enumerate(raw_workflows):
        w_line = locate.workflow(w_index)
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            problems.append(
                Problem(locate.key(w_line, "name"), "each workflow needs a name: letters, digits, '_', '-', '.'")
            )
            name = f"workflow-{w_index + 1}"
        elif name in names:
            problems.append(Problem(locate.key(w_line, "name"), f"two workflows are named {name!r}"))
        names.add(name)
        for key in sorted(set(raw) - {"name", "match", "step"}):
            problems.append(Problem(locate.key(w_line, key), f"unknown key {key!r} in workflow {name!r}"))
        tags = _match_tags(raw.get("match"), problems, locate.key(w_line, "match"))
        raw_steps = raw.get("step", [])
        if not isinstance(raw_steps, list) or not raw_steps:
            problems.append(Problem(w_line, f"workflow {name!r} has no [[workflow.step]]"))
            raw_steps = []
        steps: list[Step] = []
        for raw_step in raw_steps:
            step = _step(raw_step, locate, locate.step(step_index), problems, known_templates)
            step_index += 1
            if step is None:
                continue
            if any(s.name == step.name for s in steps):
                problems.append(Problem(locate.step(step_index - 1), f"two steps of {name!r} are named {step.name!r}"))
            if step.days is not None and any(s.days == step.days for s in steps):
                problems.append(
                    Problem(
                        locate.key(locate.step(step_index - 1), "days"),
                        f"two steps of {name!r} fire at days = {step.days}",
                    )
                )
            steps.append(step)
        workflows.append(Workflow(name, tuple(steps), tags))
    if problems:
        raise WorkflowError(source, sorted(problems, key=lambda p: p.line))
    return tuple(workflows)


def _match_tags(raw: Any, problems: list[Problem], line: int) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping) or set(raw) - {"tags"}:
        problems.append(Problem(line, 'match takes one key, tags: match = { tags = ["enterprise"] }'))
        return ()
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        problems.append(Problem(line, "match.tags must be a list of tag names"))
        return ()
    return tuple(t.strip() for t in tags)


def _step(raw: Any, locate: _Locator, line: int, problems: list[Problem], templates: set[str] | None) -> Step | None:
    before = len(problems)
    if not isinstance(raw, Mapping):
        problems.append(Problem(line, "a step must be a table"))
        return None
    for key in sorted(set(raw) - {"name", "days", "on", "email", "task"}):
        problems.append(
            Problem(locate.key(line, key), f"unknown key {key!r} in a step (known: name, days, on, email, task)")
        )
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        problems.append(Problem(locate.key(line, "name"), "each step needs a name: letters, digits, '_', '-', '.'"))
    days, on = raw.get("days"), raw.get("on")
    if (days is None) == (on is None):
        problems.append(Problem(line, "a step has either days (relative to the due date) or on (an event), not both"))
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or abs(days) > MAX_DAYS):
        problems.append(
            Problem(locate.key(line, "days"), f"days must be a whole number from -{MAX_DAYS} to {MAX_DAYS}")
        )
    if on is not None and on not in EVENTS:
        problems.append(Problem(locate.key(line, "on"), f"on must be one of {', '.join(EVENTS)}"))
    email = raw.get("email")
    if email is not None:
        if not isinstance(email, str) or not _TEMPLATE.fullmatch(email):
            problems.append(
                Problem(locate.key(line, "email"), "email names a template: lower-case letters, digits, '_'")
            )
        elif templates is not None and email not in templates:
            problems.append(
                Problem(
                    locate.key(line, "email"), f"no email template {email!r} (known: {', '.join(sorted(templates))})"
                )
            )
    task = _task(raw.get("task"), problems, locate.key(line, "task"))
    if email is None and task is None and "task" not in raw:
        problems.append(Problem(line, "a step sends an email, creates a task, or both: give email or task"))
    if len(problems) > before:
        return None
    return Step(str(name), days, on, email, task)


def _task(raw: Any, problems: list[Problem], line: int) -> TaskSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(Problem(line, 'task must be a table: task = { type = "call", due_in_days = 2 }'))
        return None
    for key in sorted(set(raw) - {"type", "due_in_days", "description"}):
        problems.append(Problem(line, f"unknown key {key!r} in task (known: type, due_in_days, description)"))
    try:
        task_type = TaskType(str(raw.get("type")))
    except ValueError:
        problems.append(Problem(line, f"task type must be one of {', '.join(t.value for t in TaskType)}"))
        return None
    due_in = raw.get("due_in_days", 0)
    if isinstance(due_in, bool) or not isinstance(due_in, int) or not 0 <= due_in <= MAX_DAYS:
        problems.append(Problem(line, f"task due_in_days must be a whole number from 0 to {MAX_DAYS}"))
        return None
    description = raw.get("description", "")
    if not isinstance(description, str):
        problems.append(Problem(line, "task description must be text"))
        return None
    return TaskSpec(task_type, due_in, description)


@dataclass(frozen=True, slots=True)
class Firing:
    """What a cycle does for one invoice on one day: the step that fires (if any), and the unfired
    steps it records as skipped (a missed day catches up without flooding the customer; a step
    before the due date is skipped once the invoice is late)."""

    step: Step | None
    skipped: tuple[Step, ...] = ()


def step_to_fire(workflow: Workflow, due: date, done: Iterable[str], as_of: date) -> Firing:
    """The step with the greatest `days` not above (as_of − due) that has not yet fired (nor been
    skipped); earlier unfired steps are skipped and never fire later.

    A step on or before the due date (`days` ≤ 0) fires only while the invoice is not past due: once
    it is late, such a step is never caught up (a "due soon" note about a late invoice would be
    wrong); it is recorded as skipped, whether or not a later step fires that day."""
    past_due = (as_of - due).days
    finished = set(done)
    pending = [s for s in workflow.dated_steps if s.days is not None and s.days <= past_due and s.name not in finished]
    eligible = [s for s in pending if past_due <= 0 or (s.days or 0) > 0]
    if not eligible:
        return Firing(None, tuple(pending))
    latest = eligible[-1]
    return Firing(latest, tuple(s for s in pending if s is not latest))
