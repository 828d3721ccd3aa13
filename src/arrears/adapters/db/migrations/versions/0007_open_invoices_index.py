"""open invoices index

The daily cycle selects, for each dated step of a workflow, the open invoices due by the step's date
that the step has not run for (an anti-join against step_runs). Read from the table, that is every
open invoice's row, and each page of the invoices it is on: at 1,000,000 invoices, 170,000 open, 35,000
pages a day. A partial index of the open invoices by due date, then id, holds all the anti-join needs;
only the few thousand invoices it leaves are read from the table. The auto-close rule (open tasks
whose invoices are all settled) reads the open invoices' ids from it as well.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 16:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN = "status = 'open'"


def upgrade() -> None:
    op.create_index(
        "ix_invoices_open_due_id",
        "invoices",
        ["due_date", "id"],
        unique=False,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_open_due_id", table_name="invoices")
