"""What the services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, NamedTuple, Protocol, Self

from ..domain.audit import Actor
from ..domain.records import Lookups
from ..domain.users import Role, User
from ..domain.web_sessions import OpenSessions
from .automation_ports import CycleRuns, Outbox, Selection, StepRuns
from .call_ports import Recordings
from .credit_ports import CreditStore
from .ledger_ports import Ledger
from .mail_ports import MailStore
from .portal_ports import PortalStore
from .report_ports import ReportStore
from .template_ports import EmailTemplates
from .workspace_ports import (
    Accounts,
    Alerts,
    Audit,
    Balances,
    CustomerList,
    CustomerRecords,
    Dashboard,
    Disputes,
    Plans,
    TaskList,
    Tasks,
)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A rule broken by a row that only the whole file, or the database, can see."""

    line: int
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class AuditStamp:
    """Who writes the ledger, when, and through what (`origin`: a file's name, "API …"), for the
    audit entries of a write."""

    at: datetime
    actor: Actor
    origin: str


class ImportBatch(Protocol):
    """One file's rows on their way into the ledger, all inside the unit of work's transaction."""

    def lookups(self, customers_wanted: Collection[str] | None = None) -> Lookups:
        """What rows may refer to: every customer, or only those of `customers_wanted` (external ids)."""

    def stage(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Keep parsed records (each a `(line, *record)` tuple) for the checks and the upsert."""

    def problems_before(self) -> Iterator[RowProblem]:
        """Set-based checks before writing: repeated ids, unknown references, forbidden changes."""

    def apply(self, stamp: AuditStamp) -> ImportCounts:
        """Upsert the staged rows by external id and bring derived amounts up to date; audit every row
        added or changed (one entry per customer)."""

    def problems_after(self) -> Iterator[RowProblem]:
        """Checks on the ledger as the file leaves it (e.g. an invoice allocated above its amount)."""

    def absent_problems(self) -> Iterator[RowProblem]:
        """Invoices only: the open invoices of the file's customers that the file does not list and
        that cannot be closed, because payments or credit notes are on them (by their customer's first
        line in the file)."""

    def close_absent(self, stamp: AuditStamp) -> list[str]:
        """Invoices only: close as void the open invoices of the file's customers that the file does
        not list, audit each (action `closed`), and return their external ids."""


class AgingRow(NamedTuple):
    """One customer's outstanding minor units in one currency: per bucket, in the order of
    domain.aging.BUCKETS, and the unapplied cash and credit on account (never netted into a bucket).
    One row per customer and currency, summed by the database: a million invoices make no more rows.
    (A named tuple: a report reads tens of thousands of them, and a tuple is the cheapest to make.)"""

    customer_id: int
    external_id: str
    name: str
    currency: str
    buckets: tuple[int, ...]
    unapplied_cash: int
    unapplied_credit: int


class Users(Protocol):
    """The users, their roles, passwords and activity, and their web sessions."""

    def add(self, name: str, role: Role, email: str | None, password_hash: str | None) -> User: ...

    def by_name(self, name: str) -> User | None:
        """The user of that name, active or not."""
        ...

    def password_hash(self, name: str) -> str | None:
        """An active user's password hash (None: unknown, deactivated or without a password)."""
        ...

    def all(self) -> list[User]:
        """The active users, by name."""
        ...

    def accounts(self) -> list[tuple[User, bool]]:
        """Every user, by name, with whether they are active."""
        ...

    def is_active(self, user_id: int) -> bool: ...
    def active_owners(self) -> int: ...
    def set_role(self, user_id: int, role: Role) -> None: ...
    def set_active(self, user_id: int, active: bool) -> None: ...
    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...
    def start_session(
        self,
        user_id: int,
        token_hash: str,
        at: datetime,
        expires_at: datetime,
        *,
        address: str | None,
        user_agent: str | None,
    ) -> None:
        """A new session, last used `at`, from that address and browser."""

    def session_user(self, token_hash: str, at: datetime) -> User | None:
        """The active user of a session that has neither ended nor expired."""
        ...

    def session_seen(self, token_hash: str, at: datetime) -> None:
        """Note that an open session was used `at` (its cookie was signed again)."""

    def sessions_of(self, user_id: int, at: datetime, current_hash: str, limit: int) -> OpenSessions:
        """The user's open sessions, newest first: at most `limit`, the one of `current_hash` always
        among them; and how many are open in all."""
        ...

    def end_session(self, token_hash: str, at: datetime) -> bool: ...
    def end_session_of(self, user_id: int, session_id: int, at: datetime, keep_hash: str) -> bool:
        """End one open session of that user, unless it is the one of `keep_hash`; False when the
        user has no such open session (another user's is not theirs)."""
        ...

    def end_sessions(self, user_id: int, at: datetime, keep_hash: str | None = None) -> int:
        """End every open session of the user but the one of `keep_hash`; how many there were."""
        ...

    def open_sessions(self, at: datetime) -> dict[int, int]: ...


@dataclass(frozen=True, slots=True)
class RecentFailures:
    """Failures of one kind since a moment: for the account and address together, for the account
    from any address, and at the address whatever the account."""

    account_at_address: int
    account: int
    address: int


class FailedAttempts(Protocol):
    """The throttles' recent failures (failed sign-ins, invalid portal tokens), which every process
    of the web server must count alike."""

    def record_failure(
        self, kind: str, account: str | None, address: str, at: datetime, forget_before: datetime
    ) -> None:
        """Record one failure, and delete the failures of every kind from before `forget_before`
        (which no window counts any more): the table stays as small as the windows."""

    def recent_failures(self, kind: str, account: str | None, address: str, since: datetime) -> RecentFailures: ...

    def forget_failures(self, kind: str, account: str, address: str) -> None:
        """Forget the account's failures from that address (it signed in there)."""


class RateCounts(Protocol):
    """Requests counted per key in fixed windows (the rate limits), alike in every server process."""

    def count(self, kind: str, key: str, window_start: datetime, forget_before: datetime) -> int:
        """Count one request of `key` in the window that began at `window_start` and return how many
        that window holds now, this one included; a window's first request also deletes the windows
        of every key that began before `forget_before`, so the table stays small."""


class ImportProgress(Protocol):
    """How far each import started from the web's import page has read its file, by user and run
    (an id the page chose): written as the import reads, outside the import's own transaction."""

    def update(self, user_id: int, run: str, read: int, total: int) -> None: ...

    def get(self, user_id: int, run: str) -> tuple[int, int] | None:
        """(bytes read, bytes in all); None when no such import runs (not started, or finished)."""

    def finish(self, user_id: int, run: str) -> None: ...


class Reports(ReportStore, Protocol):
    def aging(self, as_of: date) -> Iterable[AgingRow]: ...


class Export(Protocol):
    def rows(self, kind: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        """The header and the rows of `kind`, streamed, in the CSV import format."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def today(self) -> date:
        """Today in the company's time zone: the `as_of` of whatever a user does now."""


class UnitOfWork(Protocol):
    # The workspace, by area: each a small port, so that a use case names what it touches and a
    # test can fake just that.
    @property
    def tasks(self) -> Tasks: ...

    @property
    def task_list(self) -> TaskList: ...

    @property
    def alerts(self) -> Alerts: ...

    @property
    def audit(self) -> Audit: ...

    @property
    def balances(self) -> Balances: ...

    @property
    def plans(self) -> Plans: ...

    @property
    def disputes(self) -> Disputes: ...

    @property
    def accounts(self) -> Accounts: ...

    @property
    def customer_records(self) -> CustomerRecords: ...

    @property
    def customer_list(self) -> CustomerList: ...

    @property
    def dashboard(self) -> Dashboard: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def dispute_reasons(self) -> tuple[str, ...] | None:
        """The reason codes ARREARS_DISPUTE_REASONS sets, in force over the workspace's stored ones;
        None when it is not set (services/settings.py `load` decides)."""

    # The automation, by area.
    @property
    def selection(self) -> Selection: ...

    @property
    def step_runs(self) -> StepRuns: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def cycle_runs(self) -> CycleRuns: ...

    @property
    def email_templates(self) -> EmailTemplates:
        """The email template parts saved from the templates page."""

    @property
    def users(self) -> Users: ...

    @property
    def ledger(self) -> Ledger:
        """Customers and invoices as references, ledger records, chasing flags, customer locks, the inbox."""

    @property
    def portal(self) -> PortalStore:
        """The customer portal's links and the online payments started on it."""

    @property
    def credit(self) -> CreditStore:
        """Customers' credit: limits, exposure, scores, hold, reviews, alert states."""

    @property
    def mail(self) -> MailStore:
        """Mail received, the emails it answers, bounced addresses, mailbox progress."""

    @property
    def calls(self) -> Recordings:
        """Call recordings and their transcripts."""

    @property
    def reports(self) -> Reports: ...

    @property
    def failed_attempts(self) -> FailedAttempts:
        """The throttles' recent failures, shared by every server process."""

    @property
    def rate_counts(self) -> RateCounts:
        """The rate limits' counts, shared by every server process."""

    @property
    def export(self) -> Export: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def import_batch(self, kind: str, columns: frozenset[str]) -> ImportBatch: ...

    def customer_count(self) -> int:
        """How many customers the ledger holds."""


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...
