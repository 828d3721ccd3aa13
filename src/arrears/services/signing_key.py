"""The key that signs sessions and portal links (docs/settings.md, ARREARS_SECRET_KEY): the configured one,
else one generated on first run and stored in the database, so every web process signs alike."""

from __future__ import annotations

import secrets

from .ports import UnitOfWork

KEY = "secret_key"
MIN_LENGTH = 32


def secret_key(uow: UnitOfWork, configured: str | None) -> str:
    """ARREARS_SECRET_KEY when set; else the stored key, generated (and stored) when there is none."""
    if configured:
        return configured
    with uow:
        stored = uow.accounts.setting(KEY)
        if stored is not None and len(stored) >= MIN_LENGTH:
            return stored
        key = secrets.token_urlsafe(48)
        if stored is None:  # the first process to store one wins: every process then signs alike
            key = uow.accounts.add_setting(KEY, key)
        else:
            uow.accounts.set_setting(KEY, key)
        uow.commit()
        return key
