"""emails rendered at send time

The daily cycle decided to send an email and rendered its body in the same transaction: about a
fifth of a steady day's firing phase. It now stores the template's context (JSON: the invoices and amounts as
decided) on the outbox row, and the send loop renders the body from it; `html` and `text`
hold what went out, and are empty strings until it has. Emails queued before this migration keep
their rendered body and have no context: they are sent as they are.

On PostgreSQL the step runs' references to their email and task become DEFERRABLE: the cycle takes
the email and task ids from their sequences before it claims the runs, so a claim names what the run
will produce, and the rows are checked at commit (linking the runs afterwards was an UPDATE of every
claimed run).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


LINKS = (("email_id", "emails"), ("task_id", "tasks"))


def _links(deferrable: bool) -> None:
    """The step runs' references to their email and task, checked at commit (or not). PostgreSQL
    alters them in place (no re-check of the rows); SQLite copies `step_runs` to change them: no
    table refers to it, so dropping the old copy deletes nothing else."""
    mode = "DEFERRABLE INITIALLY IMMEDIATE" if deferrable else "NOT DEFERRABLE"
    if op.get_bind().dialect.name == "postgresql":
        for column, table in LINKS:
            op.execute(f"ALTER TABLE step_runs ALTER CONSTRAINT fk_step_runs_{column}_{table} {mode}")
        return
    with op.batch_alter_table("step_runs", schema=None) as batch_op:
        for column, table in LINKS:
            name = f"fk_step_runs_{column}_{table}"
            batch_op.drop_constraint(name, type_="foreignkey")
            batch_op.create_foreign_key(
                name,
                table,
                [column],
                ["id"],
                ondelete="SET NULL",
                deferrable=True if deferrable else None,
                initially="IMMEDIATE" if deferrable else None,
            )


def upgrade() -> None:
    # Only a column added: SQLite adds it in place. (Making html and text nullable would have it
    # copy the table, and dropping the old one, with foreign keys on, empties its dependants.)
    op.add_column("emails", sa.Column("context", sa.Text(), nullable=True))
    _links(deferrable=True)


def downgrade() -> None:
    # The older schema cannot render a body at send time: an email still waiting for its body is
    # marked failed (it shows as "error sending email"), so nothing goes out empty. Send first.
    op.execute(
        "UPDATE emails SET status = 'failed', "
        "last_error = 'not sent: the database was downgraded before its body was rendered' "
        "WHERE status = 'queued' AND context IS NOT NULL"
    )
    op.drop_column("emails", "context")
    _links(deferrable=False)
