"""The daily collections cycle (CONTRACT.md "Workflow file" semantics; SPEC.md §3):

refresh balances → auto-close → promises kept/broken → workflows fire → stale-task alerts → send.

Every phase is its own transaction and can be re-run: the step-run ledger records each step once
per invoice (or instalment, or customer), so re-running a day — or running an earlier one, or two
cycles at once, or a cycle killed half-way and started again — creates nothing twice and loses nothing.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from ..domain.audit import Actor, ActorKind, AuditEntry
from ..domain.money import format_minor
from ..domain.tasks import Task, TaskSource
from ..domain.workflows import Step, Workflow, step_to_fire
from . import collection_rules, outbox
from .automation_ports import DueSubject, NewEmail, Recipient, Renderer, Sender
from .ports import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


@dataclass
class Planned:
    """One thing the cycle does (or, in a dry run, would do)."""

    kind: str  # email or task
    customer_external_id: str
    workflow: str
    step: str
    invoices: list[str]
    to: list[str] = field(default_factory=list)
    subject: str | None = None
    template: str | None = None
    task_type: str | None = None
    assignee_id: int | None = None
    due_date: str | None = None


@dataclass
class CycleReport:
    as_of: date
    dry_run: bool = False
    emails_queued: int = 0
    emails_sent: int = 0
    emails_failed: int = 0
    tasks_created: int = 0
    tasks_closed: int = 0
    alerts_raised: int = 0
    steps_fired: int = 0
    steps_skipped: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    planned: list[Planned] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The JSON of `arrears cycle --format json`."""
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        return out


@dataclass(frozen=True)
class Mailer:
    templates: Renderer
    sender: Sender
    sender_address: str

    def message_id(self) -> str:
        domain = self.sender_address.rpartition("@")[2] or "arrears.invalid"
        return f"<arrears-{uuid.uuid4().hex}@{domain}>"


def run_cycle(
    uow_factory: UowFactory, workflows: Sequence[Workflow], mailer: Mailer, as_of: date, *, dry_run: bool = False
) -> CycleReport:
    """Run the day `as_of`. In a dry run the caller's unit of work rolls everything back and
    nothing is sent; the report lists exactly what would go out and be created."""
    report = CycleReport(as_of, dry_run)
    with uow_factory() as uow:
        run_id = uow.automation.start_cycle(as_of, uow.clock.now(), dry_run)
        uow.commit()
    collection_rules.refresh_balances(uow_factory(), as_of)
    closed = collection_rules.auto_close(uow_factory())
    promises = collection_rules.check_promises(uow_factory(), as_of)
    report.tasks_closed += closed.tasks_closed + promises.tasks_closed
    report.tasks_created += promises.tasks_created
    report.alerts_raised += promises.alerts_raised
    report.promises_kept, report.promises_broken = promises.promises_kept, promises.promises_broken
    fire_workflows(uow_factory, workflows, mailer, as_of, report)
    report.alerts_raised += collection_rules.stale_task_alerts(uow_factory(), as_of).alerts_raised
    if not dry_run:
        sent = outbox.send_due(uow_factory, mailer.sender, mailer.templates, mailer.sender_address)
        report.emails_sent, report.emails_failed = sent.sent, sent.failed
        report.alerts_raised += sent.alerts_raised
    with uow_factory() as uow:
        summary = report.summary()
        summary.pop("planned")
        uow.automation.finish_cycle(run_id, uow.clock.now(), json.dumps(summary))
        uow.commit()
    return report


@dataclass(frozen=True)
class _Group:
    workflow: Workflow
    step: Step
    customer_id: int
    subjects: tuple[DueSubject, ...]


def fire_workflows(
    uow_factory: UowFactory, workflows: Sequence[Workflow], mailer: Mailer, as_of: date, report: CycleReport
) -> None:
    with uow_factory() as uow:
        marks = uow.automation.high_water() or uow.automation.set_high_water()
        due = uow.automation.due_subjects(workflows, as_of)
        events = _event_subjects(uow, workflows, marks, as_of)
        uow.commit()
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
    for (workflow_name, step_name), items in skips.items():
        with uow_factory() as uow:
            claimed = uow.automation.claim(workflow_name, step_name, "skipped", as_of, _claims(items))
            report.steps_skipped += len(claimed)
            uow.commit()
    steps = {(w.name, s.name): s for w in workflows for s in w.steps}
    for (workflow_name, step_name, customer_id), items in sorted(
        groups.items(), key=lambda g: (g[0][2], g[0][0], g[0][1])
    ):
        _fire(
            uow_factory,
            _Group(by_name[workflow_name], steps[(workflow_name, step_name)], customer_id, tuple(items)),
            mailer,
            as_of,
            report,
        )
    for group in events:
        _fire(uow_factory, group, mailer, as_of, report, one_per_subject=True)


def _event_subjects(
    uow: UnitOfWork, workflows: Sequence[Workflow], marks: tuple[int, int], as_of: date
) -> list[_Group]:
    groups: list[_Group] = []
    for workflow in workflows:
        for step in workflow.event_steps("customer_created"):
            for customer_id in uow.automation.new_customers(workflow, step.name, marks[0]):
                subject = DueSubject(
                    workflow.name, step.name, f"customer:{customer_id}", customer_id, (), "", None, as_of, 0, 0, ""
                )
                groups.append(_Group(workflow, step, customer_id, (subject,)))
        for step in workflow.event_steps("invoice_created"):
            for invoice in uow.automation.new_invoices(workflow, step.name, marks[1], as_of):
                groups.append(_Group(workflow, step, invoice.customer_id, (invoice,)))
    return groups


def _claims(items: Sequence[DueSubject]) -> list[tuple[str, int, int | None]]:
    return [(i.subject, i.customer_id, i.invoice_ids[0] if i.subject.startswith("invoice:") else None) for i in items]


def _fire(
    uow_factory: UowFactory,
    group: _Group,
    mailer: Mailer,
    as_of: date,
    report: CycleReport,
    *,
    one_per_subject: bool = False,
) -> None:
    """One email and one task for a customer and a step, listing all its invoices; in one transaction."""
    workflow, step = group.workflow, group.step
    with uow_factory() as uow:
        automation = uow.automation
        recipient = automation.recipients([group.customer_id])[group.customer_id]
        if step.email and not recipient.addresses and step.on == "customer_created":
            report.steps_skipped += len(
                automation.claim(workflow.name, step.name, "skipped", as_of, _claims(group.subjects))
            )
            uow.commit()
            return
        claimed = set(automation.claim(workflow.name, step.name, "fired", as_of, _claims(group.subjects)))
        items = [i for i in group.subjects if i.subject in claimed]
        if not items:
            uow.commit()
            return  # another cycle got there first
        report.steps_fired += len(items)
        actor = Actor(ActorKind.WORKFLOW, None, workflow.name)
        invoice_ids = tuple(dict.fromkeys(i for item in items for i in item.invoice_ids))
        numbers = [item.number for item in items]
        email_id = task_id = None
        if step.email:
            email_id = _queue_email(
                uow, mailer, group, step, recipient, items, invoice_ids, as_of, report, one_per_subject
            )
        if step.task:
            spec = step.task
            due = as_of + timedelta(days=spec.due_in_days)
            description = spec.description or f"{step.name}: {', '.join(numbers)}"
            task = Task(
                id=None,
                customer_id=group.customer_id,
                type=spec.type,
                description=description,
                assignee_id=recipient.collector_id,
                due_date=due,
                source=TaskSource.WORKFLOW,
                invoice_ids=invoice_ids,
            )
            task_id = uow.workspace.add_task(task, created_by=None)
            report.tasks_created += 1
            report.planned.append(
                Planned(
                    "task",
                    recipient.customer_external_id,
                    workflow.name,
                    step.name,
                    numbers,
                    task_type=spec.type.value,
                    assignee_id=recipient.collector_id,
                    due_date=due.isoformat(),
                )
            )
            uow.workspace.record(
                AuditEntry(
                    uow.clock.now(),
                    actor,
                    "task",
                    str(task_id),
                    "created",
                    f"{spec.type.value} task created by step {step.name}: {description}",
                    group.customer_id,
                )
            )
        automation.link_runs(workflow.name, step.name, [i.subject for i in items], email_id, task_id)
        uow.commit()


def _queue_email(
    uow: UnitOfWork,
    mailer: Mailer,
    group: _Group,
    step: Step,
    recipient: Recipient,
    items: Sequence[DueSubject],
    invoice_ids: tuple[int, ...],
    as_of: date,
    report: CycleReport,
    one_per_subject: bool,
) -> int | None:
    workflow = group.workflow
    actor = Actor(ActorKind.WORKFLOW, None, workflow.name)
    numbers = [item.number for item in items]
    if not recipient.addresses:
        uow.workspace.record(
            AuditEntry(
                uow.clock.now(),
                actor,
                "email",
                None,
                "not_sent",
                f"No email address for reminder {step.name} on {', '.join(numbers)}",
                group.customer_id,
            )
        )
        return None
    currency = next((i.currency for i in items if i.currency), "USD")
    invoices = [outbox.invoice_context(i, (as_of - i.due_date).days) for i in items if i.number]
    context = {
        "customer": {"name": recipient.customer_name, "external_id": recipient.customer_external_id},
        "contact_name": recipient.contact_name,
        "invoices": invoices,
        "total": outbox.decimal(sum(i.outstanding_minor for i in items), currency) if invoices else 0,
        "currency": currency,
        "step": {"name": step.name, "days": step.days},
        "as_of": as_of,
    }
    assert step.email is not None
    rendered = mailer.templates.email(step.email, context)
    key = f"{workflow.name}:{step.name}:{group.customer_id}:{as_of.isoformat()}"
    if one_per_subject:
        key += f":{items[0].subject}"
    attach = items[0].invoice_ids[0] if step.on == "invoice_created" else None
    email_id = uow.automation.queue_email(
        NewEmail(
            group.customer_id,
            key,
            recipient.addresses,
            rendered.subject,
            rendered.html,
            rendered.text,
            step.email,
            workflow.name,
            step.name,
            as_of,
            mailer.message_id(),
            invoice_ids,
            uow.clock.now(),
            attach,
        )
    )
    if email_id is None:
        return None
    report.emails_queued += 1
    report.planned.append(
        Planned(
            "email",
            recipient.customer_external_id,
            workflow.name,
            step.name,
            numbers,
            to=list(recipient.addresses),
            subject=rendered.subject,
            template=step.email,
        )
    )
    total = sum(i.outstanding_minor for i in items)
    uow.workspace.record(
        AuditEntry(
            uow.clock.now(),
            actor,
            "email",
            str(email_id),
            "queued",
            f"Reminder {step.name} ({step.email}) queued to {', '.join(recipient.addresses)}"
            + (f" for {', '.join(numbers)}: {format_minor(total, currency)} {currency}" if invoices else ""),
            group.customer_id,
            {"template": step.email, "invoices": numbers},
        )
    )
    return email_id
