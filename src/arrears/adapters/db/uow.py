"""The unit of work: one connection, one transaction per use case; rollback unless committed."""

from __future__ import annotations

import itertools
import os
import signal
from collections.abc import Mapping
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, NestedTransaction, RootTransaction, func, select

from ...services.ports import Clock
from . import tables as t
from .automation.cycle_runs import SqlCycleRuns
from .automation.email_templates import SqlEmailTemplates
from .automation.outbox import SqlOutbox
from .automation.selection import SqlSelection
from .automation.step_runs import SqlStepRuns
from .calls import SqlCalls
from .credit import SqlCredit
from .export import SqlExport
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

_commits = itertools.count(1)


def failpoint_before_commit() -> None:
    """Fault injection for the crash tests: with ARREARS_FAILPOINT_KILL_AT_COMMIT=N the process
    kills itself (SIGKILL, no cleanup) just before its Nth commit. Unset in normal use."""
    target = os.environ.get("ARREARS_FAILPOINT_KILL_AT_COMMIT")
    if target and next(_commits) == int(target):
        os.kill(os.getpid(), signal.SIGKILL)


class SqlUnitOfWork:
    """`with uow: ...; uow.commit()`. Leaving the block without commit rolls everything back."""

    connection: Connection
    users: SqlUsers
    reports: SqlReports
    export: SqlExport
    tasks: SqlTasks
    task_list: SqlTaskList
    alerts: SqlAlerts
    audit: SqlAudit
    balances: SqlBalances
    plans: SqlPlans
    disputes: SqlDisputes
    accounts: SqlAccounts
    customer_records: SqlCustomerRecords
    customer_list: SqlCustomerList
    dashboard: SqlDashboard
    selection: SqlSelection
    step_runs: SqlStepRuns
    outbox: SqlOutbox
    cycle_runs: SqlCycleRuns
    email_templates: SqlEmailTemplates
    ledger: SqlLedger
    portal: SqlPortal
    mail: SqlMail
    credit: SqlCredit
    calls: SqlCalls

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
        changed: set[int] = set()  # the customers whose balances this transaction's writes moved
        self.users = SqlUsers(self.connection)
        self.reports = SqlReports(self.connection)
        self.export = SqlExport(self.connection)
        self.tasks = SqlTasks(self.connection, changed)
        self.task_list = SqlTaskList(self.connection, changed)
        self.alerts = SqlAlerts(self.connection, changed)
        self.audit = SqlAudit(self.connection, changed)
        self.balances = SqlBalances(self.connection, changed, self.priority_rates)
        self.plans = SqlPlans(self.connection, changed)
        self.disputes = SqlDisputes(self.connection, changed)
        self.accounts = SqlAccounts(self.connection, changed)
        self.customer_records = SqlCustomerRecords(self.connection, changed)
        self.customer_list = SqlCustomerList(self.connection, changed)
        self.dashboard = SqlDashboard(self.connection, changed)
        self.selection = SqlSelection(self.connection)
        self.step_runs = SqlStepRuns(self.connection)
        self.outbox = SqlOutbox(self.connection)
        self.cycle_runs = SqlCycleRuns(self.connection)
        self.email_templates = SqlEmailTemplates(self.connection)
        self.ledger = SqlLedger(self.connection, changed)
        self.portal = SqlPortal(self.connection, changed)
        self.mail = SqlMail(self.connection)
        self.credit = SqlCredit(self.connection)
        self.calls = SqlCalls(self.connection)
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
        self.balances.refresh_changed(self.clock.today())
        failpoint_before_commit()
        self._transaction.commit()

    def rollback(self) -> None:
        assert self._transaction is not None
        self.balances.changed.clear()
        self._transaction.rollback()

    def import_batch(self, kind: str, columns: frozenset[str]) -> SqlImportBatch:
        return SqlImportBatch(self.connection, kind, columns, self.balances.changed)

    def customer_count(self) -> int:
        return int(self.connection.execute(select(func.count()).select_from(t.customers)).scalar_one())
