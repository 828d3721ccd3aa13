"""cycle batches: the day's cycle cut into jobs that any number of workers run

`arrears worker` no longer fires a day's workflows in the process that selected them: it stores the
customers' groups as numbered batches beside the cycle run, and each batch is a job that any worker
fires. A batch is marked done in the transaction that fires it; the run is finished (its closing
phases run) once none is left.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cycle_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fanned_out_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "cycle_batches",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Text(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["cycle_runs.id"], name=op.f("fk_cycle_batches_run_id_cycle_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "number", name=op.f("pk_cycle_batches")),
    )


def downgrade() -> None:
    op.drop_table("cycle_batches")
    with op.batch_alter_table("cycle_runs", schema=None) as batch_op:
        batch_op.drop_column("fanned_out_at")
