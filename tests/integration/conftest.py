"""Integration fixtures: a `ledger` on each backend, driven through the service layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrears.bootstrap import Arrears
from tests.ledger import Ledger


@pytest.fixture
def ledger(arrears: Arrears, tmp_path: Path) -> Ledger:
    return Ledger(arrears, tmp_path)
