"""The workspace's company name, time zone, locale and sender as owners store them
(services/settings.py), over fakes: the environment's values until an owner stores their own, each
value checked (one bad value saves nothing), an empty one going back to the environment's, and every
change audited with the values before and after."""

from __future__ import annotations

import json

import pytest

from arrears.domain.errors import PermissionDenied
from arrears.domain.users import User
from arrears.services import settings
from arrears.services.settings import InvalidSetting, WorkspaceSettings
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, OLIVIA

ENVIRONMENT = WorkspaceSettings("Arrears Demo Co.", "UTC", "en_US", "ar@example.com")
LOCALES = {"en_US", "en_GB", "de_DE", "fr"}


def is_locale(name: str) -> bool:
    return name in LOCALES


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def update(uow: FakeUnitOfWork, **changes: str | None) -> WorkspaceSettings:
    return settings.update_workspace(uow, OLIVIA, ENVIRONMENT, changes, is_locale)


def test_a_new_workspace_runs_on_the_environments_values(uow: FakeUnitOfWork) -> None:
    view = settings.workspace_settings(uow, OLIVIA, ENVIRONMENT)

    assert (view.effective, view.defaults, view.stored) == (ENVIRONMENT, ENVIRONMENT, {})
    assert settings.workspace(uow, ENVIRONMENT) == ENVIRONMENT


def test_an_owners_values_win_over_the_environments_and_are_stored_beside_the_rules(uow: FakeUnitOfWork) -> None:
    updated = update(uow, company_name="  Example Supplies Ltd ", timezone="Europe/London", locale="en_GB")

    assert updated == WorkspaceSettings("Example Supplies Ltd", "Europe/London", "en_GB", "ar@example.com")
    assert settings.workspace(uow, ENVIRONMENT) == updated
    assert json.loads(uow.accounts.settings["workspace"]) == {
        "company_name": "Example Supplies Ltd",
        "locale": "en_GB",
        "timezone": "Europe/London",
    }
    assert "rules" not in uow.accounts.settings


def test_an_empty_value_goes_back_to_the_environments(uow: FakeUnitOfWork) -> None:
    update(uow, company_name="Example Supplies Ltd", email_from="billing@example.org")

    updated = update(uow, company_name=None)

    assert updated == WorkspaceSettings("Arrears Demo Co.", "UTC", "en_US", "billing@example.org")
    assert settings.workspace_settings(uow, OLIVIA, ENVIRONMENT).stored == {"email_from": "billing@example.org"}


def test_a_change_is_audited_with_each_value_before_and_after(uow: FakeUnitOfWork) -> None:
    update(uow, company_name="Example Supplies Ltd", timezone="UTC")

    [entry] = uow.audit.entries
    assert (entry.actor.name, entry.entity, entry.entity_id, entry.action) == (
        "olivia",
        "settings",
        "workspace",
        "changed",
    )
    assert entry.summary == "Workspace settings changed: company name"
    assert entry.changes == {"company_name": ["Arrears Demo Co.", "Example Supplies Ltd"]}


def test_saving_the_same_values_writes_and_audits_nothing(uow: FakeUnitOfWork) -> None:
    update(uow, company_name="Example Supplies Ltd")
    entries, commits = list(uow.audit.entries), uow.commits

    update(uow, company_name="Example Supplies Ltd", timezone=None)

    assert (uow.audit.entries, uow.commits) == (entries, commits)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("company_name", "", "company name: give 1 to 200 characters"),
        ("company_name", "x" * 201, "company name: give 1 to 200 characters"),
        ("company_name", "Acme\x00", "company name: may not hold a NUL byte"),
        ("timezone", "Mars/Olympus_Mons", "time zone: 'Mars/Olympus_Mons' is not a time zone"),
        ("timezone", "../../etc/passwd", "is not a time zone"),
        ("timezone", "x" * 100, "is not a time zone"),
        ("locale", "xx_YY", "locale: 'xx_YY' is not a locale"),
        ("email_from", "not an address", "sender address: 'not an address' is not an email address"),
        ("email_from", "a@" + "b" * 260 + ".com", "sender address"),
    ],
)
def test_a_bad_value_names_its_field_and_saves_nothing(
    uow: FakeUnitOfWork, field: str, value: str, reason: str
) -> None:
    with pytest.raises(InvalidSetting, match=reason) as refused:
        update(uow, **{"company_name": "Fine Name Ltd", field: value})

    assert refused.value.field == field
    assert "workspace" not in uow.accounts.settings and not uow.audit.entries


@pytest.mark.parametrize("actor", [MORGAN, MARIA])
def test_only_owners_see_or_change_the_workspace_settings(uow: FakeUnitOfWork, actor: User) -> None:
    with pytest.raises(PermissionDenied):
        settings.workspace_settings(uow, actor, ENVIRONMENT)
    with pytest.raises(PermissionDenied):
        settings.update_workspace(uow, actor, ENVIRONMENT, {"company_name": "Mine"}, is_locale)

    assert "workspace" not in uow.accounts.settings


def test_a_stored_key_that_is_no_setting_is_ignored(uow: FakeUnitOfWork) -> None:
    uow.accounts.settings["workspace"] = json.dumps({"company_name": "Kept Ltd", "colour": "red", "locale": 3})

    assert settings.workspace(uow, ENVIRONMENT) == WorkspaceSettings("Kept Ltd", "UTC", "en_US", "ar@example.com")
