"""The migrations build the schema that `tables.py` describes (as far as alembic's autogenerate
compares: tables, columns and types, indexes, unique and foreign keys; server defaults on
PostgreSQL; not CHECK constraints), step down and up again, and carry the rows they change: on
SQLite and PostgreSQL, each in a database of its own."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import SAWarning

from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.adapters.db.engine import alembic_config, current_revision, head_revision, make_engine, upgrade
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.services import cycle, demo
from tests.conftest import scratch_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no schema at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
        yield engine
        engine.dispose()
        return
    request.getfixturevalue("postgres_engine")  # skips, or fails, if the server cannot be reached
    with scratch_postgres("migrations") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def differences(engine: Engine) -> list[object]:
    """What alembic's autogenerate would change to reach `tables.metadata`. (SQLite's reflected
    server defaults differ in quoting only, so they are compared on PostgreSQL alone.)"""
    with engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": engine.dialect.name == "postgresql",
                "include_object": t.include_object,
            },
        )
        return list(compare_metadata(context, t.metadata))


def test_the_migrations_build_exactly_the_schema_of_the_tables_module(blank: Engine) -> None:
    upgrade(blank)

    assert current_revision(blank) == head_revision()
    assert differences(blank) == []


def test_every_migration_steps_down_and_up_again(blank: Engine) -> None:
    upgrade(blank)

    command.downgrade(alembic_config(blank), "base")
    with blank.connect() as connection:
        left = {name for name in blank.dialect.get_table_names(connection) if name != "alembic_version"}
    assert left == set()
    upgrade(blank)
    assert differences(blank) == []


def test_0008_keeps_the_bodies_of_emails_queued_before_it_and_its_downgrade_sends_nothing_empty(
    blank: Engine,
) -> None:
    config = alembic_config(blank)
    command.upgrade(config, "0007")
    e = t.emails
    with blank.begin() as connection:
        connection.execute(insert(t.customers).values(id=1, external_id="C1", name="Acme", currency="USD", tags=""))
        connection.execute(
            text(
                "INSERT INTO emails (customer_id, dedupe_key, to_addresses, subject, html, text, template,"
                " message_id) VALUES (1, 'old', '[]', 'Old', '<p>Old body</p>', 'Old body', 'past_due', '<m0@x>')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO step_runs (workflow, step, subject, customer_id, status, cycle_date, email_id)"
                " SELECT 'standard', 'welcome', 'customer:1', 1, 'fired', '2026-06-30', id FROM emails"
            )
        )

    command.upgrade(config, "0008")
    with blank.begin() as connection:
        old = connection.execute(select(e.c.id, e.c.html, e.c.text, e.c.context, e.c.status)).one()
        assert tuple(old)[1:] == ("<p>Old body</p>", "Old body", None, "queued")
        run = connection.execute(select(t.step_runs.c.subject, t.step_runs.c.email_id)).one()
        assert tuple(run) == ("customer:1", old.id)  # the step runs, copied on SQLite, keep their links
        connection.execute(
            insert(e).values(
                customer_id=1,
                dedupe_key="new",
                to_addresses="[]",
                subject="New",
                html="",
                text="",
                template="past_due",
                context="{}",
                message_id="<m1@x>",
            )
        )

    command.downgrade(config, "0007")
    with blank.connect() as connection:
        rows = {
            row.dedupe_key: (row.status, row.last_error)
            for row in connection.execute(text("SELECT dedupe_key, status, last_error FROM emails"))
        }
    assert rows["old"] == ("queued", None)
    assert rows["new"][0] == "failed" and "downgraded before its body was rendered" in rows["new"][1]


def test_the_indexes_on_lower_case_addresses_survive_every_later_migration(blank: Engine) -> None:
    upgrade(blank)

    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if blank.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes"
    )
    with blank.connect() as connection:
        names = set(connection.exec_driver_sql(query).scalars())
    assert {"ix_contacts_email_lower", "ix_customers_email_lower"} <= names


TABLES_WITH_PARENTS = ("invoices", "payments", "emails", "email_invoices", "tasks", "task_invoices", "step_runs")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        found = {
            name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in TABLES_WITH_PARENTS
        }
        found["payments on invoices"] = connection.execute(
            text("SELECT count(*) FROM payments WHERE invoice_id IS NOT NULL")
        ).scalar_one()
    return found


def test_migrating_down_and_up_again_keeps_every_row_that_refers_to_a_table_copied_on_the_way(
    blank: Engine, tmp_path: Path
) -> None:
    """SQLite copies a table to alter it: with foreign keys on, dropping the old copy would delete
    (or unlink) the rows that refer to it, an invoice's payments, a task's invoices."""
    url = blank.url.render_as_string(hide_password=False)
    upgrade(blank)
    day = date(2026, 6, 30)
    app = bootstrap(
        Settings(database_url=url, email_url=f"file://{tmp_path}/mail"),
        FixedClock(datetime(2026, 6, 30, 7, 0, tzinfo=UTC)),
    )
    demo.load_demo(app.uow, app.hasher, 7, day, None, customers=15)
    cycle.run_cycle(app.uow, app.workflows(), app.mailer(), day)
    app.close()
    before = _counts(blank)
    assert before["email_invoices"] and before["task_invoices"] and before["payments on invoices"]

    command.downgrade(alembic_config(blank), "0013")
    upgrade(blank)

    assert _counts(blank) == before
