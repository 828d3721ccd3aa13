"""Background work on procrastinate (jobs in PostgreSQL): sending the outbox, and the daily cycle."""
