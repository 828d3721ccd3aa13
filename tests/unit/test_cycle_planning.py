"""The cycle's decisions that need no database: which step fires for each subject, which earlier
ones are skipped, one group per customer and step, and batches of whole customers."""

from __future__ import annotations

from datetime import date, timedelta

from arrears.services.automation_ports import DueSubject, Recipient
from arrears.services.cycle.planning import Group, batches, claims, invoice_ids, plan_steps, skips_without_address
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
