"""shared web state: the throttles' recent failures and the web imports' progress

`arrears serve --workers N` runs several processes: the failed sign-ins and invalid portal tokens
that the throttles counted in one process's memory are now rows that every process counts, and the
progress of an import started from the import page is a row that any process can report.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"  # main's 0018_worklist_priority; this branch alone was tested on "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('sign_in', 'portal_token')", name=op.f("ck_failed_attempts_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_attempts")),
    )
    op.create_index(
        "ix_failed_attempts_kind_account_failed", "failed_attempts", ["kind", "account", "failed_at"], unique=False
    )
    op.create_index(
        "ix_failed_attempts_kind_address_failed", "failed_attempts", ["kind", "address", "failed_at"], unique=False
    )
    op.create_index("ix_failed_attempts_failed_at", "failed_attempts", ["failed_at"], unique=False)
    op.create_table(
        "import_progress",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("run", sa.String(length=32), nullable=False),
        sa.Column("read", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_import_progress_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "run", name=op.f("pk_import_progress")),
    )


def downgrade() -> None:
    op.drop_table("import_progress")
    op.drop_index("ix_failed_attempts_failed_at", table_name="failed_attempts")
    op.drop_index("ix_failed_attempts_kind_address_failed", table_name="failed_attempts")
    op.drop_index("ix_failed_attempts_kind_account_failed", table_name="failed_attempts")
    op.drop_table("failed_attempts")
