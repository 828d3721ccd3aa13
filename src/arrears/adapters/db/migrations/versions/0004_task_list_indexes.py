"""task list indexes

The task list pages by due date with the task id as the tie-break: with the id in the index, the
first page of "my open tasks" (or everyone's) reads 51 index entries, not every task due that day.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 13:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_assignee_status_due")
        batch_op.drop_index("ix_tasks_status_due")
        batch_op.create_index(
            "ix_tasks_assignee_status_due_id", ["assignee_id", "status", "due_date", "id"], unique=False
        )
        batch_op.create_index("ix_tasks_status_due_id", ["status", "due_date", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_status_due_id")
        batch_op.drop_index("ix_tasks_assignee_status_due_id")
        batch_op.create_index("ix_tasks_status_due", ["status", "due_date"], unique=False)
        batch_op.create_index("ix_tasks_assignee_status_due", ["assignee_id", "status", "due_date"], unique=False)
