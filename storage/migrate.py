"""Apply Alembic migrations from inside the running bot (or a test)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from storage.database import Database

STORAGE_DIR = Path(__file__).resolve().parent


def alembic_config() -> Config:
    cfg = Config(str(STORAGE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(STORAGE_DIR / "migrations"))
    return cfg


def _upgrade(connection: Connection, cfg: Config) -> None:
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")


class DatabaseNewerThanCode(Exception):
    """The database carries migrations this code doesn't know: a newer Lantern migrated it."""

    def __init__(self, unknown: set[str]) -> None:
        self.unknown = unknown
        super().__init__(
            f"the database was migrated by a newer Lantern (revision {', '.join(sorted(unknown))}); "
            "run that version's code, or restore a backup made before the upgrade."
        )


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


async def upgrade_to_head(database: Database) -> None:
    """Bring the database to the newest revision of every migration branch.

    Refuses (DatabaseNewerThanCode) when the database carries a revision this code lacks: running old
    migrations over a newer schema, or old code over it, could lose data.
    """
    unknown = await current_revisions(database) - known_revisions()
    if unknown:
        raise DatabaseNewerThanCode(unknown)
    cfg = alembic_config()
    async with database.writer.connect() as connection:
        await connection.run_sync(_upgrade, cfg)
        await connection.commit()


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def current_revisions(database: Database) -> set[str]:
    def _current(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with database.reader.connect() as connection:
        return await connection.run_sync(_current)
