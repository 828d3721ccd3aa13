"""Tables. Money is stored as integer minor units (BigInteger), never NUMERIC (SQLite's NUMERIC
is a float and loses digits); timestamps are UTC; business dates are plain dates.

`paid_minor` and `credited_minor` on invoices are caches of the allocations that point at them;
the import keeps them in step in the same transaction, so aging and the task list can sum one table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone: we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC)


def _now() -> Any:
    return text("CURRENT_TIMESTAMP")


def _timestamps() -> list[Column[Any]]:
    return [
        Column("created_at", UTCDateTime(), nullable=False, server_default=_now()),
        Column("updated_at", UTCDateTime(), nullable=False, server_default=_now()),
    ]


app_settings = Table(
    "app_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("email", String(254)),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    *_timestamps(),
    CheckConstraint("role IN ('owner', 'manager', 'contributor')", name="role"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_terms_days", Integer, nullable=False, server_default=text("30")),
    Column("credit_limit_minor", BigInteger),
    Column("collector_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), index=True),
    Column("email", String(254)),
    Column("phone", String(64)),
    Column("tags", Text, nullable=False, server_default=""),
    Column("on_hold", Boolean, nullable=False, server_default=text("false")),
    Column("notes", Text),
    *_timestamps(),
    # The customer list's default order. Its search reads two trigram indexes on PostgreSQL, and
    # invoices one of their lower-cased number: expressions, made by migration 0010 alone.
    Index("ix_customers_name", "name"),
)

# Indexes on expressions that the migrations make in SQL: 0010's on PostgreSQL only (the customer
# search), 0015's on both (addresses by their lower case, for threading received mail). They are not
# described here, and autogenerate leaves them alone (`include_object`).
POSTGRES_ONLY_INDEXES = frozenset({"ix_customers_search", "ix_contacts_search", "ix_invoices_number_lower"})
EXPRESSION_INDEXES = POSTGRES_ONLY_INDEXES | {"ix_contacts_email_lower", "ix_customers_email_lower"}


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter of what autogenerate compares: all but `EXPRESSION_INDEXES`."""
    return not (kind == "index" and name in EXPRESSION_INDEXES)


contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    # "id:<external id>" or "name:<casefolded name>": what a re-import matches on.
    Column("contact_key", String(300), nullable=False),
    Column("external_id", String(128)),
    Column("name", Text, nullable=False),
    Column("email", String(254)),
    Column("phone", String(64)),
    Column("role", String(100)),
    Column("receives_reminders", Boolean, nullable=False, server_default=text("true")),
    *_timestamps(),
    UniqueConstraint("customer_id", "contact_key", name="uq_contacts_customer_key"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("number", String(128), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default=text("0")),
    Column("credited_minor", BigInteger, nullable=False, server_default=text("0")),
    Column("written_off_minor", BigInteger, nullable=False, server_default=text("0")),
    Column("is_void", Boolean, nullable=False, server_default=text("false")),
    # open, paid, void, written_off: derived from is_void and the allocations by the import.
    Column("status", String(16), nullable=False, server_default="open"),
    Column("excluded", Boolean, nullable=False, server_default=text("false")),
    *_timestamps(),
    CheckConstraint("status IN ('open', 'paid', 'void', 'written_off')", name="status"),
    CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    Index("ix_invoices_customer_status", "customer_id", "status"),
    Index("ix_invoices_status_due", "status", "due_date"),
    # The daily cycle's anti-joins and auto-close read the open invoices from it (migration 0007).
    Index(
        "ix_invoices_open_due_id",
        "due_date",
        "id",
        postgresql_where=text("status = 'open'"),
        sqlite_where=text("status = 'open'"),
    ),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="SET NULL"), index=True),
    Column("date", Date, nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("method", String(200)),
    *_timestamps(),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)

credit_notes = Table(
    "credit_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="SET NULL"), index=True),
    Column("date", Date, nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(200)),
    *_timestamps(),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)

credit_scores = Table(
    "credit_scores",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("date", Date, nullable=False),
    Column("score", Integer, nullable=False),
    Column("max_score", Integer),
    Column("rating", String(32)),
    Column("source", String(100), nullable=False),
    *_timestamps(),
    UniqueConstraint("customer_id", "date", "source", name="uq_credit_scores_customer_date_source"),
)


# -- the collector's workspace ---------------------------------------------------------------------

invoices.append_column(Column("disputed", Boolean, nullable=False, server_default=text("false")))
invoices.append_column(Column("plan_id", Integer, ForeignKey("payment_plans.id", ondelete="SET NULL"), index=True))

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the token: shown once
    Column("name", String(100)),
    Column("created_at", UTCDateTime(), nullable=False, server_default=_now()),
    Column("last_used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

# A signed-in browser: its cookie carries the random token whose SHA-256 this is. Signing out,
# deactivating the user or changing their password ends it at once (`ended_at`).
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    # What its user sees in their list of sessions: where and with what it signed in, when last used
    # (written when the cookie is signed again, at most every few minutes).
    Column("address", String(64)),
    Column("user_agent", String(200)),
    Column("last_seen_at", UTCDateTime()),
)

issues = Table(
    "issues",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False, server_default=_now()),
    Column("closed_at", UTCDateTime()),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("assignee_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("due_date", Date, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("source", String(16), nullable=False, server_default="manual"),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="SET NULL"), index=True),
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="SET NULL")),
    Column("outcome", String(64)),
    Column("note", Text),
    Column("completed_at", UTCDateTime()),
    Column("completed_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("follow_up_date", Date),
    Column("expected_amount_minor", BigInteger),
    Column("expected_currency", String(3)),
    Column("expected_date", Date),
    Column("promise_made_on", Date),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    *_timestamps(),
    CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status"),
    # The id is the task list's tie-break: a first page reads one page of index entries (0004).
    Index("ix_tasks_assignee_status_due_id", "assignee_id", "status", "due_date", "id"),
    Index("ix_tasks_status_due_id", "status", "due_date", "id"),
    Index("ix_tasks_customer_status", "customer_id", "status"),
    Index("ix_tasks_status_completed", "status", "completed_at"),
    # The dashboard's open tasks per assignee, and its promises due this week by date (migration 0006).
    Index("ix_tasks_status_assignee", "status", "assignee_id"),
    Index(
        "ix_tasks_promise_date_id",
        "expected_date",
        "id",
        postgresql_where=text("type = 'expected_payment'"),
        sqlite_where=text("type = 'expected_payment'"),
    ),
    # Each customer's promises, for the worklist's priority beside its balances (0018).
    Index(
        "ix_tasks_promise_customer",
        "customer_id",
        postgresql_where=text("type = 'expected_payment'"),
        sqlite_where=text("type = 'expected_payment'"),
    ),
)

task_invoices = Table(
    "task_invoices",
    metadata,
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True, index=True),
)

payment_plans = Table(
    "payment_plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("start_date", Date, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    *_timestamps(),
    CheckConstraint("status IN ('active', 'completed', 'defaulted')", name="status"),
)

plan_invoices = Table(
    "plan_invoices",
    metadata,
    Column("plan_id", Integer, ForeignKey("payment_plans.id", ondelete="CASCADE"), primary_key=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True, index=True),
)

plan_instalments = Table(
    "plan_instalments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("payment_plans.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("due_date", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)

disputes = Table(
    "disputes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("reason", String(40), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("resolution", Text),
    Column("note", Text),
    Column("opened_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("closed_at", UTCDateTime()),
    *_timestamps(),
    CheckConstraint("status IN ('open', 'resolved', 'rejected')", name="status"),
)
# Where a dispute was opened: workspace (a page, the API, the CLI) or portal (the customer) (0014).
disputes.append_column(Column("source", String(16), nullable=False, server_default="workspace"))

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    # What the alert is about, e.g. "stale_task:42": at most one open alert per key.
    Column("key", String(100), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), index=True),
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE")),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),  # whose; managers see all
    Column("message", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("created_at", UTCDateTime(), nullable=False, server_default=_now()),
    Column("closed_at", UTCDateTime()),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
    Index(
        "uq_alerts_open_key",
        "key",
        unique=True,
        postgresql_where=text("status = 'open'"),
        sqlite_where=text("status = 'open'"),
    ),
    Index("ix_alerts_status_created", "status", "created_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor_kind", String(16), nullable=False),  # user, workflow, import, system
    Column("actor_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("actor_name", String(100)),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(128)),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE")),
    Column("action", String(32), nullable=False),
    Column("summary", Text, nullable=False),
    Column("changes", Text),  # JSON: {"field": [before, after]} or the values written
    Index("ix_audit_customer_at", "customer_id", "at"),
    Index("ix_audit_entity", "entity", "entity_id"),
)

saved_views = Table(
    "saved_views",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("filters", Text, nullable=False),  # JSON of the task list's filters
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    *_timestamps(),
    UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),
)

customer_balances = Table(
    "customer_balances",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("outstanding_invoice_count", Integer, nullable=False),
    Column("outstanding_minor", BigInteger, nullable=False),
    Column("overdue_minor", BigInteger, nullable=False),
    # The prioritised worklist (0018, domain/worklist.py): what the priority reads, and the priority.
    Column("oldest_due", Date),  # of the open invoices that count (not disputed, excluded or on a plan)
    Column("days_late", Integer),  # average days late, set with the month's behavioural scores
    Column("promised_until", Date),  # the latest date of an open promise to pay
    Column("broken_on", Date),  # the date of the latest broken promise
    Column("priority", BigInteger, nullable=False, server_default=text("0")),
    Index("ix_customer_balances_overdue", "overdue_minor"),
)
# The task list by priority reads its first page from this index (0018).
Index("ix_customer_balances_priority", customer_balances.c.priority.desc(), customer_balances.c.customer_id)
# The customer list by amount, largest first within each currency, reads its page from these (0013).
Index("ix_customer_balances_currency_overdue", customer_balances.c.currency, customer_balances.c.overdue_minor.desc())
Index(
    "ix_customer_balances_currency_outstanding",
    customer_balances.c.currency,
    customer_balances.c.outstanding_minor.desc(),
)


# -- automation: workflows, the outbox, the daily cycle ------------------------------------------------

customers.append_column(Column("workflow_paused", Boolean, nullable=False, server_default=text("false")))
invoices.append_column(Column("workflow_paused", Boolean, nullable=False, server_default=text("false")))

workflow_files = Table(
    "workflow_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", Text, nullable=False),  # the TOML text, as validated
    Column("updated_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    *_timestamps(),
)

# Email template parts saved from the templates page: one row per template name and part (subject,
# text, html). They win over ARREARS_TEMPLATES_DIR and the built-in templates. Every save or reset
# also changes the app setting "email_templates_version", which processes compare before reading these.
email_templates = Table(
    "email_templates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("part", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("updated_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("name", "part", name="uq_email_templates_name_part"),
    CheckConstraint("part IN ('subject', 'text', 'html')", name="part"),
)

step_runs = Table(
    "step_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workflow", String(64), nullable=False),
    Column("step", String(64), nullable=False),
    # What the step ran for: "invoice:<id>", "instalment:<id>" or "customer:<id>". A step runs at
    # most once per subject, whatever happens: the unique key is the guarantee, not the code.
    Column("subject", String(40), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), index=True),
    Column("status", String(16), nullable=False),  # fired or skipped
    Column("cycle_date", Date, nullable=False),
    # What the run produced. On PostgreSQL the cycle takes the email and task ids before it claims
    # the run, so these references are checked at commit (DEFERRABLE, migration 0008; SQLite links
    # the runs after writing the emails and tasks).
    Column("email_id", Integer, ForeignKey("emails.id", ondelete="SET NULL", deferrable=True, initially="IMMEDIATE")),
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="SET NULL", deferrable=True, initially="IMMEDIATE")),
    Column("created_at", UTCDateTime(), nullable=False, server_default=_now()),
    CheckConstraint("status IN ('fired', 'skipped')", name="status"),
    UniqueConstraint("workflow", "step", "subject", name="uq_step_runs_workflow_step_subject"),
)

emails = Table(
    "emails",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    # One email per customer, workflow step and cycle date: a re-run cannot queue it twice.
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("to_addresses", Text, nullable=False),  # JSON list
    Column("subject", Text, nullable=False),
    # The body is rendered when the email is sent, from its template and `context` (JSON: the
    # invoices and amounts as the cycle decided them); `html` and `text` are what went out, and
    # are empty strings until then (migration 0008; an email queued before it has them from the start).
    Column("html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("template", String(64), nullable=False),
    Column("context", Text),
    Column("workflow", String(64)),
    Column("step", String(64)),
    Column("cycle_date", Date),
    Column("attach_invoice_id", Integer, ForeignKey("invoices.id", ondelete="SET NULL")),
    Column("message_id", String(200), nullable=False),
    Column("status", String(16), nullable=False, server_default="queued"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime(), nullable=False, server_default=_now()),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime()),
    *_timestamps(),
    CheckConstraint("status IN ('queued', 'sent', 'failed', 'bounced')", name="status"),
    # The send loop's queue: queued ids in order (migration 0005; it replaced an index on
    # (status, next_attempt_at), with which each take sorted every queued email).
    Index(
        "ix_emails_queued_id",
        "id",
        postgresql_where=text("status = 'queued'"),
        sqlite_where=text("status = 'queued'"),
    ),
)

email_invoices = Table(
    "email_invoices",
    metadata,
    Column("email_id", Integer, ForeignKey("emails.id", ondelete="CASCADE"), primary_key=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True, index=True),
)

cycle_runs = Table(
    "cycle_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("as_of", Date, nullable=False, index=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("dry_run", Boolean, nullable=False, server_default=text("false")),
    Column("summary", Text),  # JSON of the cycle's counts
    # The worker's cycle: when its batches were stored (cycle_batches), each a job (migration 0020).
    Column("fanned_out_at", UTCDateTime()),
)

# A worker's cycle cut into jobs: the groups (JSON, `cycle.planning.encode_batch`) of a batch of
# customers, done in the transaction that fires them, with that batch's counts (migration 0020).
cycle_batches = Table(
    "cycle_batches",
    metadata,
    Column("run_id", Integer, ForeignKey("cycle_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("groups", Text, nullable=False),  # emptied once the batch is fired
    Column("done_at", UTCDateTime()),
    Column("summary", Text),
)

# Events received from outside (payment provider webhooks, inbound mail), stored as they arrive and
# processed by jobs: a provider that sends the same event twice (they retry for days) finds it here
# and nothing happens twice (migration 0009).
inbox_events = Table(
    "inbox_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("kind", String(100), nullable=False),  # the provider's event type, e.g. checkout.session.completed
    Column("payload", Text, nullable=False),  # JSON, as received
    Column("received_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime(), nullable=False, server_default=_now()),
    Column("processed_at", UTCDateTime()),
    Column("last_error", Text),
    UniqueConstraint("provider", "event_id", name="uq_inbox_events_provider_event"),
    CheckConstraint("status IN ('pending', 'processed', 'failed')", name="status"),
    Index(
        "ix_inbox_events_pending_id",
        "id",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
)

# The customer portal's links: only the SHA-256 of each token is kept (migration 0014).
portal_links = Table(
    "portal_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="SET NULL")),
    Column("token_hash", String(64), nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Column("last_seen_at", UTCDateTime()),
    Column("issued_by", String(200), nullable=False),  # a user's name, or what issued it (an email)
    UniqueConstraint("token_hash", name="uq_portal_links_token_hash"),
)

# Online payments started on the portal, from the checkout session to the provider's verdict: one per
# payment intent, whatever the order or number of webhook deliveries (migration 0014).
online_payments = Table(
    "online_payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    # started (a checkout session made), pending (a delayed method: chasing pauses), succeeded
    # (recorded on the ledger), failed, expired.
    Column("status", String(16), nullable=False, server_default="started"),
    Column("checkout_session_id", String(255)),
    Column("payment_intent_id", String(255)),
    Column("portal_link_id", Integer, ForeignKey("portal_links.id", ondelete="SET NULL")),
    Column("last_event_id", String(255)),
    Column("error", Text),
    *_timestamps(),
    UniqueConstraint("provider", "checkout_session_id", name="uq_online_payments_provider_session"),
    UniqueConstraint("provider", "payment_intent_id", name="uq_online_payments_provider_intent"),
    CheckConstraint("status IN ('started', 'pending', 'succeeded', 'failed', 'expired')", name="status"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)

online_payment_invoices = Table(
    "online_payment_invoices",
    metadata,
    Column("online_payment_id", Integer, ForeignKey("online_payments.id", ondelete="CASCADE"), primary_key=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True, index=True),
)
# A payment by a delayed method is pending on these invoices: chasing pauses, they are not paid
# (a cache of the pending online payments that name the invoice, kept by their writes; 0014).
invoices.append_column(Column("payment_pending", Boolean, nullable=False, server_default=text("false")))

# -- mail received (migration 0015) ---------------------------------------------------------------
# Every email we send can be answered: its Reply-To carries `reply_token` (the random part of its
# Message-ID), and a reply names its Message-ID in In-Reply-To; both are index lookups. An email
# written as an answer to a received message names that message's id (`in_reply_to`).
emails.append_column(Column("reply_token", String(32)))
emails.append_column(Column("in_reply_to", String(500)))
Index("ix_emails_reply_token", emails.c.reply_token, unique=True)
Index("ix_emails_message_id", emails.c.message_id)

# Messages received in the AR mailbox (IMAP, or a mail server's pipe): unique on their Message-ID,
# so a message fetched twice (two workers, a restart) is stored once. `customer_id` is null while
# unmatched; `email_id` is the email of ours it answers or bounces. The raw message is kept (up to a
# size) so it can be read again; the text is what a page shows, never its HTML.
received_emails = Table(
    "received_emails",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", String(500), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="SET NULL")),
    Column("email_id", Integer, ForeignKey("emails.id", ondelete="SET NULL"), index=True),
    Column("kind", String(16), nullable=False),  # reply, auto_reply, bounce
    Column(
        "matched_by", String(16), nullable=False
    ),  # token, in_reply_to, references, from_address, assigned, unmatched
    Column("from_address", String(320), nullable=False),
    Column("from_name", String(200), nullable=False, server_default=""),
    Column("to_addresses", Text, nullable=False),  # JSON list
    Column("subject", Text, nullable=False),
    Column("sent_at", UTCDateTime()),  # its Date header
    Column("received_at", UTCDateTime(), nullable=False),
    Column("text", Text, nullable=False),  # the whole body as text
    Column("reply_text", Text, nullable=False),  # without the quoted message and the signature
    Column("raw", LargeBinary),  # null when larger than kept
    Column("raw_size", Integer, nullable=False),
    Column("source", String(16), nullable=False),  # imap, pipe
    Column("bounce_status", String(16)),
    Column("bounce_diagnostic", Text),
    Column("read_at", UTCDateTime()),
    Column("read_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    UniqueConstraint("message_id", name="uq_received_emails_message_id"),
    CheckConstraint("kind IN ('reply', 'auto_reply', 'bounce')", name="kind"),
    Index("ix_received_emails_customer_received", "customer_id", "received_at"),
    # unread mail, per customer (the task list's and the record's marker, the inbox, issues' auto-close)
    Index(
        "ix_received_emails_unread",
        "customer_id",
        postgresql_where=text("read_at IS NULL"),
        sqlite_where=text("read_at IS NULL"),
    ),
)

received_attachments = Table(
    "received_attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "received_email_id", Integer, ForeignKey("received_emails.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# Where fetching a mailbox's folder got to: the folder's UIDVALIDITY and the last UID stored. A
# worker holds the row (FOR UPDATE) while it fetches, so two workers never fetch the same messages.
mailbox_folders = Table(
    "mailbox_folders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mailbox", String(320), nullable=False),  # user@host
    Column("folder", String(200), nullable=False),
    Column("uidvalidity", BigInteger, nullable=False, server_default=text("0")),
    Column("last_uid", BigInteger, nullable=False, server_default=text("0")),
    Column("fetched_at", UTCDateTime()),
    UniqueConstraint("mailbox", "folder", name="uq_mailbox_folders_mailbox_folder"),
)

# Addresses that bounced: after BOUNCES_TO_FLAG permanent failures an address is flagged and gets
# no more reminders until a user clears it (or the contact's address is changed).
bounced_addresses = Table(
    "bounced_addresses",
    metadata,
    Column("address", String(320), primary_key=True),  # lower-cased
    Column("permanent_bounces", Integer, nullable=False, server_default=text("0")),
    Column("last_bounce_at", UTCDateTime(), nullable=False),
    Column("last_diagnostic", Text),
    Column("flagged_at", UTCDateTime()),
)

# -- credit (migration 0016) ------------------------------------------------------------------------
# A customer on credit hold: no new orders on credit until a manager releases it (the ERP reads it
# from the customers export). Who set it, when, and why.
customers.append_column(Column("credit_hold", Boolean, nullable=False, server_default=text("false")))
customers.append_column(Column("credit_hold_note", Text))
customers.append_column(Column("credit_hold_at", UTCDateTime()))
customers.append_column(Column("credit_hold_by", Integer, ForeignKey("users.id", ondelete="SET NULL")))
# Why a score computed by Arrears (source `arrears`) is what it is: its parts, as JSON.
credit_scores.append_column(Column("explanation", Text))
Index("ix_credit_scores_customer_date", credit_scores.c.customer_id, credit_scores.c.date)

# What the cycle last saw of each customer's credit, so that an alert is raised once per crossing
# (the score going below the threshold, the exposure going over a level of the limit) and not every
# day, and closes when the condition no longer holds.
credit_states = Table(
    "credit_states",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("score_low", Boolean, nullable=False, server_default=text("false")),
    Column("limit_level", Integer, nullable=False, server_default=text("0")),  # 0, or the % of the limit reached
    Column("updated_at", UTCDateTime(), nullable=False),
)

# -- calls (migration 0017) -------------------------------------------------------------------------
# A call task's recording: its audio is a file under ARREARS_CALLS_DIR (`storage_key`, null once the
# retention deleted it), never a database row; its transcript (the words, and the segments with their
# times as JSON) stays. One recording per task. `status`: pending, transcribing, done, failed (the
# last attempt's error is kept for the task to show; the job tries again).
call_recordings = Table(
    "call_recordings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("format", String(8), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("storage_key", String(100)),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("error", Text),
    Column("transcript", Text),
    Column("segments", Text),  # JSON: [{"start": s, "end": s, "text": "…"}, …]
    Column("language", String(16)),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("transcribed_at", UTCDateTime()),
    Column("audio_deleted_at", UTCDateTime()),
    UniqueConstraint("task_id", name="uq_call_recordings_task_id"),
    CheckConstraint("status IN ('pending', 'transcribing', 'done', 'failed')", name="status"),
    CheckConstraint("format IN ('wav', 'mp3', 'ogg')", name="format"),
    Index("ix_call_recordings_customer_created", "customer_id", "created_at"),
    Index("ix_call_recordings_status_created", "status", "created_at"),
    # the retention's sweep: recordings whose audio is still kept, oldest first
    Index(
        "ix_call_recordings_audio_created",
        "created_at",
        postgresql_where=text("storage_key IS NOT NULL"),
        sqlite_where=text("storage_key IS NOT NULL"),
    ),
)

# -- state shared by the web processes (migration 0019) ----------------------------------------------

# Failed sign-ins and invalid portal tokens of the last minutes: what the throttles count
# (services/throttles.py), in the database so that every process of `arrears serve --workers N`
# counts the same failures. Rows older than the longest window are deleted as new ones come.
failed_attempts = Table(
    "failed_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # sign_in, portal_token, api_token
    Column("account", String(64)),  # the user name tried (lower case); null for a token
    Column("address", String(64), nullable=False),  # the client's address
    Column("failed_at", UTCDateTime(), nullable=False),
    CheckConstraint("kind IN ('sign_in', 'portal_token', 'api_token')", name="kind"),
    Index("ix_failed_attempts_kind_account_failed", "kind", "account", "failed_at"),
    Index("ix_failed_attempts_kind_address_failed", "kind", "address", "failed_at"),
    Index("ix_failed_attempts_failed_at", "failed_at"),
)

# Rate limits: requests counted per key (an API token's user, a portal link's customer) in fixed
# windows, one row per key and window, by every server process alike (services/throttles.py).
rate_counts = Table(
    "rate_counts",
    metadata,
    Column("kind", String(16), primary_key=True),  # api_call, portal_form
    Column("key", String(64), primary_key=True),
    Column("window_start", UTCDateTime(), primary_key=True),
    Column("count", Integer, nullable=False),
    CheckConstraint("kind IN ('api_call', 'portal_form')", name="kind"),
    Index("ix_rate_counts_window_start", "window_start"),
)

# How far each import started from the web's import page has read its file, so that the page's polls
# find it whichever server process answers them (PostgreSQL; on SQLite, where no other connection may
# write while the import's transaction runs, each process keeps its own: adapters/db/import_progress.py).
# A row lives while its import runs.
import_progress = Table(
    "import_progress",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("run", String(32), primary_key=True),
    Column("read", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
