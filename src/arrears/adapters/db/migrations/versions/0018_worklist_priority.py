"""worklist priority: each customer's priority beside its balances, and what it is computed from

`customer_balances` gains the oldest due date of the open invoices that count, the customer's
average days late (set with the month's behavioural scores), the latest date of an open promise to
pay and of a broken one, and the priority itself (domain/worklist.py), with an index by priority for
the task list's "priority" sort; the tasks gain an index of each customer's promises. The next roll
of the balances fills them (every customer once, as on a first roll).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 03:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_balances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oldest_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("days_late", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("promised_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("broken_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    with op.batch_alter_table("customer_balances", schema=None) as batch_op:
        batch_op.create_index("ix_customer_balances_priority", [sa.text("priority DESC"), "customer_id"], unique=False)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_promise_customer",
            ["customer_id"],
            unique=False,
            postgresql_where=sa.text("type = 'expected_payment'"),
            sqlite_where=sa.text("type = 'expected_payment'"),
        )
    # The balances are filled again on the next roll: every customer, with its priority.
    op.execute("DELETE FROM app_settings WHERE key = 'balances_as_of'")


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_promise_customer")
    with op.batch_alter_table("customer_balances", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_balances_priority")
        batch_op.drop_column("priority")
        batch_op.drop_column("broken_on")
        batch_op.drop_column("promised_until")
        batch_op.drop_column("days_late")
        batch_op.drop_column("oldest_due")
