"""rate limits and the list of one's sessions

The API counts each token user's calls, and the portal each link's forms, in fixed windows shared by
every server process (`rate_counts`); refused API tokens count against the caller's address as
invalid portal links do (`failed_attempts` gains the kind `api_token`: the table, a day of recent
failures at most, is made anew, so the throttles start from nothing). A web session keeps where and
with what it signed in and when it was last used, for its user's list of sessions.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _failed_attempts(kinds: str) -> None:
    op.drop_index("ix_failed_attempts_failed_at", table_name="failed_attempts")
    op.drop_index("ix_failed_attempts_kind_address_failed", table_name="failed_attempts")
    op.drop_index("ix_failed_attempts_kind_account_failed", table_name="failed_attempts")
    op.drop_table("failed_attempts")
    op.create_table(
        "failed_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_failed_attempts_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_attempts")),
    )
    op.create_index(
        "ix_failed_attempts_kind_account_failed", "failed_attempts", ["kind", "account", "failed_at"], unique=False
    )
    op.create_index(
        "ix_failed_attempts_kind_address_failed", "failed_attempts", ["kind", "address", "failed_at"], unique=False
    )
    op.create_index("ix_failed_attempts_failed_at", "failed_attempts", ["failed_at"], unique=False)


def upgrade() -> None:
    _failed_attempts("'sign_in', 'portal_token', 'api_token'")
    op.create_table(
        "rate_counts",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('api_call', 'portal_form')", name=op.f("ck_rate_counts_kind")),
        sa.PrimaryKeyConstraint("kind", "key", "window_start", name=op.f("pk_rate_counts")),
    )
    op.create_index("ix_rate_counts_window_start", "rate_counts", ["window_start"], unique=False)
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("address")
    op.drop_index("ix_rate_counts_window_start", table_name="rate_counts")
    op.drop_table("rate_counts")
    _failed_attempts("'sign_in', 'portal_token'")
