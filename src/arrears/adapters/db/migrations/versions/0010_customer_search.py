"""customer search

The customer list searches a customer's name, external id, email and phone, and its contacts', for
any part of them, in any case, and invoices by their number (any case). A scan of every customer
and contact for each keystroke does not hold at 100,000 customers: on PostgreSQL two trigram
indexes (the pg_trgm extension, shipped with PostgreSQL) hold exactly the lower-cased text that
`adapters/db/workspace/customer_list.py` searches, and invoices one of their lower-cased number.
Customers get an index of their name for the list's default order. SQLite scans (it is the small,
single-machine database).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CUSTOMER_TEXT = "lower(name || ' ' || external_id || ' ' || coalesce(email, '') || ' ' || coalesce(phone, ''))"
CONTACT_TEXT = "lower(name || ' ' || coalesce(email, '') || ' ' || coalesce(phone, ''))"


def upgrade() -> None:
    op.create_index("ix_customers_name", "customers", ["name"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_invoices_number_lower ON invoices (lower(number))")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX ix_customers_search ON customers USING gin (({CUSTOMER_TEXT}) gin_trgm_ops)")
        op.execute(f"CREATE INDEX ix_contacts_search ON contacts USING gin (({CONTACT_TEXT}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_contacts_search")
        op.execute("DROP INDEX ix_customers_search")
        op.execute("DROP INDEX ix_invoices_number_lower")
    op.drop_index("ix_customers_name", table_name="customers")
