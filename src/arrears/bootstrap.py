"""The composition root: the only module that names concrete adapters. Nothing is built at import."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from .adapters.clock import SystemClock
from .adapters.db.engine import ensure_schema, make_engine, upgrade
from .adapters.db.uow import SqlUnitOfWork
from .adapters.passwords import Argon2Hasher
from .config import Settings
from .services.ports import Clock


@dataclass
class Arrears:
    """Everything the entry points need, built from settings."""

    settings: Settings
    clock: Clock | None = None

    def __post_init__(self) -> None:
        if self.clock is None:
            self.clock = SystemClock(self.settings.timezone)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def hasher(self) -> Argon2Hasher:
        return Argon2Hasher()

    def uow(self) -> SqlUnitOfWork:
        assert self.clock is not None
        return SqlUnitOfWork(self.engine, self.clock)

    def ready(self) -> Arrears:
        """Check (or, on SQLite, create) the schema before a command uses the database."""
        ensure_schema(self.engine)
        return self

    def upgrade(self) -> tuple[str | None, str]:
        return upgrade(self.engine)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Arrears:
    return Arrears(settings or Settings(), clock)
