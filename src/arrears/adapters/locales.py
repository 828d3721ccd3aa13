"""Which locale names Babel knows: what the workspace's locale setting may hold."""

from __future__ import annotations

from babel.core import Locale, UnknownLocaleError


def is_locale(name: str) -> bool:
    """Whether Babel can write amounts and dates for `name` (en_GB, de_DE, fr), as the email
    templates parse it."""
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True
