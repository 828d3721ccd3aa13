"""credit: hold, computed scores with their explanation, alert crossings

A customer can be put on credit hold (and released) with a note, by whom and when. Scores computed
by Arrears from the customer's own payment history are stored beside the imported ones (source
`arrears`) with the parts that make them. The cycle remembers each customer's last credit state
(score below the threshold, the level of the limit reached) so that its alerts fire once per
crossing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_hold", sa.Boolean, nullable=False, server_default=sa.text("false")))
        batch_op.add_column(sa.Column("credit_hold_note", sa.Text))
        batch_op.add_column(sa.Column("credit_hold_at", sa.DateTime(timezone=True)))
        batch_op.add_column(
            sa.Column(
                "credit_hold_by",
                sa.Integer,
                sa.ForeignKey("users.id", name="fk_customers_credit_hold_by_users", ondelete="SET NULL"),
            )
        )
    _index_lower_email()
    with op.batch_alter_table("credit_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("explanation", sa.Text))
    op.create_index("ix_credit_scores_customer_date", "credit_scores", ["customer_id", "date"])
    op.create_table(
        "credit_states",
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("score_low", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("limit_level", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("credit_states")
    op.drop_index("ix_credit_scores_customer_date", table_name="credit_scores")
    with op.batch_alter_table("credit_scores", schema=None) as batch_op:
        batch_op.drop_column("explanation")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("credit_hold_by")
        batch_op.drop_column("credit_hold_at")
        batch_op.drop_column("credit_hold_note")
        batch_op.drop_column("credit_hold")
    _index_lower_email()


def _index_lower_email() -> None:
    """SQLite's batch mode copies the customers table, leaving behind the index on an expression
    that migration 0015 made (it is not reflected): make it again."""
    op.execute("CREATE INDEX IF NOT EXISTS ix_customers_email_lower ON customers (lower(email))")
