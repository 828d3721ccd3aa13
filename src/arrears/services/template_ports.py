"""Ports of the templates page: the email templates stored in the database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from ..domain.email_templates import StoredPart


class EmailTemplates(Protocol):
    """Template parts saved from the templates page (one row per name and part), and a version that
    changes with every save or reset, so a process reads the parts again only when they changed."""

    def version(self) -> str | None:
        """A token that every save and reset replaces; None before the first."""

    def sources(self) -> dict[tuple[str, str], str]:
        """{(name, part): source} of every stored part."""

    def stored(self) -> list[StoredPart]:
        """Every stored part with who saved it and when, by name and part."""

    def save(self, name: str, parts: Mapping[str, str], by: int | None, at: datetime) -> None:
        """Store these parts of template `name` in place of all it had stored, and change the version."""

    def reset(self, name: str) -> int:
        """Forget every stored part of `name` and change the version; how many parts were stored."""
