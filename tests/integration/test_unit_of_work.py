"""The unit of work builds each repository on its first use in a transaction, importing its module then
(adapters/db/uow.py, `_Repository`): every declared repository resolves, on each backend, to the
class its annotation names; and a use case that reads one repository loads none of the others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from arrears.adapters.db.uow import REPOSITORIES, SqlUnitOfWork
from arrears.bootstrap import Arrears

# Modules of repositories that reading credit has no use for: none is imported by it.
UNRELATED = (
    "arrears.adapters.db.workspace.task_list",
    "arrears.adapters.db.workspace.balances",
    "arrears.adapters.db.portal",
    "arrears.adapters.db.importer",
    "arrears.adapters.db.export",
    "arrears.adapters.db.automation.outbox",
    "arrears.adapters.db.automation.selection",
)


def test_every_repository_resolves_to_the_class_its_annotation_names(arrears: Arrears) -> None:
    assert len(REPOSITORIES) == 26
    with arrears.uow() as uow:
        for name in REPOSITORIES:
            declared = vars(SqlUnitOfWork)[name]
            repository = getattr(uow, name)

            assert type(repository).__name__ == declared.class_name, name
            assert type(repository).__module__ == f"arrears.adapters.db{declared.module}", name
            assert SqlUnitOfWork.__annotations__[name] == f"_Repository[{declared.class_name}]", name
            assert repository.connection is uow.connection, name
            assert getattr(uow, name) is repository, name  # built once per transaction
            if "changed" in declared.arguments:  # one set for the transaction, whoever was built first
                assert repository.changed is uow.changed, name


def test_each_transaction_builds_its_repositories_on_its_own_connection(arrears: Arrears) -> None:
    uow = arrears.uow()
    with uow:
        first = uow.credit
        uow.changed.add(1)
        uow.rollback()
        assert uow.changed == set()
    with uow:
        second = uow.credit

        assert second is not first
        assert second.connection is uow.connection
        assert uow.changed == set()


def test_reading_credit_imports_no_other_repository(tmp_path: Path, sqlite_template: Path) -> None:
    """In a fresh interpreter, as a command starts: the tests' own imports would hide it here."""
    database = tmp_path / "arrears.db"
    database.write_bytes(sqlite_template.read_bytes())
    probe = (
        "import sys\n"
        "from arrears.bootstrap import bootstrap\n"
        "from arrears.config import Settings\n"
        f"app = bootstrap(Settings(database_url={f'sqlite:///{database}'!r}))\n"
        "with app.uow() as uow:\n"
        "    assert uow.credit.currencies() == []\n"
        "    uow.commit()\n"
        "assert 'arrears.adapters.db.credit' in sys.modules\n"
        f"print(sorted(m for m in {UNRELATED!r} if m in sys.modules))\n"
    )

    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)

    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"
