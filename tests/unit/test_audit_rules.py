"""Audit entries: who acted, and which fields changed from what to what."""

from __future__ import annotations

from arrears.domain.audit import SYSTEM, Actor, ActorKind, AuditEntry, diff
from arrears.domain.users import TERMINAL
from tests.unit.builders import MARIA, NOW


def test_a_user_acts_under_their_own_id_and_name() -> None:
    actor = Actor.of(MARIA)

    assert actor == Actor(ActorKind.USER, 3, "maria")


def test_the_person_at_the_terminal_acts_as_the_system_named_terminal() -> None:
    actor = Actor.of(TERMINAL)

    assert actor == Actor(ActorKind.SYSTEM, None, "terminal")


def test_the_rules_act_as_the_system() -> None:
    assert (SYSTEM.kind, SYSTEM.user_id, SYSTEM.name) == (ActorKind.SYSTEM, None, "system")


def test_a_diff_lists_each_changed_field_with_its_value_before_and_after() -> None:
    before = {"due_date": "2026-05-31", "assignee": "maria"}

    changes = diff(before, {"due_date": "2026-06-04", "assignee": "sam"})

    assert changes == {"due_date": ["2026-05-31", "2026-06-04"], "assignee": ["maria", "sam"]}


def test_a_diff_leaves_out_the_fields_that_did_not_change() -> None:
    before = {"due_date": "2026-05-31", "assignee": "maria"}

    changes = diff(before, {"due_date": "2026-05-31", "assignee": "sam"})

    assert changes == {"assignee": ["maria", "sam"]}


def test_a_field_that_was_absent_changes_from_none() -> None:
    changes = diff({}, {"note": "Asked for the PO"})

    assert changes == {"note": [None, "Asked for the PO"]}


def test_the_diff_of_identical_records_is_empty() -> None:
    record = {"status": "open", "version": 2}

    changes = diff(record, dict(record))

    assert changes == {}


def test_an_audit_entry_has_no_changes_and_no_customer_unless_given() -> None:
    entry = AuditEntry(NOW, Actor.of(MARIA), "task", "7", "completed", "call task completed")

    assert (entry.changes, entry.customer_id) == ({}, None)
