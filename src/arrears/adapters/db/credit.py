"""Customers' credit: figures in batches, the history the behavioural score reads, hold, alert
states and computed scores (services/credit_ports.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ...domain.audit import SYSTEM
from ...domain.credit import History
from ...domain.tasks import TaskSource, TaskStatus, TaskType
from ...services.credit_ports import CreditRow, ScoreRow
from . import tables as t
from .bulk import unnested
from .receivables import exposure as exposure_of
from .receivables import is_open

COMPUTED = "arrears"  # the source of the scores Arrears computes
STREAMED = 5000  # rows fetched at a time by every_credit_row
# add_scores' rows on their way in by COPY (PostgreSQL): a temporary table of its own metadata, so
# that it is never part of the schema (made in the transaction, gone at its commit).
STAGED_SCORES = Table(
    "credit_scores_staged",
    MetaData(),
    Column("customer_id", Integer),
    Column("date", Date),
    Column("score", Integer),
    Column("explanation", Text),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


class SqlCredit:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name

    def credit_rows(self, *, after_id: int, limit: int, external_id: str | None = None) -> list[CreditRow]:
        c = t.customers
        query = self._customers().where(c.c.id > after_id).order_by(c.c.id).limit(limit)
        if external_id is not None:
            query = query.where(c.c.external_id == external_id)
        if external_id is not None:
            return self._credit_rows(self.connection.execute(query).all())
        # A batch is every customer with an id from its first to its last: its figures are read in
        # one statement over that range, which the indexes on customer_id serve at once (an IN
        # list of thousands of ids costs more to send than to run).
        last = self._last_id(after_id, limit)
        if last is None:
            return []
        return self._figures(lambda column: column.between(after_id + 1, last))

    def every_credit_row(self) -> Iterator[CreditRow]:
        """`_figures` of every customer, in id order, from one statement: over the whole portfolio
        the database reads each table once (batches of customers each read their part through the
        indexes, which costs more in all). On PostgreSQL the rows come through a server-side cursor,
        `STREAMED` at a time, so that the caller works on the first while the rest are sent; SQLite's
        cursor reads as it is fetched from anyway."""
        query, _ = self._figures_query(lambda column: true())
        query = query.order_by(t.customers.c.id)
        if self.dialect != "postgresql":
            result = self.connection.execute(query)
            try:
                cursor = result.cursor
                while rows := cursor.fetchmany(STREAMED):
                    yield from map(_sqlite_row, rows)
            finally:
                result.close()
            return
        # psycopg's own named cursor, in the unit of work's transaction (SQLAlchemy's stream_results
        # reads a first row ahead to learn the columns, which the driver's tuples would miss). A
        # cursor's plan is chosen for its first rows (cursor_tuple_fraction 0.1); this one is read to
        # its end, so it is planned for all of them, as the same statement run at once would be.
        compiled = query.compile(dialect=self.connection.dialect)
        self.connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        raw: Any = self.connection.connection.driver_connection
        with raw.cursor(name="every_credit_row") as cursor:
            cursor.execute(str(compiled), compiled.params)
            while rows := cursor.fetchmany(STREAMED):
                yield from map(CreditRow._make, rows)  # each column is of its field's type already

    def _last_id(self, after_id: int, limit: int) -> int | None:
        """The id of the last of the `limit` customers after `after_id` (None: there are none)."""
        c = t.customers
        batch = select(c.c.id).where(c.c.id > after_id).order_by(c.c.id).limit(limit).subquery()
        last = self.connection.execute(select(func.max(batch.c.id))).scalar()
        return None if last is None else int(last)

    def credit_changes(
        self, *, score_below: int, limit_levels: Sequence[int], review_due_by: date, poor_review_due_by: date
    ) -> list[CreditRow]:
        """`_figures` of every customer in one statement, filtered by the domain's rules written in
        SQL (domain/credit.score_low, limit_level, next_review), so that a day on which little
        changes brings back little."""
        query, f = self._figures_query(lambda column: true())
        limit, exposure, score = f["limit"], f["exposure"], f["score"]
        low = _score_low(score, f["max_score"], score_below)
        reached = {
            share: and_(limit > 0, exposure * 100 > share * limit if share >= 100 else exposure * 100 >= share * limit)
            for share in limit_levels
        }
        level = case(*((reached[share], share) for share in sorted(reached, reverse=True)), else_=0)
        moved = or_(
            case((low, 1), else_=0) != case((f["was_low"], 1), else_=0),
            level != f["was_level"],
        )
        due = _review_due(f["last_review"], f["reported"], low, review_due_by, poor_review_due_by)
        return self._fetch(query.where(or_(moved, and_(~f["review_open"], due))).order_by(t.customers.c.id))

    def customer_ids(self, *, after_id: int, limit: int | None) -> list[int]:
        c = t.customers
        query = select(c.c.id).where(c.c.id > after_id).order_by(c.c.id).limit(limit)
        return list(self.connection.execute(query).scalars())

    def credit_page(
        self,
        *,
        order: str,
        currency: str | None = None,
        on_hold: bool = False,
        over_limit: bool = False,
        flagged_below: int | None = None,
        review_due_by: date | None = None,
        poor_review_due_by: date | None = None,
        limit: int,
        offset: int,
    ) -> tuple[list[CreditRow], int | None]:
        """One page of the credit page: the customers in `order` (`credit_ports.CREDIT_ORDERS`),
        filtered; then each row's figures read for the page's ids alone, as `credit_rows` reads them.
        The exposure (receivables.exposure) and the score that counts are joined only when the order
        or a filter reads them."""
        c = t.customers
        owed = exposure_of().subquery("owed")
        exposure = func.coalesce(owed.c.exposure, 0)
        counts = self._counting_scores().subquery("counts")
        percent = counts.c.score * 100.0 / func.coalesce(func.nullif(counts.c.max_score, 0), 100)
        available = c.c.credit_limit_minor - exposure
        over = and_(c.c.credit_limit_minor.is_not(None), c.c.credit_limit_minor > 0, exposure > c.c.credit_limit_minor)
        orders: dict[str, tuple[Any, ...]] = {
            "-exposure": (c.c.currency.asc(), exposure.desc(), c.c.name.asc(), c.c.id.asc()),
            "available": (
                c.c.currency.asc(),
                case((c.c.credit_limit_minor.is_(None), 1), else_=0),
                available.asc(),
                c.c.name.asc(),
                c.c.id.asc(),
            ),
            "score": (case((counts.c.score.is_(None), 1), else_=0), percent.asc(), c.c.name.asc(), c.c.id.asc()),
            "name": (c.c.name.asc(), c.c.id.asc()),
            "-name": (c.c.name.desc(), c.c.id.desc()),
        }
        query = self._customers()
        if order in ("-exposure", "available") or over_limit or flagged_below is not None:
            query = query.outerjoin(owed, owed.c.customer_id == c.c.id)  # only when read: a pass over open invoices
        if order == "score" or flagged_below is not None:
            query = query.outerjoin(counts, counts.c.customer_id == c.c.id)
        query = query.order_by(*orders[order]).limit(limit + 1).offset(offset)
        if currency:
            query = query.where(c.c.currency == currency)
        if on_hold:
            query = query.where(c.c.credit_hold.is_(True))
        if over_limit:
            query = query.where(over)
        if flagged_below is not None:
            low = _score_low(counts.c.score, counts.c.max_score, flagged_below)
            flagged = [over, low]
            if review_due_by is not None and poor_review_due_by is not None:
                k, s = t.tasks, t.credit_scores
                done_at = func.max(k.c.completed_at).filter(k.c.status == TaskStatus.DONE.value)
                reviews = (
                    select(k.c.customer_id, self._utc_day(done_at).label("done_on"))
                    .where(k.c.type == TaskType.GET_CREDIT_REPORT.value)
                    .group_by(k.c.customer_id)
                    .subquery("reviews")
                )
                reported = (
                    select(s.c.customer_id, func.max(s.c.date).label("on"))
                    .where(s.c.source != COMPUTED)
                    .group_by(s.c.customer_id)
                    .subquery("reported")
                )
                query = query.outerjoin(reviews, reviews.c.customer_id == c.c.id).outerjoin(
                    reported, reported.c.customer_id == c.c.id
                )
                flagged.append(_review_due(reviews.c.done_on, reported.c.on, low, review_due_by, poor_review_due_by))
            query = query.where(or_(*flagged))
        customers = self.connection.execute(query).all()
        rows = self._credit_rows(customers[:limit])
        return rows, (offset + limit if len(customers) > limit else None)

    def currencies(self) -> list[str]:
        c = t.customers
        return list(self.connection.execute(select(c.c.currency).distinct().order_by(c.c.currency)).scalars())

    def hold_detail(self, customer_id: int) -> tuple[datetime | None, str | None]:
        c, u = t.customers, t.users
        row = self.connection.execute(
            select(c.c.credit_hold_at, u.c.name)
            .outerjoin(u, u.c.id == c.c.credit_hold_by)
            .where(c.c.id == customer_id, c.c.credit_hold.is_(True))
        ).first()
        return (None, None) if row is None else (row[0], row[1])

    @staticmethod
    def _customers() -> Select[Any]:
        c, st = t.customers, t.credit_states
        return select(
            c.c.id,
            c.c.external_id,
            c.c.name,
            c.c.currency,
            c.c.collector_id,
            c.c.credit_limit_minor,
            c.c.credit_hold,
            c.c.credit_hold_note,
            st.c.score_low,
            st.c.limit_level,
        ).select_from(c.outerjoin(st, st.c.customer_id == c.c.id))

    def _credit_rows(self, customers: Sequence[Any]) -> list[CreditRow]:
        """The figures of `customers` (rows of `_customers()`), in their order."""
        ids = [row.id for row in customers]
        if not ids:
            return []
        found = {row.customer_id: row for row in self._figures(lambda column: column.in_(ids))}
        return [found[customer_id] for customer_id in ids if customer_id in found]

    def _figures(self, among: Callable[[Any], Any]) -> list[CreditRow]:
        """In one statement, the credit figures of the customers whose id is `among` (a range, or a
        page's ids): limit, exposure, the score that counts, the last report, the behavioural score,
        hold, reviews, the state the cycle last saw; by id."""
        query, _ = self._figures_query(among)
        return self._fetch(query.order_by(t.customers.c.id))

    def _figures_query(self, among: Callable[[Any], Any]) -> tuple[Select[Any], dict[str, Any]]:
        """The statement of `_figures`, its columns in the order of CreditRow's fields (each already
        of its field's type on PostgreSQL), and the expressions a filter reads, by name."""
        c, k, st = t.customers, t.tasks, t.credit_states
        owed = exposure_of(None).where(among(t.invoices.c.customer_id)).subquery("owed")
        scores, joined = self._newest_scores(among)
        done_at = func.max(k.c.completed_at).filter(k.c.status == TaskStatus.DONE.value)
        reviews = (
            select(
                k.c.customer_id,
                self._utc_day(done_at).label("done_on"),
                func.count().filter(k.c.status == TaskStatus.OPEN.value).label("open"),
            )
            .where(among(k.c.customer_id), k.c.type == TaskType.GET_CREDIT_REPORT.value)
            .group_by(k.c.customer_id)
            .subquery("reviews")
        )
        exposure = cast(func.coalesce(owed.c.exposure, 0), BigInteger)
        was_low = func.coalesce(st.c.score_low, false())
        was_level = func.coalesce(st.c.limit_level, 0)
        review_open = func.coalesce(reviews.c.open, 0) > 0
        query = (
            select(
                c.c.id,
                c.c.external_id,
                c.c.name,
                c.c.currency,
                c.c.collector_id,
                c.c.credit_limit_minor,
                exposure,
                scores["score"],
                scores["max_score"],
                scores["score_date"],
                scores["source"],
                scores["reported"],
                scores["behavioural"],
                c.c.credit_hold,
                c.c.credit_hold_note,
                reviews.c.done_on,
                review_open,
                was_low,
                was_level,
            )
            .select_from(c.outerjoin(st, st.c.customer_id == c.c.id))
            .outerjoin(owed, owed.c.customer_id == c.c.id)
        )
        for subquery in joined:
            query = query.outerjoin(subquery, subquery.c.customer_id == c.c.id)
        query = query.outerjoin(reviews, reviews.c.customer_id == c.c.id).where(among(c.c.id))
        named = {
            "limit": c.c.credit_limit_minor,
            "exposure": exposure,
            "score": scores["score"],
            "max_score": scores["max_score"],
            "reported": scores["reported"],
            "last_review": reviews.c.done_on,
            "review_open": review_open,
            "was_low": was_low,
            "was_level": was_level,
        }
        return query, named

    def _newest_scores(self, among: Callable[[Any], Any]) -> tuple[dict[str, Any], list[Any]]:
        """The score that counts (the newest reported one: a bureau's or entered; else the newest
        Arrears computed) with its scale, date and source, the date of the newest reported one and
        the newest computed one, of the customers whose id is `among`: their columns by name, and
        the subqueries to left-join on customer_id."""
        s = t.credit_scores
        newest_first = (s.c.date.desc(), s.c.id.desc())
        if self.dialect == "postgresql":
            # DISTINCT ON: each customer's first score in an order, by one sort of the scores (the
            # window below costs PostgreSQL several times more over the whole portfolio).
            counting = (
                select(s.c.customer_id, s.c.score, s.c.max_score, s.c.date, s.c.source)
                .where(among(s.c.customer_id))
                .ext(postgresql.distinct_on(s.c.customer_id))
                .order_by(s.c.customer_id, s.c.source == COMPUTED, *newest_first)
                .subquery("counting")
            )
            reported = (
                select(s.c.customer_id, func.max(s.c.date).label("reported"))
                .where(among(s.c.customer_id), s.c.source != COMPUTED)
                .group_by(s.c.customer_id)
                .subquery("reported")
            )
            ours = (
                select(s.c.customer_id, s.c.score)
                .where(among(s.c.customer_id), s.c.source == COMPUTED)
                .ext(postgresql.distinct_on(s.c.customer_id))
                .order_by(s.c.customer_id, *newest_first)
                .subquery("behavioural")
            )
            columns = {
                "score": counting.c.score,
                "max_score": counting.c.max_score,
                "score_date": counting.c.date,
                "source": counting.c.source,
                "reported": reported.c.reported,
                "behavioural": ours.c.score,
            }
            return columns, [counting, reported, ours]
        # The newest score of each kind (reported; computed by Arrears), one window over the scores:
        # the one that counts is the reported one when there is one.
        computed = case((s.c.source == COMPUTED, 1), else_=0)
        ranked = select(
            s.c.customer_id,
            s.c.score,
            s.c.max_score,
            s.c.date,
            s.c.source,
            func.row_number().over(partition_by=(s.c.customer_id, computed), order_by=newest_first).label("m"),
        ).where(among(s.c.customer_id))
        r = ranked.subquery("ranked")
        is_ours, theirs = r.c.source == COMPUTED, r.c.source != COMPUTED
        newest_reported = func.max(r.c.date).filter(theirs)

        def of_counting(column: Any) -> Any:
            return case(
                (newest_reported.is_not(None), func.max(column).filter(theirs)),
                else_=func.max(column).filter(is_ours),
            )

        scores = (
            select(
                r.c.customer_id,
                of_counting(r.c.score).label("score"),
                of_counting(r.c.max_score).label("max_score"),
                of_counting(r.c.date).label("score_date"),
                of_counting(r.c.source).label("source"),
                newest_reported.label("reported"),
                func.max(r.c.score).filter(is_ours).label("behavioural"),
            )
            .where(r.c.m == 1)
            .group_by(r.c.customer_id)
            .subquery("scores")
        )
        names = ("score", "max_score", "score_date", "source", "reported", "behavioural")
        return {name: scores.c[name] for name in names}, [scores]

    def _utc_day(self, stamp: Any) -> Any:
        """The UTC date of a timestamp (SQLite keeps them in UTC, as text: its date() reads them)."""
        if self.dialect == "postgresql":
            return cast(func.timezone("UTC", stamp), Date)
        return func.date(stamp)

    def _fetch(self, query: Select[Any]) -> list[CreditRow]:
        """CreditRows from the driver's own tuples: SQLAlchemy's per-row result processing is the
        larger part of reading a whole portfolio, and the statement gives each field its type already
        (on SQLite, dates come as text and booleans as 0 or 1: `_sqlite_row` turns them back)."""
        result = self.connection.execute(query)
        try:
            raw = result.cursor.fetchall()
        finally:
            result.close()
        if self.dialect == "postgresql":
            return list(map(CreditRow._make, raw))
        return [_sqlite_row(row) for row in raw]

    @staticmethod
    def _counting_scores(ids: Sequence[int] | None = None) -> Select[Any]:
        """(customer_id, score, max_score, date, source) of the score that counts: the newest reported
        one (a bureau's, or entered), else the newest that Arrears computed."""
        s = t.credit_scores
        computed = case((s.c.source == COMPUTED, 1), else_=0)
        newest = func.row_number().over(
            partition_by=s.c.customer_id, order_by=(computed, s.c.date.desc(), s.c.id.desc())
        )
        ranked = select(s.c.customer_id, s.c.score, s.c.max_score, s.c.date, s.c.source, newest.label("n"))
        if ids is not None:
            ranked = ranked.where(s.c.customer_id.in_(ids))
        r = ranked.subquery()
        return select(r.c.customer_id, r.c.score, r.c.max_score, r.c.date, r.c.source).where(r.c.n == 1)

    def set_hold(self, customer_id: int, hold: bool, note: str | None, user_id: int | None, at: datetime) -> None:
        c = t.customers
        self.connection.execute(
            update(c)
            .where(c.c.id == customer_id)
            .values(
                credit_hold=hold,
                credit_hold_note=note if hold else None,
                credit_hold_at=at if hold else None,
                credit_hold_by=user_id if hold else None,
                updated_at=at,
            )
        )

    def save_states(self, states: Sequence[tuple[int, bool, int]], at: datetime) -> None:
        if not states:
            return
        st = t.credit_states
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(st)
        if self.dialect == "postgresql":  # one statement (bulk.unnested)
            columns = ("customer_id", "score_low", "limit_level")
            statement = dialect_insert(st).from_select(
                [*columns, "updated_at"], unnested(st, columns, states, updated_at=at)
            )
        upsert = statement.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={
                "score_low": statement.excluded.score_low,
                "limit_level": statement.excluded.limit_level,
                "updated_at": statement.excluded.updated_at,
            },
        )
        if self.dialect == "postgresql":
            self.connection.execute(upsert)
            return
        self.connection.execute(
            upsert,
            [
                {"customer_id": customer_id, "score_low": low, "limit_level": level, "updated_at": at}
                for customer_id, low, level in states
            ],
        )

    def _days(self, later: Any, earlier: Any) -> Any:
        """Whole days from `earlier` to `later` (dates or date parameters)."""
        if self.dialect == "postgresql":
            return cast(later, Date) - cast(earlier, Date)
        return cast(func.julianday(later) - func.julianday(earlier), Integer)

    def histories(self, first_id: int, last_id: int, since: date, as_of: date) -> dict[int, History]:
        i, p = t.invoices, t.payments
        paid_on = (
            select(p.c.invoice_id, func.max(p.c.date).label("paid_on"))
            .where(p.c.customer_id.between(first_id, last_id), p.c.invoice_id.is_not(None))
            .group_by(p.c.invoice_id)
            .subquery()
        )
        paid = i.c.status == "paid"
        late = case(
            (paid, self._days(paid_on.c.paid_on, i.c.due_date)), else_=self._days(literal(as_of, Date), i.c.due_date)
        )
        late_days = case((late > 0, late), else_=0)
        counted = or_(paid, late > 0)
        rows = (
            select(
                i.c.customer_id,
                func.count().filter(counted).label("counted"),
                func.coalesce(func.sum(i.c.amount_minor).filter(counted), 0).label("amount"),
                func.coalesce(func.sum(i.c.amount_minor * late_days).filter(counted), 0).label("weighted"),
                func.count().filter(paid).label("paid"),
                func.count().filter(and_(paid, late > 0)).label("paid_late"),
                func.coalesce(func.max(late_days).filter(~paid), 0).label("oldest"),
            )
            .select_from(i.outerjoin(paid_on, paid_on.c.invoice_id == i.c.id))
            .where(
                i.c.customer_id.between(first_id, last_id),
                or_(and_(paid, paid_on.c.paid_on >= since, paid_on.c.paid_on <= as_of), is_open(i)),
            )
            .group_by(i.c.customer_id)
        )
        return {
            row.customer_id: History(
                int(row.counted), int(row.amount), int(row.weighted), int(row.paid), int(row.paid_late), int(row.oldest)
            )
            for row in self.connection.execute(rows)
        }

    def broken_promises(self, first_id: int, last_id: int, since: date) -> dict[int, int]:
        k = t.tasks
        query = (
            select(k.c.customer_id, func.count())
            .where(
                k.c.customer_id.between(first_id, last_id),
                k.c.type == TaskType.EXPECTED_PAYMENT.value,
                k.c.outcome == "broken",
                k.c.expected_date >= since,
            )
            .group_by(k.c.customer_id)
        )
        return {row[0]: int(row[1]) for row in self.connection.execute(query)}

    def add_review_tasks(self, tasks: Sequence[tuple[int, int | None, str]], due: date, at: datetime) -> int:
        """One open `get_credit_report` task (source `rule`) per (customer id, assignee id,
        description), with its "Task created" line on the timeline: two statements for them all."""
        if not tasks:
            return 0
        k, a = t.tasks, t.audit_log
        if self.dialect == "postgresql":
            return self._add_review_tasks_at_once(tasks, due, at)
        created = self.connection.execute(
            insert(k).returning(k.c.id, k.c.customer_id, k.c.description, sort_by_parameter_order=True),
            [
                {
                    "customer_id": customer_id,
                    "type": TaskType.GET_CREDIT_REPORT.value,
                    "description": description,
                    "assignee_id": assignee_id,
                    "due_date": due,
                    "status": TaskStatus.OPEN.value,
                    "source": TaskSource.RULE.value,
                    "created_at": at,
                    "updated_at": at,
                }
                for customer_id, assignee_id, description in tasks
            ],
        ).all()
        self.connection.execute(
            insert(a),
            [
                {
                    "at": at,
                    "actor_kind": SYSTEM.kind.value,
                    "actor_id": None,
                    "actor_name": SYSTEM.name,
                    "entity": "task",
                    "entity_id": str(row.id),
                    "customer_id": row.customer_id,
                    "action": "created",
                    "summary": f"Task created: {row.description}",
                    "changes": None,
                }
                for row in created
            ],
        )
        return len(created)

    def _add_review_tasks_at_once(self, tasks: Sequence[tuple[int, int | None, str]], due: date, at: datetime) -> int:
        """`add_review_tasks` in one statement on PostgreSQL: the tasks inserted from arrays, their
        timeline lines inserted from what that returns (a data-modifying WITH)."""
        k, a = t.tasks, t.audit_log
        columns = ("customer_id", "assignee_id", "description")
        created = (
            insert(k)
            .from_select(
                [*columns, "type", "due_date", "status", "source", "created_at", "updated_at"],
                unnested(
                    k,
                    columns,
                    tasks,
                    type=TaskType.GET_CREDIT_REPORT.value,
                    due_date=due,
                    status=TaskStatus.OPEN.value,
                    source=TaskSource.RULE.value,
                    created_at=at,
                    updated_at=at,
                ),
            )
            .returning(k.c.id, k.c.customer_id, k.c.description)
            .cte("created")
        )
        lines = select(
            literal(at, a.c.at.type),
            literal(SYSTEM.kind.value),
            literal(SYSTEM.name),
            literal("task"),
            cast(created.c.id, a.c.entity_id.type),
            created.c.customer_id,
            literal("created"),
            literal("Task created: ") + created.c.description,
        )
        names = ["at", "actor_kind", "actor_name", "entity", "entity_id", "customer_id", "action", "summary"]
        return len(self.connection.execute(insert(a).from_select(names, lines).returning(a.c.id)).all())

    def computed_since(self, day: date) -> bool:
        s = t.credit_scores
        query = select(s.c.id).where(s.c.source == COMPUTED, s.c.date >= day).limit(1)
        return self.connection.execute(query).first() is not None

    def add_scores(self, scores: Sequence[tuple[int, date, int, str]], at: datetime) -> None:
        if not scores:
            return
        if self.dialect == "postgresql":
            self._copy_scores(scores, at)
            return
        s = t.credit_scores
        statement = sqlite.insert(s).on_conflict_do_nothing(index_elements=["customer_id", "date", "source"])
        self.connection.execute(
            statement,
            [
                {
                    "customer_id": customer_id,
                    "date": day,
                    "score": score,
                    "max_score": 100,
                    "source": COMPUTED,
                    "explanation": explanation,
                    "created_at": at,
                    "updated_at": at,
                }
                for customer_id, day, score, explanation in scores
            ],
        )

    def _copy_scores(self, scores: Sequence[tuple[int, date, int, str]], at: datetime) -> None:
        """`add_scores` on PostgreSQL: the rows sent by COPY (psycopg's, on the driver's connection,
        in this transaction) into a temporary table, then moved in one INSERT … SELECT that keeps a
        score stored already (COPY itself cannot skip a conflict). With their long explanations, the
        rows as parameters of a multi-row INSERT cost several times more to send and parse."""
        s, staged = t.credit_scores, STAGED_SCORES
        staged.create(self.connection, checkfirst=False)
        raw: Any = self.connection.connection.driver_connection
        columns = ", ".join(staged.c.keys())
        with raw.cursor() as cursor, cursor.copy(f"COPY {staged.name} ({columns}) FROM STDIN") as copy:
            for row in scores:
                copy.write_row(row)
        rows = select(
            staged.c.customer_id,
            staged.c.date,
            staged.c.score,
            literal(100, Integer),
            literal(COMPUTED),
            staged.c.explanation,
            literal(at, s.c.created_at.type),
            literal(at, s.c.updated_at.type),
        )
        names = ["customer_id", "date", "score", "max_score", "source", "explanation", "created_at", "updated_at"]
        self.connection.execute(
            postgresql.insert(s)
            .from_select(names, rows)
            .on_conflict_do_nothing(index_elements=["customer_id", "date", "source"])
        )
        # gone at the commit anyway; dropped now, so that a second call in the transaction may stage again
        staged.drop(self.connection, checkfirst=False)

    def score_history(self, customer_id: int, limit: int) -> list[ScoreRow]:
        s = t.credit_scores
        rows = self.connection.execute(
            select(s.c.date, s.c.score, s.c.max_score, s.c.source, s.c.explanation)
            .where(s.c.customer_id == customer_id, true())
            .order_by(s.c.date.desc(), s.c.id.desc())
            .limit(limit)
        ).all()
        return [ScoreRow(*row) for row in reversed(rows)]


def _score_low(score: Any, max_score: Any, below: int) -> Any:
    """domain/credit.score_low in SQL: a score below `below` percent of its scale (100 without one)."""
    return and_(score.is_not(None), score * 100 < below * case((max_score > 0, max_score), else_=100))


def _review_due(last_review: Any, reported: Any, low: Any, due_by: date, poor_due_by: date) -> Any:
    """domain/credit.next_review(...) <= the day, in SQL: the later of the last review and the newest
    reported score is on or before `due_by` (`poor_due_by` when the score is `low`); neither: never."""
    by = case((low, literal(poor_due_by, Date)), else_=literal(due_by, Date))
    return and_(
        or_(last_review.is_not(None), reported.is_not(None)),
        or_(last_review.is_(None), last_review <= by),
        or_(reported.is_(None), reported <= by),
    )


def _sqlite_row(row: Sequence[Any]) -> CreditRow:
    """A row of `_figures_query` as SQLite gives it: dates as text, booleans as integers."""
    (customer_id, external_id, name, currency, collector_id, limit, exposure, score, max_score, score_date) = row[:10]
    (source, reported, behavioural, hold, note, last_review, review_open, was_low, was_level) = row[10:]
    return CreditRow(
        customer_id,
        external_id,
        name,
        currency,
        collector_id,
        limit,
        int(exposure),
        score,
        max_score,
        _day(score_date),
        source,
        _day(reported),
        behavioural,
        bool(hold),
        note,
        _day(last_review),
        bool(review_open),
        bool(was_low),
        int(was_level),
    )


def _day(value: Any) -> date | None:
    """A date from an aggregate (SQLite gives its text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value
