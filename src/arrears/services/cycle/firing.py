"""The firing phase of the cycle: select what is due, record the skipped steps, then fire the rest
a batch of customers per transaction. Each transaction claims its step runs and writes their emails,
tasks and audit entries together, so a cycle killed between two leaves whole batches done or not."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ...domain.audit import Actor, ActorKind, AuditEntry
from ...domain.money import format_minor
from ...domain.tasks import Task, TaskSource
from ...domain.workflows import Workflow
from .. import outbox
from ..automation_ports import DueSubject, NewEmail, Recipient, RunLink, StepClaim
from ..ports import UnitOfWork
from .planning import Group, batches, claims, invoice_ids, invoice_of, plan_steps, skips_without_address
from .report import CycleReport, Mailer, Planned

UowFactory = Callable[[], UnitOfWork]
BATCH = 1000  # customers per transaction of the firing phase; ARREARS_CYCLE_BATCH


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
        marks = uow.cycle_runs.high_water() or uow.cycle_runs.set_high_water()
        due = uow.selection.due_subjects(workflows, as_of)
        events = _event_subjects(uow, workflows, marks, as_of)
        uow.commit()
    plan = plan_steps(workflows, due, as_of)
    for (workflow_name, step_name), items in plan.skips.items():
        with uow_factory() as uow:
            claimed = uow.step_runs.claim(workflow_name, step_name, "skipped", as_of, claims(items))
            report.steps_skipped += len(claimed)
            uow.commit()
    checked: set[str] = set()  # the email templates rendered whole once this cycle
    for chunk in batches([*plan.groups, *events], max(1, batch)):
        _fire_batch(uow_factory, chunk, mailer, as_of, report, checked)


def _event_subjects(uow: UnitOfWork, workflows: Sequence[Workflow], marks: tuple[int, int], as_of: date) -> list[Group]:
    groups: list[Group] = []
    for workflow in workflows:
        for step in workflow.event_steps("customer_created"):
            for customer_id in uow.selection.new_customers(workflow, step.name, marks[0]):
                subject = DueSubject(
                    workflow.name, step.name, f"customer:{customer_id}", customer_id, (), "", None, as_of, 0, 0, ""
                )
                groups.append(Group(workflow, step, customer_id, (subject,), one_per_subject=True))
        for step in workflow.event_steps("invoice_created"):
            for invoice in uow.selection.new_invoices(workflow, step.name, marks[1], as_of):
                groups.append(Group(workflow, step, invoice.customer_id, (invoice,), one_per_subject=True))
    return groups


@dataclass
class _Fired:
    """One group's share of a batch: the subjects it claimed and what it writes."""

    group: Group
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
    groups: Sequence[Group],
    mailer: Mailer,
    as_of: date,
    report: CycleReport,
    checked: set[str],
) -> None:
    """One email and one task per customer and step, listing all its invoices, for every group of
    the batch; in one transaction. Subjects another cycle claimed first are left out."""
    with uow_factory() as uow:
        now = uow.clock.now()
        recipients = uow.selection.recipients([g.customer_id for g in groups])
        planned = _reserve(uow, groups, recipients, dry_run=report.dry_run)
        claimed = uow.step_runs.claim_runs(as_of, _step_claims(groups, recipients, planned))
        fired: list[_Fired] = []
        for group, (email_id, task_id) in zip(groups, planned, strict=True):
            items = [i for i in group.subjects if (group.workflow.name, group.step.name, i.subject) in claimed]
            if not items:
                continue  # another cycle got there first
            recipient = recipients[group.customer_id]
            if skips_without_address(group, recipient):
                report.steps_skipped += len(items)
                continue
            report.steps_fired += len(items)
            one = _Fired(group, recipient, items)
            if group.step.email and recipient.addresses:
                one.email = _new_email(mailer, one, as_of, now, email_id, checked)
            if group.step.task:
                one.task = _task(one, as_of, task_id)
            fired.append(one)
        _write(uow, fired, claimed, as_of, now, report)
        uow.commit()


def _reserve(
    uow: UnitOfWork, groups: Sequence[Group], recipients: dict[int, Recipient], *, dry_run: bool
) -> list[tuple[int | None, int | None]]:
    """Per group, the id its email and its task will have, where the database can take them first
    (then the claims name them: no second pass over the claimed runs to link them). Not in a dry run:
    the ids it took would be gaps in the numbering once it rolls back."""
    sends = [bool(g.step.email and recipients[g.customer_id].addresses) for g in groups]
    reserved = None if dry_run else uow.step_runs.reserve_ids(sum(sends), sum(1 for g in groups if g.step.task))
    emails, tasks = (iter(reserved[0]), iter(reserved[1])) if reserved else (None, None)
    return [
        (_take(emails, sending), _take(tasks, bool(group.step.task)))
        for group, sending in zip(groups, sends, strict=True)
    ]


def _write(
    uow: UnitOfWork,
    fired: Sequence[_Fired],
    claimed: dict[tuple[str, str, str], int],
    as_of: date,
    now: datetime,
    report: CycleReport,
) -> None:
    """Queue the emails, add the tasks, audit both, and link the runs the claims could not name."""
    queued = [one for one in fired if one.email is not None]
    for one, email_id in zip(queued, uow.outbox.queue_emails([o.email for o in queued if o.email]), strict=True):
        one.email_id = email_id
    created = [one for one in fired if one.task is not None]
    for one, task_id in zip(created, uow.step_runs.add_tasks([o.task for o in created if o.task]), strict=True):
        one.task_id = task_id
    entries: list[AuditEntry] = []
    for one in fired:
        entries += _account(one, as_of, now, report)
    uow.step_runs.record_all(entries)
    # Without reserved ids (SQLite, a dry run) every run is linked here; with them, only those
    # whose email another cycle had queued under the same key (rare).
    uow.step_runs.link_runs_many(
        [
            RunLink(claimed[(one.group.workflow.name, one.group.step.name, item.subject)], one.email_id, one.task_id)
            for one in fired
            if not one.named_by_claim()
            for item in one.items
        ]
    )


def _step_claims(
    groups: Sequence[Group], recipients: dict[int, Recipient], planned: Sequence[tuple[int | None, int | None]]
) -> list[StepClaim]:
    """The step runs a batch claims, fired or skipped, each naming its group's email and task ids
    (`planned`) when they were reserved."""
    claims = []
    for group, (email_id, task_id) in zip(groups, planned, strict=True):
        skip = skips_without_address(group, recipients[group.customer_id])
        for item in group.subjects:
            claims.append(
                StepClaim(
                    group.workflow.name,
                    group.step.name,
                    item.subject,
                    item.customer_id,
                    invoice_of(item),
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
        invoice_ids(items),
        now,
        items[0].invoice_ids[0] if step.on == "invoice_created" else None,
        email_id,
    )


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
        invoice_ids=invoice_ids(one.items),
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
