"""The workspace rules that owners switch off or tune."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from ...services.settings import RuleSettings
from .common import Request

Days = Annotated[int, Field(ge=0, le=3650)]
ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class SettingsOut(BaseModel):
    auto_close_paid_tasks: bool
    auto_close_issues: bool
    promises_close_tasks: bool
    stale_after_days: int
    plan_default_after_days: int
    dispute_reasons: list[str]

    @classmethod
    def of(cls, settings: RuleSettings) -> SettingsOut:
        return cls(
            auto_close_paid_tasks=settings.auto_close_paid_tasks,
            auto_close_issues=settings.auto_close_issues,
            promises_close_tasks=settings.promises_close_tasks,
            stale_after_days=settings.stale_after_days,
            plan_default_after_days=settings.plan_default_after_days,
            dispute_reasons=list(settings.dispute_reasons),
        )


class SettingsPatch(Request):
    auto_close_paid_tasks: bool | None = None
    auto_close_issues: bool | None = None
    promises_close_tasks: bool | None = None
    stale_after_days: Days | None = None
    plan_default_after_days: Days | None = None
    dispute_reasons: list[ReasonCode] | None = Field(None, min_length=1, max_length=100)

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}
