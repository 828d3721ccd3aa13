"""The workspace's rules as owners set them (services/settings.py), over fakes: defaults, what may be
changed and to what, and that a refused change changes nothing."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest

from arrears.domain.disputes import DEFAULT_REASONS, EARLIER_DEFAULT_REASONS
from arrears.domain.errors import Conflict, InvalidValue, PermissionDenied
from arrears.services import settings
from arrears.services.settings import RuleSettings
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, OLIVIA


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def stored(uow: FakeUnitOfWork) -> dict[str, Any] | None:
    raw = uow.accounts.settings.get("rules")
    return None if raw is None else dict(json.loads(raw))


def test_a_new_workspace_runs_on_the_default_rules(uow: FakeUnitOfWork) -> None:
    rules = settings.get_settings(uow, MARIA)

    assert rules == RuleSettings()
    assert (rules.stale_after_days, rules.dispute_reasons) == (3, DEFAULT_REASONS)


def test_an_owner_changes_one_rule_and_only_that_one_is_stored(uow: FakeUnitOfWork) -> None:
    updated = settings.update_settings(uow, OLIVIA, {"stale_after_days": 5})

    assert updated == RuleSettings(stale_after_days=5)
    assert settings.get_settings(uow, MARIA) == updated
    assert stored(uow) == {"stale_after_days": 5}  # the others follow their defaults, even new ones


def test_reasons_stored_as_the_earlier_default_give_way_to_the_new_default(uow: FakeUnitOfWork) -> None:
    every_rule_as_once_saved = {**asdict(RuleSettings()), "dispute_reasons": list(EARLIER_DEFAULT_REASONS)}
    uow.accounts.set_setting("rules", json.dumps({**every_rule_as_once_saved, "stale_after_days": 5}))

    rules = settings.get_settings(uow, MARIA)

    assert (rules.stale_after_days, rules.dispute_reasons) == (5, DEFAULT_REASONS)


def test_arrears_dispute_reasons_when_set_are_in_force_over_the_stored_ones(uow: FakeUnitOfWork) -> None:
    settings.update_settings(uow, OLIVIA, {"dispute_reasons": ["wrong_site", "pricing"]})
    uow.dispute_reasons = ("pricing", "warranty")

    rules = settings.get_settings(uow, MARIA)

    assert rules.dispute_reasons == ("pricing", "warranty")


def test_reasons_set_by_arrears_dispute_reasons_cannot_be_changed_through_the_settings(
    uow: FakeUnitOfWork,
) -> None:
    uow.dispute_reasons = ("pricing", "warranty")

    with pytest.raises(Conflict, match="set by ARREARS_DISPUTE_REASONS on the server \\(pricing, warranty\\)"):
        settings.update_settings(uow, OLIVIA, {"dispute_reasons": ["wrong_site"], "stale_after_days": 5})

    assert uow.accounts.setting("rules") is None
    assert settings.update_settings(uow, OLIVIA, {"dispute_reasons": ["pricing", "warranty"]}).dispute_reasons == (
        "pricing",
        "warranty",
    )


def test_changes_add_up_over_time(uow: FakeUnitOfWork) -> None:
    settings.update_settings(uow, OLIVIA, {"auto_close_issues": False})
    settings.update_settings(uow, OLIVIA, {"stale_after_days": 0})

    assert settings.get_settings(uow, MARIA) == RuleSettings(auto_close_issues=False, stale_after_days=0)


def test_dispute_reasons_are_a_list_of_codes(uow: FakeUnitOfWork) -> None:
    updated = settings.update_settings(uow, OLIVIA, {"dispute_reasons": ["wrong_site", "pricing"]})

    assert updated.dispute_reasons == ("wrong_site", "pricing")


def test_managers_do_not_change_the_rules(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied, match="a manager may not manage settings"):
        settings.update_settings(uow, MORGAN, {"stale_after_days": 5})

    assert stored(uow) is None


def test_an_unknown_setting_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="'holidays' is not a setting: use one of auto_close_paid_tasks"):
        settings.update_settings(uow, OLIVIA, {"stale_after_days": 5, "holidays": []})

    assert stored(uow) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"auto_close_paid_tasks": "yes"}, "auto_close_paid_tasks must be true or false"),
        ({"stale_after_days": "soon"}, "whole number of days from 0 to 3650"),
        ({"stale_after_days": True}, "whole number of days from 0 to 3650"),
        ({"stale_after_days": -1}, "whole number of days from 0 to 3650"),
        ({"plan_default_after_days": 3651}, "whole number of days from 0 to 3650"),
        ({"dispute_reasons": []}, "non-empty list of reason codes"),
        ({"dispute_reasons": "pricing"}, "non-empty list of reason codes"),
        ({"dispute_reasons": ["pricing", 7]}, "non-empty list of reason codes"),
        ({"dispute_reasons": ["Wrong Site"]}, "'Wrong Site' is not a reason code"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_and_nothing_changes(
    uow: FakeUnitOfWork, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidValue, match=reason):
        settings.update_settings(uow, OLIVIA, changes)

    assert stored(uow) is None and uow.commits == 0


def test_the_limits_of_a_number_of_days_are_accepted(uow: FakeUnitOfWork) -> None:
    updated = settings.update_settings(uow, OLIVIA, {"stale_after_days": 0, "plan_default_after_days": 3650})

    assert (updated.stale_after_days, updated.plan_default_after_days) == (0, 3650)


def test_a_stored_rule_this_version_does_not_know_is_ignored(uow: FakeUnitOfWork) -> None:
    uow.accounts.set_setting("rules", json.dumps({"stale_after_days": 9, "retired_rule": True}))

    assert settings.get_settings(uow, MARIA) == RuleSettings(stale_after_days=9)
