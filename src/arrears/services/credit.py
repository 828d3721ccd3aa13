"""Credit: a customer's limit against what it owes, its newest score, its credit hold and its reviews
(`arrears credit hold|release`, `arrears report credit`), and the daily cycle's credit phase, which
raises each alert once per crossing, opens a credit-report task when a review falls due, and stores
each customer's behavioural score once a month (domain/credit.py says how it is computed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from ..domain import credit as rules
from ..domain.alerts import AlertKind
from ..domain.audit import Actor
from ..domain.credit import CreditFlag, Crossing, History
from ..domain.errors import InvalidValue
from ..domain.money import format_minor
from ..domain.permissions import Action, require
from ..domain.users import User
from .credit_ports import CREDIT_ORDERS, CreditRow, ScoreRow
from .ports import UnitOfWork
from .tasks import customer_named, record_audit
from .workspace_ports import NewAlert

UowFactory = Callable[[], UnitOfWork]
BATCH = 5000  # customers per transaction of the credit phase's writes
NO_HISTORY = History(0, 0, 0, 0, 0, 0)
HISTORY_DAYS = 365  # the behavioural score reads the invoices paid in this many days before the day
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class CreditPolicy:
    """ARREARS_CREDIT_SCORE_ALERT_BELOW, ARREARS_CREDIT_REVIEW_DAYS, ARREARS_CREDIT_LIMIT_ALERTS."""

    score_alert_below: int = 40
    review_days: int = 365
    limit_levels: tuple[int, ...] = (100,)

    @classmethod
    def parse(cls, score_alert_below: int, review_days: int, limit_alerts: str) -> CreditPolicy:
        if not 0 <= score_alert_below <= 100:
            raise InvalidValue("ARREARS_CREDIT_SCORE_ALERT_BELOW is a percent, 0 to 100")
        if not 1 <= review_days <= 3660:
            raise InvalidValue("ARREARS_CREDIT_REVIEW_DAYS is a number of days, 1 to 3660")
        try:
            levels = tuple(sorted({int(part) for part in limit_alerts.split(",") if part.strip()}))
        except ValueError:
            raise InvalidValue("ARREARS_CREDIT_LIMIT_ALERTS lists percents of the limit, e.g. 80,90,100") from None
        if not levels or any(not 1 <= level <= 100 for level in levels):
            raise InvalidValue("ARREARS_CREDIT_LIMIT_ALERTS lists percents of the limit from 1 to 100, e.g. 80,90,100")
        return cls(score_alert_below, review_days, levels)


class CreditLine(NamedTuple):
    """One customer in `arrears report credit` (and the credit page). A named tuple: the report makes
    one per customer of the portfolio, and a tuple is made several times faster than a frozen
    dataclass (which sets each field through object.__setattr__)."""

    customer_id: int
    external_id: str
    name: str
    currency: str
    credit_limit_minor: int | None
    exposure_minor: int
    available_minor: int | None  # limit − exposure; None without a limit
    score: int | None
    max_score: int | None
    score_date: date | None
    score_source: str | None
    behavioural_score: int | None  # the newest Arrears computed (0-100), beside the one that counts
    credit_hold: bool
    hold_note: str | None
    next_review_date: date | None
    flags: tuple[CreditFlag, ...]

    def document(self) -> dict[str, object]:
        """The contract's fields (and the score's source and the behavioural score), money as decimal strings."""
        currency, limit, available = self.currency, self.credit_limit_minor, self.available_minor
        score_date, review = self.score_date, self.next_review_date
        return {
            "external_id": self.external_id,
            "name": self.name,
            "currency": currency,
            "credit_limit": None if limit is None else format_minor(limit, currency),
            "exposure": format_minor(self.exposure_minor, currency),
            "available": None if available is None else format_minor(available, currency),
            "score": self.score,
            "max_score": self.max_score,
            "score_date": score_date.isoformat() if score_date else None,
            "score_source": self.score_source,
            "behavioural_score": self.behavioural_score,
            "credit_hold": self.credit_hold,
            "next_review_date": review.isoformat() if review else None,
            "flags": [FLAG_NAMES[flag] for flag in self.flags],
        }


FLAG_NAMES = {flag: flag.value for flag in CreditFlag}  # a plain str for each flag, for JSON and the API


def line(row: CreditRow, policy: CreditPolicy, as_of: date) -> CreditLine:
    limit, exposure = row.limit_minor, row.exposure_minor
    low = rules.score_low(row.score, row.max_score, policy.score_alert_below)
    review = rules.next_review(row.last_review, row.reported_on, policy.review_days, low)
    return CreditLine(
        row.customer_id,
        row.external_id,
        row.name,
        row.currency,
        limit,
        exposure,
        None if limit is None else limit - exposure,
        row.score,
        row.max_score,
        row.score_date,
        row.score_source,
        row.behavioural_score,
        row.credit_hold,
        row.hold_note,
        review,
        rules.flags(exposure_minor=exposure, limit_minor=limit, low=low, review_on=review, as_of=as_of),
    )


def report(uow_factory: UowFactory, policy: CreditPolicy, as_of: date) -> Iterator[CreditLine]:
    """Every customer's credit line, in the order they were added: one statement, each line made as
    its row arrives (the unit of work stays open until the last is read, or the iterator closed)."""
    with uow_factory() as uow:
        for row in uow.credit.every_credit_row():
            yield line(row, policy, as_of)


def customer_credit(uow: UnitOfWork, user: User, external_id: str, policy: CreditPolicy) -> CreditLine:
    """One customer's credit line (the customer record's credit panel)."""
    require(user, Action.READ)
    with uow:
        customer = customer_named(uow, external_id)
        [row] = uow.credit.credit_rows(after_id=customer.id - 1, limit=1, external_id=external_id)
        return line(row, policy, uow.clock.today())


@dataclass(frozen=True, slots=True)
class CreditPage:
    lines: list[CreditLine]
    next_offset: int | None
    currencies: list[str]


def credit_page(
    uow: UnitOfWork,
    user: User,
    policy: CreditPolicy,
    *,
    sort: str = "-exposure",
    currency: str | None = None,
    flagged: bool = False,
    on_hold: bool = False,
    over_limit: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> CreditPage:
    """A page of the credit page: customers sorted and filtered in SQL. "Flagged" selects the
    customers with any flag: over their limit, their score below the threshold, or their review
    due today."""
    require(user, Action.READ)
    if sort not in CREDIT_ORDERS:
        raise InvalidValue(f"sort by one of {', '.join(CREDIT_ORDERS)}")
    with uow:
        today = uow.clock.today()
        rows, next_offset = uow.credit.credit_page(
            order=sort,
            currency=currency or None,
            on_hold=on_hold,
            over_limit=over_limit,
            flagged_below=policy.score_alert_below if flagged else None,
            review_due_by=rules.review_due_by(today, policy.review_days, poor=False) if flagged else None,
            poor_review_due_by=rules.review_due_by(today, policy.review_days, poor=True) if flagged else None,
            limit=limit,
            offset=offset,
        )
        return CreditPage([line(row, policy, today) for row in rows], next_offset, uow.credit.currencies())


@dataclass(frozen=True, slots=True)
class ScorePart:
    name: str
    points: str  # lost, as stored ("12.5")
    why: str


@dataclass(frozen=True, slots=True)
class CreditPanel:
    """The customer record's credit panel: its line, the behavioural score's why and parts, who put
    it on hold and when, and its scores over time (oldest first)."""

    line: CreditLine
    why: str | None
    parts: list[ScorePart]
    hold_at: datetime | None
    hold_by: str | None
    history: list[ScoreRow]


def credit_panel(
    uow: UnitOfWork, user: User, external_id: str, policy: CreditPolicy, *, history: int = 36
) -> CreditPanel:
    require(user, Action.READ)
    with uow:
        customer = customer_named(uow, external_id)
        [row] = uow.credit.credit_rows(after_id=customer.id - 1, limit=1, external_id=external_id)
        scores = uow.credit.score_history(customer.id, history)
        hold_at, hold_by = uow.credit.hold_detail(customer.id)
        today = uow.clock.today()
    why, parts = _explained(next((s for s in reversed(scores) if s.explanation), None))
    return CreditPanel(line(row, policy, today), why, parts, hold_at, hold_by, scores)


def _explained(score: ScoreRow | None) -> tuple[str | None, list[ScorePart]]:
    """The why and the parts of a computed score's explanation (JSON); nothing when unreadable."""
    if score is None or not score.explanation:
        return None, []
    try:
        found = json.loads(score.explanation)
        parts = [ScorePart(str(p["name"]), str(p["points"]), str(p["why"])) for p in found.get("parts", [])]
        return (str(found["why"]) if found.get("why") else None), parts
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, []


# -- hold --------------------------------------------------------------------------------------------


def hold(uow: UnitOfWork, user: User, external_id: str, note: str | None = None) -> bool:
    """Put the customer on credit hold (managers and owners); False when it was on hold already."""
    return _set_hold(uow, user, external_id, True, note)


def release(uow: UnitOfWork, user: User, external_id: str, note: str | None = None) -> bool:
    """Release the customer's credit hold; False when it was not on hold."""
    return _set_hold(uow, user, external_id, False, note)


def _set_hold(uow: UnitOfWork, user: User, external_id: str, on: bool, note: str | None) -> bool:
    require(user, Action.WRITE_LEDGER)
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidValue(f"a note has at most {MAX_NOTE:,} characters")
    with uow:
        customer = customer_named(uow, external_id)
        [row] = uow.credit.credit_rows(after_id=customer.id - 1, limit=1, external_id=external_id)
        if row.credit_hold == on:
            return False
        uow.credit.set_hold(customer.id, on, text or None, Actor.of(user).user_id, uow.clock.now())
        said = f": {text}" if text else ""
        summary = f"Credit hold set{said}" if on else f"Credit hold released{said}"
        record_audit(
            uow, user, "customer", customer.id, "credit_hold" if on else "credit_release", summary, customer.id
        )
        uow.commit()
    return True


# -- the cycle's credit phase ------------------------------------------------------------------------


@dataclass
class CreditRun:
    alerts_raised: int = 0
    alerts_closed: int = 0
    review_tasks: int = 0
    scores_computed: int = 0


def run_credit_phase(uow_factory: UowFactory, policy: CreditPolicy, as_of: date, *, batch: int = BATCH) -> CreditRun:
    """On the first cycle of a month, the month's behavioural scores; then alerts once per crossing
    and review tasks, for the customers whose state moves or whose review falls due, `batch` of them
    per transaction."""
    run = CreditRun()
    month = as_of.replace(day=1)
    with uow_factory() as uow:
        done = uow.credit.computed_since(month)
    if not done:  # first, so that today's alerts read this month's scores
        run.scores_computed = compute_scores(uow_factory, month, as_of, batch=batch)
    # Only the customers whose state moves or whose review falls due (one statement): on most days
    # a handful; the rules below decide on each of them.
    with uow_factory() as uow:
        rows = uow.credit.credit_changes(
            score_below=policy.score_alert_below,
            limit_levels=policy.limit_levels,
            review_due_by=rules.review_due_by(as_of, policy.review_days, poor=False),
            poor_review_due_by=rules.review_due_by(as_of, policy.review_days, poor=True),
        )
    for start in range(0, len(rows), batch):
        with uow_factory() as uow:
            _alerts_and_reviews(uow, rows[start : start + batch], policy, as_of, run)
            uow.commit()
    return run


def _alerts_and_reviews(
    uow: UnitOfWork, rows: Sequence[CreditRow], policy: CreditPolicy, as_of: date, run: CreditRun
) -> None:
    """Decide for each customer of the batch, then write the batch's alerts, states and review
    tasks in a few statements."""
    now = uow.clock.now()
    states: list[tuple[int, bool, int]] = []
    closing: list[str] = []
    raising: list[NewAlert] = []
    reviews: list[tuple[int, int | None, str]] = []
    for row in rows:
        low = rules.score_low(row.score, row.max_score, policy.score_alert_below)
        level = rules.limit_level(row.exposure_minor, row.limit_minor, policy.limit_levels)
        score_key, limit_key = f"credit_score:{row.customer_id}", f"credit_limit:{row.customer_id}"
        score_move, limit_move = rules.crossing(row.was_low, low), rules.level_crossing(row.was_level, level)
        if score_move is Crossing.RAISED:
            assert row.score is not None
            scale = f" of {row.max_score}" if row.max_score else ""
            message = (
                f"{row.name}'s credit score is {row.score}{scale} ({row.score_date}), below "
                f"{policy.score_alert_below}% of its scale"
            )
            raising.append(_alert(AlertKind.CREDIT_SCORE_LOW, score_key, message, row))
        elif score_move is Crossing.CLEARED:
            closing.append(score_key)
        if limit_move is Crossing.RAISED:
            assert row.limit_minor is not None
            owed = f"{format_minor(row.exposure_minor, row.currency)} {row.currency}"
            limit = f"{format_minor(row.limit_minor, row.currency)} {row.currency}"
            what = "over its credit limit" if level >= 100 else f"at {level}% of its credit limit"
            if row.was_level:
                closing.append(limit_key)  # a higher level replaces the lower one's alert
            raising.append(_alert(AlertKind.CREDIT_LIMIT, limit_key, f"{row.name} owes {owed}, {what} of {limit}", row))
        elif limit_move is Crossing.CLEARED:
            closing.append(limit_key)
        if (low, level) != (row.was_low, row.was_level):
            states.append((row.customer_id, low, level))
        review = rules.next_review(row.last_review, row.reported_on, policy.review_days, low)
        if review is not None and review <= as_of and not row.review_open:
            reviews.append((row.customer_id, row.collector_id, _review_description(row, review)))
    if closing:
        run.alerts_closed += uow.alerts.close_alerts(closing, now)
    if raising:
        run.alerts_raised += uow.alerts.raise_alerts(raising, now)
    run.review_tasks += uow.credit.add_review_tasks(reviews, as_of, now)
    uow.credit.save_states(states, now)


def _alert(kind: AlertKind, key: str, message: str, row: CreditRow) -> NewAlert:
    """For the customer's collector (and the managers, who see every alert)."""
    return NewAlert(kind.value, key, message, row.customer_id, None, row.collector_id)


def _review_description(row: CreditRow, review: date) -> str:
    newest = f" (newest score {row.score} of {row.max_score or 100}, {row.score_date})" if row.score is not None else ""
    return f"Credit review due since {review}: get a credit report{newest}"


def compute_scores(uow_factory: UowFactory, day: date, as_of: date, *, batch: int = BATCH) -> int:
    """Store every customer's behavioural score dated `day` (source `arrears`), from its history up
    to `as_of` (summed in SQL, one statement): the portfolio's mean lateness first, then each
    customer's score, stored `batch` per transaction; how many were computed."""
    since = as_of - timedelta(days=HISTORY_DAYS)
    # Every customer's sums in one statement: over the whole ledger the database scans each table
    # once, where batches of customers each read their part through the indexes (slower in all).
    with uow_factory() as uow:
        ids = uow.credit.customer_ids(after_id=0, limit=None)
        found = uow.credit.histories(ids[0], ids[-1], since, as_of) if ids else {}
        broken = uow.credit.broken_promises(ids[0], ids[-1], since) if ids else {}
    histories = {customer_id: found.get(customer_id, NO_HISTORY) for customer_id in ids}
    amount = sum(h.amount_minor for h in histories.values())
    portfolio = Decimal(sum(h.weighted_days_late for h in histories.values())) / amount if amount else Decimal(0)
    mean = str(portfolio.quantize(Decimal("0.1")))
    encode = json.JSONEncoder(ensure_ascii=False).encode

    def store(scores: list[tuple[int, date, int, str]]) -> None:
        with uow_factory() as uow:
            uow.credit.add_scores(scores, uow.clock.now())
            uow.commit()

    # Each batch is stored in a second thread while the next one is computed: the database writes
    # one while Python works out the other (the driver lets go of the interpreter while it waits).
    ids = list(histories)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="credit-scores") as writer:
        stored: Future[None] | None = None
        for start in range(0, len(ids), batch):
            scores = []
            for customer_id in ids[start : start + batch]:
                score = rules.behavioural_score(histories[customer_id], broken.get(customer_id, 0), portfolio)
                explanation = {
                    "why": score.why(),
                    "parts": [{"name": p.name, "points": str(p.points), "why": p.why} for p in score.parts],
                    "portfolio_days_late": mean,
                }
                scores.append((customer_id, day, score.score, encode(explanation)))
            if stored is not None:
                stored.result()  # one batch written at a time; its error, if any, stops here
            stored = writer.submit(store, scores)
        if stored is not None:
            stored.result()
    # The same lateness, in whole days, is what the task list's priority reads (domain/worklist.py).
    with uow_factory() as uow:
        uow.balances.set_days_late(
            {customer_id: days_late(histories[customer_id], portfolio) for customer_id in ids}, as_of
        )
        uow.commit()
    return len(ids)


def days_late(history: History, portfolio: Decimal) -> int:
    """The behavioural score's lateness (shrunk toward the portfolio's mean), in whole days."""
    return int(rules.shrunk(history.days_late(), history.counted, portfolio).to_integral_value(ROUND_HALF_UP))
