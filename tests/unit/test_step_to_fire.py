"""Which step of a workflow fires for an invoice on a day (docs/workflows.md):
the latest reached step not yet run; earlier unrun ones are skipped and never fire later, and a step
before the due date never fires once the invoice is late."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from arrears.domain.workflows import Firing, step_to_fire
from tests.unit.builders import PROPERTY, days, make_step, make_workflow

DUE = date(2026, 5, 31)
COURTESY = make_step("courtesy", days=-3, email="courtesy_reminder")
PAST_DUE_30 = make_step("past-due-30", days=30)
PAST_DUE_45 = make_step("past-due-45", days=45)
STANDARD = make_workflow(COURTESY, PAST_DUE_30, PAST_DUE_45)


def test_nothing_fires_before_the_first_step_day() -> None:
    firing = step_to_fire(STANDARD, DUE, done=(), as_of=DUE - days(4))

    assert firing == Firing(None, ())


def test_a_step_before_the_due_date_fires_that_many_days_before_it() -> None:
    firing = step_to_fire(STANDARD, DUE, done=(), as_of=DUE - days(3))

    assert firing == Firing(COURTESY, ())


def test_a_step_before_the_due_date_still_fires_on_the_due_date_if_it_has_not_yet() -> None:
    firing = step_to_fire(STANDARD, DUE, done=(), as_of=DUE)

    assert firing == Firing(COURTESY, ())


def test_a_step_at_day_zero_fires_on_the_due_date_and_not_the_day_before() -> None:
    on_due = make_workflow(make_step("due-today", days=0))

    firings = (step_to_fire(on_due, DUE, (), DUE - days(1)).step, step_to_fire(on_due, DUE, (), DUE).step)

    assert firings == (None, on_due.steps[0])


def test_a_step_fires_on_its_exact_day() -> None:
    firing = step_to_fire(STANDARD, DUE, done={"courtesy"}, as_of=DUE + days(30))

    assert firing == Firing(PAST_DUE_30, ())


def test_a_step_does_not_fire_the_day_before_its_day() -> None:
    firing = step_to_fire(STANDARD, DUE, done={"courtesy"}, as_of=DUE + days(29))

    assert firing == Firing(None, ())


def test_a_step_that_fired_does_not_fire_again_the_next_day() -> None:
    firing = step_to_fire(STANDARD, DUE, done={"courtesy", "past-due-30"}, as_of=DUE + days(31))

    assert firing == Firing(None, ())


def test_the_step_days_count_across_a_month_end() -> None:
    due = date(2026, 1, 31)

    firing = step_to_fire(STANDARD, due, done={"courtesy"}, as_of=date(2026, 3, 2))  # 30 days later

    assert firing.step == PAST_DUE_30


def test_steps_listed_in_any_order_in_the_file_fire_by_their_days() -> None:
    reversed_file = make_workflow(PAST_DUE_45, PAST_DUE_30, COURTESY)

    firing = step_to_fire(reversed_file, DUE, done=(), as_of=DUE + days(50))

    assert firing == Firing(PAST_DUE_45, (COURTESY, PAST_DUE_30))


def test_a_workflow_of_event_steps_only_never_fires_by_date() -> None:
    welcome = make_workflow(make_step("welcome", on="customer_created", email="welcome"))

    firing = step_to_fire(welcome, DUE, done=(), as_of=DUE + days(100))

    assert firing == Firing(None, ())


def test_steps_done_that_the_workflow_no_longer_has_change_nothing() -> None:
    done = {"courtesy", "past-due-15"}  # past-due-15 was removed from the file since it ran

    firing = step_to_fire(STANDARD, DUE, done=done, as_of=DUE + days(30))

    assert firing == Firing(PAST_DUE_30, ())


def test_a_step_recorded_as_skipped_never_fires_later() -> None:
    first = step_to_fire(STANDARD, DUE, done=(), as_of=DUE + days(45))
    done = {step.name for step in first.skipped} | {"past-due-45"}

    later = step_to_fire(STANDARD, DUE, done=done, as_of=DUE + days(90))

    assert [step.name for step in first.skipped] == ["courtesy", "past-due-30"]
    assert later == Firing(None, ())


def test_a_step_before_the_due_date_is_not_caught_up_once_the_invoice_is_late() -> None:
    firing = step_to_fire(STANDARD, DUE, done=(), as_of=DUE + days(1))

    assert firing == Firing(None, (COURTESY,))  # recorded as skipped: never sent about a late invoice


def test_a_late_invoice_fires_its_latest_past_due_step_and_skips_the_courtesy_step() -> None:
    firing = step_to_fire(STANDARD, DUE, done=(), as_of=DUE + days(31))

    assert firing == Firing(PAST_DUE_30, (COURTESY,))


def test_of_two_steps_before_the_due_date_the_later_fires_on_the_due_date() -> None:
    early = make_step("early", days=-7)
    workflow = make_workflow(early, COURTESY)

    firing = step_to_fire(workflow, DUE, done=(), as_of=DUE)

    assert firing == Firing(COURTESY, (early,))


# -- properties ----------------------------------------------------------------------------------

step_days = st.lists(st.integers(min_value=-30, max_value=120), min_size=1, max_size=6, unique=True)


@PROPERTY
@given(step_days, st.data(), st.integers(min_value=-40, max_value=150))
def test_the_step_that_fires_is_the_latest_reached_not_yet_done(
    offsets: list[int], data: st.DataObject, past_due: int
) -> None:
    workflow = make_workflow(*(make_step(f"d{n}", days=n) for n in offsets))
    done = data.draw(st.sets(st.sampled_from([f"d{n}" for n in offsets])))

    firing = step_to_fire(workflow, DUE, done, DUE + days(past_due))

    waiting = sorted(n for n in offsets if n <= past_due and f"d{n}" not in done)
    eligible = [n for n in waiting if past_due <= 0 or n > 0]  # a late invoice: no step before its due date
    fired = None if firing.step is None else firing.step.days
    assert fired == (eligible[-1] if eligible else None)
    assert sorted(step.days or 0 for step in firing.skipped) == [n for n in waiting if n != fired]


@PROPERTY
@given(step_days, st.lists(st.integers(min_value=-40, max_value=150), min_size=1, max_size=8))
def test_day_after_day_each_step_fires_or_is_skipped_once_and_in_order(
    offsets: list[int], cycle_days: list[int]
) -> None:
    workflow = make_workflow(*(make_step(f"d{n}", days=n) for n in offsets))
    done: list[str] = []
    fired: list[int] = []

    for past_due in sorted(cycle_days):
        firing = step_to_fire(workflow, DUE, done, DUE + days(past_due))
        done += [step.name for step in firing.skipped]
        if firing.step is not None:
            done.append(firing.step.name)
            fired.append(firing.step.days or 0)

    assert len(done) == len(set(done))
    assert fired == sorted(fired)


@PROPERTY
@given(step_days, st.integers(min_value=-40, max_value=150))
def test_running_the_same_day_again_fires_nothing(offsets: list[int], past_due: int) -> None:
    workflow = make_workflow(*(make_step(f"d{n}", days=n) for n in offsets))
    first = step_to_fire(workflow, DUE, (), DUE + days(past_due))
    done = [step.name for step in (*first.skipped, *([first.step] if first.step else []))]

    again = step_to_fire(workflow, DUE, done, DUE + days(past_due))

    assert again == Firing(None, ())
