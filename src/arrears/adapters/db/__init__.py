"""The database adapter: tables, migrations, the unit of work and set-based queries."""
