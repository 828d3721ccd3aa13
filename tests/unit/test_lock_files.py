"""The two forms of the lock (requirements.txt, which `make install` installs with pip, and
pylock.toml, the standard lock format) pin the same packages at the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def test_requirements_and_pylock_pin_the_same_versions() -> None:
    pinned = {
        _name(found.group(1)): found.group(2)
        for found in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)", (ROOT / "requirements.txt").read_text(), re.M)
    }
    lock = tomllib.loads((ROOT / "pylock.toml").read_text())

    assert {_name(p["name"]): p["version"] for p in lock["packages"]} == pinned
    assert len(pinned) > 50  # the whole tree, not a few top-level names
