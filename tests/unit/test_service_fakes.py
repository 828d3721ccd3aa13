"""The fake unit of work keeps what a use case commits and nothing else, as the database does: the
ground the unit tests of the services stand on."""

from __future__ import annotations

import pytest

from arrears.domain.audit import SYSTEM, AuditEntry
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import NOW, make_task


def entry(summary: str) -> AuditEntry:
    return AuditEntry(NOW, SYSTEM, "customer", "C1", "note", summary, 1)


def test_what_a_unit_of_work_commits_is_kept() -> None:
    uow = FakeUnitOfWork()

    with uow:
        uow.audit.record(entry("kept"))
        uow.commit()

    assert [e.summary for e in uow.audit.entries] == ["kept"]
    assert uow.commits == 1


def test_leaving_the_block_without_a_commit_keeps_nothing() -> None:
    uow = FakeUnitOfWork()

    with uow:
        uow.audit.record(entry("forgotten"))

    assert uow.audit.entries == []
    assert uow.commits == 0


def failing_use_case(uow: FakeUnitOfWork) -> None:
    with uow:
        uow.audit.record(entry("first"))
        uow.commit()
        uow.audit.record(entry("second"))
        raise RuntimeError("the use case failed")


def test_an_error_inside_the_block_keeps_nothing_written_since_the_last_commit() -> None:
    uow = FakeUnitOfWork()

    with pytest.raises(RuntimeError):
        failing_use_case(uow)

    assert [e.summary for e in uow.audit.entries] == ["first"]


def test_a_rollback_forgets_the_writes_and_the_transaction_goes_on() -> None:
    uow = FakeUnitOfWork()

    with uow:
        uow.audit.record(entry("undone"))
        uow.rollback()
        uow.audit.record(entry("after"))
        uow.commit()

    assert [e.summary for e in uow.audit.entries] == ["after"]
    assert uow.rollbacks == 1


def test_another_unit_of_work_sees_only_what_was_committed() -> None:
    uow = FakeUnitOfWork()
    other = uow.fresh()

    with uow:
        uow.audit.record(entry("pending"))
        with other:
            assert other.audit.entries == []
        uow.commit()
        with other:
            seen = [e.summary for e in other.audit.entries]

    assert seen == ["pending"]


def test_a_task_saved_over_a_version_that_moved_on_is_not_written() -> None:
    uow = acme_desk()
    task = uow.tasks.add(make_task(id=7, version=2))

    saved = uow.tasks.save_task(make_task(id=7, description="mine", version=2), expected_version=1)

    assert saved is False
    assert uow.tasks.rows[7] == task


def test_an_alert_is_raised_once_while_it_is_open_and_again_once_closed() -> None:
    uow = acme_desk()

    first = uow.alerts.raise_alert("stale_task", "stale_task:7", "late", customer_id=1, task_id=7, user_id=3, at=NOW)
    again = uow.alerts.raise_alert("stale_task", "stale_task:7", "late", customer_id=1, task_id=7, user_id=3, at=NOW)
    uow.alerts.close_alerts(["stale_task:7"], NOW)
    after_close = uow.alerts.raise_alert(
        "stale_task", "stale_task:7", "late", customer_id=1, task_id=7, user_id=3, at=NOW
    )

    assert (first, again, after_close) == (True, False, True)


def test_the_fake_names_an_area_it_does_not_have() -> None:
    uow = FakeUnitOfWork()

    with pytest.raises(AttributeError, match="'reports'"):
        _ = uow.reports
