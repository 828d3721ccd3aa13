"""/api/v1/settings: the workspace's rules, switched on or off and tuned by owners."""

from __future__ import annotations

from fastapi import APIRouter

from ...services import settings
from ..deps import CurrentUser, Uow
from ..errors import ERRORS
from ..schemas import SettingsOut, SettingsPatch
from . import PREFIX

router = APIRouter(prefix=f"{PREFIX}/settings", tags=["settings"], responses=ERRORS)


@router.get("")
def get_settings(user: CurrentUser, uow: Uow) -> SettingsOut:
    return SettingsOut.of(settings.get_settings(uow, user))


@router.patch("")
def update_settings(body: SettingsPatch, user: CurrentUser, uow: Uow) -> SettingsOut:
    """Owners only; the fields given change, the others keep their values."""
    return SettingsOut.of(settings.update_settings(uow, user, body.changes()))
