"""Integration fixtures: a `ledger` on each backend, driven through the service layer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from arrears.bootstrap import Arrears
from tests.ledger import Ledger
from tests.workspace import Desk


@pytest.fixture
def ledger(arrears: Arrears, tmp_path: Path) -> Ledger:
    return Ledger(arrears, tmp_path)


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Desk]:
    desk = Desk.open(db_url, tmp_path)
    yield desk
    desk.arrears.close()
