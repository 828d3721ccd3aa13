"""The unit of work: one connection, one transaction per use case; rollback unless committed."""

from __future__ import annotations

import importlib
import itertools
import os
import signal
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from sqlalchemy import Connection, Engine, NestedTransaction, RootTransaction, func, select

from . import tables as t

if TYPE_CHECKING:  # each repository's module is imported when a unit of work first uses it
    from ...services.ports import Clock
    from .automation.cycle_runs import SqlCycleRuns
    from .automation.email_templates import SqlEmailTemplates
    from .automation.outbox import SqlOutbox
    from .automation.selection import SqlSelection
    from .automation.step_runs import SqlStepRuns
    from .calls import SqlCalls
    from .credit import SqlCredit
    from .export import SqlExport
    from .failed_attempts import SqlFailedAttempts, SqlRateCounts
    from .importer import SqlImportBatch
    from .ledger import SqlLedger
    from .mail import SqlMail
    from .portal import SqlPortal
    from .reports import SqlReports
    from .users import SqlUsers
    from .workspace.accounts import SqlAccounts
    from .workspace.alerts import SqlAlerts
    from .workspace.audit import SqlAudit
    from .workspace.balances import SqlBalances
    from .workspace.customer_list import SqlCustomerList
    from .workspace.customer_records import SqlCustomerRecords
    from .workspace.dashboard import SqlDashboard
    from .workspace.disputes import SqlDisputes
    from .workspace.plans import SqlPlans
    from .workspace.task_list import SqlTaskList
    from .workspace.tasks import SqlTasks

R = TypeVar("R")

_commits = itertools.count(1)


def failpoint_before_commit() -> None:
    """Fault injection for the crash tests: with ARREARS_FAILPOINT_KILL_AT_COMMIT=N the process
    kills itself (SIGKILL, no cleanup) just before its Nth commit. Unset in normal use."""
    target = os.environ.get("ARREARS_FAILPOINT_KILL_AT_COMMIT")
    if target and next(_commits) == int(target):
        os.kill(os.getpid(), signal.SIGKILL)


class _Repository(Generic[R]):
    """A repository of the unit of work, built on its first use in each transaction: its module is
    imported then (a command that reads credit never loads the task list's), and the repository is
    kept in the unit of work's `__dict__` until the next `__enter__`.

    `module` is relative to this package; `arguments` name the unit of work's attributes the class
    is built with, in order (`connection`, `changed`: the set of customers whose balances this
    transaction's writes moved, `priority_rates`)."""

    def __init__(self, module: str, class_name: str, *arguments: str) -> None:
        self.module = module
        self.class_name = class_name
        self.arguments = arguments or ("connection",)
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...

    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> Self | R:
        if uow is None:
            return self
        made: Any = getattr(importlib.import_module(self.module, __package__), self.class_name)
        repository: R = made(*(getattr(uow, argument) for argument in self.arguments))
        uow.__dict__[self.name] = repository  # later reads find it there, not here
        return repository


class SqlUnitOfWork:
    """`with uow: ...; uow.commit()`. Leaving the block without commit rolls everything back.

    Its repositories are built when first used in a transaction (`_Repository`), on its connection."""

    connection: Connection
    changed: set[int]  # the customers whose balances this transaction's writes moved

    users: _Repository[SqlUsers] = _Repository(".users", "SqlUsers")
    reports: _Repository[SqlReports] = _Repository(".reports", "SqlReports")
    export: _Repository[SqlExport] = _Repository(".export", "SqlExport")
    tasks: _Repository[SqlTasks] = _Repository(".workspace.tasks", "SqlTasks", "connection", "changed")
    task_list: _Repository[SqlTaskList] = _Repository(".workspace.task_list", "SqlTaskList", "connection", "changed")
    alerts: _Repository[SqlAlerts] = _Repository(".workspace.alerts", "SqlAlerts", "connection", "changed")
    audit: _Repository[SqlAudit] = _Repository(".workspace.audit", "SqlAudit", "connection", "changed")
    balances: _Repository[SqlBalances] = _Repository(
        ".workspace.balances", "SqlBalances", "connection", "changed", "priority_rates"
    )
    plans: _Repository[SqlPlans] = _Repository(".workspace.plans", "SqlPlans", "connection", "changed")
    disputes: _Repository[SqlDisputes] = _Repository(".workspace.disputes", "SqlDisputes", "connection", "changed")
    accounts: _Repository[SqlAccounts] = _Repository(".workspace.accounts", "SqlAccounts", "connection", "changed")
    customer_records: _Repository[SqlCustomerRecords] = _Repository(
        ".workspace.customer_records", "SqlCustomerRecords", "connection", "changed"
    )
    customer_list: _Repository[SqlCustomerList] = _Repository(
        ".workspace.customer_list", "SqlCustomerList", "connection", "changed"
    )
    dashboard: _Repository[SqlDashboard] = _Repository(".workspace.dashboard", "SqlDashboard", "connection", "changed")
    selection: _Repository[SqlSelection] = _Repository(".automation.selection", "SqlSelection")
    step_runs: _Repository[SqlStepRuns] = _Repository(".automation.step_runs", "SqlStepRuns")
    outbox: _Repository[SqlOutbox] = _Repository(".automation.outbox", "SqlOutbox")
    cycle_runs: _Repository[SqlCycleRuns] = _Repository(".automation.cycle_runs", "SqlCycleRuns")
    email_templates: _Repository[SqlEmailTemplates] = _Repository(".automation.email_templates", "SqlEmailTemplates")
    ledger: _Repository[SqlLedger] = _Repository(".ledger", "SqlLedger", "connection", "changed")
    portal: _Repository[SqlPortal] = _Repository(".portal", "SqlPortal", "connection", "changed")
    mail: _Repository[SqlMail] = _Repository(".mail", "SqlMail")
    credit: _Repository[SqlCredit] = _Repository(".credit", "SqlCredit")
    calls: _Repository[SqlCalls] = _Repository(".calls", "SqlCalls")
    failed_attempts: _Repository[SqlFailedAttempts] = _Repository(".failed_attempts", "SqlFailedAttempts")
    rate_counts: _Repository[SqlRateCounts] = _Repository(".failed_attempts", "SqlRateCounts")

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        shared: Connection | None = None,
        *,
        dispute_reasons: tuple[str, ...] | None = None,
        priority_rates: Mapping[str, int] | None = None,
    ) -> None:
        """With `shared`, every use case runs in a savepoint of that connection's transaction, which
        its owner rolls back at the end: a dry run sees each phase's effects and keeps none.
        `dispute_reasons`: those of ARREARS_DISPUTE_REASONS, when it is set; `priority_rates`: those
        of ARREARS_PRIORITY_RATES (`worklist.parse_rates`)."""
        self.engine = engine
        self.clock = clock
        self.dispute_reasons = dispute_reasons
        self.priority_rates = priority_rates
        self.shared = shared
        self._transaction: RootTransaction | NestedTransaction | None = None

    def __enter__(self) -> Self:
        if self.shared is not None:
            self.connection = self.shared
            self._transaction = self.connection.begin_nested()
        else:
            self.connection = self.engine.connect()
            self._transaction = self.connection.begin()
        self.changed = set()
        for name in REPOSITORIES:  # those of an earlier transaction are on its connection
            self.__dict__.pop(name, None)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                self._transaction.rollback()
        finally:
            if self.shared is None:
                self.connection.close()
            self._transaction = None

    def commit(self) -> None:
        """Refresh the balances of the customers this transaction's writes moved, then commit: a
        read sees balances that agree with the ledger, and never has to write them itself."""
        assert self._transaction is not None
        if self.changed:  # else there is nothing to refresh, and no need to build `balances`
            self.balances.refresh_changed(self.clock.today())
        failpoint_before_commit()
        self._transaction.commit()

    def rollback(self) -> None:
        assert self._transaction is not None
        self.changed.clear()
        self._transaction.rollback()

    def import_batch(self, kind: str, columns: frozenset[str]) -> SqlImportBatch:
        from .importer import SqlImportBatch

        return SqlImportBatch(self.connection, kind, columns, self.changed)

    def customer_count(self) -> int:
        return int(self.connection.execute(select(func.count()).select_from(t.customers)).scalar_one())


# The names of the unit of work's repositories, in the order they are declared.
REPOSITORIES: tuple[str, ...] = tuple(
    name for name, value in vars(SqlUnitOfWork).items() if isinstance(value, _Repository)
)
