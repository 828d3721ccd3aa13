"""call recordings: a call task's recorded audio (kept as a file) and its transcript

One recording per call task: its file's name, format, size and duration, where the audio is kept
(null once the retention deleted it), the transcription's state (with the last error and how many
attempts), and the transcript with its segments.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_recordings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "task_id",
            sa.Integer,
            sa.ForeignKey("tasks.id", name="fk_call_recordings_task_id_tasks", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", name="fk_call_recordings_customer_id_customers", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("storage_key", sa.String(100)),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("error", sa.Text),
        sa.Column("transcript", sa.Text),
        sa.Column("segments", sa.Text),
        sa.Column("language", sa.String(16)),
        sa.Column(
            "created_by",
            sa.Integer,
            sa.ForeignKey("users.id", name="fk_call_recordings_created_by_users", ondelete="SET NULL"),
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transcribed_at", sa.DateTime(timezone=True)),
        sa.Column("audio_deleted_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_call_recordings"),
        sa.UniqueConstraint("task_id", name="uq_call_recordings_task_id"),
        sa.CheckConstraint("status IN ('pending', 'transcribing', 'done', 'failed')", name="ck_call_recordings_status"),
        sa.CheckConstraint("format IN ('wav', 'mp3', 'ogg')", name="ck_call_recordings_format"),
    )
    op.create_index("ix_call_recordings_customer_created", "call_recordings", ["customer_id", "created_at"])
    op.create_index("ix_call_recordings_status_created", "call_recordings", ["status", "created_at"])
    op.create_index(
        "ix_call_recordings_audio_created",
        "call_recordings",
        ["created_at"],
        postgresql_where=sa.text("storage_key IS NOT NULL"),
        sqlite_where=sa.text("storage_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("call_recordings")
