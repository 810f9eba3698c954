"""Backups of a SQLite database without extra tools, restores that refuse while Lantern runs, rotation.

A backup goes through SQLite's online backup API (Python's `sqlite3.Connection.backup`): it copies a
consistent snapshot of a live database in WAL mode while the bot keeps writing, which a plain file copy
does not (the newest writes live in the `-wal` file). The copy is checked with `PRAGMA integrity_check`
before it takes its final name.

"Is Lantern running?" is answered by a lock file beside the database: every running bot holds a shared
`flock` on it (released by the kernel when the process ends, however it ends); a restore needs the lock
exclusively, so it fails at once while any bot holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

BACKUP_PREFIX = "lantern-"
BACKUP_SUFFIX = ".db"


class BackupError(Exception):
    """Something a backup or a restore can't do; the message is one line for the operator."""


def pg_dump_line(url: str) -> str:
    """What to run for a PostgreSQL backup: Lantern leaves it to PostgreSQL's own tools."""
    parsed = make_url(url)
    where = f"-h {parsed.host or '127.0.0.1'} -p {parsed.port or 5432}"
    user = f" -U {parsed.username}" if parsed.username else ""
    return f"pg_dump -Fc {where}{user} {parsed.database} > lantern-$(date +%F).dump"


def _lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class RunLock:
    """The shared lock a running bot holds on its SQLite database (see the module docstring)."""

    def __init__(self, database: Path) -> None:
        self.path = _lock_path(database)
        self._file: IO[bytes] | None = None

    def hold(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "ab")  # noqa: SIM115 - held for the life of the bot
        fcntl.flock(self._file.fileno(), fcntl.LOCK_SH)

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the flock
            self._file = None


@contextlib.contextmanager
def _exclusive(database: Path) -> Iterator[IO[bytes]]:
    path = _lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as file:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"Lantern is running on {database}: stop it first (systemctl stop lantern, or Ctrl-C), then restore."
            ) from None
        try:
            yield file
        finally:
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)


def _integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int


def backup_name(now: datetime) -> str:
    """`lantern-2026-12-02-030000.db` (UTC): names sort in time order, which rotation relies on."""
    return f"{BACKUP_PREFIX}{now:%Y-%m-%d-%H%M%S}{BACKUP_SUFFIX}"


def backup_sqlite(database: Path, target: Path, now: datetime) -> BackupResult:
    """Copy a live SQLite database to `target` (a file, or a folder for a dated name) and check the copy."""
    if not database.exists():
        raise BackupError(f"there is no database at {database} yet: start Lantern (or ./lantern migrate) first.")
    if target.is_dir():
        target = target / backup_name(now)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as source:
        with contextlib.closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)  # one step: a consistent snapshot, while writers go on in WAL mode
    verdict = _integrity(partial)
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check ({verdict}); the database may be damaged.")
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size)


def restore_sqlite(backup: Path, database: Path) -> None:
    """Put `backup` in place of the database, refusing while any Lantern process has it open."""
    if not backup.is_file():
        raise BackupError(f"there is no backup file at {backup}.")
    verdict = _integrity(backup)
    if verdict != "ok":
        raise BackupError(f"{backup} failed its integrity check ({verdict}); choose another backup.")
    with _exclusive(database):
        database.parent.mkdir(parents=True, exist_ok=True)
        staged = database.with_name(database.name + ".restoring")
        with contextlib.closing(sqlite3.connect(backup)) as source:
            with contextlib.closing(sqlite3.connect(staged)) as copy:
                source.backup(copy)
        for leftover in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
            leftover.unlink(missing_ok=True)  # a stale WAL would be replayed onto the restored file
        os.replace(staged, database)


def made_on(folder: Path, now: datetime) -> bool:
    """Whether `folder` already holds a backup Lantern made on `now`'s (UTC) day."""
    return any(folder.glob(f"{BACKUP_PREFIX}{now:%Y-%m-%d}-*{BACKUP_SUFFIX}"))


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups Lantern made in `folder`; return what was deleted."""
    made = sorted(folder.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}"), key=lambda p: p.name, reverse=True)
    gone = made[keep:]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def _daily(database: Path, folder: Path, keep: int, now: datetime) -> BackupResult | None:
    if made_on(folder, now):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    result = backup_sqlite(database, folder, now)
    rotate(folder, keep)
    return result


async def daily_backup(database: Path, folder: Path, keep: int, now: datetime) -> BackupResult | None:
    """The due-jobs timer's backup: one a day (UTC) into `folder`, keeping the `keep` newest.

    It runs in a thread, so the event loop keeps answering members while the copy is made.
    """
    return await asyncio.to_thread(_daily, database, folder, keep, now)
