"""customer portal links and online payments

The customer portal is reached by a link in every reminder: an opaque token of which only the
SHA-256 is kept, per customer (and contact when known), expiring and revocable. Online payments
started on the portal (Stripe Checkout) are kept from the moment the session is made, with the
invoices they are for, so that a webhook applies each payment once, whatever the order or number
of deliveries (unique on the provider's payment intent), and a payment by a delayed method (ACH,
SEPA debit) can pause the chasing of its invoices while it is pending (`invoices.payment_pending`,
a cache of the pending payments that name the invoice). A dispute records where it was opened.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column[object]]:
    now = sa.text("(CURRENT_TIMESTAMP)")
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
    ]


def upgrade() -> None:
    op.create_table(
        "portal_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_seen_at", sa.DateTime(timezone=True)),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_portal_links_token_hash"),
    )
    op.create_index("ix_portal_links_customer_id", "portal_links", ["customer_id"])
    op.create_table(
        "online_payments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="started"),
        sa.Column("checkout_session_id", sa.String(255)),
        sa.Column("payment_intent_id", sa.String(255)),
        sa.Column("portal_link_id", sa.Integer, sa.ForeignKey("portal_links.id", ondelete="SET NULL")),
        sa.Column("last_event_id", sa.String(255)),
        sa.Column("error", sa.Text),
        *_timestamps(),
        sa.UniqueConstraint("provider", "checkout_session_id", name="uq_online_payments_provider_session"),
        sa.UniqueConstraint("provider", "payment_intent_id", name="uq_online_payments_provider_intent"),
        sa.CheckConstraint(
            "status IN ('started', 'pending', 'succeeded', 'failed', 'expired')", name="ck_online_payments_status"
        ),
        sa.CheckConstraint("amount_minor > 0", name="ck_online_payments_amount_positive"),
    )
    op.create_index("ix_online_payments_customer_id", "online_payments", ["customer_id"])
    op.create_table(
        "online_payment_invoices",
        sa.Column(
            "online_payment_id",
            sa.Integer,
            sa.ForeignKey("online_payments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_online_payment_invoices_invoice_id", "online_payment_invoices", ["invoice_id"])
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_pending", sa.Boolean, nullable=False, server_default=sa.text("false")))
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="workspace"))


def downgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_column("source")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("payment_pending")
    op.drop_index("ix_online_payment_invoices_invoice_id", table_name="online_payment_invoices")
    op.drop_table("online_payment_invoices")
    op.drop_index("ix_online_payments_customer_id", table_name="online_payments")
    op.drop_table("online_payments")
    op.drop_index("ix_portal_links_customer_id", table_name="portal_links")
    op.drop_table("portal_links")
