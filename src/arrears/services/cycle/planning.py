"""The cycle's decisions that need no database: which step fires for each subject and which are
skipped, how the subjects group by customer and step, which emails and tasks a customer's groups
make (one past-due email per customer, one task per customer and type), and how the groups are cut
into batches of customers. Pure functions over what the selection found."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ...domain.workflows import Step, Workflow, step_to_fire
from ..automation_ports import DueSubject, Recipient


@dataclass(frozen=True)
class Group:
    workflow: Workflow
    step: Step
    customer_id: int
    subjects: tuple[DueSubject, ...]
    one_per_subject: bool = False  # an event: one email per subject (invoice, customer), not per customer


@dataclass(frozen=True)
class Output:
    """One email, or one task, of a customer's day: `lead`'s step gives its template (or its task's
    description), and it covers the step runs of every group in `groups`."""

    lead: Group
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Plan:
    """The dated steps of a day: what fires, grouped, and what is skipped, by (workflow, step)."""

    groups: list[Group]
    skips: dict[tuple[str, str], list[DueSubject]]


def plan_steps(workflows: Sequence[Workflow], due: Sequence[DueSubject], as_of: date) -> Plan:
    """For each subject with steps due, the step to fire (the latest due: `step_to_fire`) and the
    earlier ones it skips; the fired subjects grouped by customer and step, ordered by customer."""
    by_name = {w.name: w for w in workflows}
    pending: dict[tuple[str, str], list[DueSubject]] = defaultdict(list)
    for item in due:
        pending[(item.workflow, item.subject)].append(item)
    groups: dict[tuple[str, str, int], list[DueSubject]] = defaultdict(list)
    skips: dict[tuple[str, str], list[DueSubject]] = defaultdict(list)
    for (workflow_name, _), items in pending.items():
        workflow = by_name[workflow_name]
        waiting = {i.step for i in items}
        done = [s.name for s in workflow.dated_steps if s.name not in waiting]
        firing = step_to_fire(workflow, items[0].due_date, done, as_of)
        for skipped in firing.skipped:
            skips[(workflow_name, skipped.name)].append(items[0])
        if firing.step is not None:
            groups[(workflow_name, firing.step.name, items[0].customer_id)].append(items[0])
    steps = {(w.name, s.name): s for w in workflows for s in w.steps}
    ordered = [
        Group(by_name[workflow_name], steps[(workflow_name, step_name)], customer_id, tuple(items))
        for (workflow_name, step_name, customer_id), items in sorted(
            groups.items(), key=lambda g: (g[0][2], g[0][0], g[0][1])
        )
    ]
    return Plan(ordered, dict(skips))


def is_past_due_step(step: Step) -> bool:
    """A step after the due date (`days` > 0): its emails merge into one per customer and cycle."""
    return step.on is None and (step.days or 0) > 0


def _latest(groups: Sequence[Group]) -> Group:
    """The group of the step with the greatest `days` (an event step counts before any day; the
    first of equals)."""
    return max(groups, key=lambda g: (g.step.days is not None, g.step.days or 0))


def customer_outputs(groups: Sequence[Group]) -> tuple[list[Output], list[Output]]:
    """The emails and the tasks that one customer's groups of a day make.

    Emails: a step before (or on) the due date and an event step each send their own; the past-due
    steps make one email together, from the template of the one with the greatest `days`, listing
    every invoice they fired for. Tasks: one per task type, asked for by every group whose step
    creates one, described by the one with the greatest `days`."""
    emails = [Output(g, (g,)) for g in groups if g.step.email and not is_past_due_step(g.step)]
    late = [g for g in groups if g.step.email and is_past_due_step(g.step)]
    if late:
        emails.append(Output(_latest(late), tuple(late)))
    by_type: dict[str, list[Group]] = defaultdict(list)
    for group in groups:
        if group.step.task is not None:
            by_type[group.step.task.type.value].append(group)
    tasks = [Output(_latest(asking), tuple(asking)) for asking in by_type.values()]
    return emails, tasks


def by_customer(groups: Sequence[Group]) -> list[list[Group]]:
    """The groups of each customer together, in the order the customers first appear."""
    out: dict[int, list[Group]] = {}
    for group in groups:
        out.setdefault(group.customer_id, []).append(group)
    return list(out.values())


def batches(groups: Sequence[Group], size: int) -> Iterator[list[Group]]:
    """The groups in order, cut into runs of at most `size` customers."""
    chunk: list[Group] = []
    customers: set[int] = set()
    for group in groups:
        if group.customer_id not in customers and len(customers) >= size:
            yield chunk
            chunk, customers = [], set()
        chunk.append(group)
        customers.add(group.customer_id)
    if chunk:
        yield chunk


def claims(items: Sequence[DueSubject]) -> list[tuple[str, int, int | None]]:
    return [(i.subject, i.customer_id, invoice_of(i)) for i in items]


def invoice_of(item: DueSubject) -> int | None:
    return item.invoice_ids[0] if item.subject.startswith("invoice:") else None


def skips_without_address(group: Group, recipient: Recipient) -> bool:
    """A welcome to a customer with no address is recorded as skipped, not fired."""
    return bool(group.step.email) and not recipient.addresses and group.step.on == "customer_created"


def invoice_ids(items: Sequence[DueSubject]) -> tuple[int, ...]:
    """The invoices of a group's subjects, each once, in order."""
    return tuple(dict.fromkeys(i for item in items for i in item.invoice_ids))


def encode_batch(groups: Sequence[Group]) -> str:
    """A batch's groups as JSON, for a worker to fire later (`decode_batch`): each group by its
    workflow's and step's names, with its subjects' fields in order."""
    return json.dumps(
        [
            [g.workflow.name, g.step.name, g.customer_id, g.one_per_subject, [_subject_row(s) for s in g.subjects]]
            for g in groups
        ],
        separators=(",", ":"),
    )


def _subject_row(s: DueSubject) -> list[Any]:
    issued = None if s.issue_date is None else s.issue_date.isoformat()
    return [
        s.workflow, s.step, s.subject, s.customer_id, list(s.invoice_ids), s.number, issued,
        s.due_date.isoformat(), s.amount_minor, s.outstanding_minor, s.currency,
    ]  # fmt: skip


def decode_batch(text: str, workflows: Sequence[Workflow]) -> list[Group]:
    """The groups `encode_batch` stored, their steps those of `workflows` now. A group whose
    workflow or step is gone (the file changed since the cycle started) is left out: its subjects
    come due again at the next cycle, under the file then in force."""
    steps = {(w.name, s.name): (w, s) for w in workflows for s in w.steps}
    groups = []
    for workflow_name, step_name, customer_id, one_per_subject, rows in json.loads(text):
        found = steps.get((workflow_name, step_name))
        if found is not None:
            subjects = tuple(_subject(row) for row in rows)
            groups.append(Group(found[0], found[1], customer_id, subjects, one_per_subject))
    return groups


def _subject(row: list[Any]) -> DueSubject:
    workflow, step, subject, customer_id, invoice_ids, number, issued, due, amount, outstanding, currency = row
    issue_date = None if issued is None else date.fromisoformat(issued)
    return DueSubject(
        workflow, step, subject, customer_id, tuple(invoice_ids), number, issue_date,
        date.fromisoformat(due), amount, outstanding, currency,
    )  # fmt: skip
