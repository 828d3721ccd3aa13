"""The daily collections cycle (CONTRACT.md "Workflow file" semantics; SPEC.md §3):

refresh balances → auto-close → promises kept/broken → workflows fire → stale-task alerts → send.

Every phase is its own transaction and can be re-run: the step-run ledger records each step once
per invoice (or instalment, or customer), so re-running a day — or running an earlier one, or two
cycles at once, or a cycle killed half-way and started again — creates nothing twice and loses nothing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from ..domain.audit import Actor, ActorKind, AuditEntry
from ..domain.money import format_minor
from ..domain.tasks import Task, TaskSource
from ..domain.workflows import Step, Workflow, step_to_fire
from . import collection_rules, outbox
from .automation_ports import DueSubject, NewEmail, Recipient, Renderer, RunLink, Sender, StepClaim
from .ports import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
BATCH = 1000  # customers per transaction of the firing phase; ARREARS_CYCLE_BATCH


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
    phases: dict[str, float] = field(default_factory=dict)

    def summary(self, *, planned: bool = True) -> dict[str, Any]:
        """The JSON of `arrears cycle --format json`; `planned` lists everything done (the dry run's).
        (Built field by field: `asdict` copies every planned item, seconds for a first cycle's.)"""
        out: dict[str, Any] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("planned", "phases")
        }
        out["as_of"] = self.as_of.isoformat()
        if planned:
            out["planned"] = [asdict(item) for item in self.planned]
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
    uow_factory: UowFactory,
    workflows: Sequence[Workflow],
    mailer: Mailer,
    as_of: date,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
) -> CycleReport:
    """Run the day `as_of`. In a dry run the caller's unit of work rolls everything back and
    nothing is sent; the report lists exactly what would go out and be created. `batch` is how many
    customers the firing phase handles per transaction. The report's `phases` holds each phase's
    duration in seconds (not part of the JSON summary)."""
    report = CycleReport(as_of, dry_run)
    timer = _Timer(report.phases)
    with uow_factory() as uow:
        run_id = uow.automation.start_cycle(as_of, uow.clock.now(), dry_run)
        uow.commit()
    timer.lap("start")
    collection_rules.refresh_balances(uow_factory(), as_of)
    timer.lap("balances")
    closed = collection_rules.auto_close(uow_factory())
    timer.lap("auto_close")
    promises = collection_rules.check_promises(uow_factory(), as_of)
    timer.lap("promises")
    report.tasks_closed += closed.tasks_closed + promises.tasks_closed
    report.tasks_created += promises.tasks_created
    report.alerts_raised += promises.alerts_raised
    report.promises_kept, report.promises_broken = promises.promises_kept, promises.promises_broken
    fire_workflows(uow_factory, workflows, mailer, as_of, report, batch=batch)
    timer.lap("workflows")
    report.alerts_raised += collection_rules.stale_task_alerts(uow_factory(), as_of).alerts_raised
    timer.lap("stale_alerts")
    if not dry_run:
        sent = outbox.send_due(uow_factory, mailer.sender, mailer.templates, mailer.sender_address)
        report.emails_sent, report.emails_failed = sent.sent, sent.failed
        report.alerts_raised += sent.alerts_raised
    timer.lap("send")
    with uow_factory() as uow:
        summary = report.summary(planned=False)
        uow.automation.finish_cycle(run_id, uow.clock.now(), json.dumps(summary))
        uow.commit()
    timer.lap("finish")
    return report


class _Timer:
    """Measures the phases of a cycle (wall time, for the benchmark and the logs)."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.into[phase] = now - self.last
        self.last = now


@dataclass(frozen=True)
class _Group:
    workflow: Workflow
    step: Step
    customer_id: int
    subjects: tuple[DueSubject, ...]
    one_per_subject: bool = False  # an event: one email per subject (invoice, customer), not per customer


def fire_workflows(
    uow_factory: UowFactory,
    workflows: Sequence[Workflow],
    mailer: Mailer,
    as_of: date,
    report: CycleReport,
    *,
    batch: int = BATCH,
) -> None:
    """Select what is due, record the skipped steps, then fire the rest `batch` customers per
    transaction: each transaction claims its step runs and writes their emails, tasks and audit
    entries together, so a cycle killed between two leaves whole batches done or not done."""
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
    ordered = [
        _Group(by_name[workflow_name], steps[(workflow_name, step_name)], customer_id, tuple(items))
        for (workflow_name, step_name, customer_id), items in sorted(
            groups.items(), key=lambda g: (g[0][2], g[0][0], g[0][1])
        )
    ]
    checked: set[str] = set()  # the email templates rendered whole once this cycle
    for chunk in _batches([*ordered, *events], max(1, batch)):
        _fire_batch(uow_factory, chunk, mailer, as_of, report, checked)


def _batches(groups: Sequence[_Group], size: int) -> Iterator[list[_Group]]:
    """The groups in order, cut into runs of at most `size` customers."""
    chunk: list[_Group] = []
    customers: set[int] = set()
    for group in groups:
        if group.customer_id not in customers and len(customers) >= size:
            yield chunk
            chunk, customers = [], set()
        chunk.append(group)
        customers.add(group.customer_id)
    if chunk:
        yield chunk


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
                groups.append(_Group(workflow, step, customer_id, (subject,), one_per_subject=True))
        for step in workflow.event_steps("invoice_created"):
            for invoice in uow.automation.new_invoices(workflow, step.name, marks[1], as_of):
                groups.append(_Group(workflow, step, invoice.customer_id, (invoice,), one_per_subject=True))
    return groups


def _claims(items: Sequence[DueSubject]) -> list[tuple[str, int, int | None]]:
    return [(i.subject, i.customer_id, _invoice_of(i)) for i in items]


def _invoice_of(item: DueSubject) -> int | None:
    return item.invoice_ids[0] if item.subject.startswith("invoice:") else None


def _skips_without_address(group: _Group, recipient: Recipient) -> bool:
    """A welcome to a customer with no address is recorded as skipped, not fired."""
    return bool(group.step.email) and not recipient.addresses and group.step.on == "customer_created"


@dataclass
class _Fired:
    """One group's share of a batch: the subjects it claimed and what it writes."""

    group: _Group
    recipient: Recipient
    items: list[DueSubject]
    email: NewEmail | None = None
    email_id: int | None = None
    task: Task | None = None
    task_id: int | None = None

    def named_by_claim(self) -> bool:
        """Whether its step runs' claims already name the email and task it wrote: their ids were
        reserved (`email.id`, `task.id`), and the email was queued (not taken by another cycle)."""
        named = (self.email.id if self.email else None, self.task.id if self.task else None)
        return named == (self.email_id, self.task_id)


def _fire_batch(
    uow_factory: UowFactory,
    groups: Sequence[_Group],
    mailer: Mailer,
    as_of: date,
    report: CycleReport,
    checked: set[str],
) -> None:
    """One email and one task per customer and step, listing all its invoices, for every group of
    the batch; in one transaction. Subjects another cycle claimed first are left out."""
    with uow_factory() as uow:
        automation = uow.automation
        now = uow.clock.now()
        recipients = automation.recipients([g.customer_id for g in groups])
        sends = [bool(g.step.email and recipients[g.customer_id].addresses) for g in groups]
        # Where the database can, the email and task ids are taken first and the claims name them:
        # no second pass over the claimed runs to link them.
        # (Not in a dry run: the ids it took would be gaps in the numbering once it rolls back.)
        reserved = None if report.dry_run else automation.reserve_ids(sum(sends), sum(1 for g in groups if g.step.task))
        emails, tasks = (iter(reserved[0]), iter(reserved[1])) if reserved else (None, None)
        planned = [  # per group: its email's and its task's id, if reserved
            (_take(emails, sending), _take(tasks, bool(group.step.task)))
            for group, sending in zip(groups, sends, strict=True)
        ]
        claimed = automation.claim_runs(as_of, _step_claims(groups, recipients, planned))
        fired: list[_Fired] = []
        for group, (email_id, task_id) in zip(groups, planned, strict=True):
            items = [i for i in group.subjects if (group.workflow.name, group.step.name, i.subject) in claimed]
            if not items:
                continue  # another cycle got there first
            recipient = recipients[group.customer_id]
            if _skips_without_address(group, recipient):
                report.steps_skipped += len(items)
                continue
            report.steps_fired += len(items)
            one = _Fired(group, recipient, items)
            if group.step.email and recipient.addresses:
                one.email = _new_email(mailer, one, as_of, now, email_id, checked)
            if group.step.task:
                one.task = _task(one, as_of, task_id)
            fired.append(one)
        queued = [one for one in fired if one.email is not None]
        for one, email_id in zip(queued, automation.queue_emails([o.email for o in queued if o.email]), strict=True):
            one.email_id = email_id
        created = [one for one in fired if one.task is not None]
        for one, task_id in zip(created, automation.add_tasks([o.task for o in created if o.task]), strict=True):
            one.task_id = task_id
        entries: list[AuditEntry] = []
        for one in fired:
            entries += _account(one, as_of, now, report)
        automation.record_all(entries)
        # Without reserved ids (SQLite, a dry run) every run is linked here; with them, only those
        # whose email another cycle had queued under the same key (rare).
        automation.link_runs_many(
            [
                RunLink(
                    claimed[(one.group.workflow.name, one.group.step.name, item.subject)], one.email_id, one.task_id
                )
                for one in fired
                if not one.named_by_claim()
                for item in one.items
            ]
        )
        uow.commit()


def _step_claims(
    groups: Sequence[_Group], recipients: dict[int, Recipient], planned: Sequence[tuple[int | None, int | None]]
) -> list[StepClaim]:
    """The step runs a batch claims, fired or skipped, each naming its group's email and task ids
    (`planned`) when they were reserved."""
    claims = []
    for group, (email_id, task_id) in zip(groups, planned, strict=True):
        skip = _skips_without_address(group, recipients[group.customer_id])
        for item in group.subjects:
            claims.append(
                StepClaim(
                    group.workflow.name,
                    group.step.name,
                    item.subject,
                    item.customer_id,
                    _invoice_of(item),
                    "skipped" if skip else "fired",
                    None if skip else email_id,
                    None if skip else task_id,
                )
            )
    return claims


def _take(ids: Iterator[int] | None, wanted: bool) -> int | None:
    return next(ids) if ids is not None and wanted else None


def _new_email(
    mailer: Mailer, one: _Fired, as_of: date, now: datetime, email_id: int | None, checked: set[str]
) -> NewEmail:
    group, step, recipient, items = one.group, one.group.step, one.recipient, one.items
    assert step.email is not None
    context = outbox.email_context(
        recipient.customer_name,
        recipient.customer_external_id,
        recipient.contact_name,
        items,
        next((i.currency for i in items if i.currency), "USD"),
        step,
        as_of,
    )
    key = f"{group.workflow.name}:{step.name}:{group.customer_id}:{as_of.isoformat()}"
    if group.one_per_subject:
        key += f":{items[0].subject}"
    # The subject now (the plan, the customer's record and the alerts show it); the body when it is
    # sent, from this context: the invoices and amounts as decided today.
    subject, frozen = mailer.templates.subject(step.email, context), outbox.freeze(context)
    if step.email not in checked:
        # The first email of each template in a cycle is rendered whole, from its stored form: a
        # broken template stops the cycle here, as it did when every body was rendered in it,
        # before any email is queued with it (fix it, run the day again).
        outbox.render_stored(mailer.templates, step.email, frozen, subject)
        checked.add(step.email)
    return NewEmail(
        group.customer_id,
        key,
        recipient.addresses,
        subject,
        step.email,
        frozen,
        group.workflow.name,
        step.name,
        as_of,
        mailer.message_id(),
        _invoice_ids(items),
        now,
        items[0].invoice_ids[0] if step.on == "invoice_created" else None,
        email_id,
    )


def _invoice_ids(items: Sequence[DueSubject]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(i for item in items for i in item.invoice_ids))


def _task(one: _Fired, as_of: date, task_id: int | None) -> Task:
    spec = one.group.step.task
    assert spec is not None
    return Task(
        id=task_id,
        customer_id=one.group.customer_id,
        type=spec.type,
        description=spec.description or f"{one.group.step.name}: {', '.join(i.number for i in one.items)}",
        assignee_id=one.recipient.collector_id,
        due_date=as_of + timedelta(days=spec.due_in_days),
        source=TaskSource.WORKFLOW,
        invoice_ids=_invoice_ids(one.items),
    )


def _account(one: _Fired, as_of: date, now: datetime, report: CycleReport) -> list[AuditEntry]:
    """The report's counts and plan, and the audit entries, of what one group wrote."""
    group, step, recipient = one.group, one.group.step, one.recipient
    actor = Actor(ActorKind.WORKFLOW, None, group.workflow.name)
    numbers = [item.number for item in one.items]
    entries: list[AuditEntry] = []
    if step.email and not recipient.addresses:
        entries.append(
            AuditEntry(
                now,
                actor,
                "email",
                None,
                "not_sent",
                f"No email address for reminder {step.name} on {', '.join(numbers)}",
                group.customer_id,
            )
        )
    elif one.email is not None and one.email_id is not None:
        email = one.email
        report.emails_queued += 1
        report.planned.append(
            Planned(
                "email",
                recipient.customer_external_id,
                group.workflow.name,
                step.name,
                numbers,
                to=list(recipient.addresses),
                subject=email.subject,
                template=step.email,
            )
        )
        currency = next((i.currency for i in one.items if i.currency), "USD")
        total = sum(i.outstanding_minor for i in one.items)
        listed = any(i.number for i in one.items)
        entries.append(
            AuditEntry(
                now,
                actor,
                "email",
                str(one.email_id),
                "queued",
                f"Reminder {step.name} ({step.email}) queued to {', '.join(recipient.addresses)}"
                + (f" for {', '.join(numbers)}: {format_minor(total, currency)} {currency}" if listed else ""),
                group.customer_id,
                {"template": step.email, "invoices": numbers},
            )
        )
    if one.task is not None and one.task_id is not None:
        task = one.task
        report.tasks_created += 1
        report.planned.append(
            Planned(
                "task",
                recipient.customer_external_id,
                group.workflow.name,
                step.name,
                numbers,
                task_type=task.type.value,
                assignee_id=recipient.collector_id,
                due_date=task.due_date.isoformat(),
            )
        )
        entries.append(
            AuditEntry(
                now,
                actor,
                "task",
                str(one.task_id),
                "created",
                f"{task.type.value} task created by step {step.name}: {task.description}",
                group.customer_id,
            )
        )
    return entries
