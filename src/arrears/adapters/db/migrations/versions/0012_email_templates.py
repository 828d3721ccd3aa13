"""email templates

Managers edit the reminder emails' templates in the web pages: each part they save (a template's
subject, text or HTML part) is a row, which wins over ARREARS_TEMPLATES_DIR and the built-in
templates. Every save or reset also replaces the app setting "email_templates_version", so that a
server or a worker reads the parts again only when they changed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("part IN ('subject', 'text', 'html')", name=op.f("ck_email_templates_part")),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_email_templates_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_templates")),
        sa.UniqueConstraint("name", "part", name="uq_email_templates_name_part"),
    )


def downgrade() -> None:
    op.drop_table("email_templates")
    op.execute("DELETE FROM app_settings WHERE key = 'email_templates_version'")
