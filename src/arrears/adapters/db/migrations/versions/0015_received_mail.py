"""received mail: replies, auto-replies and bounces threaded onto customers

Every email sent gets a reply token (the random part of its Message-ID, which it carries in its
Reply-To as `ar+TOKEN@…`) and an index on its Message-ID, so a reply finds the email it answers by
an index lookup. Received messages are stored once per Message-ID, with their attachments and, up
to a size, their raw bytes; where an IMAP folder's fetching got to is kept per folder; addresses
that bounced are counted, and flagged after repeated permanent failures.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_token", sa.String(32)))
        batch_op.add_column(sa.Column("in_reply_to", sa.String(500)))
    # the emails sent before: their token is the hex of their Message-ID, <arrears-HEX@domain>
    op.execute(
        "UPDATE emails SET reply_token = substr(message_id, 10, 32) "
        "WHERE message_id LIKE '<arrears-%' AND length(message_id) > 43"
    )
    op.create_index("ix_emails_reply_token", "emails", ["reply_token"], unique=True)
    op.create_index("ix_emails_message_id", "emails", ["message_id"])
    # a reply from a known address: contacts and customers by their address, whatever its case
    op.execute("CREATE INDEX ix_contacts_email_lower ON contacts (lower(email))")
    op.execute("CREATE INDEX ix_customers_email_lower ON customers (lower(email))")
    op.create_table(
        "received_emails",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.String(500), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("email_id", sa.Integer, sa.ForeignKey("emails.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("matched_by", sa.String(16), nullable=False),
        sa.Column("from_address", sa.String(320), nullable=False),
        sa.Column("from_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("to_addresses", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reply_text", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary),
        sa.Column("raw_size", sa.Integer, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("bounce_status", sa.String(16)),
        sa.Column("bounce_diagnostic", sa.Text),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("read_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.UniqueConstraint("message_id", name="uq_received_emails_message_id"),
        sa.CheckConstraint("kind IN ('reply', 'auto_reply', 'bounce')", name="ck_received_emails_kind"),
    )
    op.create_index("ix_received_emails_email_id", "received_emails", ["email_id"])
    op.create_index("ix_received_emails_customer_received", "received_emails", ["customer_id", "received_at"])
    op.create_index(
        "ix_received_emails_unread",
        "received_emails",
        ["customer_id"],
        postgresql_where=sa.text("read_at IS NULL"),
        sqlite_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "received_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "received_email_id",
            sa.Integer,
            sa.ForeignKey("received_emails.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_received_attachments_received_email_id", "received_attachments", ["received_email_id"])
    op.create_table(
        "mailbox_folders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mailbox", sa.String(320), nullable=False),
        sa.Column("folder", sa.String(200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("last_uid", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("fetched_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("mailbox", "folder", name="uq_mailbox_folders_mailbox_folder"),
    )
    op.create_table(
        "bounced_addresses",
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("permanent_bounces", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_bounce_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_diagnostic", sa.Text),
        sa.Column("flagged_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("bounced_addresses")
    op.drop_table("mailbox_folders")
    op.drop_index("ix_received_attachments_received_email_id", table_name="received_attachments")
    op.drop_table("received_attachments")
    op.drop_index("ix_received_emails_unread", table_name="received_emails")
    op.drop_index("ix_received_emails_customer_received", table_name="received_emails")
    op.drop_index("ix_received_emails_email_id", table_name="received_emails")
    op.drop_table("received_emails")
    op.execute("DROP INDEX ix_customers_email_lower")
    op.execute("DROP INDEX ix_contacts_email_lower")
    op.drop_index("ix_emails_message_id", table_name="emails")
    op.drop_index("ix_emails_reply_token", table_name="emails")
    with op.batch_alter_table("emails", schema=None) as batch_op:
        batch_op.drop_column("in_reply_to")
        batch_op.drop_column("reply_token")
