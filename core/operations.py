"""The operator's commands: `lantern backup`, `lantern restore` and `lantern doctor`.

Each prints what it did (or the one line that says what went wrong) and returns the exit code.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from config import Settings
from core.doctor import FAIL, run_checks
from core.protection import default_key_file
from storage.backup import BackupError, backup_sqlite, pg_dump_line, restore_sqlite
from storage.database import sqlite_path

DEFAULT_BACKUP_FOLDER = Path("backups")


def _fail(message: str, code: int = 1) -> int:
    print(f"lantern: {message}", file=sys.stderr)
    return code


def _key_note(settings: Settings) -> str:
    """Kept blocks need the protection key after a restore; stored beside the backups, it would unmask them."""
    where = (
        "PROTECTION_KEY in .env"
        if settings.protection_key is not None
        else str(settings.protection_key_file or default_key_file(settings.database_url))
    )
    return f"Keep a copy of {where} too, apart from the backups (PRIVACY.md)."


def backup(settings: Settings, target: Path | None) -> int:
    """A consistent copy of the live SQLite database; on PostgreSQL, the pg_dump line to use."""
    database = sqlite_path(settings.database_url)
    if database is None:
        print("Lantern's database is PostgreSQL: back it up with PostgreSQL's own tool, for example")
        print(f"  {pg_dump_line(settings.database_url)}")
        return 0
    folder = target or settings.backup_dir or DEFAULT_BACKUP_FOLDER
    if target is None or target.suffix == "":
        folder.mkdir(parents=True, exist_ok=True)
    try:
        # The CLI is not the bot: a file name may take the machine's clock (product code uses bot.clock()).
        made = backup_sqlite(database, folder, datetime.now(UTC))
    except (BackupError, OSError) as error:
        return _fail(f"backup failed: {error}")
    print(
        f"Backed up {database} to {made.path.resolve()} ({made.bytes // 1024} KB, integrity ok). {_key_note(settings)}"
    )
    return 0


def restore(settings: Settings, source: Path) -> int:
    """Replace the SQLite database with a backup; refused while Lantern runs on it."""
    database = sqlite_path(settings.database_url)
    if database is None:
        return _fail("the database is PostgreSQL: restore with pg_restore -d DBNAME FILE.dump, with Lantern stopped.")
    try:
        restore_sqlite(source, database)
    except (BackupError, OSError) as error:
        return _fail(f"restore refused: {error}")
    print(f"Restored {database} from {source}. Start Lantern again; it applies any newer migrations.")
    return 0


async def doctor(settings: Settings, *, online: bool) -> int:
    checks = await run_checks(settings, datetime.now(UTC), online=online)
    for check in checks:
        print(check.line())
    return 1 if any(check.status == FAIL for check in checks) else 0
