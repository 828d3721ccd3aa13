"""Credit on SQLite and PostgreSQL: the report's lines and flags, the cycle's credit phase (alerts
once per crossing that close when the condition ends, a review task once per period, the month's
behavioural scores once), and credit hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain import credit as rules
from arrears.domain.credit import History, InvoiceHistory
from arrears.domain.errors import PermissionDenied
from arrears.services import credit, tasks
from arrears.services.credit import CreditPolicy
from tests.ledger import credit_score, customer, invoice, payment
from tests.workspace import TODAY, Desk

POLICY = CreditPolicy(score_alert_below=40, review_days=365, limit_levels=(80, 100))


@pytest.fixture
def book(desk: Desk, db_url: str) -> Iterator[Arrears]:
    """Acme (C1, Maria's): limit 1,000.00, owes 900.00 (90 %), a bureau score of 300 of 850 (35 %)
    400 days old. Beta (C2): no limit, a good score 10 days old. Gamma (C3): nothing known."""
    desk.ledger.load(
        "customers",
        [
            customer("C1", "Acme Ltd", collector="maria", credit_limit="1000.00"),
            customer("C2", "Beta GmbH", collector="sam"),
            customer("C3", "Gamma SA"),
        ],
    )
    desk.ledger.load(
        "invoices",
        [
            invoice("I1", "C1", due=TODAY - timedelta(days=40), amount="900.00"),
            invoice("I2", "C1", due=TODAY - timedelta(days=100), amount="500.00"),
            invoice("B1", "C2", due=TODAY - timedelta(days=60), amount="200.00"),
        ],
    )
    desk.ledger.load(
        "payments",
        [
            payment("P1", "C1", invoice="I2", on=TODAY - timedelta(days=70), amount="500.00"),
            payment("P2", "C2", invoice="B1", on=TODAY - timedelta(days=58), amount="200.00"),
        ],
    )
    desk.ledger.load(
        "credit-scores",
        [
            credit_score("C1", on=TODAY - timedelta(days=400), score=300, max_score="850", source="bureau"),
            credit_score("C2", on=TODAY - timedelta(days=10), score=780, max_score="850", source="bureau"),
        ],
    )
    app = bootstrap(Settings(database_url=db_url), desk.clock)
    yield app
    app.close()


def lines(app: Arrears, day: date = TODAY) -> dict[str, credit.CreditLine]:
    return {line.external_id: line for line in credit.report(app.uow, POLICY, day)}


def open_alerts(desk: Desk, kind: str) -> list[str]:
    a = t.alerts
    with desk.arrears.engine.connect() as connection:
        return list(connection.execute(select(a.c.key).where(a.c.kind == kind, a.c.status == "open")).scalars())


def test_the_report_gives_each_customer_its_limit_exposure_score_review_and_flags(desk: Desk, book: Arrears) -> None:
    found = lines(book)

    acme = found["C1"].document()
    assert acme == {
        "external_id": "C1",
        "name": "Acme Ltd",
        "currency": "USD",
        "credit_limit": "1000.00",
        "exposure": "900.00",
        "available": "100.00",
        "score": 300,
        "max_score": 850,
        "score_date": (TODAY - timedelta(days=400)).isoformat(),
        "score_source": "bureau",
        "behavioural_score": None,
        "credit_hold": False,
        "next_review_date": (TODAY - timedelta(days=310)).isoformat(),  # a low score: 90 days
        "flags": ["score_below_threshold", "review_due"],
    }
    assert found["C2"].flags == ()
    assert found["C2"].available_minor is None
    assert found["C3"].document()["next_review_date"] is None


def test_the_cycle_raises_each_credit_alert_once_and_closes_it_when_the_condition_ends(
    desk: Desk, book: Arrears
) -> None:
    first = credit.run_credit_phase(book.uow, POLICY, TODAY)
    again = credit.run_credit_phase(book.uow, POLICY, TODAY + timedelta(days=1))

    assert first.alerts_raised == 2  # Acme: score low, 90 % of the limit
    assert again.alerts_raised == 0
    assert len(open_alerts(desk, "credit_score_low")) == 1
    assert len(open_alerts(desk, "credit_limit")) == 1

    desk.ledger.load("payments", [payment("P3", "C1", invoice="I1", on=TODAY, amount="900.00")])
    desk.ledger.load("credit-scores", [credit_score("C1", on=TODAY, score=700, max_score="850", source="bureau")])
    cleared = credit.run_credit_phase(book.uow, POLICY, TODAY + timedelta(days=2))

    assert cleared.alerts_closed == 2
    assert open_alerts(desk, "credit_score_low") == open_alerts(desk, "credit_limit") == []


def test_going_over_the_limit_after_a_warning_raises_a_new_alert_in_place_of_the_warning(
    desk: Desk, book: Arrears
) -> None:
    credit.run_credit_phase(book.uow, POLICY, TODAY)
    desk.ledger.load("invoices", [invoice("I3", "C1", due=TODAY, amount="200.00")])

    run = credit.run_credit_phase(book.uow, POLICY, TODAY + timedelta(days=1))

    assert run.alerts_raised == 1
    a = t.alerts
    with desk.arrears.engine.connect() as connection:
        messages = list(
            connection.execute(select(a.c.message).where(a.c.kind == "credit_limit", a.c.status == "open")).scalars()
        )
    assert len(messages) == 1 and "over its credit limit" in messages[0]


def test_a_review_due_opens_one_credit_report_task_for_the_collector_until_it_is_done(
    desk: Desk, book: Arrears
) -> None:
    run = credit.run_credit_phase(book.uow, POLICY, TODAY)
    again = credit.run_credit_phase(book.uow, POLICY, TODAY + timedelta(days=1))

    assert (run.review_tasks, again.review_tasks) == (1, 0)
    [task] = desk.mine("maria", types=("get_credit_report",))
    assert task.customer_external_id == "C1"
    assert "Credit review due since" in task.description

    tasks.complete_task(book.uow(), desk["maria"], task.id, note="report ordered")
    # done today: the next review is 90 days on (the score is still low), not tomorrow
    assert credit.run_credit_phase(book.uow, POLICY, TODAY + timedelta(days=2)).review_tasks == 0
    assert lines(book, TODAY)["C1"].next_review_date == TODAY + timedelta(days=90)


def test_the_months_behavioural_scores_are_stored_once_with_their_explanation(desk: Desk, book: Arrears) -> None:
    first = credit.run_credit_phase(book.uow, POLICY, TODAY - timedelta(days=1))
    later = credit.run_credit_phase(book.uow, POLICY, TODAY)  # the same month
    next_month = credit.run_credit_phase(book.uow, POLICY, TODAY + timedelta(days=1))

    assert (first.scores_computed, later.scores_computed, next_month.scores_computed) == (3, 0, 3)
    s = t.credit_scores
    with desk.arrears.engine.connect() as connection:
        rows = connection.execute(
            select(s.c.customer_id, s.c.date, s.c.score, s.c.explanation).where(s.c.source == "arrears")
        ).all()
    assert {row.date for row in rows} == {TODAY.replace(day=1), TODAY.replace(day=1) + timedelta(days=30)}
    why = {row.customer_id: json.loads(row.explanation) for row in rows}
    assert all(set(w) == {"why", "parts", "portfolio_days_late"} for w in why.values())
    assert [part["name"] for part in next(iter(why.values()))["parts"]] == [
        "lateness",
        "late_share",
        "broken_promises",
        "days_past_due",
    ]


def test_the_stored_scores_are_the_domains_with_their_explanation_byte_for_byte(desk: Desk, book: Arrears) -> None:
    """PostgreSQL stores them by COPY, SQLite by executemany: the rows are the same on both."""
    month = TODAY.replace(day=1)
    acme = History.of([InvoiceHistory(500_00, 30, True), InvoiceHistory(900_00, 40, False)])
    beta = History.of([InvoiceHistory(200_00, 2, True)])
    portfolio = Decimal(acme.weighted_days_late + beta.weighted_days_late) / (acme.amount_minor + beta.amount_minor)

    stored = credit.compute_scores(book.uow, month, TODAY, batch=2)

    assert stored == 3
    expected = {}
    for name, history in (("Acme Ltd", acme), ("Beta GmbH", beta), ("Gamma SA", credit.NO_HISTORY)):
        score = rules.behavioural_score(history, 0, portfolio)
        why = {
            "why": score.why(),
            "parts": [{"name": p.name, "points": str(p.points), "why": p.why} for p in score.parts],
            "portfolio_days_late": str(portfolio.quantize(Decimal("0.1"))),
        }
        expected[name] = (month, score.score, 100, "arrears", json.dumps(why, ensure_ascii=False), desk.clock.now())
    s, c = t.credit_scores, t.customers
    with desk.arrears.engine.connect() as connection:
        rows = connection.execute(
            select(c.c.name, s.c.date, s.c.score, s.c.max_score, s.c.source, s.c.explanation, s.c.created_at)
            .join(c, c.c.id == s.c.customer_id)
            .where(s.c.source == "arrears")
        ).all()
    assert {row[0]: tuple(row[1:]) for row in rows} == expected


def test_storing_scores_keeps_one_stored_already_for_that_date(desk: Desk, book: Arrears) -> None:
    month = TODAY.replace(day=1)
    with book.uow() as uow:
        acme, beta = uow.ledger.customer("C1"), uow.ledger.customer("C2")
        assert acme is not None and beta is not None
        uow.credit.add_scores([(acme.id, month, 70, "{}")], uow.clock.now())
        uow.commit()

    with book.uow() as uow:  # twice in one transaction: the second call stages its rows again
        uow.credit.add_scores([(acme.id, month, 10, "{}"), (beta.id, month, 90, "{}")], uow.clock.now())
        uow.credit.add_scores([(beta.id, month, 20, "{}")], uow.clock.now())
        uow.commit()

    s = t.credit_scores
    with desk.arrears.engine.connect() as connection:
        found = dict(connection.execute(select(s.c.customer_id, s.c.score).where(s.c.source == "arrears")).all())
    assert found == {acme.id: 70, beta.id: 90}


def test_credit_hold_is_set_and_released_by_managers_with_the_note_on_the_timeline(desk: Desk, book: Arrears) -> None:
    with pytest.raises(PermissionDenied):
        credit.hold(book.uow(), desk["maria"], "C1", "over limit")

    assert credit.hold(book.uow(), desk["morgan"], "C1", "over limit since May")
    assert not credit.hold(book.uow(), desk["morgan"], "C1")
    assert lines(book)["C1"].credit_hold
    assert credit.release(book.uow(), desk["morgan"], "C1", "paid down")

    assert not lines(book)["C1"].credit_hold
    au = t.audit_log
    with desk.arrears.engine.connect() as connection:
        summaries = list(
            connection.execute(
                select(au.c.summary).where(au.c.action.in_(["credit_hold", "credit_release"])).order_by(au.c.id)
            ).scalars()
        )
    assert summaries == ["Credit hold set: over limit since May", "Credit hold released: paid down"]


def test_the_history_sums_are_those_of_each_invoice_counted_by_the_domains_rule(desk: Desk, book: Arrears) -> None:
    with book.uow() as uow:
        acme = uow.ledger.customer("C1")
        beta = uow.ledger.customer("C2")
        assert acme is not None and beta is not None
        found = uow.credit.histories(min(acme.id, beta.id), max(acme.id, beta.id), TODAY - timedelta(days=365), TODAY)

    # Acme: I2 (500.00) paid 30 days late, I1 (900.00) open 40 days past due
    assert found[acme.id] == History.of([InvoiceHistory(500_00, 30, True), InvoiceHistory(900_00, 40, False)])
    # Beta: B1 (200.00) paid 2 days late
    assert found[beta.id] == History.of([InvoiceHistory(200_00, 2, True)])


def acted_on(app: Arrears, policy: CreditPolicy, day: date) -> set[int]:
    """The customers on which the domain's rules would save a state or open a review, over every row."""
    found = set()
    with app.uow() as uow:
        for row in uow.credit.every_credit_row():
            low = rules.score_low(row.score, row.max_score, policy.score_alert_below)
            level = rules.limit_level(row.exposure_minor, row.limit_minor, policy.limit_levels)
            review = rules.next_review(row.last_review, row.reported_on, policy.review_days, low)
            moved = (low, level) != (row.was_low, row.was_level)
            if moved or (review is not None and review <= day and not row.review_open):
                found.add(row.customer_id)
    return found


def changes(app: Arrears, policy: CreditPolicy, day: date) -> set[int]:
    with app.uow() as uow:
        rows = uow.credit.credit_changes(
            score_below=policy.score_alert_below,
            limit_levels=policy.limit_levels,
            review_due_by=rules.review_due_by(day, policy.review_days, poor=False),
            poor_review_due_by=rules.review_due_by(day, policy.review_days, poor=True),
        )
    assert [row.customer_id for row in rows] == sorted(row.customer_id for row in rows)
    return {row.customer_id for row in rows}


def test_the_daily_pass_reads_exactly_the_customers_the_rules_act_on(desk: Desk, book: Arrears) -> None:
    """The statement that picks them writes the rules in SQL: at the edges of each rule (a limit
    reached exactly, a score on the threshold, no scale, a review done late on the day it falls
    due), on several days and policies, it picks the customers the rules pick, then none."""
    desk.ledger.load(
        "customers",
        [
            customer("C4", "Delta", credit_limit="1000.00"),
            customer("C5", "Epsilon", credit_limit="500.00"),
            customer("C6", "Zeta"),
        ],
    )
    desk.ledger.load(
        "invoices",
        [invoice("D1", "C4", due=TODAY, amount="800.00"), invoice("E1", "C5", due=TODAY, amount="500.00")],
    )
    desk.ledger.load(
        "credit-scores",
        [
            credit_score("C4", on=TODAY - timedelta(days=90), score=39),  # entered: no scale, out of 100
            credit_score("C5", on=TODAY - timedelta(days=365), score=40, max_score="100", source="bureau"),
        ],
    )
    with book.engine.begin() as connection:
        zeta = connection.execute(select(t.customers.c.id).where(t.customers.c.external_id == "C6")).scalar_one()
        done = datetime.combine(TODAY - timedelta(days=365), time(23, 30), UTC)
        connection.execute(
            insert(t.tasks).values(
                customer_id=zeta, type="get_credit_report", due_date=done.date(), status="done", completed_at=done
            )
        )
    policies = [POLICY, CreditPolicy(40, 365, (100,)), CreditPolicy(41, 90, (50, 80, 100)), CreditPolicy(0, 1, (100,))]

    for policy in policies:
        for day in (TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=400)):
            assert changes(book, policy, day) == acted_on(book, policy, day), (policy, day)
    credit.run_credit_phase(book.uow, POLICY, TODAY)

    assert changes(book, POLICY, TODAY) == acted_on(book, POLICY, TODAY) == set()
    assert changes(book, policies[2], TODAY) == acted_on(book, policies[2], TODAY) != set()
