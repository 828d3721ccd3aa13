"""The firing phase of the cycle: select what is due, record the skipped steps, then fire the rest
a batch of customers per transaction. Each transaction claims its step runs and writes their emails,
tasks and audit entries together, so a cycle killed between two leaves whole batches done or not."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ...domain.audit import Actor, ActorKind, AuditEntry
from ...domain.money import format_minor
from ...domain.tasks import Task, TaskSource
from ...domain.workflows import Step, Workflow
from .. import outbox
from ..automation_ports import DueSubject, NewEmail, Recipient, RunLink, StepClaim
from ..ports import UnitOfWork
from .planning import (
    Group,
    Output,
    batches,
    by_customer,
    claims,
    customer_outputs,
    invoice_ids,
    invoice_of,
    plan_steps,
    skips_without_address,
)
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
    checked: set[str] = set()  # the email templates rendered whole once this cycle
    for chunk in plan_batches(uow_factory, workflows, as_of, report, batch=batch):
        fire_batch(uow_factory, chunk, mailer, as_of, report, checked)


def plan_batches(
    uow_factory: UowFactory, workflows: Sequence[Workflow], as_of: date, report: CycleReport, *, batch: int = BATCH
) -> list[list[Group]]:
    """Select what is due, record the skipped steps (their own transactions), and cut what fires
    into batches of at most `batch` customers, in customer order."""
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
    # A customer's dated and event groups in one batch: its emails and tasks are decided together.
    every = sorted([*plan.groups, *events], key=lambda g: g.customer_id)
    return list(batches(every, max(1, batch)))


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
class _Output:
    """One email or task of a customer's day (`planning.Output`), with the id it will have (reserved,
    or for a task the customer's open workflow task it joins), the step runs it covers once claimed,
    and what it writes."""

    plan: Output
    recipient: Recipient
    id: int | None = None
    joins: bool = False  # a task: tag the customer's open workflow task of this type, open no other
    items: list[DueSubject] = field(default_factory=list)
    email: NewEmail | None = None
    task: Task | None = None
    written: int | None = None  # the id of the email queued (None: another cycle had queued it) or the task

    @property
    def step(self) -> Step:
        return self.plan.lead.step


@dataclass
class _Customer:
    """A customer's share of a batch: its groups, and the emails and tasks they make."""

    recipient: Recipient
    groups: list[Group]
    emails: list[_Output]
    tasks: list[_Output]

    def email_of(self, group: Group) -> _Output | None:
        return next((e for e in self.emails if group in e.plan.groups), None)

    def task_of(self, group: Group) -> _Output | None:
        return next((o for o in self.tasks if group in o.plan.groups), None)


def fire_batch(
    uow_factory: UowFactory,
    groups: Sequence[Group],
    mailer: Mailer,
    as_of: date,
    report: CycleReport,
    checked: set[str],
    before_commit: Callable[[UnitOfWork], None] | None = None,
) -> None:
    """The emails and tasks of every customer of the batch (one past-due email per customer, one
    task per customer and type, joined to its open workflow task of that type if it has one), in one
    transaction. Subjects another cycle claimed first are left out. `checked`: the templates
    rendered whole already (`_new_email`); `before_commit` writes more in the same transaction."""
    with uow_factory() as uow:
        now = uow.clock.now()
        recipients = uow.selection.recipients(list(dict.fromkeys(g.customer_id for g in groups)))
        open_tasks = uow.step_runs.open_workflow_tasks(list(recipients))
        customers = [_customer(mine, recipients[mine[0].customer_id], open_tasks) for mine in by_customer(groups)]
        _reserve(uow, customers, dry_run=report.dry_run)
        claimed = uow.step_runs.claim_runs(as_of, [c for customer in customers for c in _step_claims(customer)])
        for customer in customers:
            for group in customer.groups:
                items = [i for i in group.subjects if (group.workflow.name, group.step.name, i.subject) in claimed]
                if skips_without_address(group, customer.recipient):
                    report.steps_skipped += len(items)
                    continue
                report.steps_fired += len(items)
                for output in (customer.email_of(group), customer.task_of(group)):
                    if output is not None:
                        output.items += items
            for output in customer.emails:
                output.items.sort(key=lambda item: (item.due_date, item.number))  # oldest first
                if output.items and customer.recipient.addresses:
                    output.email = _new_email(mailer, output, as_of, now, checked)
            for output in customer.tasks:
                if output.items and not output.joins:
                    output.task = _task(output, as_of)
        _write(uow, customers, claimed, as_of, now, report)
        if before_commit is not None:
            before_commit(uow)
        uow.commit()


def _customer(groups: Sequence[Group], recipient: Recipient, open_tasks: dict[tuple[int, str], int]) -> _Customer:
    """The emails and tasks a customer's groups make (a welcome without an address makes none)."""
    live = [g for g in groups if not skips_without_address(g, recipient)]
    emails, tasks = customer_outputs(live)
    joined = [_Output(plan, recipient, open_tasks.get((recipient.customer_id, _task_type(plan)))) for plan in tasks]
    for output in joined:
        output.joins = output.id is not None
    return _Customer(recipient, list(groups), [_Output(plan, recipient) for plan in emails], joined)


def _task_type(plan: Output) -> str:
    spec = plan.lead.step.task
    assert spec is not None
    return spec.type.value


def _reserve(uow: UnitOfWork, customers: Sequence[_Customer], *, dry_run: bool) -> None:
    """The id each email and each new task will have, where the database can take them first (then
    the claims name them: no second pass over the claimed runs to link them). Not in a dry run: the
    ids it took would be gaps in the numbering once it rolls back."""
    if dry_run:
        return
    emails = [e for c in customers if c.recipient.addresses for e in c.emails]
    tasks = [o for c in customers for o in c.tasks if not o.joins]
    reserved = uow.step_runs.reserve_ids(len(emails), len(tasks))
    if reserved is None:
        return
    for output, reserved_id in zip([*emails, *tasks], [*reserved[0], *reserved[1]], strict=True):
        output.id = reserved_id


def _step_claims(customer: _Customer) -> list[StepClaim]:
    """The step runs of a customer's groups, fired or skipped, each naming the email and the task
    that will cover it where their ids are known."""
    claims = []
    for group in customer.groups:
        skip = skips_without_address(group, customer.recipient)
        email, task = customer.email_of(group), customer.task_of(group)
        for item in group.subjects:
            claims.append(
                StepClaim(
                    group.workflow.name,
                    group.step.name,
                    item.subject,
                    item.customer_id,
                    invoice_of(item),
                    "skipped" if skip else "fired",
                    email.id if email is not None and not skip else None,
                    task.id if task is not None and not skip else None,
                )
            )
    return claims


def _write(
    uow: UnitOfWork,
    customers: Sequence[_Customer],
    claimed: dict[tuple[str, str, str], int],
    as_of: date,
    now: datetime,
    report: CycleReport,
) -> None:
    """Queue the emails, add the tasks and tag the open ones joined, audit them, and link the runs
    the claims could not name."""
    queued = [e for c in customers for e in c.emails if e.email is not None]
    for output, email_id in zip(queued, uow.outbox.queue_emails([e.email for e in queued if e.email]), strict=True):
        output.written = email_id
    created = [o for c in customers for o in c.tasks if o.task is not None]
    for output, task_id in zip(created, uow.step_runs.add_tasks([o.task for o in created if o.task]), strict=True):
        output.written = task_id
    joined = [o for c in customers for o in c.tasks if o.joins and o.items]
    for output in joined:
        output.written = output.id
    uow.step_runs.tag_tasks([(o.id, invoice_ids(o.items)) for o in joined if o.id is not None])
    entries: list[AuditEntry] = []
    for customer in customers:
        entries += _account(customer, as_of, now, report)
    uow.step_runs.record_all(entries)
    links = []
    for customer in customers:
        for group in customer.groups:
            email, task = customer.email_of(group), customer.task_of(group)
            wrote = (email.written if email else None, task.written if task and task.items else None)
            named = (email.id if email else None, task.id if task else None)
            if wrote == named or skips_without_address(group, customer.recipient):
                continue  # the claims already name what was written
            for item in group.subjects:
                run_id = claimed.get((group.workflow.name, group.step.name, item.subject))
                if run_id is not None:
                    links.append(RunLink(run_id, *wrote))
    # Without reserved ids (SQLite, a dry run) every run is linked here; with them, only those
    # whose email another cycle had queued under the same key (rare).
    uow.step_runs.link_runs_many(links)


def _new_email(mailer: Mailer, output: _Output, as_of: date, now: datetime, checked: set[str]) -> NewEmail:
    lead, step, recipient, items = output.plan.lead, output.step, output.recipient, output.items
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
    key = f"{lead.workflow.name}:{step.name}:{lead.customer_id}:{as_of.isoformat()}"
    if lead.one_per_subject:
        key += f":{items[0].subject}"
    # The subject now (the plan, the customer's record and the alerts show it); the body when it is
    # sent, from this context: the invoices and amounts as decided today.
    subject, frozen = mailer.templates.subject(step.email, context), outbox.freeze(context)
    if step.email not in checked:
        # The first email of each template in a cycle is rendered whole, from its stored form: a
        # broken template stops the cycle here, as it did when every body was rendered in it,
        # before any email is queued with it (fix it, run the day again).
        outbox.render_stored(mailer.templates, step.email, frozen, subject, portal_url=mailer.example_portal_url())
        checked.add(step.email)
    return NewEmail(
        lead.customer_id,
        key,
        recipient.addresses,
        subject,
        step.email,
        frozen,
        lead.workflow.name,
        step.name,
        as_of,
        mailer.message_id(),
        invoice_ids(items),
        now,
        items[0].invoice_ids[0] if step.on == "invoice_created" else None,
        output.id,
    )


def _task(output: _Output, as_of: date) -> Task:
    """A new workflow task: described by the lead step (or by its name and the invoices), due at the
    earliest of the due dates its steps ask for, tagging every invoice concerned."""
    spec = output.step.task
    assert spec is not None
    due_in = min(g.step.task.due_in_days for g in output.plan.groups if g.step.task is not None)
    return Task(
        id=output.id,
        customer_id=output.recipient.customer_id,
        type=spec.type,
        description=spec.description or f"{output.step.name}: {', '.join(_numbers(output.items))}",
        assignee_id=output.recipient.collector_id,
        due_date=as_of + timedelta(days=due_in),
        source=TaskSource.WORKFLOW,
        invoice_ids=invoice_ids(output.items),
    )


def _numbers(items: Sequence[DueSubject]) -> list[str]:
    return list(dict.fromkeys(item.number for item in items))


def _account(customer: _Customer, as_of: date, now: datetime, report: CycleReport) -> list[AuditEntry]:
    """The report's counts and plan, and the audit entries, of what one customer's day wrote."""
    recipient = customer.recipient
    entries: list[AuditEntry] = []
    for output in customer.emails:
        if not output.items:
            continue
        step, numbers = output.step, _numbers(output.items)
        actor = Actor(ActorKind.WORKFLOW, None, output.plan.lead.workflow.name)
        if not recipient.addresses:
            entries.append(
                AuditEntry(
                    now,
                    actor,
                    "email",
                    None,
                    "not_sent",
                    f"No email address for reminder {step.name} on {', '.join(numbers)}",
                    recipient.customer_id,
                )
            )
        elif output.email is not None and output.written is not None:
            report.emails_queued += 1
            report.planned.append(
                Planned(
                    "email",
                    recipient.customer_external_id,
                    output.plan.lead.workflow.name,
                    step.name,
                    numbers,
                    to=list(recipient.addresses),
                    subject=output.email.subject,
                    template=step.email,
                )
            )
            currency = next((i.currency for i in output.items if i.currency), "USD")
            total = sum(i.outstanding_minor for i in output.items)
            listed = any(i.number for i in output.items)
            entries.append(
                AuditEntry(
                    now,
                    actor,
                    "email",
                    str(output.written),
                    "queued",
                    f"Reminder {step.name} ({step.email}) queued to {', '.join(recipient.addresses)}"
                    + (f" for {', '.join(numbers)}: {format_minor(total, currency)} {currency}" if listed else ""),
                    recipient.customer_id,
                    {"template": step.email, "invoices": numbers},
                )
            )
    for output in customer.tasks:
        if not output.items or output.written is None:
            continue
        entries.append(_account_task(output, report, now))
    return entries


def _account_task(output: _Output, report: CycleReport, now: datetime) -> AuditEntry:
    step, recipient, numbers = output.step, output.recipient, _numbers(output.items)
    actor = Actor(ActorKind.WORKFLOW, None, output.plan.lead.workflow.name)
    task_type = _task_type(output.plan)
    planned = Planned(
        "task",
        recipient.customer_external_id,
        output.plan.lead.workflow.name,
        step.name,
        numbers,
        task_type=task_type,
        assignee_id=recipient.collector_id,
        due_date=output.task.due_date.isoformat() if output.task else None,
        joins_task=output.written if output.joins else None,
    )
    report.planned.append(planned)
    if output.joins:
        report.tasks_joined += 1
        return AuditEntry(
            now,
            actor,
            "task",
            str(output.written),
            "invoices_added",
            f"{', '.join(numbers)} added to this {task_type} task by step {step.name}",
            recipient.customer_id,
            {"invoices": numbers},
        )
    assert output.task is not None
    report.tasks_created += 1
    return AuditEntry(
        now,
        actor,
        "task",
        str(output.written),
        "created",
        f"{task_type} task created by step {step.name}: {output.task.description}",
        recipient.customer_id,
    )
