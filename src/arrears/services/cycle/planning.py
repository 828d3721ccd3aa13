"""The cycle's decisions that need no database: which step fires for each subject and which are
skipped, how the subjects group into one email and one task per customer and step, and how the
groups are cut into batches of customers. Pure functions over what the selection found."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

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
        if firing.step is None:
            continue
        groups[(workflow_name, firing.step.name, items[0].customer_id)].append(items[0])
        for skipped in firing.skipped:
            skips[(workflow_name, skipped.name)].append(items[0])
    steps = {(w.name, s.name): s for w in workflows for s in w.steps}
    ordered = [
        Group(by_name[workflow_name], steps[(workflow_name, step_name)], customer_id, tuple(items))
        for (workflow_name, step_name, customer_id), items in sorted(
            groups.items(), key=lambda g: (g[0][2], g[0][0], g[0][1])
        )
    ]
    return Plan(ordered, dict(skips))


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
