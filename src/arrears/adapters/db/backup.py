"""Copies of a SQLite workspace: a consistent backup while Arrears is running, and a restore.

Both use SQLite's online backup API, never a file copy: a backup is made in one step under a read
transaction, so it is the database as of one moment even while the web app, the worker or an import
write to it (WAL lets them go on); a restore writes the copy into the live database under SQLite's
own locks, so running processes see the restored ledger on their next statement instead of a file
pulled from under them. PostgreSQL has its own tools (`pg_dump`, `pg_restore`): see
docs/operations.md.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from ...domain.errors import ArrearsError
from .engine import head_revision, revisions

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables that every Arrears schema has had since its first migration.
ARREARS_TABLES = frozenset({"alembic_version", "customers", "invoices"})
BUSY_MS = 30_000


class BackupRefused(ArrearsError):
    """A backup or restore that would not be safe, or that this database does not support."""

    code = "backup_refused"


@dataclass(frozen=True, slots=True)
class Copied:
    """What a backup or restore did: the database file, the copy, the copy's schema revision and
    size, and (restore) the revision the database had before."""

    database: Path
    copy: Path
    revision: str
    size: int
    replaced_revision: str | None = None
    newest_revision: str = field(default_factory=head_revision)  # this version's: an older copy needs upgrading


def sqlite_file(url: str, action: str) -> Path:
    """The file of a SQLite database URL; BackupRefused for PostgreSQL (with the tool to use) and
    for a database held in memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        tool = "pg_dump -Fc" if action == "backup" else "pg_restore"
        raise BackupRefused(
            f"`arrears db {action}` is for SQLite; this database is {parsed.get_backend_name()}: "
            f"use {tool} (see docs/operations.md)"
        )
    if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file::memory:"):
        raise BackupRefused(f"the database is held in memory: there is no file to {action}")
    return Path(parsed.database)


@contextlib.contextmanager
def _connected(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        yield connection
    finally:
        connection.close()


def _revision_of(connection: sqlite3.Connection, what: str) -> str:
    """The schema revision of an Arrears database; BackupRefused when it is not one."""
    try:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables >= ARREARS_TABLES:
            raise BackupRefused(f"{what} is not an Arrears database (it has no Arrears schema)")
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{what} is not an Arrears database: {error}") from None
    if row is None:
        raise BackupRefused(f"{what} is not an Arrears database (it has no schema revision)")
    return str(row[0])


def _newer(revision: str, than: str) -> bool:
    """Whether schema `revision` is newer than `than` (one this code does not know is newer)."""
    known = revisions()
    if revision not in known:
        return than in known
    return than in known and known.index(revision) > known.index(than)


def backup(url: str, target: Path) -> Copied:
    """Write a consistent copy of the SQLite database of `url` to `target` (replaced if it exists,
    only once the copy is whole: a temporary file beside it is renamed over it)."""
    database = sqlite_file(url, "backup")
    if not database.is_file():
        raise BackupRefused(f"{database}: no such database file")
    if target.exists() and target.resolve() == database.resolve():
        raise BackupRefused(f"{target} is the database itself: back it up to another file")
    if target.is_dir():
        raise BackupRefused(f"{target} is a folder: give the name of the backup file")
    if not target.parent.is_dir():
        raise BackupRefused(f"{target.parent}: no such folder")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with _connected(database) as source:
            revision = _revision_of(source, str(database))
            with _connected(partial) as copy:
                source.backup(copy)  # every page in one step, under one read transaction: one moment
                copy.execute("PRAGMA journal_mode = DELETE")  # the copy is one self-contained file
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupRefused(f"the backup failed: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Copied(database, target, revision, target.stat().st_size)


def restore(url: str, source_file: Path) -> Copied:
    """Put the backup `source_file` back as the SQLite database of `url`, under SQLite's locks.

    Refused, changing nothing: a file that is not an Arrears database (or is damaged); a backup of a
    schema newer than this version of Arrears knows; and a database in place whose schema is newer
    than the backup's (move it aside first to go back to an older one)."""
    database = sqlite_file(url, "restore")
    if not source_file.is_file():
        raise BackupRefused(f"{source_file}: no such file")
    with source_file.open("rb") as head:
        if head.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupRefused(f"{source_file} is not an Arrears database (not a SQLite file)")
    if database.exists() and source_file.resolve() == database.resolve():
        raise BackupRefused(f"{source_file} is the database itself")
    try:
        with _connected(source_file) as source:
            revision = _revision_of(source, str(source_file))
            if revision not in revisions():
                raise BackupRefused(
                    f"{source_file} has schema revision {revision}, newer than this version of Arrears knows "
                    f"(its newest is {head_revision()}): upgrade Arrears before restoring it"
                )
            checked = source.execute("PRAGMA quick_check").fetchone()
            if checked is None or checked[0] != "ok":
                raise BackupRefused(f"{source_file} is damaged: {checked[0] if checked else 'no answer'}")
            replaced: str | None = None
            if database.exists() and database.stat().st_size > 0:
                with _connected(database) as live:
                    replaced = _revision_of(live, f"the database {database}")
                if _newer(replaced, revision):
                    raise BackupRefused(
                        f"the database {database} has schema revision {replaced}, newer than the backup's "
                        f"{revision}: restoring it would overwrite a newer schema. Move the database aside "
                        "first to go back to the older one"
                    )
            with _connected(database) as live:
                source.backup(live)
    except sqlite3.Error as error:
        raise BackupRefused(f"the restore failed, nothing was changed: {error}") from None
    return Copied(database, source_file, revision, source_file.stat().st_size, replaced)
