"""The workflows page's preview of a day's cycle (`workflows.preview_cycle`), on SQLite and PostgreSQL:
a day after the next cycle's shows that day's cycle as if the cycles of the days before it had run
(each step on its own day, not every step in between lumped into it), and writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, text

from arrears.adapters.rendering import Templates
from arrears.domain.errors import InvalidValue
from arrears.domain.workflows import parse_workflows
from arrears.services import cycle, workflows
from tests.integration.test_cycle import Outbox
from tests.ledger import customer, invoice
from tests.workspace import TODAY, Desk

WEEKLY = parse_workflows(
    """
[[workflow]]
name = "weekly"

[[workflow.step]]
name = "past-due-7"
days = 7
email = "past_due"
task = { type = "call", due_in_days = 2 }

[[workflow.step]]
name = "past-due-14"
days = 14
email = "past_due"
task = { type = "call", due_in_days = 2 }
""",
    "test.toml",
)


def mailer() -> cycle.Mailer:
    return cycle.Mailer(Templates(company="Northwind"), Outbox(), "ar@northwind.example")


def row_counts(desk: Desk) -> dict[str, int]:
    with desk.arrears.engine.connect() as connection:
        names = inspect(connection).get_table_names()
        return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def preview(desk: Desk, day: date, today: date = TODAY) -> workflows.CyclePreview:
    with desk.arrears.dry_run() as uow_factory:
        return workflows.preview_cycle(uow_factory, desk["morgan"], WEEKLY, mailer(), day, today=today)


@pytest.fixture
def acme(desk: Desk) -> Desk:
    """Acme with one invoice due today: its +7 step falls on TODAY + 7, its +14 step on TODAY + 14."""
    desk.ledger.load("customers", [customer("C1", "Acme Ltd", collector="maria", email="ap@acme.example")])
    desk.ledger.load("invoices", [invoice("I1", "C1", due=TODAY, amount="100.00")])
    return desk


def test_previewing_the_fourteenth_day_shows_only_the_fourteen_day_step(acme: Desk) -> None:
    before = row_counts(acme)

    shown = preview(acme, TODAY + timedelta(days=14))

    report = shown.report
    assert [(item.kind, item.step, item.invoices) for item in report.planned] == [
        ("email", "past-due-14", ["I1"]),
        ("task", "past-due-14", ["I1"]),
    ]
    assert (report.steps_fired, report.steps_skipped) == (1, 0)  # the +7 step fired on its own day
    assert shown.assumed == tuple(TODAY + timedelta(days=n) for n in range(14))
    # The +7 day's call task is still open (nobody completed it): the +14 step joins it.
    assert report.planned[1].joins_task is not None
    assert shown.opened_on == {("C1", "call"): TODAY + timedelta(days=7)}
    assert row_counts(acme) == before


def test_previewing_the_seventh_day_shows_the_seven_day_step(acme: Desk) -> None:
    before = row_counts(acme)

    shown = preview(acme, TODAY + timedelta(days=7))

    assert [(item.kind, item.step) for item in shown.report.planned] == [
        ("email", "past-due-7"),
        ("task", "past-due-7"),
    ]
    assert shown.report.planned[1].joins_task is None and shown.opened_on == {}
    assert len(shown.assumed) == 7
    assert row_counts(acme) == before


def test_the_next_cycles_day_is_the_plain_dry_run_with_its_catch_up(acme: Desk) -> None:
    twentieth = TODAY + timedelta(days=20)
    acme.travel(twentieth)  # no cycle ran: today's catches up

    shown = preview(acme, twentieth, today=twentieth)

    assert shown.assumed == ()
    assert [item.step for item in shown.report.planned] == ["past-due-14", "past-due-14"]
    assert shown.report.steps_skipped == 1  # the +7 step, passed while no cycle ran


def test_the_days_after_the_last_real_cycle_are_the_ones_assumed(acme: Desk) -> None:
    seventh = TODAY + timedelta(days=7)
    acme.travel(seventh)
    cycle.run_cycle(acme.arrears.uow, WEEKLY, mailer(), seventh)  # today's cycle ran for real

    shown = preview(acme, TODAY + timedelta(days=14), today=seventh)

    assert shown.assumed == tuple(seventh + timedelta(days=n) for n in range(1, 7))
    assert [item.step for item in shown.report.planned] == ["past-due-14", "past-due-14"]
    assert shown.opened_on == {}  # it joins the real call task of the seventh day
    assert shown.report.planned[1].joins_task is not None


def test_a_day_too_far_ahead_is_refused(acme: Desk) -> None:
    with pytest.raises(InvalidValue, match="at most 31 days"):
        preview(acme, TODAY + timedelta(days=workflows.MAX_DAYS_BEFORE + 1))
