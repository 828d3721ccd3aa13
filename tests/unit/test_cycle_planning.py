"""The cycle's decisions that need no database: which step fires for each subject, which earlier
ones are skipped, one group per customer and step, the emails and tasks a customer's groups make
(one past-due email per customer, one task per type), and batches of whole customers."""

from __future__ import annotations

from datetime import date, timedelta

from arrears.domain.tasks import TaskType
from arrears.domain.workflows import TaskSpec
from arrears.services.automation_ports import DueSubject, Recipient
from arrears.services.cycle.planning import (
    Group,
    batches,
    by_customer,
    claims,
    customer_outputs,
    decode_batch,
    encode_batch,
    invoice_ids,
    plan_steps,
    skips_without_address,
)
from arrears.services.cycle.report import CycleReport
from tests.unit.builders import make_step, make_workflow

AS_OF = date(2026, 6, 30)
WORKFLOW = make_workflow(
    make_step("courtesy", days=-3, email="courtesy_reminder"),
    make_step("past-due-30", days=30),
    make_step("past-due-60", days=60),
)


def due(step: str, invoice: int, customer: int = 1, *, days_late: int = 61) -> DueSubject:
    """A subject that the selection found due for `step`."""
    return DueSubject(
        "standard",
        step,
        f"invoice:{invoice}",
        customer,
        (invoice,),
        f"INV-{invoice}",
        None,
        AS_OF - timedelta(days=days_late),
        10_000,
        10_000,
        "USD",
    )


def test_an_invoice_due_for_several_steps_fires_the_latest_and_skips_the_earlier_ones() -> None:
    found = [due("courtesy", 1), due("past-due-30", 1), due("past-due-60", 1)]

    plan = plan_steps([WORKFLOW], found, AS_OF)

    assert [(g.step.name, [s.subject for s in g.subjects]) for g in plan.groups] == [("past-due-60", ["invoice:1"])]
    assert sorted(plan.skips) == [("standard", "courtesy"), ("standard", "past-due-30")]


def test_an_earlier_step_already_run_is_not_skipped_again() -> None:
    found = [due("past-due-60", 1)]  # courtesy and past-due-30 ran before: the selection leaves them out

    plan = plan_steps([WORKFLOW], found, AS_OF)

    assert [g.step.name for g in plan.groups] == ["past-due-60"]
    assert plan.skips == {}


def test_invoices_of_one_customer_due_for_the_same_step_make_one_group() -> None:
    found = [due("past-due-30", 1, days_late=31), due("past-due-30", 2, days_late=35)]

    plan = plan_steps([WORKFLOW], found, AS_OF)

    [group] = plan.groups
    assert (group.customer_id, [s.subject for s in group.subjects]) == (1, ["invoice:1", "invoice:2"])
    assert invoice_ids(group.subjects) == (1, 2)


def test_groups_are_ordered_by_customer_so_that_batches_hold_whole_customers() -> None:
    found = [due("past-due-30", 9, customer=3, days_late=31), due("past-due-30", 1, customer=1, days_late=31)]

    plan = plan_steps([WORKFLOW], found, AS_OF)

    assert [g.customer_id for g in plan.groups] == [1, 3]


def test_an_invoice_not_yet_due_for_any_step_makes_no_group() -> None:
    found = [due("past-due-30", 1, days_late=10)]  # the selection is wider than the day: the rule decides

    plan = plan_steps([WORKFLOW], found, AS_OF)

    assert plan.groups == [] and plan.skips == {}


def _group(customer: int, step: str = "past-due-30") -> Group:
    return Group(
        WORKFLOW, next(s for s in WORKFLOW.steps if s.name == step), customer, (due(step, customer, customer),)
    )


def test_a_batch_never_splits_a_customers_groups() -> None:
    groups = [_group(1), _group(1, "past-due-60"), _group(2), _group(3)]

    cut = list(batches(groups, 2))

    assert [[g.customer_id for g in chunk] for chunk in cut] == [[1, 1, 2], [3]]


def test_claims_name_the_subject_customer_and_invoice() -> None:
    instalment = DueSubject("standard", "s", "instalment:7", 1, (4, 5), "", None, AS_OF, 0, 0, "USD")

    assert claims([due("past-due-30", 1), instalment]) == [("invoice:1", 1, 1), ("instalment:7", 1, None)]


def test_a_welcome_without_an_address_is_skipped_but_a_reminder_without_one_is_not() -> None:
    nobody = Recipient(1, "C1", "Acme", None, None, ())
    welcome = make_step("welcome", on="customer_created", email="welcome")
    workflow = make_workflow(welcome, *WORKFLOW.steps)

    assert skips_without_address(Group(workflow, welcome, 1, ()), nobody)
    assert not skips_without_address(_group(1), nobody)


def test_a_late_invoice_skips_the_courtesy_step_even_when_no_later_step_fires() -> None:
    found = [due("courtesy", 1, days_late=10), due("past-due-30", 1, days_late=10)]

    plan = plan_steps([WORKFLOW], found, AS_OF)

    assert plan.groups == []
    assert {key: [s.subject for s in items] for key, items in plan.skips.items()} == {
        ("standard", "courtesy"): ["invoice:1"]
    }


CALL = TaskSpec(TaskType.CALL, due_in_days=2)
TASKS = make_workflow(
    make_step("welcome", on="customer_created", email="welcome", task=TaskSpec(TaskType.CALL, 5)),
    make_step("courtesy", days=-3, email="courtesy_reminder"),
    make_step("past-due-30", days=30, task=CALL),
    make_step("past-due-60", days=60, email="final_notice", task=CALL),
    make_step("collections", days=90, email=None, task=TaskSpec(TaskType.ESCALATE_TO_COLLECTIONS)),
)


def group(step: str, *invoices: int, customer: int = 1) -> Group:
    return Group(TASKS, next(s for s in TASKS.steps if s.name == step), customer, tuple(due(step, i) for i in invoices))


def test_the_past_due_steps_of_a_customer_make_one_email_from_the_latest_step() -> None:
    thirty, sixty = group("past-due-30", 1, 2), group("past-due-60", 3)

    emails, _ = customer_outputs([thirty, sixty])

    assert [(e.lead.step.name, e.groups) for e in emails] == [("past-due-60", (thirty, sixty))]


def test_a_step_before_the_due_date_and_an_event_each_send_their_own_email() -> None:
    welcome, courtesy, thirty = group("welcome"), group("courtesy", 4), group("past-due-30", 1)

    emails, _ = customer_outputs([welcome, courtesy, thirty])

    assert [(e.lead.step.name, len(e.groups)) for e in emails] == [("welcome", 1), ("courtesy", 1), ("past-due-30", 1)]


def test_a_step_that_sends_no_email_joins_no_email() -> None:
    collections, thirty = group("collections", 9), group("past-due-30", 1)

    emails, _ = customer_outputs([collections, thirty])

    assert [(e.lead.step.name, e.groups) for e in emails] == [("past-due-30", (thirty,))]


def test_the_tasks_of_a_customer_make_one_per_type_described_by_the_latest_step() -> None:
    welcome, thirty, sixty, collections = (
        group("welcome"),
        group("past-due-30", 1),
        group("past-due-60", 2),
        group("collections", 3),
    )

    _, tasks = customer_outputs([welcome, thirty, sixty, collections])

    assert [(t.lead.step.name, [g.step.name for g in t.groups]) for t in tasks] == [
        ("past-due-60", ["welcome", "past-due-30", "past-due-60"]),
        ("collections", ["collections"]),
    ]


def test_groups_are_gathered_by_customer_in_the_order_customers_first_appear() -> None:
    a, b, c = group("past-due-30", 1, customer=2), group("past-due-30", 2, customer=1), group("courtesy", 3, customer=2)

    assert by_customer([a, b, c]) == [[a, c], [b]]


def test_a_batch_stored_for_a_worker_reads_back_as_the_same_groups() -> None:
    instalment = DueSubject(
        "standard", "past-due-30", "instalment:7", 2, (11, 12), "Instalment 1 of payment plan 3", None,
        AS_OF - timedelta(days=31), 5000, 2500, "EUR",
    )  # fmt: skip
    step = WORKFLOW.steps[1]
    groups = [
        Group(WORKFLOW, step, 1, (due("past-due-30", 10), due("past-due-30", 11))),
        Group(WORKFLOW, step, 2, (instalment,), one_per_subject=True),
    ]

    assert decode_batch(encode_batch(groups), [WORKFLOW]) == groups


def test_a_stored_group_whose_step_is_gone_from_the_workflow_file_is_left_for_the_next_cycle() -> None:
    groups = [Group(WORKFLOW, WORKFLOW.steps[1], 1, (due("past-due-30", 10),))]
    changed = make_workflow(make_step("courtesy", days=-3, email="courtesy_reminder"))

    assert decode_batch(encode_batch(groups), [changed]) == []


def test_a_days_counts_add_up_from_its_parts_and_its_day_and_kind_stay() -> None:
    day = CycleReport(AS_OF, steps_fired=3, emails_queued=2, tasks_closed=1)
    batch = CycleReport(AS_OF, dry_run=True, steps_fired=4, emails_queued=1, tasks_created=5)

    day.add(batch.summary(planned=False))

    assert (day.steps_fired, day.emails_queued, day.tasks_created, day.tasks_closed) == (7, 3, 5, 1)
    assert (day.as_of, day.dry_run) == (AS_OF, False)
