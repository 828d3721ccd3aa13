"""inbox of events received from outside

Payment provider webhooks and inbound mail arrive as events that must be applied exactly once,
although providers send them again (on a timeout, for days) and in any order. Each event is stored
as it arrives, unique on (provider, event id), then processed by a job; the pending ones have a
partial index, as the outbox's queue does.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("(CURRENT_TIMESTAMP)")
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("provider", "event_id", name="uq_inbox_events_provider_event"),
        sa.CheckConstraint("status IN ('pending', 'processed', 'failed')", name="ck_inbox_events_status"),
    )
    op.create_index(
        "ix_inbox_events_pending_id",
        "inbox_events",
        ["id"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_events_pending_id", table_name="inbox_events")
    op.drop_table("inbox_events")
