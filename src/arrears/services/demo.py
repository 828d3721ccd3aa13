"""Loading the demo ledger (`arrears demo`) the way a user would: the users through
`users.add_user`, then the generated rows (`arrears.demo`) as CSV files through the real import, in
the order of docs/csv.md, into an empty database only.
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..demo import COLLECTORS, DEFAULT_CUSTOMERS, DEMO_PASSWORD, DEMO_USERS, HEADERS, DemoUser, Row, generate
from ..domain.errors import Conflict
from ..domain.records import KINDS
from .imports import import_csv
from .ports import PasswordHasher, UnitOfWork
from .users import add_user

LoadProgress = Callable[[str, int, int], None]  # (step, done, total), called as loading goes


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What `load_demo` put in the database."""

    seed: int
    as_of: date
    users: tuple[DemoUser, ...]
    password: str
    rows: dict[str, int]  # kind -> rows imported
    customers_per_collector: dict[str, int]
    behaviours: dict[str, int]  # behaviour -> customers


def load_demo(
    uow_factory: Callable[[], UnitOfWork],
    hasher: PasswordHasher,
    seed: int,
    as_of: date,
    progress: LoadProgress | None = None,
    *,
    customers: int = DEFAULT_CUSTOMERS,
) -> DemoSummary:
    """Generate the demo ledger and load it through the real import; only into an empty database.

    Each file is imported in its own transaction, as `arrears import` would; the check that the
    database is empty comes first, so a refused demo changes nothing.
    """
    _refuse_unless_empty(uow_factory())
    ledger = generate(seed, as_of, customers=customers)
    report = progress or (lambda _step, _done, _total: None)
    once = _HashedOnce(hasher)
    for done, user in enumerate(ledger.users):
        report("adding users", done, len(ledger.users))
        add_user(uow_factory(), once, user.name, user.role, email=user.email, password=DEMO_PASSWORD, published=True)
    report("adding users", len(ledger.users), len(ledger.users))
    imported: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="arrears-demo-") as folder:
        files = [(kind, _write_csv(Path(folder) / f"{kind}.csv", HEADERS[kind], ledger.rows[kind])) for kind in KINDS]
        for kind, path in files:
            step, size = f"importing {path.name}", path.stat().st_size
            report(step, 0, size)
            with path.open("rb") as source:
                summary = import_csv(uow_factory(), kind, source, path.name, progress=_reading(report, step, size))
            report(step, size, size)
            imported[kind] = summary.rows
    collectors = Counter(row["collector"] for row in ledger.rows["customers"])
    return DemoSummary(
        seed=seed,
        as_of=as_of,
        users=ledger.users,
        password=DEMO_PASSWORD,
        rows=imported,
        customers_per_collector={name: collectors[name] for name in COLLECTORS},
        behaviours={b.value: n for b, n in sorted(Counter(ledger.behaviours.values()).items())},
    )


class _HashedOnce:
    """Every demo user has the same, published password: hash it once (a slow hash, on purpose)."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self.hashes: dict[str, str] = {}

    def hash(self, password: str) -> str:
        if password not in self.hashes:
            self.hashes[password] = self.hasher.hash(password)
        return self.hashes[password]

    def verify(self, password_hash: str, password: str) -> bool:
        return self.hasher.verify(password_hash, password)


def _reading(report: LoadProgress, step: str, size: int) -> Callable[[int], None]:
    """The import's bytes-read callback, as a step of the load."""
    return lambda done: report(step, done, size)


def _refuse_unless_empty(uow: UnitOfWork) -> None:
    with uow:
        customers = uow.customer_count()
        taken = [user.name for user in DEMO_USERS if uow.users.by_name(user.name) is not None]
    if customers:
        noun = "customer" if customers == 1 else "customers"
        what = f"already holds {customers:,} {noun}"
    elif taken:
        what = f"already has the user{'s' if len(taken) > 1 else ''} {', '.join(taken)}"
    else:
        return
    raise Conflict(
        f"this database {what}; the demo loads only into an empty one, so nothing was changed. "
        "Point ARREARS_DATABASE_URL (or --database-url) at a new database, or delete arrears.db "
        "to start over."
    )


def _write_csv(path: Path, header: Sequence[str], rows: list[Row]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(header), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path
