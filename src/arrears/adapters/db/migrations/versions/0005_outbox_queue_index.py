"""outbox queue index

The send loop takes the oldest queued email whose time has come, one per transaction. With
(status, next_attempt_at) indexed, each take read and sorted every queued email: a first cycle that
queues tens of thousands of emails made sending them quadratic. A partial index of the queued ids
gives them in order, so each take reads a few index entries. It replaces the (status,
next_attempt_at) index, which nothing else reads: as long as both exist, PostgreSQL picks the old
one whenever its statistics say that few emails are queued (they are taken between two sends of a
large batch), and the sort of every queued email comes back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 14:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

QUEUED = "status = 'queued'"


def upgrade() -> None:
    op.drop_index("ix_emails_status_next", table_name="emails")
    op.create_index(
        "ix_emails_queued_id",
        "emails",
        ["id"],
        unique=False,
        postgresql_where=sa.text(QUEUED),
        sqlite_where=sa.text(QUEUED),
    )


def downgrade() -> None:
    op.drop_index("ix_emails_queued_id", table_name="emails")
    op.create_index("ix_emails_status_next", "emails", ["status", "next_attempt_at"], unique=False)
