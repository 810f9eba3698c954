"""Migrations: they build the schema from nothing, and the models agree with them."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage import Database
from storage.base import UNMANAGED_INDEXES, UNMANAGED_TABLES
from storage.migrate import current_revisions, head_revisions, upgrade_to_head
from storage.models import Base


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and (name in UNMANAGED_TABLES or (name or "").startswith(tuple(UNMANAGED_TABLES))):
        return False
    if type_ == "index" and name in UNMANAGED_INDEXES:
        return False
    return not (type_ == "table" and name == "alembic_version")


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _include, "render_as_batch": True}
    )
    return compare_metadata(context, Base.metadata)


async def _check_database(url: str) -> None:
    database = Database(url)
    database.prepare()
    try:
        await upgrade_to_head(database)
        assert await current_revisions(database) == head_revisions()
        async with database.writer.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await connection.run_sync(_diff)
        assert set(Base.metadata.tables) <= tables
        assert diff == [], f"models and migrations disagree: {diff}"
        # Upgrading again is a no-op.
        await upgrade_to_head(database)
        assert await current_revisions(database) == head_revisions()
    finally:
        await database.dispose()


async def test_sqlite_upgrade_from_empty_matches_the_models(tmp_path: Any) -> None:
    """An empty SQLite file is migrated to every head, and autogenerate finds nothing to add."""
    await _check_database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")


@pytest.mark.postgres
async def test_postgres_upgrade_from_empty_matches_the_models(pg_url: str) -> None:
    """The same migrations build the same schema on PostgreSQL."""
    await _check_database(pg_url)


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Any) -> None:
    """Every SQLite connection is in WAL mode, enforces foreign keys and waits for locks."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}", busy_timeout_ms=4321)
    database.prepare()
    try:
        for engine in (database.writer, database.reader):
            async with engine.connect() as connection:
                assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
                assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
                assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 4321
        async with database.reader.connect() as connection:
            assert (await connection.execute(text("PRAGMA query_only"))).scalar() == 1
    finally:
        await database.dispose()


async def test_missing_data_folder_is_created(tmp_path: Any) -> None:
    """The default SQLite location's folder is created on first start."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'data' / 'lantern.db'}")
    database.prepare()
    try:
        await upgrade_to_head(database)
        assert (tmp_path / "nested" / "data" / "lantern.db").exists()
    finally:
        await database.dispose()
